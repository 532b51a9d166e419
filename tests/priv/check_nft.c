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
 * and a second "internet" host, 198.18.0.65 on I's loopback, routed via I.
 * with IPv6 2001:2:0:{a,b,c,d}::2/64 <-> ::1 in the same order.
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
#include <time.h>
#include <unistd.h>

#include "nft_policy.h"
#include "testutil.h"

#define A_MAC "02:00:5e:12:00:02"
/* a second host of the "internet", behind I */
#define I2_ADDR "198.18.0.65"

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

/* IPv6 from RFC 5180's benchmarking prefix 2001:2::/48, without DAD's wait. */
static void leaf6(const char *ns, const char *rif, const char *raddr, const char *addr)
{
	sh("ip -n %s addr add %s/64 dev %s nodad", ns_r, raddr, rif);
	sh("ip -n %s addr add %s/64 dev eth0 nodad && ip -n %s route add default via %s", ns, addr,
	   ns, raddr);
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
	sh("ip -n %s addr add " I2_ADDR "/32 dev lo && ip -n %s route add " I2_ADDR
	   "/32 via 198.18.0.14",
	   ns_i, ns_r);
	sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.forwarding=1", ns_r);
	leaf6(ns_a, "wa", "2001:2:0:a::1", "2001:2:0:a::2");
	leaf6(ns_b, "wb", "2001:2:0:b::1", "2001:2:0:b::2");
	leaf6(ns_l, "wl", "2001:2:0:c::1", "2001:2:0:c::2");
	leaf6(ns_i, "wi", "2001:2:0:d::1", "2001:2:0:d::2");
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
	sh("ip netns exec %s nft delete table arp vigil 2>/dev/null", ns_r);
	sh("ip netns exec %s nft delete table ip dockerish 2>/dev/null", ns_r);
	sh("ip netns exec %s nft delete table inet fwdish 2>/dev/null", ns_r);
	/* a failed check test's legacy policies; asking for a missing table would make it */
	sh("ip netns exec %s sh -c 'grep -qx filter /proc/net/ip_tables_names && "
	   "iptables-legacy -P FORWARD ACCEPT; grep -qx filter /proc/net/ip6_tables_names && "
	   "ip6tables-legacy -P FORWARD ACCEPT' 2>/dev/null",
	   ns_r);
	enter_netns(ns_r);
}

static bool ping_ok(const char *ns, const char *to)
{
	return sh("ip netns exec %s ping -n -q -c 1 -W 1 %s >/dev/null 2>&1", ns, to) == 0;
}

/* A second try absorbs the first packet's neighbour discovery. */
static bool ping6_ok(const char *ns, const char *to)
{
	return sh("ip netns exec %s ping -6 -n -q -c 2 -i 0.3 -W 1 %s >/dev/null 2>&1", ns, to) ==
	       0;
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

static pid_t listen_in(const char *ns, int port)
{
	return tcp_listener(ns, NULL, port, false);
}

/* How many of n TCP connections from ns to addr:port complete; all held till the end. */
static int connections_held(const char *ns, const char *addr, int port, int n)
{
	pid_t pid = fork();
	int status;

	ck_assert(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
		int ok = 0;

		enter_netns(ns);
		inet_pton(AF_INET, addr, &sa.sin_addr);
		for (int i = 0; i < n; i++) {
			int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 1;
			struct pollfd p = { .fd = s, .events = POLLOUT };
			socklen_t len = sizeof(err);

			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
				continue;
			if (poll(&p, 1, 1000) == 1)
				getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
			ok += !err;
		}
		_exit(ok);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Whether a TCP connection from ns to addr:port completes within a second. */
static bool connect_ok(const char *ns, const char *addr, int port)
{
	return connections_held(ns, addr, port, 1) == 1;
}

#define UDP_PAYLOAD 1400
#define UDP_IP_LEN  (UDP_PAYLOAD + 28)

/*
 * Payload bytes per second that reach 198.18.0.14:9000 in I while A sends
 * UDP as fast as it can, over 2 s that begin 0.5 s after the first datagram
 * (so that the limiter's initial burst is not in the figure).
 */
static double udp_goodput(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9000) };
	int fds[2], ready[2];
	pid_t rx, tx;
	double rate = 0;
	char c;

	inet_pton(AF_INET, "198.18.0.14", &sa.sin_addr);
	ck_assert(pipe(fds) == 0 && pipe(ready) == 0);
	rx = fork();
	ck_assert(rx >= 0);
	if (rx == 0) {
		static char buf[65536];
		int s, one = 4 << 20;
		double first = 0, t;
		uint64_t bytes = 0;

		enter_netns(ns_i);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			ssize_t n = recv(s, buf, sizeof(buf), 0);

			t = now_s();
			if (n <= 0)
				continue;
			if (!first)
				first = t;
			if (t > first + 2.5)
				break;
			if (t >= first + 0.5)
				bytes += (uint64_t)n;
		}
		rate = (double)bytes / 2.0;
		_exit(write(fds[1], &rate, sizeof(rate)) == sizeof(rate) ? 0 : 1);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	tx = fork();
	ck_assert(tx >= 0);
	if (tx == 0) {
		static char buf[UDP_PAYLOAD];
		double end;
		int s;

		enter_netns(ns_a);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		for (end = now_s() + 3.5; now_s() < end;)
			sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&sa, sizeof(sa));
		_exit(0);
	}
	ck_assert_int_eq(read(fds[0], &rate, sizeof(rate)), sizeof(rate));
	waitpid(rx, NULL, 0);
	waitpid(tx, NULL, 0);
	close(fds[0]), close(fds[1]), close(ready[0]), close(ready[1]);
	return rate;
}

static uint64_t drops(const char *id, enum vigil_nft_reason r)
{
	struct vigil_nft_counter c[VIGIL_NFT_N_REASONS];
	int err = vigil_nft_counters(id, c);

	ck_assert_msg(err == 0, "counters of %s: %s", id, strerror(-err));
	return c[r].packets;
}

static const char *const lan[] = { "198.18.0.8/30" };
static const struct vigil_nft_opts opts = { .deny = lan, .n_deny = 1 };
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
	/* forked first: a child would keep the owning socket open */
	pid_t srv = listen_in(ns_i, 7000);
	struct vigil_nft *h = init(&opts);
	struct vigil_nft_workload a = wl_a();

	apply(h, &a);
	if (!vigil_nft_persistent(h)) {
		/*
		 * Before 6.9 an owned table would die with vigild: the table is
		 * not owned, and outlives its handle, rules and all.
		 */
		printf("nft: no persist flag on this kernel: the table is not owned\n");
		ck_assert(!vigil_nft_owned(h));
		vigil_nft_free(h);
		ck_assert(listed("wl_t_a_out"));
		ck_assert(!ping_ok(ns_a, "198.18.0.10"));
		ck_assert(connect_ok(ns_a, "198.18.0.14", 7000));
		h = init(&opts);
		ck_assert(listed("wl_t_a_out"));
		vigil_nft_free(h);
		kill_wait(srv);
		return;
	}
	ck_assert_msg(vigil_nft_owned(h), "an owned table (persist, kernel 6.9+)");
	ck_assert_int_ne(sh("nft delete table inet vigil 2>/dev/null"), 0);
	ck_assert_int_ne(sh("nft add chain inet vigil intruder 2>/dev/null"), 0);
	ck_assert_int_ne(sh("nft delete table arp vigil 2>/dev/null"), 0);
	sh("nft flush ruleset 2>/dev/null");
	ck_assert_msg(listed("vigil_from_wl"), "a foreign flush ruleset removed the owned table");
	/* a second claim fails while the first handle lives */
	{
		struct vigil_nft *other = NULL;

		ck_assert_int_eq(vigil_nft_init(&opts, &other), -EPERM);
		ck_assert_msg(strstr(vigil_nft_error(other), "another vigild"), "%s",
			      vigil_nft_error(other));
		vigil_nft_free(other);
	}
	/* the owner gone (a crash is the same close), isolation stays in force */
	vigil_nft_free(h);
	ck_assert(listed("wl_t_a_out"));
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	ck_assert(connect_ok(ns_a, "198.18.0.14", 7000));
	/* and the next start claims it back, rules and all */
	h = init(&opts);
	ck_assert(vigil_nft_owned(h) && vigil_nft_persistent(h));
	ck_assert(listed("wl_t_a_out"));
	ck_assert_int_ne(sh("nft delete table inet vigil 2>/dev/null"), 0);
	vigil_nft_free(h);
	kill_wait(srv);
}
END_TEST

START_TEST(test_table_without_persist_is_replaced)
{
	struct vigil_nft *h;

	sh("nft add table inet vigil && nft add chain inet vigil stale");
	h = init(&opts);
	if (vigil_nft_persistent(h))
		ck_assert_msg(!listed("stale"),
			      "the unowned table was claimed without replacing it");
	else
		/* before 6.9 the table stays unowned: vigil's base is added beside */
		ck_assert(!vigil_nft_owned(h));
	ck_assert(listed("vigil_from_wl"));
	vigil_nft_free(h);
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
	kill_wait(srv);

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
	kill_wait(srv);
	srv = listen_in(ns_a, 3002);
	ck_assert(!connect_ok(ns_i, "198.18.0.2", 3002));
	kill_wait(srv);
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
	kill_wait(srv);
	vigil_nft_free(h);
}
END_TEST

/*
 * egress_to: new flows out only to those prefixes, after the deny list and
 * the workload-to-workload rule; replies to what came in still go out.
 */
START_TEST(test_egress_only_to_declared_destinations)
{
	static const char *const to_i[] = { "198.18.0.14/32", "198.18.0.8/30", "198.18.0.6/32" };
	static const char *const to_i2[] = { I2_ADDR "/32" };
	static const char *const to_i2_v6[] = { I2_ADDR "/32", "2001:2:0:d::/64" };
	struct vigil_nft_workload a = wl_a(), b = wl_b();
	struct vigil_nft *h = init(&opts);
	pid_t srv = listen_in(ns_a, 3001);
	uint64_t deny, w2w, egress;

	apply(h, &b);
	a.egress_to = to_i;
	a.n_egress_to = 3;
	apply(h, &a);
	ck_assert(ping_ok(ns_a, "198.18.0.14"));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), 0);
	/* one echo request to a destination it did not declare: one drop, counted as egress */
	ck_assert(ping_ok(ns_i, I2_ADDR));
	ck_assert(!ping_ok(ns_a, I2_ADDR));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), 1);
	/* declared, but denied, or another workload's: those rules come first */
	deny = drops("t-a", VIGIL_NFT_DROP_DENY);
	w2w = drops("t-a", VIGIL_NFT_DROP_W2W);
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	ck_assert(!ping_ok(ns_a, "198.18.0.6"));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_DENY), deny + 1);
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_W2W), w2w + 1);
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), 1);

	/* replaced: I itself is no longer a destination, but what I opens is answered */
	a.egress_to = to_i2;
	a.n_egress_to = 1;
	apply(h, &a);
	ck_assert(ping_ok(ns_a, I2_ADDR));
	ck_assert(!ping_ok(ns_a, "198.18.0.14"));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), 2);
	ck_assert(connect_ok(ns_i, "198.18.0.2", 3001));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), 2);

	/* IPv6: only the prefixes of its family count; none declared, none allowed */
	a.ipv6 = "2001:2:0:a::2";
	apply(h, &a);
	ck_assert(!ping6_ok(ns_a, "2001:2:0:d::2"));
	egress = drops("t-a", VIGIL_NFT_DROP_EGRESS);
	ck_assert_uint_ge(egress, 3);
	a.egress_to = to_i2_v6;
	a.n_egress_to = 2;
	apply(h, &a);
	ck_assert(ping6_ok(ns_a, "2001:2:0:d::2"));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), egress);

	/* left out again: anywhere but the deny list, the chain empty, the counter kept */
	a.egress_to = NULL;
	a.n_egress_to = 0;
	apply(h, &a);
	ck_assert(ping_ok(ns_a, "198.18.0.14"));
	ck_assert(!listed("jump wl_t_a_to"));
	ck_assert_uint_eq(drops("t-a", VIGIL_NFT_DROP_EGRESS), egress);
	kill_wait(srv);
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
	ck_assert_int_eq(
		vigil_nft_counters("t-b", (struct vigil_nft_counter[VIGIL_NFT_N_REASONS]){}),
		-ENOENT);

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
	struct vigil_nft_opts bad_opts = { .deny = bad_deny, .n_deny = 1 };
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
	ck_assert_msg(strstr(vigil_nft_error(h), "t-b\": interface wa is workload \"t-a\"'s"), "%s",
		      vigil_nft_error(h));
	w = wl_b(), w.ipv4 = a.ipv4;
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EEXIST);
	ck_assert(strstr(vigil_nft_error(h), "ipv4 address 198.18.0.2 is workload \"t-a\"'s"));
	w = a, w.egress_mbit = 200000;
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
	w = a, w.ipv6 = "ff02::1";
	ck_assert_int_eq(vigil_nft_apply(h, &w), -EINVAL);
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

/* The deny list is replaced whole, in place, while workloads' rules stay. */
START_TEST(test_deny_list_replaced)
{
	static const char *const with_i[] = { "198.18.0.8/30", "198.18.0.12/30" };
	static const char *const bad[] = { "198.18.0.12/29" };
	const struct vigil_nft_opts o = { .deny = with_i, .n_deny = 2 };
	const struct vigil_nft_opts bad_opts = { .deny = bad, .n_deny = 1 };
	struct vigil_nft_workload a = wl_a();
	struct vigil_nft *h = init(&opts);
	uint64_t before;
	char *listed_before, *listed_after;
	int err;

	apply(h, &a);
	ck_assert(ping_ok(ns_a, "198.18.0.14"));
	before = drops("t-a", VIGIL_NFT_DROP_DENY);
	err = vigil_nft_set_deny(h, &o);
	ck_assert_msg(err == 0, "set_deny: %s (%s)", strerror(-err), vigil_nft_error(h));
	ck_assert(!ping_ok(ns_a, "198.18.0.14"));
	ck_assert_uint_gt(drops("t-a", VIGIL_NFT_DROP_DENY), before);
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));

	/* a bad list changes nothing */
	listed_before = listing();
	ck_assert_int_eq(vigil_nft_set_deny(h, &bad_opts), -EINVAL);
	ck_assert_msg(strstr(vigil_nft_error(h), "198.18.0.12/29"), "%s", vigil_nft_error(h));
	listed_after = listing();
	ck_assert_str_eq(listed_before, listed_after);
	free(listed_before);
	free(listed_after);

	/* a host with many subnets: hundreds of prefixes, the LAN's among them */
	{
		static char many[300][24];
		static const char *many_ptrs[300];
		struct vigil_nft_opts many_opts = { .deny = many_ptrs, .n_deny = 300 };

		for (int i = 0; i < 300; i++) {
			snprintf(many[i], sizeof(many[i]), "198.19.%d.%d/30", i / 64, i % 64 * 4);
			many_ptrs[i] = many[i];
		}
		many_ptrs[299] = "198.18.0.8/30";
		err = vigil_nft_set_deny(h, &many_opts);
		ck_assert_msg(err == 0, "set_deny: %s (%s)", strerror(-err), vigil_nft_error(h));
		ck_assert(ping_ok(ns_a, "198.18.0.14"));
		ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	}

	err = vigil_nft_set_deny(h, &opts);
	ck_assert_msg(err == 0, "set_deny: %s (%s)", strerror(-err), vigil_nft_error(h));
	ck_assert(ping_ok(ns_a, "198.18.0.14"));
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	ck_assert(listed("wl_t_a_out"));
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_egress_rate_limit)
{
	struct vigil_nft_workload a = wl_a();
	struct vigil_nft *h = init(&opts);
	/* what the limit lets through, as payload: it counts IP packet bytes */
	double limit = 20 * 125000.0 * UDP_PAYLOAD / UDP_IP_LEN, free_rate, limited;

	apply(h, &a);
	free_rate = udp_goodput();
	a.egress_mbit = 20;
	apply(h, &a);
	limited = udp_goodput();
	printf("egress limit 20 Mbit/s: %.2f Mbit/s of payload through (%.3f of the limit), "
	       "%.0f Mbit/s without it\n",
	       limited * 8 / 1e6, limited / limit, free_rate * 8 / 1e6);
	ck_assert_msg(free_rate > 2 * limit, "unlimited, A sent only %.0f B/s", free_rate);
	ck_assert_msg(limited > 0.9 * limit && limited < 1.1 * limit,
		      "%.0f B/s through a limit of %.0f B/s", limited, limit);
	ck_assert_uint_gt(drops("t-a", VIGIL_NFT_DROP_RATE), 0);
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_connection_limit)
{
	struct vigil_nft_workload a = wl_a();
	struct vigil_nft *h;
	pid_t out_srv = tcp_listener(ns_i, NULL, 7100, true),
	      in_srv = tcp_listener(ns_a, NULL, 3001, true);

	h = init(&opts);
	a.max_connections = 3;
	apply(h, &a);
	ck_assert_int_eq(connections_held(ns_a, "198.18.0.14", 7100, 5), 3);
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_CONN), 2);
	/* the limit counts each direction apart */
	ck_assert_int_eq(connections_held(ns_i, "198.18.0.2", 3001, 5), 3);
	/* once the held ones are gone (reset by their listener), new ones fit again */
	kill_wait(out_srv);
	out_srv = listen_in(ns_i, 7100);
	ck_assert(connect_ok(ns_a, "198.18.0.14", 7100));
	kill_wait(out_srv);
	kill_wait(in_srv);
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_host_port_forward)
{
	static const struct vigil_nft_forward fwd[] = { { VIGIL_NFT_TCP, 8080, 3005 } };
	struct vigil_nft_workload a = wl_a(), b = wl_b();
	pid_t srv = listen_in(ns_a, 3005);
	struct vigil_nft *h = init(&opts);

	ck_assert(!connect_ok(ns_i, "198.18.0.13", 8080));
	a.forwards = fwd;
	a.n_forwards = 1;
	apply(h, &a);
	/* the host's address, port 8080, lands on the workload's 3005 */
	ck_assert(connect_ok(ns_i, "198.18.0.13", 8080));
	ck_assert(!connect_ok(ns_i, "198.18.0.13", 8081));
	b.forwards = fwd;
	b.n_forwards = 1;
	ck_assert_int_eq(vigil_nft_apply(h, &b), -EEXIST);
	ck_assert_msg(strstr(vigil_nft_error(h), "host port tcp/8080 is workload \"t-a\"'s"), "%s",
		      vigil_nft_error(h));
	ck_assert_int_eq(vigil_nft_remove(h, "t-a"), 0);
	ck_assert(!connect_ok(ns_i, "198.18.0.13", 8080));
	/* free again, the port goes to b */
	apply(h, &b);
	ck_assert(!listed("198.18.0.2 . 3005"));
	kill_wait(srv);
	vigil_nft_free(h);
}
END_TEST

START_TEST(test_ipv6)
{
	static const char *const lan6[] = { "198.18.0.8/30", "2001:2:0:c::/64" };
	const struct vigil_nft_opts o = { .deny = lan6, .n_deny = 2 };
	struct vigil_nft_workload a = wl_a(), b = wl_b();
	struct vigil_nft *h = init(&o);

	a.ipv6 = "2001:2:0:a::2";
	apply(h, &a);
	apply(h, &b);
	ck_assert(ping6_ok(ns_a, "2001:2:0:d::2"));
	ck_assert(!ping6_ok(ns_a, "2001:2:0:c::2"));
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_DENY), 2);
	/* another address than its own */
	sh("ip -n %s addr add 2001:2:0:a::3/64 dev eth0 nodad", ns_a);
	ck_assert(!ping6_ok(ns_a, "-I 2001:2:0:a::3 2001:2:0:d::2"));
	sh("ip -n %s addr del 2001:2:0:a::3/64 dev eth0", ns_a);
	ck_assert_uint_ge(drops("t-a", VIGIL_NFT_DROP_SPOOF), 2);
	/* b has no IPv6 address: none of its IPv6 goes anywhere */
	ck_assert(!ping6_ok(ns_b, "2001:2:0:d::2"));
	ck_assert_uint_ge(drops("t-b", VIGIL_NFT_DROP_SPOOF), 1);
	/* inbound IPv6 only to declared ports, like IPv4 */
	ck_assert(!ping6_ok(ns_i, "2001:2:0:a::2"));
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

/*
 * The rules are built as expressions, not nft text: nft itself, reading
 * them back, must see the policy the text would have said, line by line.
 */
START_TEST(test_listing_reads_as_nft)
{
	static const struct vigil_nft_port in[] = { { VIGIL_NFT_TCP, 3001 },
						    { VIGIL_NFT_UDP, 53 } };
	static const struct vigil_nft_forward fwd[] = { { VIGIL_NFT_TCP, 8080, 3005 } };
	static const char *const from[] = { "198.18.4.0/22", "2001:2:0:f::/64" };
	static const char *const to[] = { "198.18.7.0/24", "2001:2:0:7::/64" };
	static const char *const lines[] = {
		"ether saddr != 02:00:5e:00:00:0f counter name \"wl_t_full_drop_spoof\" drop",
		"ip saddr != 198.18.0.30 counter name \"wl_t_full_drop_spoof\" drop",
		"ip6 saddr != 2001:2:0:e::2 counter name \"wl_t_full_drop_spoof\" drop",
		"limit rate over 2500000 bytes/second burst 315536 bytes counter name "
		"\"wl_t_full_drop_rate\" drop",
		"ct state established,related accept",
		"oifname @vigil_wl_ifs counter name \"wl_t_full_drop_w2w\" drop",
		"ip daddr @vigil_deny4 counter name \"wl_t_full_drop_deny\" drop",
		"ip6 daddr @vigil_deny6 counter name \"wl_t_full_drop_deny\" drop",
		"jump wl_t_full_to",
		"ip daddr 198.18.7.0/24 return",
		"ip6 daddr 2001:2:0:7::/64 return",
		"counter name \"wl_t_full_drop_egress\" drop",
		"ct state new ct count over 5 counter name \"wl_t_full_drop_conn\" drop",
		"jump wl_t_full_from",
		"tcp dport 3001 accept",
		"udp dport 53 accept",
		"tcp dport 3005 accept",
		"counter name \"wl_t_full_drop_inbound\" drop",
		"ip saddr 198.18.4.0/22 return",
		"ip6 saddr 2001:2:0:f::/64 return",
		"ip6 saddr fe80::/10 icmpv6 type @vigil_nd_types accept",
		"ip6 saddr 2001:2:0:e::2 icmpv6 type @vigil_nd_types accept",
		"counter name \"wl_t_full_drop_host\" drop",
		"\"wf\" : jump wl_t_full_out",
		"8080 : 198.18.0.30 . 3005",
	};
	struct vigil_nft_workload w = {
		.id = "t-full",
		.ifname = "wf",
		.ipv4 = "198.18.0.30",
		.ipv6 = "2001:2:0:e::2",
		.mac = "02:00:5e:00:00:0f",
		.inbound = in,
		.n_inbound = 2,
		.inbound_from = from,
		.n_inbound_from = 2,
		.egress_to = to,
		.n_egress_to = 2,
		.forwards = fwd,
		.n_forwards = 1,
		.egress_mbit = 20,
		.max_connections = 5,
	};
	struct vigil_nft *h = init(&opts);
	char *l;

	apply(h, &w);
	l = listing();
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		ck_assert_msg(strstr(l, lines[i]), "missing \"%s\" in\n%s", lines[i], l);
	free(l);
	vigil_nft_free(h);
}
END_TEST

/*
 * `vigil -j net check`: exits 1 when it finds what it lists, and lists
 * want_n chains; the first one's `key`, or NULL. Frees what it read.
 */
static char *net_check(size_t want_n, const char *key)
{
	struct json_object *j = vigil_json(want_n ? 1 : 0, "net", "check", NULL), *chains, *v;
	char *value = NULL;

	ck_assert(json_object_object_get_ex(j, "forward_drop_chains", &chains));
	ck_assert_uint_eq(json_object_array_length(chains), want_n);
	if (want_n && json_object_object_get_ex(json_object_array_get_idx(chains, 0), key, &v))
		value = strdup(json_object_get_string(v));
	json_object_put(j);
	return value;
}

static void check_lists(const char *key, const char *want)
{
	char *got = net_check(1, key);

	ck_assert_msg(got && !strcmp(got, want), "net check: %s is %s, not %s", key,
		      got ? got : "missing", want);
	free(got);
}

START_TEST(test_cli_show_and_check)
{
	struct vigil_nft_workload a = wl_a(), b = wl_b();
	struct vigil_nft *h = init(&opts);
	struct json_object *j, *v;
	struct cmd_result r;

	apply(h, &a);
	ck_assert(!ping_ok(ns_a, "198.18.0.10"));
	j = vigil_json(0, "net", "show", "t-a");
	ck_assert_uint_ge(json_u64(j, "drops", "deny", "packets"), 1);
	ck_assert_uint_eq(json_u64(j, "drops", "w2w", "packets"), 0);
	ck_assert(json_object_object_get_ex(j, "rules", &v));
	ck_assert(strstr(json_object_get_string(v), "chain wl_t_a_out"));
	ck_assert(strstr(json_object_get_string(v), "tcp dport 3001 accept"));
	/* no IPv6: its neighbour discovery to the host is counted apart */
	ck_assert_msg(strstr(json_object_get_string(v),
			     "ip6 saddr fe80::/10 icmpv6 type @vigil_nd_types counter name "
			     "\"wl_t_a_drop_no_ipv6\" drop"),
		      "%s", json_object_get_string(v));
	/* listed as every reason is (A's own kernel may have sent some: its count is its own) */
	(void)json_u64(j, "drops", "no_ipv6", "bytes");
	json_object_put(j);

	ck_assert(run_vigil(&r, "net", "show", "t-a", NULL) == 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert(strstr(r.out, "deny") && strstr(r.out, "wl_t_a_in"));
	cmd_result_free(&r);
	ck_assert(run_vigil(&r, "net", "show", "t-zz", NULL) == 0);
	ck_assert_int_ne(r.status, 0);
	ck_assert(strstr(r.err, "t-zz"));
	cmd_result_free(&r);

	/* without an id: every workload, by id, with its interface and drops */
	apply(h, &b);
	j = vigil_json(0, "net", "show", NULL);
	ck_assert_int_eq(json_object_array_length(j), 2);
	v = json_object_array_get_idx(j, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "id")), "t-a");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "ifname")), "wa");
	ck_assert_uint_ge(json_u64(v, "drops", "deny", "packets"), 1);
	ck_assert_uint_ge(json_u64(v, "drops", "deny", "bytes"), 84);
	v = json_object_array_get_idx(j, 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "id")), "t-b");
	ck_assert_uint_eq(json_u64(v, "drops", "deny", "packets"), 0);
	json_object_put(j);
	ck_assert(run_vigil(&r, "net", "show", NULL) == 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "t-b ") && strstr(r.out, " wb "), "%s", r.out);
	ck_assert_msg(strstr(r.out, "   egress  no_ipv6  (packets dropped)\n"), "%s", r.out);
	cmd_result_free(&r);

	ck_assert_ptr_null(net_check(0, NULL));
	/* Docker's way: a drop policy */
	ck_assert_int_eq(sh("nft add table ip dockerish && nft add chain ip dockerish FORWARD "
			    "'{ type filter hook forward priority 0; policy drop; }'"),
			 0);
	check_lists("table", "dockerish");
	check_lists("chain", "FORWARD");
	check_lists("how", "policy drop");
	sh("nft delete table ip dockerish");

	/* firewalld's way: policy accept, and a last rule that rejects everything */
	ck_assert_int_eq(sh("nft add table inet fwdish && nft add chain inet fwdish filter_FORWARD "
			    "'{ type filter hook forward priority 10; policy accept; }' && "
			    "nft add rule inet fwdish filter_FORWARD ip saddr 198.18.0.2 drop && "
			    "nft add rule inet fwdish filter_FORWARD counter reject with icmpx "
			    "admin-prohibited"),
			 0);
	ck_assert(!ping_ok(ns_b, "198.18.0.14"));
	check_lists("table", "fwdish");
	check_lists("how", "ends in reject");
	/* a last rule that drops only some packets defeats nothing vigil accepts */
	ck_assert_int_eq(sh("nft flush chain inet fwdish filter_FORWARD && "
			    "nft add rule inet fwdish filter_FORWARD ip saddr 198.18.0.2 drop"),
			 0);
	ck_assert_ptr_null(net_check(0, NULL));
	sh("nft delete table inet fwdish");

	/* legacy iptables, which nft cannot list */
	ck_assert_int_eq(sh("iptables-legacy -P FORWARD DROP"), 0);
	ck_assert(!ping_ok(ns_b, "198.18.0.14"));
	check_lists("backend", "iptables-legacy");
	check_lists("family", "ip");
	ck_assert_int_eq(
		sh("iptables-legacy -P FORWARD ACCEPT && ip6tables-legacy -P FORWARD DROP"), 0);
	check_lists("family", "ip6");
	ck_assert_int_eq(sh("ip6tables-legacy -P FORWARD ACCEPT"), 0);
	ck_assert_ptr_null(net_check(0, NULL));
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
	tcase_add_test(tc, test_table_without_persist_is_replaced);
	tcase_add_test(tc, test_policy_both_ways);
	tcase_add_test(tc, test_inbound_only_from_declared_sources);
	tcase_add_test(tc, test_egress_only_to_declared_destinations);
	tcase_add_test(tc, test_reconcile_repairs_and_prunes);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_bad_input_changes_nothing);
	tcase_add_test(tc, test_cli_show_and_check);
	tcase_add_test(tc, test_listing_reads_as_nft);
	tcase_add_test(tc, test_deny_list_replaced);
	tcase_add_test(tc, test_egress_rate_limit);
	tcase_add_test(tc, test_connection_limit);
	tcase_add_test(tc, test_host_port_forward);
	tcase_add_test(tc, test_ipv6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	require_root("nft");
	return run_suite(nft_suite());
}
