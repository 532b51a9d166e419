// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's isolation end to end: the real daemon puts each veth workload's
 * rules in place before its link comes up, keeps them in force while it is
 * dead (kill -9), repairs them at start, and removes them with the workload.
 * The traffic is the workload's own, from its namespace to the host side.
 */
#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "testutil.h"
#include "vigild_fixture.h"

static char id[64], ifname[32], pfx[80], host_addr[32], wl_addr[32];

/* A workload whose addresses come from the test's pid (198.19.0.0/16). */
static void names(const char *name, int subnet)
{
	int x = getpid() & 0xff, y = (((getpid() >> 8) & 0x1f) * 8 + subnet * 4) & 0xff;

	vf_id_of(id, sizeof(id), name);
	snprintf(ifname, sizeof(ifname), "vg-%s", id);
	snprintf(pfx, sizeof(pfx), "wl_%s", id);
	for (char *p = pfx; *p; p++)
		*p = *p == '-' ? '_' : *p;
	snprintf(host_addr, sizeof(host_addr), "198.19.%d.%d", x, y + 1);
	snprintf(wl_addr, sizeof(wl_addr), "198.19.%d.%d", x, y + 2);
}

static int create(const char *policy, char *err, size_t len)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1000\"],\"network\":{\"mode\":\"veth\","
		 "\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\"%s}}",
		 id, wl_addr, host_addr, policy);
	return vf_create(text, err, len);
}

static bool chain_listed(const char *chain)
{
	return sh("nft list chain inet vigil %s_%s >/dev/null 2>&1", pfx, chain) == 0;
}

/* `vigil -j net show`: readable without vigild. */
static struct json_object *net_show(void)
{
	struct cmd_result r;
	struct json_object *o;

	ck_assert(run_vigil(&r, "-j", "net", "show", id, NULL) == 0);
	ck_assert_msg(r.status == 0, "net show %s: %s", id, r.out);
	o = parse_json(r.out);
	cmd_result_free(&r);
	ck_assert_ptr_nonnull(o);
	return o;
}

static uint64_t host_drops(void)
{
	struct json_object *o = net_show(), *drops, *host, *packets;
	uint64_t n;

	ck_assert(json_object_object_get_ex(o, "drops", &drops) &&
		  json_object_object_get_ex(drops, "host", &host) &&
		  json_object_object_get_ex(host, "packets", &packets));
	n = (uint64_t)json_object_get_int64(packets);
	json_object_put(o);
	return n;
}

/* Whether a TCP connection from the workload's namespace to a host port completes. */
static bool reaches_host(int port)
{
	return sh("timeout 2 nsenter --net=%s/%s bash -c 'echo > /dev/tcp/%s/%d' 2>/dev/null",
		  vf.netns_dir, id, host_addr, port) == 0;
}

START_TEST(test_rules_live_with_the_workload)
{
	char err[512];
	struct json_object *o, *rules;
	uint64_t before;
	int status;
	pid_t srv, svc;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	names("iso", 0);
	ck_assert_msg(
		create(",\"inbound\":[\"tcp/3001\"],\"host_services\":[\"udp/5353\",\"tcp/7998\"],"
		       "\"egress_mbit\":50,\"max_connections\":100",
		       err, sizeof(err)) == 0,
		"create: %s", err);
	o = net_show();
	ck_assert(json_object_object_get_ex(o, "rules", &rules));
	ck_assert(strstr(json_object_get_string(rules), "tcp dport 3001 accept"));
	ck_assert(strstr(json_object_get_string(rules), "udp dport 5353 accept"));
	ck_assert(strstr(json_object_get_string(rules), "limit rate over 6250000 bytes/second"));
	ck_assert(strstr(json_object_get_string(rules), "ct count over 100"));
	json_object_put(o);

	/* a host port the workload did not declare: dropped and counted */
	srv = tcp_listener(NULL, host_addr, 7999, false);
	ck_assert(!reaches_host(7999));
	/* a declared one: through */
	svc = tcp_listener(NULL, host_addr, 7998, false);
	ck_assert(reaches_host(7998));
	before = host_drops();
	ck_assert_uint_ge(before, 1);

	/* vigild dies: the rules stay in force */
	vf_stop_vigild_hard();
	ck_assert(chain_listed("host"));
	ck_assert(!reaches_host(7999));
	ck_assert_uint_gt(host_drops(), before);

	/* a vandal takes a chain away while nobody owns the table; the start repairs it */
	ck_assert_int_eq(sh("nft delete element inet vigil vigil_to_wl '{ \"%s\" }' && "
			    "nft delete chain inet vigil %s_in",
			    ifname, pfx),
			 0);
	ck_assert(!chain_listed("in"));
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	ck_assert(chain_listed("in"));
	ck_assert(sh("nft list map inet vigil vigil_to_wl | grep -q '\"%s\" : jump %s_in'", ifname,
		     pfx) == 0);
	/* claimed again: nobody else may delete it */
	ck_assert_int_ne(sh("nft delete table inet vigil 2>/dev/null"), 0);
	ck_assert(!reaches_host(7999));

	o = vf_wl_cmd(&status, "delete", id);
	ck_assert_msg(status == 0, "delete: %s", vf_jstr(o, "error"));
	json_object_put(o);
	ck_assert(!chain_listed("out") && !chain_listed("in") && !chain_listed("host"));
	kill_wait(srv);
	kill_wait(svc);
}
END_TEST

START_TEST(test_bad_network_input_changes_nothing)
{
	char err[512], first[64], first_if[32];

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	names("one", 0);
	ck_assert_msg(create(",\"forwards\":[{\"host_port\":18080,\"port\":3001}]", err,
			     sizeof(err)) == 0,
		      "create: %s", err);
	snprintf(first, sizeof(first), "%s", id);
	snprintf(first_if, sizeof(first_if), "%s", ifname);

	/* the same subnet again */
	vf_id_of(id, sizeof(id), "two");
	ck_assert_int_ne(create("", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "overlaps workload") && strstr(err, first), "%s", err);
	/* a port out of range, a limit out of range, a host port taken */
	names("two", 1);
	ck_assert_int_ne(create(",\"inbound\":[\"tcp/70000\"]", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "network.inbound[0]: port must be 1 to 65535"), "%s", err);
	ck_assert_int_ne(create(",\"egress_mbit\":0", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "network.egress_mbit must be between 1 and 100000"), "%s", err);
	ck_assert_int_ne(
		create(",\"forwards\":[{\"host_port\":18080,\"port\":22}]", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "host port tcp/18080") && strstr(err, first), "%s", err);
	/* none of them left an interface, a namespace or a rule */
	ck_assert_uint_eq(if_nametoindex(ifname), 0);
	ck_assert(!chain_listed("out"));
	ck_assert_int_eq(sh("nft list map inet vigil vigil_fwd_tcp | grep -c 18080 | grep -qx 1"),
			 0);
	ck_assert_uint_ne(if_nametoindex(first_if), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vigild_net");

	vf.suite = "vigild-net";
	require_root("vigild_net");
	if (vigil_cgroup2_detect(&vf.cg2) < 0) {
		fprintf(stderr, "vigild_net: skipped: cgroup v2 is not mounted\n");
		return EXIT_SKIP;
	}
	vf_add_case(s, "lifecycle", test_rules_live_with_the_workload, vf_make_env, vf_remove_env);
	vf_add_case(s, "bad_input", test_bad_network_input_changes_nothing, vf_make_env,
		    vf_remove_env);
	return run_suite(s);
}
