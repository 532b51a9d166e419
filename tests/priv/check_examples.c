// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ready specs of deploy/examples/ against the real vigild. Each file is
 * read as it is; its image prefix (/srv/vigil/images) becomes the fixture's
 * image directory, where the files it names are made, and its documentation
 * addresses become addresses of 198.19.0.0/16, the same for every example.
 * Create must accept it, and `vigil net show` must print the rules the
 * README's Examples section says. The block producer is also checked with
 * real traffic, its QEMU played by this suite (--server, tap_guest.h): a
 * relay's namespace reaches its port 3001 and a stranger's does not, and
 * what it sends goes to the relay and nowhere else. The demo VM boots the
 * tests' microVM (scripts/guest/build-microvm.sh) under TCG.
 *
 * The peers' namespaces hang off the host by veth pairs whose host ends
 * hold /32 addresses, routed by /32 routes: no subnet of theirs becomes one
 * of the host's, which vigild would deny to workloads.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tap.h"
#include "tap_guest.h"
#include "testutil.h"
#include "vigild_fixture.h"

#define IMAGE_PREFIX "/srv/vigil/images"
#define NODE_PORT    3001

static char examples_dir[PATH_MAX];
static const char *guest_dir;

/* Each documentation address of the examples, and the test's in its place: 198.19.PID.byte */
static struct {
	const char *doc;
	int byte;
	char test[INET_ADDRSTRLEN];
} addrs[] = {
	{ .doc = "203.0.113.9", .byte = 65 },  /* the relay's host end */
	{ .doc = "203.0.113.10", .byte = 66 }, /* the relay; the block producer's first relay */
	{ .doc = "198.51.100.7", .byte = 71 }, /* the block producer's second relay */
	{ .doc = "192.0.2.9", .byte = 69 },    /* the block producer's host end */
	{ .doc = "192.0.2.10", .byte = 70 },   /* the block producer */
	{ .doc = "192.0.2.1", .byte = 73 },    /* the demo VM's host end */
	{ .doc = "192.0.2.2", .byte = 74 },    /* the demo VM */
	{ .doc = "192.0.2.77", .byte = 75 },   /* the demo VM's spoofed source */
	{ .doc = "203.0.113.1", .byte = 76 },  /* the demo's denied address */
	{ .doc = "198.51.100.2", .byte = 77 }, /* the demo's peer */
};
#define N_ADDRS (sizeof(addrs) / sizeof(addrs[0]))

static const char *test_addr(const char *doc)
{
	for (size_t i = 0; i < N_ADDRS; i++)
		if (!strcmp(addrs[i].doc, doc))
			return addrs[i].test;
	ck_abort_msg("no test address for %s", doc);
	return NULL;
}

/* A relay of the block producer's, and a stranger: namespaces with an address each. */
struct peer {
	char ns[32], ifname[16], host_addr[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN];
};
static struct peer relay, stranger;

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* `in` with the image prefix and the documentation addresses replaced, into out. */
static void rewrite(const char *in, char *out, size_t len)
{
	size_t used = 0;

	for (const char *p = in; *p;) {
		const char *to = NULL;
		size_t skip = 0;

		if (!strncmp(p, IMAGE_PREFIX "/", strlen(IMAGE_PREFIX) + 1)) {
			to = vf.images;
			skip = strlen(IMAGE_PREFIX);
		}
		for (size_t i = 0; !to && i < N_ADDRS; i++) {
			size_t n = strlen(addrs[i].doc);

			/* whole addresses only: 192.0.2.1 is not the start of 192.0.2.10 */
			if (!strncmp(p, addrs[i].doc, n) && !is_digit(p[n]) &&
			    (p == in || (!is_digit(p[-1]) && p[-1] != '.'))) {
				to = addrs[i].test;
				skip = n;
			}
		}
		if (to) {
			used += (size_t)snprintf(out + used, len - used, "%s", to);
			p += skip;
		} else {
			used += (size_t)snprintf(out + used, len - used, "%c", *p++);
		}
		ck_assert_uint_lt(used, len);
	}
	out[used] = '\0';
}

/* Every string in o, rewritten; none may keep a documentation address. */
static void rewrite_all(struct json_object *o)
{
	static const char *const doc_nets[] = { "192.0.2.", "198.51.100.", "203.0.113." };
	char buf[1024];

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v)
		{
			(void)key;
			rewrite_all(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			rewrite_all(json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_string)) {
		rewrite(json_object_get_string(o), buf, sizeof(buf));
		for (size_t i = 0; i < sizeof(doc_nets) / sizeof(doc_nets[0]); i++)
			ck_assert_msg(!strstr(buf, doc_nets[i]),
				      "an address the test does not map: %s", buf);
		json_object_set_string(o, buf);
	}
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
	return v;
}

/*
 * deploy/examples/NAME, rewritten, its id made this run's own (a tap's
 * name is the host's), in *ret_id.
 */
static struct json_object *load_example(const char *name, char *ret_id, size_t len)
{
	char path[PATH_MAX + 64], *text;
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/%s", examples_dir, name);
	text = read_file(path);
	ck_assert_msg(text, "%s: %s", path, strerror(errno));
	o = parse_json(text);
	ck_assert_msg(o, "%s is not one JSON document", path);
	free(text);
	rewrite_all(o);
	vf_id_of(ret_id, len, json_object_get_string(get(o, "id")));
	json_object_object_add(o, "id", json_object_new_string(ret_id));
	return o;
}

/*
 * The jail's files, made in the fixture's image directory: the read-only
 * ones copied from the directory `from`, or empty; the read-write ones 16 MiB.
 */
static void make_jail_files(struct json_object *spec, const char *from)
{
	static const char *const lists[] = { "ro_paths", "rw_paths" };
	struct json_object *jail = get(spec, "jail");

	for (size_t l = 0; l < 2; l++) {
		struct json_object *paths = get(jail, lists[l]);

		for (size_t i = 0; i < json_object_array_length(paths); i++) {
			const char *path =
				json_object_get_string(json_object_array_get_idx(paths, i));
			const char *base = strrchr(path, '/') + 1;

			ck_assert_int_eq(sh("mkdir -p \"$(dirname %s)\"", path), 0);
			if (l == 0)
				ck_assert_int_eq(from ? sh("cp %s/%s %s", from, base, path)
						      : sh("touch %s", path),
						 0);
			else
				ck_assert_int_eq(sh("truncate -s 16M %s", path), 0);
			ck_assert_int_eq(chmod(path, l == 0 ? 0644 : 0666), 0);
		}
	}
}

static int create(struct json_object *spec, char *err, size_t len)
{
	return vf_create(json_object_to_json_string_ext(
				 spec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			 err, len);
}

/* Whether /dev/kvm is the KVM device, as vigild looks at it */
static bool host_has_kvm(void)
{
	struct stat st;

	return stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 &&
	       minor(st.st_rdev) == 232;
}

/*
 * The Cardano specs ask for /dev/kvm. On a host without it create must
 * refuse them saying so; the test then goes on without the device (it
 * never starts their QEMU).
 */
static void create_ok(struct json_object *spec)
{
	struct json_object *devices;
	char err[1024];

	if (json_object_object_get_ex(get(spec, "jail"), "devices", &devices) && !host_has_kvm()) {
		ck_assert_int_ne(create(spec, err, sizeof(err)), 0);
		ck_assert_msg(strstr(err, "jail.devices \"kvm\": this host has no"), "%s", err);
		printf("examples: no /dev/kvm here: %s; creating without it\n", err);
		json_object_object_del(get(spec, "jail"), "devices");
	}
	ck_assert_msg(create(spec, err, sizeof(err)) == 0, "create %s: %s",
		      json_object_get_string(get(spec, "id")), err);
}

/* `vigil -j net show ID`; put it. */
static struct json_object *net_show(const char *id)
{
	struct cmd_result r;
	struct json_object *o;

	ck_assert(run_vigil(&r, "-j", "net", "show", id, NULL) == 0);
	ck_assert_msg(r.status == 0, "net show %s: %s", id, r.err);
	o = parse_json(r.out);
	cmd_result_free(&r);
	ck_assert_ptr_nonnull(o);
	return o;
}

static uint64_t drops(const char *id, const char *reason)
{
	struct json_object *o = net_show(id);
	uint64_t n = (uint64_t)json_object_get_int64(get(get(get(o, "drops"), reason), "packets"));

	json_object_put(o);
	return n;
}

/* "wl_<id>" with '-' as '_', as vigil names a workload's chains and counters */
static void chain_prefix(char *buf, size_t len, const char *id)
{
	snprintf(buf, len, "wl_%s", id);
	for (char *c = buf; *c; c++)
		*c = *c == '-' ? '_' : *c;
}

/*
 * The rules of chain <wl_ID>_<suffix> as `vigil net show ID` lists them,
 * a line each without indentation, or "" when the chain has none.
 */
static char *chain_rules(const char *id, const char *suffix)
{
	struct json_object *o = net_show(id);
	char pfx[80], head[128], *out = calloc(1, 4096), *p, *end;
	size_t used = 0;

	ck_assert_ptr_nonnull(out);
	chain_prefix(pfx, sizeof(pfx), id);
	snprintf(head, sizeof(head), "chain %s_%s {\n", pfx, suffix);
	p = strstr(json_object_get_string(get(o, "rules")), head);
	ck_assert_msg(p, "no %s in:\n%s", head, json_object_get_string(get(o, "rules")));
	/* from the head's own newline: an empty chain's end follows it at once */
	p += strlen(head) - 1;
	end = strstr(p, "\n\t}");
	ck_assert_ptr_nonnull(end);
	for (p++; p < end;) {
		char *eol = strchr(p, '\n');

		while (*p == '\t')
			p++;
		used += (size_t)snprintf(out + used, 4096 - used, "%.*s\n", (int)(eol - p), p);
		p = eol + 1;
	}
	json_object_put(o);
	return out;
}

/* Asserts that chain <wl_ID>_<suffix> holds exactly `want`, with "P" for the chain prefix. */
static void assert_chain(const char *id, const char *suffix, const char *want)
{
	char pfx[80], expect[4096] = "", *got = chain_rules(id, suffix);
	size_t used = 0;

	chain_prefix(pfx, sizeof(pfx), id);
	for (const char *p = want; *p; p++)
		used += (size_t)snprintf(expect + used, sizeof(expect) - used, "%s",
					 *p == 'P' ? pfx : (char[]){ *p, '\0' });
	ck_assert_msg(!strcmp(got, expect), "chain %s_%s:\n%s\nwanted:\n%s", pfx, suffix, got,
		      expect);
	free(got);
}

/* What every example's out chain begins with: its MAC, addresses, rate and replies. */
static void out_head(char *buf, size_t len, const char *mac, const char *addr, const char *rate)
{
	snprintf(buf, len,
		 "ether saddr != %s counter name \"P_drop_spoof\" drop\n"
		 "ip saddr != %s counter name \"P_drop_spoof\" drop\n"
		 "meta nfproto ipv6 counter name \"P_drop_spoof\" drop\n"
		 "%s"
		 "ct state established,related accept\n"
		 "oifname @vigil_wl_ifs counter name \"P_drop_w2w\" drop\n"
		 "ip daddr @vigil_deny4 counter name \"P_drop_deny\" drop\n"
		 "ip6 daddr @vigil_deny6 counter name \"P_drop_deny\" drop\n",
		 mac, addr, rate);
}

#define RATE_100MBIT                                                              \
	"limit rate over 12500000 bytes/second burst 1315536 bytes counter name " \
	"\"P_drop_rate\" drop\n"

/* No host services: the host chain ends in a drop with no port before it. */
static void assert_no_host_services(const char *id)
{
	char pfx[80], want[128], *host = chain_rules(id, "host");
	size_t n = strlen(host), m;

	chain_prefix(pfx, sizeof(pfx), id);
	m = (size_t)snprintf(want, sizeof(want), "counter name \"%s_drop_host\" drop\n", pfx);
	ck_assert_msg(!strstr(host, "dport") && n >= m && !strcmp(host + n - m, want), "%s", host);
	free(host);
}

/* The relay: the public on its node port, out to anywhere but the deny list. */
START_TEST(test_relay)
{
	char id[64], out[2048];
	struct json_object *spec = load_example("cardano-relay.json", id, sizeof(id)), *o;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	make_jail_files(spec, NULL);
	create_ok(spec);
	o = vf_show(id);
	ck_assert_int_eq(vf_jint(o, "vcpus"), 2);
	ck_assert_int_eq(vf_jint(o, "memory_mib"), 24576);
	ck_assert_str_eq(vf_jstr(get(o, "network"), "mode"), "tap");
	json_object_put(o);

	out_head(out, sizeof(out), "02:00:5e:00:53:10", test_addr("203.0.113.10"), RATE_100MBIT);
	strcat(out, "ct state new ct count over 1000 counter name \"P_drop_conn\" drop\n"
		    "accept\n");
	assert_chain(id, "out", out);
	assert_chain(id, "in",
		     "ct state established,related accept\n"
		     "ct state new ct count over 1000 counter name \"P_drop_conn\" drop\n"
		     "tcp dport 3001 accept\n"
		     "counter name \"P_drop_inbound\" drop\n");
	/* from anywhere, to anywhere: the source and destination chains are empty */
	assert_chain(id, "from", "");
	assert_chain(id, "to", "");
	assert_no_host_services(id);
	json_object_put(spec);
}
END_TEST

/* The block producer's rules, whatever its command. */
static void assert_bp_rules(const char *id)
{
	char out[2048], from[512], to[512];

	out_head(out, sizeof(out), "02:00:5e:00:53:20", test_addr("192.0.2.10"), RATE_100MBIT);
	strcat(out, "jump P_to\n"
		    "ct state new ct count over 64 counter name \"P_drop_conn\" drop\n"
		    "accept\n");
	assert_chain(id, "out", out);
	assert_chain(id, "in",
		     "ct state established,related accept\n"
		     "jump P_from\n"
		     "ct state new ct count over 64 counter name \"P_drop_conn\" drop\n"
		     "tcp dport 3001 accept\n"
		     "counter name \"P_drop_inbound\" drop\n");
	snprintf(from, sizeof(from),
		 "ip saddr %s return\nip saddr %s return\ncounter name \"P_drop_inbound\" drop\n",
		 test_addr("203.0.113.10"), test_addr("198.51.100.7"));
	assert_chain(id, "from", from);
	snprintf(to, sizeof(to),
		 "ip daddr %s return\nip daddr %s return\ncounter name \"P_drop_egress\" drop\n",
		 test_addr("203.0.113.10"), test_addr("198.51.100.7"));
	assert_chain(id, "to", to);
	assert_no_host_services(id);
}

/* A socket made in namespace ns, bound to addr:port; the caller stays in its own. */
static int socket_in(const char *ns, int type, const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), s;

	ck_assert_int_ge(self, 0);
	enter_netns(ns);
	s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
	close(self);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

/* Whether a TCP connection from the peer to addr:port completes within ms (one SYN). */
static bool tcp_reaches(const struct peer *p, const char *addr, int port, int ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s = socket_in(p->ns, SOCK_STREAM | SOCK_NONBLOCK, p->addr, 0), err = -1;
	struct pollfd pfd = { .fd = s, .events = POLLOUT };
	socklen_t len = sizeof(err);

	ck_assert_int_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	ck_assert(connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EINPROGRESS);
	if (poll(&pfd, 1, ms) == 1)
		ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	close(s);
	return err == 0;
}

/* The first datagram on s within ms, with its source; "" when none came. */
static void datagram(int s, int ms, char *buf, size_t len, char *from)
{
	struct sockaddr_in sa;
	socklen_t sa_len = sizeof(sa);
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	ssize_t n;

	buf[0] = from[0] = '\0';
	if (poll(&pfd, 1, ms) != 1)
		return;
	n = recvfrom(s, buf, len - 1, 0, (struct sockaddr *)&sa, &sa_len);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	inet_ntop(AF_INET, &sa.sin_addr, from, INET_ADDRSTRLEN);
}

static bool log_has(const char *id, const char *what)
{
	char *log = vf_workload_log(id);
	bool found = log && strstr(log, what);

	free(log);
	return found;
}

static bool wait_log(const char *id, const char *what, double seconds)
{
	for (double end = now_s() + seconds; now_s() < end; usleep(50 * 1000))
		if (log_has(id, what))
			return true;
	return log_has(id, what);
}

static void delete_ok(const char *id)
{
	int status;
	struct json_object *o = vf_wl_cmd(&status, "delete", id);

	ck_assert_msg(status == 0, "delete %s: %s", id, vf_jstr(o, "error"));
	json_object_put(o);
}

/*
 * The block producer: created as the file has it, then again with this
 * suite as its VMM, which answers on its node port and sends a datagram to
 * its relay and to a stranger.
 */
START_TEST(test_block_producer)
{
	char id[64], run_id[80], command[PATH_MAX + 512], what[128], got[64], from[INET_ADDRSTRLEN],
		tap[IF_NAMESIZE], *log;
	struct json_object *spec = load_example("cardano-block-producer.json", id, sizeof(id)),
			   *cmd;
	const char *bp = test_addr("192.0.2.10");
	int relay_udp, stranger_udp, status;
	uint64_t inbound;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	make_jail_files(spec, NULL);
	create_ok(spec);
	assert_bp_rules(id);
	delete_ok(id);

	/*
	 * the same spec, its QEMU played by this suite, without its volume: its
	 * start would need device-mapper (check_vigild_volume starts workloads
	 * with volumes where the kernel has it)
	 */
	snprintf(run_id, sizeof(run_id), "%s-run", id);
	json_object_object_add(spec, "id", json_object_new_string(run_id));
	ck_assert(json_object_object_get_ex(spec, "volume", NULL));
	json_object_object_del(spec, "volume");
	snprintf(command, sizeof(command),
		 "[\"%s\",\"--server\",\"{tap_fd}\",\"%s\",\"%s\",\"%s\",\"%d\",\"60000\",\"%s\","
		 "\"%s\"]",
		 vf_self(), vf_jstr(get(spec, "network"), "mac"), bp, test_addr("192.0.2.9"),
		 NODE_PORT, relay.addr, stranger.addr);
	cmd = parse_json(command);
	ck_assert_ptr_nonnull(cmd);
	json_object_object_add(spec, "command", cmd);
	json_object_array_add(get(get(spec, "jail"), "ro_paths"),
			      json_object_new_string(vf_self()));
	create_ok(spec);
	assert_bp_rules(run_id);
	vigil_tap_name(run_id, tap);
	ck_assert_int_eq(sh("sysctl -qw net.ipv4.conf.%s.forwarding=1", tap), 0);

	relay_udp = socket_in(relay.ns, SOCK_DGRAM, relay.addr, NODE_PORT);
	stranger_udp = socket_in(stranger.ns, SOCK_DGRAM, stranger.addr, NODE_PORT);
	json_object_put(vf_wl_cmd(&status, "start", run_id));
	ck_assert_int_eq(status, 0);
	snprintf(what, sizeof(what), "sent to %s", stranger.addr);
	ck_assert_msg(wait_log(run_id, what, 10), "the VMM did not send: %s",
		      vf_workload_log(run_id));

	/* out: to its relay, and nowhere else, counted as egress */
	datagram(relay_udp, 2000, got, sizeof(got), from);
	ck_assert_str_eq(got, "egress");
	ck_assert_str_eq(from, bp);
	datagram(stranger_udp, 500, got, sizeof(got), from);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(drops(run_id, "egress"), 1);

	/* in: the relay reaches its node port; the stranger does not, counted as inbound */
	ck_assert(tcp_reaches(&relay, bp, NODE_PORT, 2000));
	snprintf(what, sizeof(what), "tcp syn from %s:", relay.addr);
	ck_assert_msg(wait_log(run_id, what, 2), "%s", vf_workload_log(run_id));
	inbound = drops(run_id, "inbound");
	ck_assert(!tcp_reaches(&stranger, bp, NODE_PORT, 500));
	ck_assert_uint_eq(drops(run_id, "inbound"), inbound + 1);
	snprintf(what, sizeof(what), "tcp syn from %s:", stranger.addr);
	ck_assert(!log_has(run_id, what));
	/* the relay's connection, its replies included, cost no egress drop */
	ck_assert_uint_eq(drops(run_id, "egress"), 1);
	log = vf_workload_log(run_id);
	printf("examples: block producer's VMM said:\n%s", log);
	free(log);
	close(relay_udp);
	close(stranger_udp);
	delete_ok(run_id);
	json_object_put(spec);
}
END_TEST

/* The demo VM: the tests' microVM, booted, pinged, stopped. */
START_TEST(test_demo_vm)
{
	char id[64], append[512], out[2048];
	struct json_object *spec = load_example("demo-vm.json", id, sizeof(id)), *cmd, *o, *disk;
	int status;
	double start;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	make_jail_files(spec, guest_dir);
	/* TCG's timer calibration: the host's TSC rate, which the file cannot know */
	cmd = get(spec, "command");
	for (size_t i = 0; i + 1 < json_object_array_length(cmd); i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(cmd, i)), "-append"))
			continue;
		snprintf(append, sizeof(append), "%s tsc_early_khz=%lu",
			 json_object_get_string(json_object_array_get_idx(cmd, i + 1)),
			 host_tsc_khz());
		json_object_set_string(json_object_array_get_idx(cmd, i + 1), append);
	}
	create_ok(spec);
	out_head(out, sizeof(out), "02:00:5e:00:53:01", test_addr("192.0.2.2"), "");
	strcat(out, "accept\n");
	assert_chain(id, "out", out);
	assert_chain(id, "in",
		     "ct state established,related accept\n"
		     "counter name \"P_drop_inbound\" drop\n");
	assert_no_host_services(id);

	o = vf_show(id);
	disk = get(get(spec, "jail"), "rw_paths");
	ck_assert_int_eq(chown(json_object_get_string(json_object_array_get_idx(disk, 0)),
			       (uid_t)vf_jint(get(o, "jail"), "uid"),
			       (gid_t)vf_jint(get(o, "jail"), "uid")),
			 0);
	json_object_put(o);
	start = now_s();
	json_object_put(vf_wl_cmd(&status, "start", id));
	ck_assert_int_eq(status, 0);
	ck_assert_msg(wait_log(id, "vigil-guest: eth0 up", 90), "the demo VM did not come up: %s",
		      vf_workload_log(id));
	printf("examples: demo VM's eth0 up after %.1f s\n", now_s() - start);
	ck_assert_int_eq(sh("ping -c 3 -i 0.2 -W 2 -q %s >/dev/null", test_addr("192.0.2.2")), 0);
	json_object_put(vf_wl_cmd(&status, "stop", id));
	ck_assert_int_eq(status, 0);
	json_object_put(vf_wait_state(id, "stopped", 30));
	json_object_put(spec);
}
END_TEST

/* A namespace `name` at addr, reached through the host's /32 host_addr and a /32 route. */
static void make_peer(struct peer *p, const char *name, const char *addr, const char *host_addr)
{
	snprintf(p->ns, sizeof(p->ns), "vgex-%s-%d", name, getpid());
	snprintf(p->ifname, sizeof(p->ifname), "vx%s-%d", name, getpid());
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	snprintf(p->host_addr, sizeof(p->host_addr), "%s", host_addr);
	if (sh("ip netns add %s && ip -n %s link set lo up", p->ns, p->ns) ||
	    sh("ip link add %s type veth peer name eth0 netns %s", p->ifname, p->ns) ||
	    sh("ip addr add %s/32 dev %s && ip link set %s up && "
	       "sysctl -qw net.ipv4.conf.%s.forwarding=1 && ip route add %s/32 dev %s",
	       p->host_addr, p->ifname, p->ifname, p->ifname, p->addr, p->ifname) ||
	    sh("ip -n %s addr add %s/32 dev eth0 && ip -n %s link set eth0 up && "
	       "ip -n %s route add %s/32 dev eth0 && ip -n %s route add default via %s",
	       p->ns, p->addr, p->ns, p->ns, p->host_addr, p->ns, p->host_addr)) {
		fprintf(stderr, "examples: setting up %s failed\n", p->ns);
		abort();
	}
}

static void remove_peer(struct peer *p)
{
	if (!p->ns[0])
		return;
	sh("ip link del %s 2>/dev/null", p->ifname);
	sh("ip netns del %s 2>/dev/null", p->ns);
}

static void remove_env_with_peers(void)
{
	vf_remove_env();
	remove_peer(&relay);
	remove_peer(&stranger);
}

static void make_env_with_peers(void)
{
	char stranger_addr[INET_ADDRSTRLEN], relay_host[INET_ADDRSTRLEN],
		stranger_host[INET_ADDRSTRLEN];
	int x = getpid() & 0xff;

	vf_make_env();
	snprintf(stranger_addr, sizeof(stranger_addr), "198.19.%d.80", x);
	snprintf(relay_host, sizeof(relay_host), "198.19.%d.81", x);
	snprintf(stranger_host, sizeof(stranger_host), "198.19.%d.82", x);
	/* the relay is the first of the block producer's */
	make_peer(&relay, "r", test_addr("203.0.113.10"), relay_host);
	make_peer(&stranger, "s", stranger_addr, stranger_host);
}

int main(int argc, char **argv)
{
	const char *ex = getenv("VIGIL_EXAMPLES_DIR");
	Suite *s;

	if (argc > 1 && strcmp(argv[1], "--server") == 0) {
		int status = tap_server_main(argc - 1, argv + 1);

		/* no sanitizer's exit-time tracer: the jail's filter kills ptrace */
		fflush(stdout);
		_exit(status);
	}
	vf.suite = "examples";
	vf_require("examples");
	/* every example is a QEMU microVM, and the demo VM boots the tests' own */
	guest_dir = require_microvm("examples");
	snprintf(examples_dir, sizeof(examples_dir), "%s", ex ? ex : "deploy/examples");
	for (size_t i = 0; i < N_ADDRS; i++)
		snprintf(addrs[i].test, sizeof(addrs[i].test), "198.19.%d.%d", getpid() & 0xff,
			 addrs[i].byte);
	s = suite_create("examples");
	vf_add_case(s, "relay", test_relay, vf_make_env, vf_remove_env);
	vf_add_case(s, "block_producer", test_block_producer, make_env_with_peers,
		    remove_env_with_peers);
	vf_add_case(s, "demo_vm", test_demo_vm, vf_make_env, vf_remove_env);
	return run_suite(s);
}
