// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cost of workload network isolation (issue 5): how long vigil takes to
 * install one workload's rules, alone and beside 1,000 others, and what the
 * rules cost forwarded traffic. vigil reaches a workload's chains through
 * verdict maps keyed by interface name, so a packet's cost should not grow
 * with the number of workloads. The comparison is the same policy written
 * the way libvirt and Incus write it: one jump rule per workload and
 * direction in a forward chain, the measured workload last.
 *
 * Traffic runs between two namespaces this bench makes, routed by a third
 * that holds the tables (and stands in for the host):
 *
 *   W (measured workload) eth0 198.18.0.2/30  <-> vbwl   198.18.0.1/30
 *   I ("internet")        eth0 198.18.0.14/30 <-> vbinet 198.18.0.13/30
 *
 * The other workloads' interfaces do not exist: maps and rules match names
 * only. The configurations take turns within each round, since on a shared
 * VM only ratios within one run mean anything. Needs root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "nft_policy.h"
#include "strbuf.h"
#include "testutil.h"
#include "timing.h"
#include "veth.h"

#define N_OTHERS	 1000
#define N_APPLIES	 50
#define ROUNDS		 7
#define APPLY_TARGET_MS	 5.0
#define INSTALL_TARGET_S 5.0
#define TCP_SECONDS	 1.0
#define UDP_SECONDS	 1.0
#define UDP_PAYLOAD	 64
#define IO_SIZE		 (256 * 1024)
#define PORT		 5201
#define W_IF		 "vbwl"
#define W_ADDR		 "198.18.0.2"
#define W_MAC		 "02:00:5e:12:00:02"
#define I_ADDR		 "198.18.0.14"
#define LINEAR		 "inet vigil_linear_bench"

/* one apply at a time slows as the table grows: a cap keeps the bench near two minutes */
#define INSTALL_CAP_S 40.0

struct netns {
	char name[32];
	char path[PATH_MAX];
};

static struct netns ns_r, ns_w, ns_i;
static pid_t owner, receiver, sender;

/* Async-signal-safe, for the signal handlers; a no-op in children, which inherit them. */
static void cleanup(void)
{
	struct netns *all[] = { &ns_w, &ns_i, &ns_r };
	pid_t *children[] = { &receiver, &sender };

	if (getpid() != owner)
		return;
	/* a process inside a namespace would keep it, and its links, alive */
	for (size_t i = 0; i < sizeof(children) / sizeof(*children); i++) {
		if (*children[i] > 0) {
			kill(*children[i], SIGKILL);
			waitpid(*children[i], NULL, 0);
			*children[i] = 0;
		}
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++) {
		if (all[i]->path[0])
			vigil_netns_remove(all[i]->path);
		all[i]->path[0] = '\0';
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int make_netns(struct netns *n, const char *role)
{
	char path[PATH_MAX];
	int err;

	snprintf(n->name, sizeof(n->name), "vgbnft-%s-%d", role, (int)owner);
	snprintf(path, sizeof(path), "/run/netns/%s", n->name);
	err = vigil_netns_create(path);
	if (!err)
		snprintf(n->path, sizeof(n->path), "%s", path);
	return err;
}

/* In the router: both legs, with vigil's own code for workload links. */
static int make_links(void *arg)
{
	const struct vigil_veth_opts legs[] = {
		{ .host_ifname = W_IF,
		  .netns_path = ns_w.path,
		  .host_cidr = "198.18.0.1/30",
		  .peer_cidr = W_ADDR "/30" },
		{ .host_ifname = "vbinet",
		  .netns_path = ns_i.path,
		  .host_cidr = "198.18.0.13/30",
		  .peer_cidr = I_ADDR "/30" },
	};
	int ifindex, err = 0;

	for (size_t i = 0; i < sizeof(legs) / sizeof(*legs) && !err; i++) {
		err = vigil_veth_create(&legs[i], &ifindex);
		if (!err)
			err = vigil_veth_up(legs[i].host_ifname);
	}
	return err;
}

static int make_topology(void)
{
	int err = make_netns(&ns_r, "r");

	if (!err)
		err = make_netns(&ns_w, "w");
	if (!err)
		err = make_netns(&ns_i, "i");
	if (!err)
		err = vigil_netns_run(ns_r.path, make_links, NULL);
	if (!err && sh("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1 && "
		       "ip -n %s link set eth0 address " W_MAC,
		       ns_r.name, ns_w.name))
		err = -EIO;
	return err;
}

/* A workload that exists only as names and an address in 198.19.0.0/16. */
struct fake {
	char id[16];
	char ifname[IFNAMSIZ];
	char ipv4[INET_ADDRSTRLEN];
};

static struct fake fakes[N_OTHERS + 2 * N_APPLIES];

/* all[0] the measured workload, then the others; each extra one is new to the table */
static struct vigil_nft_workload all[1 + N_OTHERS], new_empty[N_APPLIES], new_full[N_APPLIES];

static void make_fakes(struct vigil_nft_workload *w, size_t n, const char *kind)
{
	static unsigned int used;

	for (size_t i = 0; i < n; i++, used++) {
		struct fake *f = &fakes[used];

		snprintf(f->id, sizeof(f->id), "%s-%zu", kind, i);
		snprintf(f->ifname, sizeof(f->ifname), "%s%zu", kind, i);
		snprintf(f->ipv4, sizeof(f->ipv4), "198.19.%u.%u", (used + 1) >> 8,
			 (used + 1) & 255);
		w[i] = (struct vigil_nft_workload){ .id = f->id,
						    .ifname = f->ifname,
						    .ipv4 = f->ipv4 };
	}
}

static int apply(struct vigil_nft *h, const struct vigil_nft_workload *w)
{
	int err = vigil_nft_apply(h, w);

	if (err)
		fprintf(stderr, "bench_nft: apply %s: %s (%s)\n", w->id, strerror(-err),
			vigil_nft_error(h));
	return err;
}

static int reconcile(struct vigil_nft *h, const struct vigil_nft_workload *w, size_t n)
{
	int err = vigil_nft_reconcile(h, w, n);

	if (err)
		fprintf(stderr, "bench_nft: reconcile %zu: %s (%s)\n", n, strerror(-err),
			vigil_nft_error(h));
	return err;
}

static const char *verdict(bool ok)
{
	return ok ? "ok" : "OVER TARGET";
}

/* Median ms of applying each of w[0..N_APPLIES), emptying the table first if asked. */
static int median_apply(struct vigil_nft *h, const struct vigil_nft_workload *w, bool empty,
			double *ret_ms)
{
	double t[N_APPLIES], start;
	int err = 0;

	for (int i = 0; i < N_APPLIES && !err; i++) {
		if (empty)
			err = reconcile(h, NULL, 0);
		start = bench_now_s();
		if (!err)
			err = apply(h, &w[i]);
		t[i] = (bench_now_s() - start) * 1e3;
	}
	if (!err)
		*ret_ms = bench_median(t, N_APPLIES);
	return err;
}

static int measure_apply(struct vigil_nft *h)
{
	double ms, start, total, last = 0;
	int n = 0, err;

	err = median_apply(h, new_empty, true, &ms);
	if (err)
		return err;
	printf("apply, one new workload into an empty table: median %.2f ms of %d "
	       "(target <= %.0f ms): %s\n",
	       ms, N_APPLIES, APPLY_TARGET_MS, verdict(ms <= APPLY_TARGET_MS));
	fflush(stdout);

	err = reconcile(h, NULL, 0);
	start = bench_now_s();
	for (; n < N_OTHERS && !err && bench_now_s() - start < INSTALL_CAP_S; n++) {
		last = bench_now_s();
		err = apply(h, &all[1 + n]);
		last = bench_now_s() - last;
	}
	total = bench_now_s() - start;
	if (err)
		return err;
	if (n == N_OTHERS)
		printf("install %d workloads, one apply each: %.2f s (target <= %.0f s): %s\n",
		       N_OTHERS, total, INSTALL_TARGET_S, verdict(total <= INSTALL_TARGET_S));
	else
		printf("install %d workloads, one apply each: stopped after %.0f s with %d "
		       "installed, the last apply %.0f ms (target <= %.0f s): OVER TARGET\n",
		       N_OTHERS, total, n, last * 1e3, INSTALL_TARGET_S);
	fflush(stdout);
	/* the rest in one go, for what follows */
	if (n < N_OTHERS)
		err = reconcile(h, &all[1], N_OTHERS);

	if (!err)
		err = median_apply(h, new_full, false, &ms);
	if (err)
		return err;
	printf("apply, one new workload beside %d to %d installed: median %.2f ms of %d "
	       "(target <= %.0f ms): %s\n",
	       N_OTHERS, N_OTHERS + N_APPLIES - 1, ms, N_APPLIES, APPLY_TARGET_MS,
	       verdict(ms <= APPLY_TARGET_MS));
	fflush(stdout);

	err = reconcile(h, NULL, 0);
	start = bench_now_s();
	if (!err)
		err = reconcile(h, &all[1], N_OTHERS);
	total = bench_now_s() - start;
	if (!err)
		printf("reconcile %d workloads into an empty table: %.2f s (target <= %.0f s): "
		       "%s\n",
		       N_OTHERS, total, INSTALL_TARGET_S, verdict(total <= INSTALL_TARGET_S));
	return err;
}

/* The per-workload rule pair of a linear forward chain, and the chains it jumps to. */
static void linear_workload(struct vigil_strbuf *chains, struct vigil_strbuf *jumps,
			    const struct vigil_nft_workload *w)
{
	const char *n = w->ifname;

	vigil_strbuf_printf(chains,
			    "add chain " LINEAR " %s_out\nadd chain " LINEAR " %s_in\n"
			    "add element " LINEAR " wl_ifs { \"%s\" }\n",
			    n, n, n);
	if (w->mac)
		vigil_strbuf_printf(chains,
				    "add rule " LINEAR " %s_out ether saddr != %s counter drop\n",
				    n, w->mac);
	vigil_strbuf_printf(chains,
			    "add rule " LINEAR " %s_out meta nfproto != ipv4 counter drop\n"
			    "add rule " LINEAR " %s_out ip saddr != %s counter drop\n"
			    "add rule " LINEAR " %s_out oifname @wl_ifs counter drop\n"
			    "add rule " LINEAR " %s_out ip daddr @deny4 counter drop\n"
			    "add rule " LINEAR " %s_out accept\n"
			    "add rule " LINEAR " %s_in ct state established,related accept\n"
			    "add rule " LINEAR " %s_in counter drop\n",
			    n, n, w->ipv4, n, n, n, n, n);
	vigil_strbuf_printf(jumps,
			    "add rule " LINEAR " forward iifname \"%s\" jump %s_out\n"
			    "add rule " LINEAR " forward oifname \"%s\" jump %s_in\n",
			    n, n, n, n);
}

/* The whole linear table, the measured workload's rules last, as one buffer. */
static int linear_table(struct vigil_strbuf *b)
{
	struct vigil_strbuf jumps;

	vigil_strbuf_init(&jumps);
	vigil_strbuf_puts(b, "add table " LINEAR "\n"
			     "add chain " LINEAR " forward "
			     "{ type filter hook forward priority filter; policy accept; }\n"
			     "add set " LINEAR " wl_ifs { type ifname; }\n"
			     "add set " LINEAR " deny4 { type ipv4_addr; flags interval; }\n"
			     "add element " LINEAR " deny4 { 10.0.0.0/8, 172.16.0.0/12, "
			     "192.168.0.0/16, 100.64.0.0/10, 169.254.0.0/16 }\n");
	for (size_t i = 1; i <= N_OTHERS; i++)
		linear_workload(b, &jumps, &all[i]);
	linear_workload(b, &jumps, &all[0]);
	vigil_strbuf_add(b, jumps.data, jumps.len);
	vigil_strbuf_free(&jumps);
	return vigil_strbuf_error(b);
}

enum config { NONE, VIGIL_1000, LINEAR_1000, N_CONFIGS };

static const char *const config_names[N_CONFIGS] = { "none", "vigil-1000", "linear-1000" };

struct tables {
	struct vigil_nft *h;
	struct nft_ctx *linear_ctx;
	const char *linear_cmds;
	size_t installed; /* of all[], from the front */
	bool linear;
};

static int run_linear(struct tables *t, const char *cmds)
{
	if (nft_run_cmd_from_buffer(t->linear_ctx, cmds) == 0)
		return 0;
	fprintf(stderr, "bench_nft: " LINEAR ": %s", nft_ctx_get_error_buffer(t->linear_ctx));
	return -EIO;
}

/*
 * vigil's table holds the measured workload alone, or with the others for
 * vigil-1000; the linear table exists for linear-1000 only, so that vigil
 * never lists it and each configuration pays for its own rules alone.
 */
static int configure(struct tables *t, enum config c)
{
	size_t want = c == VIGIL_1000 ? 1 + N_OTHERS : 1;
	int err = 0;

	if (t->linear && c != LINEAR_1000) {
		err = run_linear(t, "delete table " LINEAR "\n");
		t->linear = err != 0;
	}
	if (!err && t->installed != want) {
		err = reconcile(t->h, all, want);
		t->installed = err ? 0 : want;
	}
	if (!err && !t->linear && c == LINEAR_1000) {
		err = run_linear(t, t->linear_cmds);
		t->linear = !err;
	}
	return err;
}

struct flow {
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	int ready;
	int result;
};

struct flow_result {
	double bytes;
	double datagrams; /* reads, for a stream */
	double seconds;	  /* first to last received */
};

static struct sockaddr_in i_addr(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };

	inet_pton(AF_INET, I_ADDR, &sa.sin_addr);
	return sa;
}

/* In I: counts what one flow delivers; a datagram flow ends after a quiet spell. */
static int receive(void *arg)
{
	static char buf[IO_SIZE];
	const struct flow *f = arg;
	struct sockaddr_in sa = i_addr();
	struct timeval quiet = { .tv_usec = 300 * 1000 };
	struct flow_result r = { 0 };
	int one = 1, rcvbuf = 8 << 20, s, c;
	double first = 0, last = 0;
	ssize_t n;

	s = socket(AF_INET, f->type | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (f->type == SOCK_STREAM && listen(s, 1)) || write(f->ready, "r", 1) != 1)
		return -errno;
	c = f->type == SOCK_STREAM ? accept(s, NULL, NULL) : s;
	if (c < 0 || setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof(quiet)))
		return -errno;
	for (int idle = 0; idle < 10;) {
		n = read(c, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* a datagram flow has no end but silence */
			if (f->type == SOCK_DGRAM && r.datagrams)
				break;
			idle++;
			continue;
		}
		if (n <= 0)
			break;
		last = bench_now_s();
		if (!r.bytes)
			first = last;
		r.bytes += (double)n;
		r.datagrams++;
	}
	r.seconds = last - first;
	return write(f->result, &r, sizeof(r)) == sizeof(r) ? 0 : -EIO;
}

/* In W: sends as fast as it can for the flow's time. */
static int send_flow(void *arg)
{
	static char buf[IO_SIZE];
	const struct flow *f = arg;
	struct sockaddr_in sa = i_addr();
	size_t len = f->type == SOCK_STREAM ? sizeof(buf) : UDP_PAYLOAD;
	double seconds = f->type == SOCK_STREAM ? TCP_SECONDS : UDP_SECONDS;
	double end = bench_now_s() + seconds;
	int s = socket(AF_INET, f->type | SOCK_CLOEXEC, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	for (unsigned int i = 0;; i++) {
		/* a full backlog drops datagrams: the receiver counts what got through */
		if (send(s, buf, len, 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
			return -errno;
		if (!(i & 63) && bench_now_s() >= end)
			break;
	}
	close(s);
	return 0;
}

static pid_t run_in(const struct netns *n, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(vigil_netns_run(n->path, fn, arg) ? 1 : 0);
	return pid;
}

static bool exited_ok(pid_t *pid)
{
	int status;
	bool ok = waitpid(*pid, &status, 0) == *pid && WIFEXITED(status) && !WEXITSTATUS(status);

	*pid = 0;
	return ok;
}

static int measure_flow(int type, struct flow_result *ret)
{
	int ready[2], result[2], err = 0;
	struct flow f = { .type = type };
	char c;

	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	if (pipe2(result, O_CLOEXEC)) {
		err = -errno;
		close(ready[0]);
		close(ready[1]);
		return err;
	}
	f.ready = ready[1];
	f.result = result[1];
	receiver = run_in(&ns_i, receive, &f);
	close(ready[1]);
	close(result[1]);
	if (receiver < 0 || read(ready[0], &c, 1) != 1) {
		err = -EIO;
	} else {
		sender = run_in(&ns_w, send_flow, &f);
		if (sender < 0 || !exited_ok(&sender))
			err = -EIO;
	}
	/* a sender that never connected leaves the receiver waiting */
	if (err && receiver > 0)
		kill(receiver, SIGKILL);
	if (!err && read(result[0], ret, sizeof(*ret)) != sizeof(*ret))
		err = -EIO;
	if (receiver > 0 && !exited_ok(&receiver))
		err = -EIO;
	if (!err && ret->seconds <= 0)
		err = -EIO;
	close(ready[0]);
	close(result[0]);
	return err;
}

/* In I: one datagram to a port W does not declare. */
static int send_probe(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, W_ADDR, &sa.sin_addr);
	if (s < 0 || sendto(s, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1)
		return -errno;
	close(s);
	return 0;
}

/*
 * Whether vigil's chains see the measured workload's traffic at all, or the
 * figures would be of a policy that matches nothing: a datagram from I to
 * an undeclared port of W must be dropped as inbound.
 */
static int check_policy_sees_w(void)
{
	struct vigil_nft_counter before[VIGIL_NFT_N_REASONS], after[VIGIL_NFT_N_REASONS];
	int err = vigil_nft_counters(all[0].id, before);

	if (err)
		return err;
	sender = run_in(&ns_i, send_probe, NULL);
	if (sender < 0 || !exited_ok(&sender))
		return -EIO;
	/* the datagram may wait for I to resolve the router's address */
	for (int i = 0; i < 20 && !err; i++) {
		err = vigil_nft_counters(all[0].id, after);
		if (!err &&
		    after[VIGIL_NFT_DROP_INBOUND].packets > before[VIGIL_NFT_DROP_INBOUND].packets)
			return 0;
		usleep(50 * 1000);
	}
	if (!err)
		fprintf(stderr, "bench_nft: vigil's rules do not see the traffic of %s\n", W_IF);
	return err ? err : -ENOENT;
}

/*
 * The median over the rounds of c's figure to none's in the same round:
 * runs close in time share the machine's load, rounds apart may not.
 */
static double ratio(double (*v)[ROUNDS], enum config c)
{
	double q[ROUNDS];

	for (int r = 0; r < ROUNDS; r++)
		q[r] = v[c][r] / v[NONE][r];
	return bench_median(q, ROUNDS);
}

static int measure_traffic(struct vigil_nft *h)
{
	double gbit[N_CONFIGS][ROUNDS], kdps[N_CONFIGS][ROUNDS], tcp[N_CONFIGS], udp[N_CONFIGS];
	double tcp_ratio[N_CONFIGS], udp_ratio[N_CONFIGS];
	struct tables t = { .h = h, .installed = SIZE_MAX };
	struct vigil_strbuf cmds;
	struct flow_result fr;
	int err;

	vigil_strbuf_init(&cmds);
	err = linear_table(&cmds);
	t.linear_cmds = cmds.data;
	t.linear_ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!t.linear_ctx || nft_ctx_buffer_error(t.linear_ctx))
		err = -ENOMEM;
	if (!err)
		err = configure(&t, NONE);
	if (!err)
		err = check_policy_sees_w();
	for (int r = 0; r < ROUNDS && !err; r++) {
		/* each configuration in each place of the order, in turn */
		for (int k = 0; k < N_CONFIGS && !err; k++) {
			enum config c = (enum config)((r + k) % N_CONFIGS);

			err = configure(&t, c);
			if (!err)
				err = measure_flow(SOCK_STREAM, &fr);
			if (!err) {
				gbit[c][r] = fr.bytes * 8 / fr.seconds / 1e9;
				err = measure_flow(SOCK_DGRAM, &fr);
			}
			if (!err)
				kdps[c][r] = fr.datagrams / fr.seconds / 1e3;
		}
	}
	/* the linear table goes; vigil's goes with its handle */
	if (!err)
		err = configure(&t, NONE);
	if (t.linear_ctx)
		nft_ctx_free(t.linear_ctx);
	vigil_strbuf_free(&cmds);
	if (err) {
		fprintf(stderr, "bench_nft: traffic: %s\n", strerror(-err));
		return err;
	}
	printf("forwarded W -> I through the router, median of %d rounds (range), "
	       "configurations in turn:\n",
	       ROUNDS);
	for (int c = 0; c < N_CONFIGS; c++) {
		tcp_ratio[c] = ratio(gbit, c);
		udp_ratio[c] = ratio(kdps, c);
	}
	for (int c = 0; c < N_CONFIGS; c++) {
		tcp[c] = bench_median(gbit[c], ROUNDS);
		udp[c] = bench_median(kdps[c], ROUNDS);
		printf("  %-12s TCP %6.2f Gbit/s (%.2f-%.2f), UDP %d-byte payloads %7.1f k "
		       "datagrams/s (%.1f-%.1f)\n",
		       config_names[c], tcp[c], gbit[c][0], gbit[c][ROUNDS - 1], UDP_PAYLOAD,
		       udp[c], kdps[c][0], kdps[c][ROUNDS - 1]);
	}
	printf("  vigil-1000/none, median of the rounds' ratios: TCP %.3f, UDP %.3f "
	       "(target >= 0.95): %s\n",
	       tcp_ratio[VIGIL_1000], udp_ratio[VIGIL_1000],
	       verdict(tcp_ratio[VIGIL_1000] >= 0.95 && udp_ratio[VIGIL_1000] >= 0.95));
	printf("  linear-1000/none, median of the rounds' ratios: TCP %.3f, UDP %.3f\n",
	       tcp_ratio[LINEAR_1000], udp_ratio[LINEAR_1000]);
	return 0;
}

static int probe_nft(void *arg)
{
	struct vigil_nft *h = NULL;
	int err = vigil_nft_init(NULL, &h);

	vigil_nft_free(h);
	return err;
}

static int bench(void *arg)
{
	struct vigil_nft *h = NULL;
	int err = vigil_nft_init(NULL, &h);

	if (err) {
		fprintf(stderr, "bench_nft: init: %s (%s)\n", strerror(-err),
			h ? vigil_nft_error(h) : "");
		vigil_nft_free(h);
		return err;
	}
	printf("vigil's table in a router namespace; %d other workloads by name only, "
	       "default deny list\n",
	       N_OTHERS);
	err = measure_apply(h);
	if (!err)
		err = measure_traffic(h);
	vigil_nft_free(h);
	return err;
}

int main(void)
{
	int err;

	require_root("bench_nft");
	owner = getpid();
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	all[0] = (struct vigil_nft_workload){
		.id = "bench", .ifname = W_IF, .ipv4 = W_ADDR, .mac = W_MAC
	};
	make_fakes(&all[1], N_OTHERS, "bn");
	make_fakes(new_empty, N_APPLIES, "ba");
	make_fakes(new_full, N_APPLIES, "bb");
	err = make_topology();
	if (err) {
		fprintf(stderr, "bench_nft: namespaces: %s\n", strerror(-err));
		return 1;
	}
	err = vigil_netns_run(ns_r.path, probe_nft, NULL);
	if (err) {
		printf("bench_nft: skipped: no nftables here: %s\n", strerror(-err));
		return EXIT_SKIP;
	}
	return vigil_netns_run(ns_r.path, bench, NULL) ? 1 : 0;
}
