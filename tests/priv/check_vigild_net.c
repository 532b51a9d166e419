// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's isolation end to end: the real daemon puts each veth workload's
 * rules in place before its link comes up, keeps them in force while it is
 * dead (kill -9), repairs them at start, and removes them with the workload;
 * what the rules drop is metered as the workload's. The traffic is the
 * workloads' own, and an "outside" namespace's that the host forwards. A tap
 * workload's VMM is this suite re-executed (--vmm, tap_guest.h), playing
 * the guest on the tap vigild made for it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "tap.h"
#include "tap_guest.h"
#include "testutil.h"
#include "veth.h"
#include "vigild_fixture.h"
#include "workload_spec.h"

struct wl {
	char id[64], ifname[32], pfx[80], host_addr[32], addr[32];
	/* a /64 of 2001:2::/48 (RFC 5180), for the workloads given IPv6 */
	char host_addr6[48], addr6[48];
};

/* A workload whose addresses come from the test's pid (198.19.0.0/16, 2001:2::/48). */
static struct wl names(const char *name, int subnet)
{
	int x = getpid() & 0xff, y = (((getpid() >> 8) & 0x1f) * 8 + subnet * 4) & 0xff;
	struct wl w;

	vf_id_of(w.id, sizeof(w.id), name);
	vigil_veth_name(w.id, w.ifname);
	snprintf(w.pfx, sizeof(w.pfx), "wl_%s", w.id);
	for (char *p = w.pfx; *p; p++)
		*p = *p == '-' ? '_' : *p;
	snprintf(w.host_addr, sizeof(w.host_addr), "198.19.%d.%d", x, y + 1);
	snprintf(w.addr, sizeof(w.addr), "198.19.%d.%d", x, y + 2);
	snprintf(w.host_addr6, sizeof(w.host_addr6), "2001:2:0:%x::1",
		 (getpid() & 0x3fff) * 4 + subnet);
	snprintf(w.addr6, sizeof(w.addr6), "2001:2:0:%x::2", (getpid() & 0x3fff) * 4 + subnet);
	return w;
}

static int create(const struct wl *w, const char *policy, char *err, size_t len)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1000\"],\"network\":{\"mode\":\"veth\","
		 "\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\"%s}}",
		 w->id, w->addr, w->host_addr, policy);
	return vf_create(text, err, len);
}

static bool chain_listed(const struct wl *w, const char *chain)
{
	return sh("nft list chain inet vigil %s_%s >/dev/null 2>&1", w->pfx, chain) == 0;
}

/* `vigil -j OBJECT show ID` (net, usage): readers that need no vigild. */
static struct json_object *show(const char *object, const struct wl *w)
{
	char pin_dir[PATH_MAX + 8];
	struct cmd_result r;
	struct json_object *o;

	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", vf.bpffs);
	ck_assert(run_vigil(&r, "-j", "--pin-dir", pin_dir, object, "show", w->id, NULL) == 0);
	ck_assert_msg(r.status == 0, "%s show %s: %s", object, w->id, r.out);
	o = parse_json(r.out);
	cmd_result_free(&r);
	ck_assert_ptr_nonnull(o);
	return o;
}

static struct json_object *net_show(const struct wl *w)
{
	return show("net", w);
}

/* The packets vigil's rules dropped for `reason`, per `vigil net show`. */
static uint64_t nft_drops(const struct wl *w, const char *reason)
{
	struct json_object *o = net_show(w), *drops, *why, *packets;
	uint64_t n;

	ck_assert(json_object_object_get_ex(o, "drops", &drops) &&
		  json_object_object_get_ex(drops, reason, &why) &&
		  json_object_object_get_ex(why, "packets", &packets));
	n = (uint64_t)json_object_get_int64(packets);
	json_object_put(o);
	return n;
}

/* A figure of the workload's usage, as metered into the pinned maps. */
static uint64_t metered(const struct wl *w, const char *field)
{
	struct json_object *o = show("usage", w);
	int64_t n = vf_jint(o, field);

	json_object_put(o);
	ck_assert_int_ge(n, 0);
	return (uint64_t)n;
}

static uint64_t metered_drops(const struct wl *w)
{
	return metered(w, "net_drop_packets");
}

/* What it sent was let through (public, private) or dropped, and nothing else. */
static void assert_tx_split(const struct wl *w)
{
	struct json_object *o = show("usage", w);

	ck_assert_int_eq(vf_jint(o, "net_tx_public_bytes") + vf_jint(o, "net_tx_private_bytes") +
				 vf_jint(o, "net_tx_dropped_bytes"),
			 vf_jint(o, "net_tx_bytes"));
	json_object_put(o);
}

/* Whether a TCP connection from the workload's namespace to addr:port completes. */
static bool reaches(const struct wl *w, const char *addr, int port)
{
	return sh("timeout 2 nsenter --net=%s/%s bash -c 'echo > /dev/tcp/%s/%d' 2>/dev/null",
		  vf.netns_dir, w->id, addr, port) == 0;
}

static bool reaches_host(const struct wl *w, int port)
{
	return reaches(w, w->host_addr, port);
}

static bool kernel_at_least(unsigned int major, unsigned int minor)
{
	struct utsname u;
	unsigned int ma = 0, mi = 0;

	return uname(&u) == 0 && sscanf(u.release, "%u.%u", &ma, &mi) == 2 &&
	       (ma > major || (ma == major && mi >= minor));
}

START_TEST(test_rules_live_with_the_workload)
{
	char err[512];
	struct json_object *o, *rules;
	uint64_t before;
	int status;
	pid_t srv, svc;
	struct wl w = names("iso", 0);

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(
		create(&w,
		       ",\"inbound\":[\"tcp/3001\"],\"host_services\":[\"udp/5353\",\"tcp/7998\"],"
		       "\"egress_mbit\":50,\"max_connections\":100",
		       err, sizeof(err)) == 0,
		"create: %s", err);
	o = net_show(&w);
	ck_assert(json_object_object_get_ex(o, "rules", &rules));
	ck_assert(strstr(json_object_get_string(rules), "tcp dport 3001 accept"));
	ck_assert(strstr(json_object_get_string(rules), "udp dport 5353 accept"));
	ck_assert(strstr(json_object_get_string(rules), "limit rate over 6250000 bytes/second"));
	ck_assert(strstr(json_object_get_string(rules), "ct count over 100"));
	json_object_put(o);

	/* a host port the workload did not declare: dropped and counted */
	srv = tcp_listener(NULL, w.host_addr, 7999, false);
	ck_assert(!reaches_host(&w, 7999));
	/* a declared one: through */
	svc = tcp_listener(NULL, w.host_addr, 7998, false);
	ck_assert(reaches_host(&w, 7998));
	before = nft_drops(&w, "host");
	ck_assert_uint_ge(before, 1);

	/* vigild dies: the rules stay in force */
	vf_stop_vigild_hard();
	ck_assert(chain_listed(&w, "host"));
	ck_assert(!reaches_host(&w, 7999));
	ck_assert_uint_gt(nft_drops(&w, "host"), before);

	/* a vandal takes a chain away while nobody owns the table; the start repairs it */
	ck_assert_int_eq(sh("nft delete element inet vigil vigil_to_wl '{ \"%s\" }' && "
			    "nft delete chain inet vigil %s_in",
			    w.ifname, w.pfx),
			 0);
	ck_assert(!chain_listed(&w, "in"));
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	ck_assert(chain_listed(&w, "in"));
	ck_assert(sh("nft list map inet vigil vigil_to_wl | grep -q '\"%s\" : jump %s_in'",
		     w.ifname, w.pfx) == 0);
	/* claimed again: nobody else may delete it (owned where it can persist: 6.9+) */
	if (kernel_at_least(6, 9))
		ck_assert_int_ne(sh("nft delete table inet vigil 2>/dev/null"), 0);
	ck_assert(!reaches_host(&w, 7999));

	o = vf_wl_cmd(&status, "delete", w.id);
	ck_assert_msg(status == 0, "delete: %s", vf_jstr(o, "error"));
	json_object_put(o);
	ck_assert(!chain_listed(&w, "out") && !chain_listed(&w, "in") && !chain_listed(&w, "host"));
	kill_wait(srv);
	kill_wait(svc);
}
END_TEST

START_TEST(test_bad_network_input_changes_nothing)
{
	char err[512];
	struct wl first = names("one", 0), w;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(create(&first, ",\"forwards\":[{\"host_port\":18080,\"port\":3001}]", err,
			     sizeof(err)) == 0,
		      "create: %s", err);

	/* the same subnet again */
	w = first;
	vf_id_of(w.id, sizeof(w.id), "two");
	ck_assert_int_ne(create(&w, "", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "overlaps workload") && strstr(err, first.id), "%s", err);
	/* a port out of range, a limit out of range, a host port taken */
	w = names("two", 1);
	ck_assert_int_ne(create(&w, ",\"inbound\":[\"tcp/70000\"]", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "network.inbound[0]: port must be 1 to 65535"), "%s", err);
	ck_assert_int_ne(create(&w, ",\"egress_mbit\":0", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "network.egress_mbit must be between 1 and 100000"), "%s", err);
	ck_assert_int_ne(
		create(&w, ",\"forwards\":[{\"host_port\":18080,\"port\":22}]", err, sizeof(err)),
		0);
	ck_assert_msg(strstr(err, "host port tcp/18080") && strstr(err, first.id), "%s", err);
	/* none of them left an interface, a namespace or a rule */
	ck_assert_uint_eq(if_nametoindex(w.ifname), 0);
	ck_assert(!chain_listed(&w, "out"));

	/* its interface's name is taken by someone else's: refused, theirs untouched */
	ck_assert_int_eq(sh("ip link add %s type veth peer name %.10sp", w.ifname, w.ifname), 0);
	ck_assert_int_ne(create(&w, "", err, sizeof(err)), 0);
	printf("name taken: %s\n", err);
	ck_assert_msg(strstr(err, w.ifname) && strstr(err, "exists"), "%s", err);
	ck_assert_uint_ne(if_nametoindex(w.ifname), 0);
	ck_assert(!chain_listed(&w, "out"));
	ck_assert_int_eq(sh("ip link del %s", w.ifname), 0);
	ck_assert_int_eq(sh("nft list map inet vigil vigil_fwd_tcp | grep -c 18080 | grep -qx 1"),
			 0);
	ck_assert_uint_ne(if_nametoindex(first.ifname), 0);
}
END_TEST

/*
 * "Outside": a namespace that reaches the host over a veth pair of its own,
 * with a /30 of 198.18.0.0/16 per pid, and the workloads through the host,
 * which forwards what arrives on that link. It is made after vigild starts;
 * as one of the host's own subnets, vigild denies the /30 to workloads, and
 * with --deny from the start.
 */
static char out_ns[32], out_if[IFNAMSIZ], out_host[32], out_addr[32], out_net[32];

static void remove_outside(void)
{
	sh("ip link del %s 2>/dev/null", out_if);
	sh("ip netns del %s 2>/dev/null", out_ns);
}

static void remove_env_with_outside(void)
{
	vf_remove_env();
	remove_outside();
	vf.extra_args[0] = NULL;
}

static void make_env_outside(bool deny)
{
	unsigned int n = (unsigned int)(getpid() % 16384) * 4;

	snprintf(out_ns, sizeof(out_ns), "vgdrop-%d", getpid());
	snprintf(out_if, sizeof(out_if), "vo-%d", getpid());
	snprintf(out_host, sizeof(out_host), "198.18.%u.%u", n / 256, n % 256 + 1);
	snprintf(out_addr, sizeof(out_addr), "198.18.%u.%u", n / 256, n % 256 + 2);
	snprintf(out_net, sizeof(out_net), "198.18.%u.%u/30", n / 256, n % 256);
	vf.extra_args[0] = deny ? "--deny" : NULL;
	vf.extra_args[1] = out_net;
	vf.extra_args[2] = NULL;
	vf_make_env();
	if (sh("ip netns add %s && ip -n %s link set lo up", out_ns, out_ns) ||
	    sh("ip link add %s type veth peer name eth0 netns %s", out_if, out_ns) ||
	    sh("ip addr add %s/30 dev %s && ip link set %s up && "
	       "sysctl -qw net.ipv4.conf.%s.forwarding=1",
	       out_host, out_if, out_if, out_if) ||
	    sh("ip -n %s addr add %s/30 dev eth0 && ip -n %s link set eth0 up && "
	       "ip -n %s route add 198.19.0.0/16 via %s",
	       out_ns, out_addr, out_ns, out_ns, out_host)) {
		fprintf(stderr, "vigild_net: setting up %s and %s failed\n", out_if, out_ns);
		remove_env_with_outside();
		abort();
	}
}

static void make_env_with_outside(void)
{
	make_env_outside(true);
}

static void make_env_with_outside_undenied(void)
{
	make_env_outside(false);
}

#define BURST 20
/*
 * Drops of a workload's own making that may fall into a burst's window (an
 * idle `sleep` makes none; its multicast is not counted).
 */
#define DROP_SLACK 2

/*
 * BURST datagrams from `ns` to to:port that the rules of `w` drop for
 * `reason`: that counter grows by exactly BURST, and w's metered drops by
 * BURST give or take DROP_SLACK.
 */
static void burst_dropped_from(const char *ns, const char *from, const char *to, int port,
			       const struct wl *w, const char *reason)
{
	uint64_t rule0 = nft_drops(w, reason), metered0 = metered_drops(w);
	uint64_t sent0 = metered(w, "net_tx_dropped_packets");
	uint64_t sent_bytes0 = metered(w, "net_tx_dropped_bytes");
	uint64_t rule = rule0, now = metered0;
	bool by_w = strcmp(reason, "inbound") != 0;
	double end = now_s() + 5;

	udp_burst_from(ns, from, to, port, BURST);
	while ((rule < rule0 + BURST || now < metered0 + BURST) && now_s() < end) {
		usleep(20 * 1000);
		rule = nft_drops(w, reason);
		now = metered_drops(w);
	}
	printf("%d datagrams to %s:%d: %s drops +%llu, net_drop_packets of %s +%llu\n", BURST, to,
	       port, reason, (unsigned long long)(rule - rule0), w->id,
	       (unsigned long long)(now - metered0));
	ck_assert_uint_eq(rule - rule0, BURST);
	ck_assert_uint_ge(now - metered0, BURST);
	ck_assert_uint_le(now - metered0, BURST + DROP_SLACK);
	/* what it sent and isolation dropped is not let through, to the byte */
	ck_assert_uint_eq(metered(w, "net_tx_dropped_packets") - sent0, by_w ? BURST : 0);
	ck_assert_uint_eq(metered(w, "net_tx_dropped_bytes") - sent_bytes0,
			  by_w ? udp_burst_frame_bytes(BURST, strchr(to, ':') != NULL) : 0);
	assert_tx_split(w);
}

/* The same from the namespace's choice of source address. */
static void burst_dropped(const char *ns, const char *to, int port, const struct wl *w,
			  const char *reason)
{
	burst_dropped_from(ns, NULL, to, port, w, reason);
}

/* Udp NoPorts of the host: datagrams to a port nobody listens on, dropped. */
static uint64_t udp_no_ports(void)
{
	char *text = read_file("/proc/net/snmp"), *values;
	unsigned long long n = 0;

	ck_assert_ptr_nonnull(text);
	/* a line of names, then one of values */
	values = strstr(text, "\nUdp: ");
	values = values ? strstr(values + 1, "\nUdp: ") : NULL;
	ck_assert_msg(values && sscanf(values, "\nUdp: %*u %llu", &n) == 1,
		      "no Udp NoPorts in /proc/net/snmp");
	free(text);
	return n;
}

/*
 * Every packet of a workload that vigil's rules drop is in its
 * net_drop_packets, once: what it sends (the host, a denied prefix, another
 * workload) and what is sent to it from outside.
 */
START_TEST(test_policy_drops_are_metered)
{
	struct wl a = names("drops", 0), b = names("peer", 1);
	char err[512], a_ns[PATH_MAX + 80];
	uint64_t b_drops, a_drops, no_ports;
	double end;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(create(&a, ",\"inbound\":[\"tcp/3001\"]", err, sizeof(err)) == 0,
		      "create: %s", err);
	ck_assert_msg(create(&b, "", err, sizeof(err)) == 0, "create: %s", err);
	/* routed on, as a provider's host would: dropped in the forward hook, not before it */
	ck_assert_int_eq(sh("sysctl -qw net.ipv4.conf.%s.forwarding=1", a.ifname), 0);
	snprintf(a_ns, sizeof(a_ns), "%s/%s", vf.netns_dir, a.id);
	b_drops = metered_drops(&b);

	/* to a port a did not declare: the packet arrived on another link than a's */
	burst_dropped(out_ns, a.addr, 4000, &a, "inbound");
	burst_dropped(a_ns, a.host_addr, 7999, &a, "host");
	burst_dropped(a_ns, out_addr, 9, &a, "deny");
	/* the sender's drop, not also the addressee's */
	burst_dropped(a_ns, b.addr, 9, &a, "w2w");
	ck_assert_uint_eq(metered_drops(&b), b_drops);

	/* to the host itself, on a's address but over another link: the host's drop, not a's */
	a_drops = metered_drops(&a);
	no_ports = udp_no_ports();
	udp_burst(out_ns, a.host_addr, 7999, BURST);
	for (end = now_s() + 5; udp_no_ports() < no_ports + BURST && now_s() < end;)
		usleep(20 * 1000);
	ck_assert_uint_ge(udp_no_ports(), no_ports + BURST);
	ck_assert_uint_eq(metered_drops(&a), a_drops);
}
END_TEST

/* Whether vigil's deny set of family ("4" or "6") lists prefix, within 5 s. */
static bool deny_set_lists(const char *family, const char *prefix, bool want)
{
	bool lists = !want;

	for (double end = now_s() + 5; lists != want && now_s() < end; usleep(20 * 1000))
		lists = sh("nft list set inet vigil vigil_deny%s | grep -qF ' %s'", family,
			   prefix) == 0;
	return lists == want;
}

static bool pings(const char *ns_path, const char *to)
{
	return sh("nsenter --net=%s ping -n -q -c 1 -W 1 %s >/dev/null 2>&1", ns_path, to) == 0;
}

/*
 * The host's subnets are the provider's network whenever they appear: the
 * outside link's, addressed after vigild started, is denied to workloads
 * (and private to the meters) while the host has it, and no longer once the
 * host keeps only its own address there.
 */
START_TEST(test_host_subnets_followed)
{
	struct wl a = names("hostnet", 0);
	char err[512], a_ns[PATH_MAX + 80], pin_dir[PATH_MAX + 8], net6[64];
	struct cmd_result r;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(create(&a, "", err, sizeof(err)) == 0, "create: %s", err);
	ck_assert_int_eq(sh("sysctl -qw net.ipv4.conf.%s.forwarding=1", a.ifname), 0);
	snprintf(a_ns, sizeof(a_ns), "%s/%s", vf.netns_dir, a.id);

	ck_assert_msg(deny_set_lists("4", out_net, true), "%s is not denied", out_net);
	burst_dropped(a_ns, out_addr, 9, &a, "deny");
	ck_assert(!pings(a_ns, out_addr));
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", vf.bpffs);
	ck_assert(run_vigil(&r, "--pin-dir", pin_dir, "net", "private", "show", NULL) == 0);
	ck_assert_msg(r.status == 0 && strstr(r.out, out_net), "%s not private: %s", out_net,
		      r.out);
	cmd_result_free(&r);

	/* IPv6 alike */
	snprintf(net6, sizeof(net6), "2001:2:0:%x::", getpid() & 0xffff);
	ck_assert_int_eq(sh("ip addr add %s1/64 dev %s nodad", net6, out_if), 0);
	strcat(net6, "/64");
	ck_assert_msg(deny_set_lists("6", net6, true), "%s is not denied", net6);

	/* the host keeps only its own address on the link: the outside is reachable */
	ck_assert_int_eq(sh("ip addr add %s/32 dev %s && ip addr del %s/30 dev %s && "
			    "ip route add %s/32 dev %s",
			    out_host, out_if, out_host, out_if, out_addr, out_if),
			 0);
	ck_assert_msg(deny_set_lists("4", out_net, false), "%s is still denied", out_net);
	ck_assert(pings(a_ns, out_addr));
	ck_assert_int_eq(sh("ip addr flush dev %s scope global to %s", out_if, net6), 0);
	ck_assert_msg(deny_set_lists("6", net6, false), "%s is still denied", net6);
}
END_TEST

#define GUEST_MAC    "02:00:5e:00:53:0a"
#define SERVICE_PORT 5353
#define OTHER_PORT   7999

/* A tap workload of `w`'s addresses; `extra` goes into "network". */
static int create_tap(const struct wl *w, const char *command, const char *extra, char *err,
		      size_t len)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":%s,\"network\":{\"mode\":\"tap\","
		 "\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\"%s},"
		 "\"jail\":{\"ro_paths\":[\"%s\"]}}",
		 w->id, command, w->addr, w->host_addr, extra, vf_self());
	return vf_create(text, err, len);
}

static struct wl tap_names(const char *name, int subnet)
{
	struct wl w = names(name, subnet);

	vigil_tap_name(w.id, w.ifname);
	return w;
}

/* The workload's log: what its command printed. */
static char *workload_log(const struct wl *w)
{
	char path[PATH_MAX + 80];

	snprintf(path, sizeof(path), "%s/logs/%s.log", vf.state, w->id);
	return read_file(path);
}

/* Waits for the workload's log to say `what`. */
static void wait_log(const struct wl *w, const char *what)
{
	char *log = NULL;

	for (double end = now_s() + 10; now_s() < end; usleep(20 * 1000)) {
		free(log);
		log = workload_log(w);
		if (log && strstr(log, what))
			break;
	}
	ck_assert_msg(log && strstr(log, what), "%s did not say \"%s\": %s", w->id, what,
		      log ? log : "no log");
	free(log);
}

static void wait_state(const struct wl *w, const char *state)
{
	bool there = false;

	for (double end = now_s() + 10; !there && now_s() < end;) {
		struct json_object *o = vf_show(w->id);

		there = strcmp(vf_state_of(o), state) == 0;
		json_object_put(o);
		if (!there)
			usleep(20 * 1000);
	}
	ck_assert_msg(there, "%s is not %s", w->id, state);
}

/* A UDP socket on the host's side of the tap, with a receive timeout. */
static int udp_socket(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500 * 1000 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert(s >= 0 && inet_pton(AF_INET, addr, &sa.sin_addr) == 1);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return s;
}

/* Every datagram the socket gets until it times out, concatenated with spaces. */
static void received(int s, char *buf, size_t len, double seconds)
{
	size_t used = 0;

	buf[0] = '\0';
	for (double end = now_s() + seconds; now_s() < end && used + 1 < len;) {
		char d[64];
		ssize_t n = recv(s, d, sizeof(d) - 1, 0);

		if (n <= 0)
			continue;
		d[n] = '\0';
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", d);
	}
}

/*
 * A microVM's network: the tap is its VMM's, fenced as a veth is; the VMM
 * (this suite, given "{tap}") attaches to it and plays the guest. The host
 * answers what the policy lets through and drops and counts the rest.
 */
START_TEST(test_tap_workload)
{
	struct wl w = tap_names("vm", 0), bad = tap_names("vmbad", 1), other = tap_names("vmo", 0);
	char self[PATH_MAX] = { 0 }, cmd[PATH_MAX + 256], err[512], got[256], extra[512], *log;
	struct json_object *o, *net, *rules;
	uint64_t host0, spoof0, vmm_uid;
	int status, sock;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_int_gt(readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
	snprintf(cmd, sizeof(cmd),
		 "[\"%s\",\"--vmm\",\"{tap_fd}\",\"%s\",\"%s\",\"%s\",\"%d\",\"%d\",\"2500\"]",
		 self, GUEST_MAC, w.addr, w.host_addr, SERVICE_PORT, OTHER_PORT);
	snprintf(extra, sizeof(extra),
		 ",\"mac\":\"" GUEST_MAC "\","
		 "\"host_services\":[\"udp/5353\"],\"ipv6\":\"%s/64\",\"host_ipv6\":\"%s/64\"",
		 w.addr6, w.host_addr6);
	ck_assert_msg(create_tap(&w, cmd, extra, err, sizeof(err)) == 0, "create: %s", err);

	/* the VMM's tap, its own uid's, up, addressed, fenced with the guest's MAC */
	o = vf_show(w.id);
	ck_assert(json_object_object_get_ex(o, "jail", &net));
	vmm_uid = (uint64_t)vf_jint(net, "uid");
	ck_assert_uint_ge(vmm_uid, 1879048192);
	json_object_put(o);
	ck_assert_uint_eq(interface_attr(w.ifname, "owner"), vmm_uid);
	ck_assert_uint_eq(interface_attr(w.ifname, "group"), vmm_uid);
	ck_assert_uint_eq(interface_attr(w.ifname, "flags") & IFF_UP, IFF_UP);
	ck_assert_int_eq(
		sh("ip -4 -o addr show dev %s | grep -q ' inet %s/30 '", w.ifname, w.host_addr), 0);
	ck_assert_int_eq(sh("ip -6 -o addr show dev %s | grep -q ' inet6 %s/64 scope global nodad'",
			    w.ifname, w.host_addr6),
			 0);
	o = vf_show(w.id);
	ck_assert(json_object_object_get_ex(o, "network", &net));
	ck_assert_str_eq(vf_jstr(net, "mode"), "tap");
	ck_assert_str_eq(vf_jstr(net, "host_ifname"), w.ifname);
	ck_assert_str_eq(vf_jstr(net, "mac"), GUEST_MAC);
	ck_assert(!json_object_object_get_ex(net, "vmm_uid", NULL));
	ck_assert_ptr_null(vf_jstr(net, "netns"));
	json_object_put(o);
	o = net_show(&w);
	ck_assert(json_object_object_get_ex(o, "rules", &rules));
	ck_assert_msg(strstr(json_object_get_string(rules), "ether saddr != " GUEST_MAC), "%s",
		      json_object_get_string(rules));
	snprintf(extra, sizeof(extra), "ip6 saddr != %s ", w.addr6);
	ck_assert_msg(strstr(json_object_get_string(rules), extra), "%s",
		      json_object_get_string(rules));
	json_object_put(o);

	/* gone while vigild was down: the start makes it again, the VMM's, up */
	vf_stop_vigild();
	ck_assert_int_eq(sh("ip link del %s", w.ifname), 0);
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	ck_assert_uint_eq(interface_attr(w.ifname, "owner"), vmm_uid);
	ck_assert_uint_eq(interface_attr(w.ifname, "group"), vmm_uid);
	ck_assert_uint_eq(interface_attr(w.ifname, "flags") & IFF_UP, IFF_UP);
	o = vf_show(w.id);
	ck_assert(json_object_object_get_ex(o, "network", &net));
	ck_assert_int_eq(vf_jint(net, "ifindex"), (int)if_nametoindex(w.ifname));
	json_object_put(o);

	/* bad tap specs change nothing */
	ck_assert_int_ne(create_tap(&bad, "[\"true\"]", ",\"vmm_uid\":1", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "network.vmm_uid applies to an unjailed VMM"), "%s", err);
	ck_assert_int_ne(create_tap(&bad, "[\"true\",\"{tap}\"]", "", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "use \"{tap_fd}\""), "%s", err);
	ck_assert_int_ne(
		create_tap(&bad, "[\"true\"]", ",\"mac\":\"03:00:00:00:00:01\"", err, sizeof(err)),
		0);
	ck_assert_msg(strstr(err, "network.mac must be a unicast address"), "%s", err);
	ck_assert_int_ne(create_tap(&other, "[\"true\"]", "", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "overlaps workload") && strstr(err, w.id), "%s", err);
	snprintf(cmd, sizeof(cmd),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"true\",\"{tap}\"]}",
		 bad.id);
	ck_assert_int_ne(vf_create(cmd, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "\"{tap}\" needs network.mode \"tap\""), "%s", err);
	ck_assert_uint_eq(if_nametoindex(bad.ifname), 0);
	ck_assert_uint_eq(if_nametoindex(other.ifname), 0);
	o = vf_wl_cmd(&status, "show", bad.id);
	ck_assert_int_ne(status, 0);
	json_object_put(o);
	ck_assert(!chain_listed(&bad, "out") && !chain_listed(&other, "out"));

	/* the guest's traffic */
	sock = udp_socket(w.host_addr, SERVICE_PORT);
	host0 = nft_drops(&w, "host");
	spoof0 = nft_drops(&w, "spoof");
	o = vf_wl_cmd(&status, "start", w.id);
	ck_assert_msg(status == 0, "start: %s", vf_jstr(o, "error"));
	json_object_put(o);
	/* it sends right after it says so */
	wait_log(&w, "attached ");
	received(sock, got, sizeof(got), 0.5);
	close(sock);
	/* the declared service gets the guest's datagram, not the spoofed one */
	ck_assert_str_eq(got, "service");
	/* the host reaches the guest (its echo reply is established traffic) */
	ck_assert_int_eq(sh("ping -c 1 -W 1 -q %s >/dev/null", w.addr), 0);
	wait_state(&w, "stopped");
	log = workload_log(&w);
	ck_assert_ptr_nonnull(log);
	printf("tap VMM: %s", log);
	ck_assert_msg(strstr(log, "attached ") && strstr(log, w.ifname), "%s", log);
	/* the guest's echo request is no declared service: dropped, so no reply */
	ck_assert_msg(strstr(log, "echo reply: no"), "%s", log);
	free(log);
	/* the echo request and the datagram to another port; the spoofed one */
	ck_assert_uint_eq(nft_drops(&w, "host"), host0 + 2);
	ck_assert_uint_eq(nft_drops(&w, "spoof"), spoof0 + 1);

	o = vf_wl_cmd(&status, "delete", w.id);
	ck_assert_msg(status == 0, "delete: %s", vf_jstr(o, "error"));
	json_object_put(o);
	ck_assert_uint_eq(if_nametoindex(w.ifname), 0);
	ck_assert(!chain_listed(&w, "out") && !chain_listed(&w, "host"));
}
END_TEST

/* `ip ARGS` in the workload's namespace; its exit status. */
static int __attribute__((format(printf, 2, 3))) ip_in(const struct wl *w, const char *fmt, ...)
{
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return sh("nsenter --net=%s/%s ip %s", vf.netns_dir, w->id, args);
}

/*
 * A veth workload's own end has the MAC derived from its id, and the rules
 * drop (and count as spoof) frames from any other; vigild puts it back at
 * start.
 */
START_TEST(test_veth_mac_spoofing)
{
	struct wl w = names("mac", 0);
	char mac[VIGIL_MAC_SIZE], path[PATH_MAX + 80], *host_mac;
	struct json_object *o, *net;
	pid_t svc;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(create(&w, ",\"host_services\":[\"tcp/7998\"]", path, sizeof(path)) == 0,
		      "create: %s", path);
	vigil_workload_mac(w.id, mac);
	ck_assert_int_eq(ip_in(&w, "link show eth0 | grep -q 'link/ether %s '", mac), 0);
	o = vf_show(w.id);
	ck_assert(json_object_object_get_ex(o, "network", &net));
	ck_assert_str_eq(vf_jstr(net, "mac"), mac);
	json_object_put(o);
	svc = tcp_listener(NULL, w.host_addr, 7998, false);
	ck_assert(reaches_host(&w, 7998));

	/*
	 * Another MAC: the kernel forgets its neighbours when the MAC changes,
	 * and its ARP from the new MAC is dropped too, so the host's goes in by hand.
	 */
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", w.ifname);
	host_mac = read_file(path);
	ck_assert_ptr_nonnull(host_mac);
	host_mac[strcspn(host_mac, "\n")] = '\0';
	ck_assert_int_eq(ip_in(&w, "link set eth0 address 02:00:5e:00:53:01"), 0);
	ck_assert_int_eq(ip_in(&w, "neigh replace %s lladdr %s dev eth0 nud permanent", w.host_addr,
			       host_mac),
			 0);
	snprintf(path, sizeof(path), "%s/%s", vf.netns_dir, w.id);
	burst_dropped(path, w.host_addr, 7998, &w, "spoof");
	ck_assert(!reaches_host(&w, 7998));

	/* its own MAC back: through */
	ck_assert_int_eq(ip_in(&w, "link set eth0 address %s", mac), 0);
	ck_assert(reaches_host(&w, 7998));

	/* changed again while vigild is down: the start sets it back */
	ck_assert_int_eq(ip_in(&w, "link set eth0 address 02:00:5e:00:53:01"), 0);
	vf_stop_vigild();
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	ck_assert_int_eq(ip_in(&w, "link show eth0 | grep -q 'link/ether %s '", mac), 0);
	ck_assert(reaches_host(&w, 7998));
	free(host_mac);
	kill_wait(svc);
}
END_TEST

/* veth workload `w` with IPv6 beside IPv4, and `extra` in "network". */
static int create6(const struct wl *w, const char *extra, char *err, size_t len)
{
	char policy[512];

	snprintf(policy, sizeof(policy), ",\"ipv6\":\"%s/64\",\"host_ipv6\":\"%s/64\"%s", w->addr6,
		 w->host_addr6, extra);
	return create(w, policy, err, len);
}

/* The workload's and the host side's IPv6 addresses, usable (nodad), and its default route. */
static void assert_ipv6_configured(const struct wl *w)
{
	ck_assert_int_eq(ip_in(w,
			       "-6 -o addr show dev eth0 | grep -q ' inet6 %s/64 scope global "
			       "nodad'",
			       w->addr6),
			 0);
	ck_assert_int_eq(ip_in(w, "-6 route show default | grep -q '^default via %s dev eth0'",
			       w->host_addr6),
			 0);
	ck_assert_int_eq(sh("ip -6 -o addr show dev %s | grep -q ' inet6 %s/64 scope global nodad'",
			    w->ifname, w->host_addr6),
			 0);
}

/*
 * A veth workload with IPv6: both ends addressed (repaired the same way),
 * its IPv6 fenced as its IPv4 is: host services only, its own source
 * address only, and no subnet of another workload's.
 */
START_TEST(test_ipv6_workload)
{
	struct wl w = names("six", 0), other = names("sixo", 1);
	char err[512], ns[PATH_MAX + 80], path[PATH_MAX + 80], spoofed[64], *host_mac;
	struct json_object *o, *net;
	struct cmd_result r;
	uint64_t host0;
	pid_t svc, srv;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(create6(&w, ",\"host_services\":[\"tcp/7998\"]", err, sizeof(err)) == 0,
		      "create: %s", err);
	assert_ipv6_configured(&w);
	o = vf_show(w.id);
	ck_assert(json_object_object_get_ex(o, "network", &net));
	snprintf(path, sizeof(path), "%s/64", w.addr6);
	ck_assert_str_eq(vf_jstr(net, "ipv6"), path);
	snprintf(path, sizeof(path), "%s/64", w.host_addr6);
	ck_assert_str_eq(vf_jstr(net, "host_ipv6"), path);
	json_object_put(o);
	ck_assert(run_vigil(&r, "--socket", vf.sock, "workload", "show", w.id, NULL) == 0);
	snprintf(path, sizeof(path), "ipv6:        %s/64 (host %s/64)\n", w.addr6, w.host_addr6);
	ck_assert_msg(r.status == 0 && strstr(r.out, path), "%s", r.out);
	cmd_result_free(&r);
	/* its subnet is a private destination, as its IPv4 one is */
	snprintf(path, sizeof(path), "%s/vigil", vf.bpffs);
	ck_assert(run_vigil(&r, "--pin-dir", path, "net", "private", "show", NULL) == 0);
	snprintf(path, sizeof(path), "%.*s/64\n", (int)strlen(w.host_addr6) - 1, w.host_addr6);
	ck_assert_msg(r.status == 0 && strstr(r.out, path), "no %s in %s", path, r.out);
	cmd_result_free(&r);

	/* from its own address: to a declared host service, through; to another port, dropped */
	svc = tcp_listener(NULL, w.host_addr6, 7998, false);
	srv = tcp_listener(NULL, w.host_addr6, 7999, false);
	ck_assert(reaches(&w, w.host_addr6, 7998));
	host0 = nft_drops(&w, "host");
	ck_assert(!reaches(&w, w.host_addr6, 7999));
	ck_assert_uint_gt(nft_drops(&w, "host"), host0);

	/*
	 * From another address of its subnet: spoofed. The host's MAC goes in
	 * by hand, so no neighbour solicitation from that address (a spoof
	 * too) runs alongside.
	 */
	snprintf(spoofed, sizeof(spoofed), "%.*s3", (int)strlen(w.addr6) - 1, w.addr6);
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", w.ifname);
	host_mac = read_file(path);
	ck_assert_ptr_nonnull(host_mac);
	host_mac[strcspn(host_mac, "\n")] = '\0';
	ck_assert_int_eq(ip_in(&w, "-6 addr add %s/64 dev eth0 nodad", spoofed), 0);
	ck_assert_int_eq(ip_in(&w, "-6 neigh replace %s lladdr %s dev eth0 nud permanent",
			       w.host_addr6, host_mac),
			 0);
	free(host_mac);
	snprintf(ns, sizeof(ns), "%s/%s", vf.netns_dir, w.id);
	burst_dropped_from(ns, spoofed, w.host_addr6, 7998, &w, "spoof");
	ck_assert_int_eq(ip_in(&w, "-6 addr del %s/64 dev eth0", spoofed), 0);

	/* an IPv6 subnet within the first's: refused, nothing made */
	snprintf(other.host_addr6, sizeof(other.host_addr6), "%.*s5", (int)strlen(w.addr6) - 1,
		 w.addr6);
	snprintf(other.addr6, sizeof(other.addr6), "%.*s6", (int)strlen(w.addr6) - 1, w.addr6);
	ck_assert_int_ne(create6(&other, "", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "network %s/64 overlaps workload \"%s\"'s %s/64",
		 other.host_addr6, w.id, w.host_addr6);
	ck_assert_msg(strstr(err, path), "%s", err);
	ck_assert_uint_eq(if_nametoindex(other.ifname), 0);
	ck_assert(!chain_listed(&other, "out"));
	snprintf(path, sizeof(path), "%s/%s", vf.netns_dir, other.id);
	ck_assert_int_ne(access(path, F_OK), 0);
	o = vf_wl_cmd(&status, "show", other.id);
	ck_assert_int_ne(status, 0);
	json_object_put(o);

	/* set down and up again by hand, the host side keeps its IPv6 address, as IPv4 */
	ck_assert_int_eq(sh("ip link set %s down && ip link set %s up", w.ifname, w.ifname), 0);
	assert_ipv6_configured(&w);
	ck_assert(reaches(&w, w.host_addr6, 7998));

	/* gone while vigild was down: made again, with its IPv6 */
	vf_stop_vigild();
	ck_assert_int_eq(sh("ip link del %s", w.ifname), 0);
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	assert_ipv6_configured(&w);
	ck_assert(reaches(&w, w.host_addr6, 7998));
	kill_wait(svc);
	kill_wait(srv);
}
END_TEST

/* The sum of the workload's drop counters over every reason, per `vigil net show`. */
static uint64_t nft_drops_all(const struct wl *w)
{
	struct json_object *o = net_show(w), *drops, *packets;
	uint64_t n = 0;

	ck_assert(json_object_object_get_ex(o, "drops", &drops));
	json_object_object_foreach(drops, reason, why)
	{
		ck_assert_msg(json_object_object_get_ex(why, "packets", &packets), "%s", reason);
		n += (uint64_t)json_object_get_int64(packets);
	}
	json_object_put(o);
	return n;
}

#define ICMP6_ECHO_REQUEST  128
#define ND_ROUTER_SOLICIT   133
#define ND_NEIGHBOR_SOLICIT 135

/* An ICMPv6 message: its type and code, and what follows the checksum. */
struct icmp6_msg {
	uint8_t type, code;
	uint8_t body[28];
	size_t body_len;
};

/*
 * Sends `m` from src to dst in one Ethernet frame to dst_mac, out of the
 * workload's eth0 with its MAC, on a packet socket: the workload's kernel
 * need not have IPv6. Returns the frame's length.
 */
static size_t send_icmp6(const struct wl *w, const uint8_t dst_mac[6], const char *src,
			 const char *dst, struct icmp6_msg m)
{
	struct __attribute__((packed)) {
		uint8_t dst_mac[6], src_mac[6];
		uint16_t type;
		uint32_t ver_class_flow;
		uint16_t payload_len;
		uint8_t next, hops;
		struct in6_addr src, dst;
		uint8_t icmp[4 + sizeof(m.body)];
	} f = { .type = htons(0x86dd), .ver_class_flow = htonl(6u << 28), .next = 58, .hops = 255 };
	struct __attribute__((packed)) {
		struct in6_addr src, dst;
		uint32_t len;
		uint8_t zero[3], next;
		uint8_t icmp[4 + sizeof(m.body)];
	} pseudo = { .next = 58 };
	size_t icmp_len = 4 + m.body_len, len = offsetof(typeof(f), icmp) + icmp_len;
	char ns[PATH_MAX + 80];
	uint16_t checksum;
	int status;
	pid_t pid;

	ck_assert(inet_pton(AF_INET6, src, &f.src) == 1 && inet_pton(AF_INET6, dst, &f.dst) == 1);
	f.payload_len = htons((uint16_t)icmp_len);
	memcpy(f.dst_mac, dst_mac, 6);
	f.icmp[0] = m.type;
	f.icmp[1] = m.code;
	memcpy(f.icmp + 4, m.body, m.body_len);
	pseudo.src = f.src;
	pseudo.dst = f.dst;
	pseudo.len = htonl((uint32_t)icmp_len);
	memcpy(pseudo.icmp, f.icmp, icmp_len);
	checksum = inet_checksum(&pseudo, offsetof(typeof(pseudo), icmp) + icmp_len);
	memcpy(f.icmp + 2, &checksum, 2);
	snprintf(ns, sizeof(ns), "%s/%s", vf.netns_dir, w->id);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct sockaddr_ll ll = { .sll_family = AF_PACKET,
					  .sll_halen = ETH_ALEN,
					  .sll_protocol = htons(0x86dd) };
		struct ifreq ifr = { .ifr_name = "eth0" };
		int s;

		enter_netns(ns);
		s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x86dd));
		if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
			_exit(1);
		memcpy(f.src_mac, ifr.ifr_hwaddr.sa_data, 6);
		ll.sll_ifindex = (int)if_nametoindex("eth0");
		memcpy(ll.sll_addr, dst_mac, 6);
		_exit(sendto(s, &f, len, 0, (struct sockaddr *)&ll, sizeof(ll)) == (ssize_t)len
			      ? 0
			      : 2);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ICMPv6 from %s: status %d",
		      src, status);
	return len;
}

/*
 * A workload given no IPv6 whose kernel has IPv6 on all the same: its router
 * and neighbour solicitations to the host are dropped, each counted once as
 * no_ipv6, and are in its net_drop_packets as every isolation drop is; any
 * other IPv6 (an echo request from the same link-local address) is a spoof.
 */
START_TEST(test_no_ipv6_neighbour_discovery)
{
	static const uint8_t all_routers_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	struct wl w = names("noip6", 0);
	uint8_t host_mac[6], solicited_mac[6] = { 0x33, 0x33, 0xff };
	char err[512], path[PATH_MAX], *host_ll, *mac, solicited[64];
	uint64_t no_ipv6_0, spoof0, all0, drops0, sent0, sent_bytes0, bytes = 0;
	struct icmp6_msg ns = { .type = ND_NEIGHBOR_SOLICIT, .body_len = 20 };
	struct in6_addr target;
	double end;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_msg(create(&w, "", err, sizeof(err)) == 0, "create: %s", err);
	/* the frames are this test's alone: the workload's own kernel sends none */
	ck_assert_int_eq(sh("nsenter --net=%s/%s sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1",
			    vf.netns_dir, w.id),
			 0);
	/* a host that routes IPv6 listens to all-routers (ff02::2), where solicitations go */
	ck_assert_int_eq(sh("sysctl -qw net.ipv6.conf.%s.forwarding=1", w.ifname), 0);
	host_ll = NULL;
	for (end = now_s() + 5; !host_ll && now_s() < end; usleep(50 * 1000)) {
		host_ll = sh_output("ip -6 -o addr show dev %s scope link -tentative | "
				    "awk '{print $4}' | cut -d/ -f1",
				    w.ifname);
		if (host_ll && !host_ll[0])
			free(host_ll), host_ll = NULL;
	}
	ck_assert_msg(host_ll, "%s has no link-local address", w.ifname);
	host_ll[strcspn(host_ll, "\n")] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", w.ifname);
	mac = read_file(path);
	ck_assert(mac && tap_guest_parse_mac(strtok(mac, "\n"), host_mac));
	free(mac);
	/* the host's solicited-node group, ff02::1:ffXX:XXXX, and its MAC */
	ck_assert(inet_pton(AF_INET6, host_ll, &target) == 1);
	snprintf(solicited, sizeof(solicited), "ff02::1:ff%02x:%02x%02x", target.s6_addr[13],
		 target.s6_addr[14], target.s6_addr[15]);
	memcpy(solicited_mac + 3, &target.s6_addr[13], 3);
	memcpy(ns.body + 4, &target, sizeof(target));

	no_ipv6_0 = nft_drops(&w, "no_ipv6");
	spoof0 = nft_drops(&w, "spoof");
	all0 = nft_drops_all(&w);
	drops0 = metered_drops(&w);
	sent0 = metered(&w, "net_tx_dropped_packets");
	sent_bytes0 = metered(&w, "net_tx_dropped_bytes");

	/* a router solicitation as a kernel sends it when the link comes up */
	bytes += send_icmp6(&w, all_routers_mac, "fe80::2", "ff02::2",
			    (struct icmp6_msg){ .type = ND_ROUTER_SOLICIT, .body_len = 4 });
	/* duplicate address detection's, from ::, for the host's own address */
	bytes += send_icmp6(&w, solicited_mac, "::", solicited, ns);
	/* address resolution's, from its link-local address, with its MAC as an option */
	ns.body_len = 28;
	ns.body[20] = 1; /* source link-layer address, 8 bytes */
	ns.body[21] = 1;
	bytes += send_icmp6(&w, solicited_mac, "fe80::2", solicited, ns);
	/* an echo request is no neighbour discovery */
	bytes += send_icmp6(&w, host_mac, "fe80::2", host_ll,
			    (struct icmp6_msg){ .type = ICMP6_ECHO_REQUEST, .body_len = 4 });

	for (end = now_s() + 5; now_s() < end; usleep(20 * 1000))
		if (nft_drops(&w, "no_ipv6") >= no_ipv6_0 + 3 && nft_drops(&w, "spoof") > spoof0 &&
		    metered_drops(&w) >= drops0 + 4)
			break;
	printf("no IPv6: neighbour discovery %llu drops, spoof %llu, net_drop_packets +%llu\n",
	       (unsigned long long)(nft_drops(&w, "no_ipv6") - no_ipv6_0),
	       (unsigned long long)(nft_drops(&w, "spoof") - spoof0),
	       (unsigned long long)(metered_drops(&w) - drops0));
	ck_assert_uint_eq(nft_drops(&w, "no_ipv6"), no_ipv6_0 + 3);
	ck_assert_uint_eq(nft_drops(&w, "spoof"), spoof0 + 1);
	ck_assert_uint_eq(nft_drops_all(&w), all0 + 4);
	/* every isolation drop is in a reason's counter */
	ck_assert_uint_eq(metered_drops(&w), drops0 + 4);
	ck_assert_uint_eq(metered(&w, "net_tx_dropped_packets"), sent0 + 4);
	ck_assert_uint_eq(metered(&w, "net_tx_dropped_bytes"), sent_bytes0 + bytes);
	assert_tx_split(&w);
	free(host_ll);
}
END_TEST

/*
 * The VMM ends without the sanitizers' exit-time leak check: its tracer,
 * killed by the jail's filter when it calls ptrace, would leave the process
 * waiting for it forever.
 */
static void __attribute__((noreturn)) vmm_exit(int status)
{
	fflush(stdout);
	_exit(status);
}

int main(int argc, char **argv)
{
	Suite *s;

	if (argc > 1 && strcmp(argv[1], "--vmm") == 0)
		vmm_exit(tap_vmm_main(argc - 1, argv + 1));
	s = suite_create("vigild_net");
	vf.suite = "vigild-net";
	vf_require("vigild_net");
	vf_add_case(s, "lifecycle", test_rules_live_with_the_workload, vf_make_env, vf_remove_env);
	vf_add_case(s, "bad_input", test_bad_network_input_changes_nothing, vf_make_env,
		    vf_remove_env);
	vf_add_case(s, "drops", test_policy_drops_are_metered, make_env_with_outside,
		    remove_env_with_outside);
	vf_add_case(s, "host_subnets", test_host_subnets_followed, make_env_with_outside_undenied,
		    remove_env_with_outside);
	vf_add_case(s, "tap", test_tap_workload, vf_make_env, vf_remove_env);
	vf_add_case(s, "veth_mac", test_veth_mac_spoofing, vf_make_env, vf_remove_env);
	vf_add_case(s, "ipv6", test_ipv6_workload, vf_make_env, vf_remove_env);
	vf_add_case(s, "no_ipv6", test_no_ipv6_neighbour_discovery, vf_make_env, vf_remove_env);
	return run_suite(s);
}
