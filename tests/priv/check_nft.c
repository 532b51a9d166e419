// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Workload isolation on the real kernel, with real traffic.
 *
 * To keep the host's own network namespace (and other engineers' concurrent
 * tests) untouched, the "host" is a router namespace this test makes: vigil's
 * table is installed there, by each test's forked process after setns(), and
 * four leaf namespaces hang off it by veth pairs, routed point to point:
 *
 *   A  (workload a)  eth0 198.18.0.2/30   <-> wa 198.18.0.1/30
 *   B  (workload b)  eth0 198.18.0.6/30   <-> wb 198.18.0.5/30
 *   L  ("LAN", denied) eth0 198.18.0.10/30 <-> wl 198.18.0.9/30
 *   I  ("internet")  eth0 198.18.0.14/30  <-> wi 198.18.0.13/30
 *
 * Deleting the namespaces (unchecked fixture) removes links and the table.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nft_policy.h"
#include "testutil.h"

#define A_MAC "02:00:5e:12:00:02"

static char ns_r[32], ns_a[32], ns_b[32], ns_l[32], ns_i[32];

static void leaf(const char *ns, const char *rif, const char *raddr, const char *addr)
{
	sh("ip netns add %s", ns);
	sh("ip -n %s link add %s type veth peer name eth0 netns %s", ns_r, rif, ns);
	sh("ip -n %s addr add %s/30 dev %s && ip -n %s link set %s up", ns_r, raddr, rif, ns_r,
	   rif);
	sh("ip -n %s addr add %s/30 dev eth0 && ip -n %s link set eth0 up && ip -n %s link set lo "
	   "up && ip -n %s route add default via %s",
	   ns, addr, ns, ns, ns, raddr);
}

static void make_namespaces(void)
{
	int pid = getpid();

	snprintf(ns_r, sizeof(ns_r), "vgnft-r-%d", pid);
	snprintf(ns_a, sizeof(ns_a), "vgnft-a-%d", pid);
	snprintf(ns_b, sizeof(ns_b), "vgnft-b-%d", pid);
	snprintf(ns_l, sizeof(ns_l), "vgnft-l-%d", pid);
	snprintf(ns_i, sizeof(ns_i), "vgnft-i-%d", pid);
	sh("ip netns add %s && ip netns exec %s sysctl -qw net.ipv4.ip_forward=1", ns_r, ns_r);
	/* no reverse path filter: spoofed packets must reach vigil's chains to be counted */
	sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0 "
	   "net.ipv4.conf.default.rp_filter=0",
	   ns_r);
	sh("ip -n %s link set lo up", ns_r);
	leaf(ns_a, "wa", "198.18.0.1", "198.18.0.2");
	leaf(ns_b, "wb", "198.18.0.5", "198.18.0.6");
	leaf(ns_l, "wl", "198.18.0.9", "198.18.0.10");
	leaf(ns_i, "wi", "198.18.0.13", "198.18.0.14");
	sh("ip -n %s link set eth0 address " A_MAC, ns_a);
}

static void remove_namespaces(void)
{
	const char *all[] = { ns_a, ns_b, ns_l, ns_i, ns_r };

	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		if (all[i][0])
			sh("ip netns delete %s 2>/dev/null", all[i]);
}

/* Each test starts in the router namespace with no vigil table in it. */
static void setup(void)
{
	sh("ip netns exec %s nft delete table inet vigil 2>/dev/null", ns_r);
	sh("ip netns exec %s nft delete table ip dockerish 2>/dev/null", ns_r);
	enter_netns(ns_r);
}

static bool ping_ok(const char *ns, const char *to)
{
	return sh("ip netns exec %s ping -n -q -c 1 -W 1 %s >/dev/null 2>&1", ns, to) == 0;
}

/* Sends UDP datagrams from ns with a source address that is not its own. */
static void send_spoofed(const char *ns, const char *from, const char *to)
{
	pid_t pid = fork();
	int status;

	ck_assert(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in src = { .sin_family = AF_INET }, dst = src;
		int one = 1, s;

		enter_netns(ns);
		inet_pton(AF_INET, from, &src.sin_addr);
		inet_pton(AF_INET, to, &dst.sin_addr);
		dst.sin_port = htons(9);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		/* IP_TRANSPARENT: the kernel routes a source no interface holds */
		if (setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
		    bind(s, (struct sockaddr *)&src, sizeof(src)))
			_exit(1);
		for (int i = 0; i < 3; i++)
			if (sendto(s, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) != 1)
				_exit(1);
		_exit(0);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "spoofed send from %s", from);
	usleep(100 * 1000);
}

/* Broadcasts ARP requests for target from ns's eth0 with sender address from. */
static void send_arp(const char *ns, const char *from, const char *target)
{
	pid_t pid = fork();
	int status;

	ck_assert(pid >= 0);
	if (pid == 0) {
		struct {
			struct ether_header eth;
			struct ether_arp arp;
		} __attribute__((packed)) f = { 0 };
		struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
		unsigned char mac[ETH_ALEN];
		int s;

		enter_netns(ns);
		ll.sll_ifindex = if_nametoindex("eth0");
		sscanf(A_MAC, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		       &mac[4], &mac[5]);
		memset(f.eth.ether_dhost, 0xff, ETH_ALEN);
		memset(ll.sll_addr, 0xff, ETH_ALEN);
		memcpy(f.eth.ether_shost, mac, ETH_ALEN);
		f.eth.ether_type = htons(ETHERTYPE_ARP);
		f.arp.arp_hrd = htons(ARPHRD_ETHER);
		f.arp.arp_pro = htons(ETHERTYPE_IP);
		f.arp.arp_hln = ETH_ALEN;
		f.arp.arp_pln = 4;
		f.arp.arp_op = htons(ARPOP_REQUEST);
		memcpy(f.arp.arp_sha, mac, ETH_ALEN);
		inet_pton(AF_INET, from, f.arp.arp_spa);
		inet_pton(AF_INET, target, f.arp.arp_tpa);
		s = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_ARP));
		ll.sll_protocol = htons(ETHERTYPE_ARP);
		for (int i = 0; i < 3; i++)
			if (sendto(s, &f, sizeof(f), 0, (struct sockaddr *)&ll, sizeof(ll)) !=
			    sizeof(f))
				_exit(1);
		_exit(0);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ARP from %s", from);
	usleep(100 * 1000);
}

/* A TCP listener on port in ns, accepting until killed. */
static pid_t listen_in(const char *ns, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s, ready[2];
	pid_t pid;
	char c;

	ck_assert(pipe(ready) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		enter_netns(ns);
		s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			close(accept(s, NULL, NULL));
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Whether a TCP connection from ns to addr:port completes within a second. */
static bool connect_ok(const char *ns, const char *addr, int port)
{
	pid_t pid = fork();
	int status;

	ck_assert(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
		struct pollfd p;
		int s, err = 1;
		socklen_t len = sizeof(err);

		enter_netns(ns);
		inet_pton(AF_INET, addr, &sa.sin_addr);
		s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
			_exit(1);
		p = (struct pollfd){ .fd = s, .events = POLLOUT };
		if (poll(&p, 1, 1000) != 1)
			_exit(1);
		getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
		_exit(err ? 1 : 0);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static uint64_t drops(const char *id, enum vigil_nft_reason r)
{
	struct vigil_nft_counter c[VIGIL_NFT_N_REASONS];
	int err = vigil_nft_counters(id, c);

	ck_assert_msg(err == 0, "counters of %s: %s", id, strerror(-err));
	return c[r].packets;
}

static const char *const lan[] = { "198.18.0.8/30" };
static const struct vigil_nft_opts opts = { .deny4 = lan, .n_deny4 = 1 };
static const struct vigil_nft_port a_in[] = { { VIGIL_NFT_TCP, 3001 } };
static const struct vigil_nft_port a_svc[] = { { VIGIL_NFT_TCP, 8053 } };

static struct vigil_nft_workload wl_a(void)
{
	return (struct vigil_nft_workload){
		.id = "t-a",
		.ifname = "wa",
		.ipv4 = "198.18.0.2",
		.mac = A_MAC,
		.inbound = a_in,
		.n_inbound = 1,
		.host_services = a_svc,
		.n_host_services = 1,
	};
}

static struct vigil_nft_workload wl_b(void)
{
	return (struct vigil_nft_workload){ .id = "t-b", .ifname = "wb", .ipv4 = "198.18.0.6" };
}

static struct vigil_nft *init(const struct vigil_nft_opts *o)
{
	struct vigil_nft *h = NULL;
	int err = vigil_nft_init(o, &h);

	ck_assert_msg(err == 0, "init: %s (%s)", strerror(-err), h ? vigil_nft_error(h) : "");
	return h;
}

static void apply(struct vigil_nft *h, const struct vigil_nft_workload *w)
{
	int err = vigil_nft_apply(h, w);

	ck_assert_msg(err == 0, "apply %s: %s (%s)", w->id, strerror(-err), vigil_nft_error(h));
}

/* `nft list table inet vigil` as another actor sees it. */
static char *listing(void)
{
	char *argv[] = { "nft", "list", "table", "inet", "vigil", NULL };
	struct cmd_result r;
	char *out;

	ck_assert(run_cmd(argv, &r) == 0);
	out = r.status == 0 ? strdup(r.out) : strdup("");
	cmd_result_free(&r);
	return out;
}

static bool listed(const char *what)
{
	char *l = listing();
	bool found = strstr(l, what) != NULL;

	free(l);
	return found;
}

START_TEST(test_owner_flag_and_foreign_actors)
{
	struct vigil_nft *h = init(&opts);

	ck_assert_msg(vigil_nft_owned(h), "kernel 5.12+ takes the owner flag");
	/* libnftables 1.0.6 cannot express persist; newer parsers take it */
	ck_assert(!vigil_nft_persistent(h));
	ck_assert(listed("flags owner"));
	ck_assert_int_ne(sh("nft delete table inet vigil 2>/dev/null"), 0);
	ck_assert_int_ne(sh("nft add chain inet vigil intruder 2>/dev/null"), 0);
	sh("nft flush ruleset 2>/dev/null");
	ck_assert_msg(listed("vigil_from_wl"), "a foreign flush ruleset removed the owned table");
	/* a second claim fails while the first handle lives */
	{
		struct vigil_nft *other = NULL;

		ck_assert_int_eq(vigil_nft_init(&opts, &other), -EPERM);
		ck_assert(strstr(vigil_nft_error(other), "inet vigil"));
		vigil_nft_free(other);
	}
	vigil_nft_free(h);
	/* owned without persist: the table goes with its owner */
	ck_assert(!listed("vigil_from_wl"));
}
END_TEST

START_TEST(test_policy_both_ways)
{
	struct vigil_nft_workload a = wl_a(), b = wl_b();
	struct vigil_nft *h = init(&opts);
	uint64_t before;
	pid_t srv;

	apply(h, &a);
	apply(h, &b);
	/* allowed: to the internet; replies come back */
	ck_assert(ping_ok(ns_a, "198.18.0.14"));
	ck_assert(ping_ok(ns_b, "198.18.0.14"));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_DENY), 0);

	/* denied prefix ("LAN"), reachable without vigil's rules from I */
	ck_assert(ping_ok(ns_i, "198.18.0.10"));
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_DENY), 1);

	/* workload to workload, both directions */
	ck_assert(!ping_ok(ns_a, "198.18.0.6"));
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_W2W), 1);
	ck_assert(!ping_ok(ns_b, "198.18.0.2"));
	ck_assert_uint_ge(drops("t-b", VIGIL_NFT_DROP_W2W), 1);

	/* the host itself: only the declared service */
	ck_assert(!ping_ok(ns_a, "198.18.0.1"));
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_HOST), 1);
	srv = listen_in(ns_r, 8053);
	ck_assert(connect_ok(ns_a, "198.18.0.1", 8053));
	ck_assert(!connect_ok(ns_b, "198.18.0.5", 8053));
	ck_assert_uint_ge(drops("t-b", VIGIL_NFT_DROP_HOST), 1);
	stop(srv);

	/* spoofed source address, then spoofed MAC */
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_SPOOF), 0);
	send_spoofed(ns_a, "198.18.1.2", "198.18.0.14");
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_SPOOF), 3);
	sh("ip -n %s link set eth0 address 02:00:5e:12:00:99", ns_a);
	ck_assert(!ping_ok(ns_a, "198.18.0.14"));
	sh("ip -n %s link set eth0 address " A_MAC, ns_a);
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_SPOOF), 4);
	ck_assert(ping_ok(ns_a, "198.18.0.14"));

	/* ARP claiming another address is dropped and counted; its own passes */
	before = drops("t-a", VIGIL_NFT_DROP_SPOOF);
	send_arp(ns_a, "198.18.0.2", "198.18.0.1");
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_SPOOF), before);
	send_arp(ns_a, "198.18.0.6", "198.18.0.1");
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_SPOOF), before + 3);

	/* inbound: the declared port opens, others (and ping) do not */
	srv = listen_in(ns_a, 3001);
	ck_assert(connect_ok(ns_i, "198.18.0.2", 3001));
	stop(srv);
	srv = listen_in(ns_a, 3002);
	ck_assert(!connect_ok(ns_i, "198.18.0.2", 3002));
	stop(srv);
	ck_assert(!ping_ok(ns_i, "198.18.0.2"));
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_INBOUND), 2);
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_inbound_only_from_declared_sources)
{
	static const char *const relays[] = { "198.18.0.12/30" };
	static const char *const others[] = { "198.18.0.16/30" };
	struct vigil_nft_workload a = wl_a();
	struct vigil_nft *h = init(&opts);
	uint64_t before;
	pid_t srv = listen_in(ns_a, 3001);

	a.inbound_from = relays;
	a.n_inbound_from = 1;
	apply(h, &a);
	ck_assert(connect_ok(ns_i, "198.18.0.2", 3001));
	before = drops("t-a", VIGIL_NFT_DROP_INBOUND);
	a.inbound_from = others;
	apply(h, &a); /* replaces in place: counters survive */
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_INBOUND), before);
	ck_assert(!connect_ok(ns_i, "198.18.0.2", 3001));
	ck_assert_uint_gt(drops("t-a", VIGIL_NFT_DROP_INBOUND), before);
	stop(srv);
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_reconcile_repairs_and_prunes)
{
	struct vigil_nft_opts o = opts;
	struct vigil_nft_workload a = wl_a(), b = wl_b();
	struct vigil_nft *h;
	int err;

	o.no_owner = true; /* so that this test can play the vandal */
	h = init(&o);
	ck_assert(!vigil_nft_owned(h));
	apply(h, &a);
	apply(h, &b);
	ck_assert_int_eq(sh("nft delete element inet vigil vigil_from_wl '{ \"wa\" }' && "
			    "nft delete chain inet vigil wl_t_a_out && "
			    "nft add chain inet vigil wl_zz_out"),
			 0);
	ck_assert(!listed("wl_t_a_out"));
	ck_assert(ping_ok(ns_a, "198.18.0.10")); /* isolation is gone */

	err = vigil_nft_reconcile(h, &a, 1);
	ck_assert_msg(err == 0, "reconcile: %s (%s)", strerror(-err), vigil_nft_error(h));
	ck_assert(listed("chain wl_t_a_out"));
	ck_assert(!listed("wl_zz_out"));
	ck_assert(!listed("wl_t_b_"));
	ck_assert(!listed("\"wb\""));
	ck_assert_int_eq(sh("nft list table arp vigil | grep -q wl_t_b"), 1);
	ck_assert_int_eq(sh("nft list table arp vigil | grep -q wl_t_a_arp"), 0);
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	ck_assert(ping_ok(ns_b, "198.18.0.10")); /* b is no longer registered */
	ck_assert_int_eq(vigil_nft_counters("t-b", (struct vigil_nft_counter[5]){}), -ENOENT);

	/* reconcile on an empty table brings everything back */
	ck_assert_int_eq(sh("nft delete table inet vigil"), 0);
	err = vigil_nft_reconcile(h, &a, 1);
	ck_assert_msg(err == 0, "reconcile: %s (%s)", strerror(-err), vigil_nft_error(h));
	ck_assert(ping_ok(ns_a, "198.18.0.14"));
	ck_assert(!ping_ok(ns_a, "198.18.0.9"));
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_remove)
{
	struct vigil_nft_workload a = wl_a();
	struct vigil_nft_counter c[VIGIL_NFT_N_REASONS];
	struct vigil_nft *h = init(&opts);

	apply(h, &a);
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	/* an id that starts with another's keeps its rules when that one goes */
	{
		struct vigil_nft_workload other = wl_b();

		other.id = "t-a-drop-x";
		apply(h, &other);
		ck_assert_int_eq(vigil_nft_remove(h, "t-a"), 0);
		ck_assert(listed("wl_t_a_drop_x_out"));
		ck_assert(!ping_ok(ns_b, "198.18.0.10"));
		ck_assert_int_eq(vigil_nft_remove(h, "t-a-drop-x"), 0);
	}
	ck_assert(!listed("wl_t_a"));
	ck_assert(!listed("\"wa\""));
	ck_assert_int_eq(sh("nft list table arp vigil | grep -q wl_t_a"), 1);
	ck_assert(ping_ok(ns_a, "198.18.0.10"));
	ck_assert_int_eq(vigil_nft_counters("t-a", c), -ENOENT);
	ck_assert_int_eq(vigil_nft_remove(h, "t-a"), -ENOENT);
	ck_assert(strstr(vigil_nft_error(h), "t-a"));
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_bad_input_changes_nothing)
{
	static const struct vigil_nft_port port0[] = { { VIGIL_NFT_TCP, 0 } };
	static const struct vigil_nft_port port70k[] = { { VIGIL_NFT_UDP, 70000 } };
	static const char *const hostbits[] = { "198.18.0.13/30" };
	static const char *const bad_deny[] = { "198.18.0.0/33" };
	struct vigil_nft_opts bad_opts = { .deny4 = bad_deny, .n_deny4 = 1 };
	struct vigil_nft_workload a = wl_a(), w, pair[2];
	struct vigil_nft *h = init(&opts), *h2 = NULL;
	char *before, *after;

	apply(h, &a);
	before = listing();
	w = a, w.ipv4 = "198.18.0.300";
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	ck_assert(strstr(vigil_nft_error(h), "ipv4"));
	w = a, w.id = "Bad_Id";
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	w = a, w.ifname = "a-name-much-too-long";
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	w = a, w.mac = "02:00:5e:12:00";
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	w = a, w.inbound = port0;
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	ck_assert(strstr(vigil_nft_error(h), "port 0"));
	w = a, w.host_services = port70k;
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	w = a, w.inbound_from = hostbits, w.n_inbound_from = 1;
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	w = wl_b(), w.ifname = "wa";
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EEXIST);
	ck_assert(strstr(vigil_nft_error(h), "interface wa already leads to chain wl_t_a_out"));
	pair[0] = a, pair[1] = wl_b(), pair[1].ifname = "wa";
	ck_assert_int_eq(vigil_nft_reconcile(h, pair, 2), -EINVAL);
	ck_assert(strstr(vigil_nft_error(h), "same interface"));
	pair[1] = wl_b(), pair[1].ipv4 = a.ipv4;
	ck_assert_int_eq(vigil_nft_reconcile(h, pair, 2), -EINVAL);
	ck_assert_int_eq(vigil_nft_init(&bad_opts, &h2), -EINVAL);
	ck_assert(strstr(vigil_nft_error(h2), "198.18.0.0/33"));
	vigil_nft_free(h2);
	after = listing();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	vigil_nft_free(h);
}
END_TEST

static struct json_object *vigil_json(int want_status, const char *a, const char *b, const char *c)
{
	struct json_object *j;
	struct cmd_result r;

	ck_assert(run_vigil(&r, "-j", a, b, c, NULL) == 0);
	ck_assert_msg(r.status == want_status, "vigil %s %s %s: status %d: %s", a, b, c ? c : "",
		      r.status, r.err);
	j = parse_json(r.out);
	ck_assert_msg(j, "vigil %s %s: not JSON: %s", a, b, r.out);
	cmd_result_free(&r);
	return j;
}

static uint64_t json_u64(struct json_object *j, const char *a, const char *b, const char *c)
{
	struct json_object *v = j;

	for (const char *const *k = (const char *const[]){ a, b, c, NULL }; *k; k++)
		ck_assert_msg(json_object_object_get_ex(v, *k, &v), "no %s", *k);
	return json_object_get_int64(v);
}

START_TEST(test_cli_show_and_check)
{
	struct vigil_nft_workload a = wl_a();
	struct vigil_nft *h = init(&opts);
	struct json_object *j, *chains, *v;
	struct cmd_result r;

	apply(h, &a);
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	j = vigil_json(0, "net", "show", "t-a");
	ck_assert_uint_ge(json_u64(j, "drops", "deny", "packets"), 1);
	ck_assert_uint_eq(json_u64(j, "drops", "w2w", "packets"), 0);
	ck_assert(json_object_object_get_ex(j, "rules", &v));
	ck_assert(strstr(json_object_get_string(v), "chain wl_t_a_out"));
	ck_assert(strstr(json_object_get_string(v), "tcp dport 3001 accept"));
	json_object_put(j);

	ck_assert(run_vigil(&r, "net", "show", "t-a", NULL) == 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert(strstr(r.out, "deny") && strstr(r.out, "wl_t_a_in"));
	cmd_result_free(&r);
	ck_assert(run_vigil(&r, "net", "show", "t-zz", NULL) == 0);
	ck_assert_int_ne(r.status, 0);
	ck_assert(strstr(r.err, "t-zz"));
	cmd_result_free(&r);

	j = vigil_json(0, "net", "check", NULL);
	ck_assert(json_object_object_get_ex(j, "forward_drop_chains", &chains));
	ck_assert_int_eq(json_object_array_length(chains), 0);
	json_object_put(j);
	ck_assert_int_eq(sh("nft add table ip dockerish && nft add chain ip dockerish FORWARD "
			    "'{ type filter hook forward priority 0; policy drop; }'"),
			 0);
	j = vigil_json(1, "net", "check", NULL);
	ck_assert(json_object_object_get_ex(j, "forward_drop_chains", &chains));
	ck_assert_int_eq(json_object_array_length(chains), 1);
	v = json_object_array_get_idx(chains, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "table")), "dockerish");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "chain")), "FORWARD");
	json_object_put(j);
	sh("nft delete table ip dockerish");
	vigil_nft_free(h);
}
END_TEST

static Suite *nft_suite(void)
{
	Suite *s = suite_create("nft");
	TCase *tc = tcase_create("nft");

	tcase_add_unchecked_fixture(tc, make_namespaces, remove_namespaces);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_owner_flag_and_foreign_actors);
	tcase_add_test(tc, test_policy_both_ways);
	tcase_add_test(tc, test_inbound_only_from_declared_sources);
	tcase_add_test(tc, test_reconcile_repairs_and_prunes);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_bad_input_changes_nothing);
	tcase_add_test(tc, test_cli_show_and_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	require_root("nft");
	return run_suite(nft_suite());
}
