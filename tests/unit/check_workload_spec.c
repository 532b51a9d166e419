// SPDX-License-Identifier: GPL-2.0-or-later
/* Workload spec: every validation rule, and the error message it gives. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "workload_spec.h"

#define BASE "\"owner\":\"alice\",\"vcpus\":2,\"memory_mib\":512,\"command\":[\"sleep\",\"9\"]"

static void expect_error(const char *text, const char *msg)
{
	struct vigil_workload_spec s;
	char err[512] = "";

	ck_assert_int_lt(vigil_workload_spec_parse(text, &s, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, msg), "for %s: expected \"%s\" in \"%s\"", text, msg, err);
}

START_TEST(test_valid_minimal)
{
	struct vigil_workload_spec s;
	char err[256] = "";

	ck_assert_int_eq(
		vigil_workload_spec_parse("{\"id\":\"relay-1\"," BASE "}", &s, err, sizeof(err)),
		0);
	ck_assert_str_eq(s.id, "relay-1");
	ck_assert_str_eq(s.owner, "alice");
	ck_assert_uint_eq(s.vcpus, 2);
	ck_assert_uint_eq(s.memory_mib, 512);
	ck_assert_uint_eq(s.argc, 2);
	ck_assert_str_eq(s.argv[1], "9");
	ck_assert_ptr_null(s.argv[2]);
	ck_assert_int_eq(s.net_mode, VIGIL_NET_NONE);
	vigil_workload_spec_free(&s);
}
END_TEST

START_TEST(test_valid_veth_and_round_trip)
{
	const char *text = "{\"id\":\"a\"," BASE ",\"network\":{\"mode\":\"veth\",\"ipv4\":"
			   "\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.1/30\"},"
			   "\"volume\":{\"size_mib\":100}}";
	struct vigil_workload_spec s, t;
	struct json_object *o;
	char err[256] = "";

	ck_assert_int_eq(vigil_workload_spec_parse(text, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.net_mode, VIGIL_NET_VETH);
	ck_assert_str_eq(s.ipv4, "198.18.0.2/30");
	ck_assert_str_eq(s.host_ipv4, "198.18.0.1/30");
	ck_assert_str_eq(s.ipv6, "");
	ck_assert_str_eq(s.host_ipv6, "");
	ck_assert_uint_eq(s.volume_size_mib, 100);
	o = vigil_workload_spec_to_json(&s);
	/* no IPv6: none in the record either, as in records made before it */
	ck_assert(!json_object_object_get_ex(json_object_object_get(o, "network"), "ipv6", NULL));
	ck_assert_int_eq(vigil_workload_spec_from_json(o, &t, err, sizeof(err)), 0);
	ck_assert_str_eq(t.id, s.id);
	ck_assert_str_eq(t.ipv4, s.ipv4);
	ck_assert_str_eq(t.ipv6, "");
	ck_assert_uint_eq(t.argc, s.argc);
	ck_assert_uint_eq(t.volume_size_mib, 100);
	json_object_put(o);
	vigil_workload_spec_free(&s);
	vigil_workload_spec_free(&t);
}
END_TEST

START_TEST(test_id_rules)
{
	ck_assert(vigil_workload_id_valid("a"));
	ck_assert(vigil_workload_id_valid("0-relay-x"));
	ck_assert(vigil_workload_id_valid("abcdefghijklmnopqrstuvwxyz012345"));
	ck_assert(!vigil_workload_id_valid(""));
	ck_assert(!vigil_workload_id_valid("-a"));
	ck_assert(!vigil_workload_id_valid("Relay"));
	ck_assert(!vigil_workload_id_valid("a_b"));
	ck_assert(!vigil_workload_id_valid("a/b"));
	ck_assert(!vigil_workload_id_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	expect_error("{\"id\":\"Bad\"," BASE "}",
		     "invalid id \"Bad\": must match [a-z0-9][a-z0-9-]{0,31}");
	expect_error("{" BASE "}", "workload spec: id is required");
	expect_error("{\"id\":5," BASE "}", "id must be a string");
}
END_TEST

START_TEST(test_malformed_json_says_where)
{
	expect_error("{\"id\":\"a\",\n \"owner\": }", "malformed JSON at line 2, column 11");
	expect_error("{\"id\":\"a\"} x", "malformed JSON");
	expect_error("{\"id\":", "unexpected end of data");
	expect_error("[1]", "must be a JSON object");
}
END_TEST

START_TEST(test_unknown_fields_named)
{
	expect_error("{\"id\":\"a\"," BASE ",\"colour\":1}",
		     "workload \"a\": unknown field \"colour\"");
	expect_error("{\"id\":\"a\"," BASE ",\"network\":{\"mode\":\"veth\",\"mtu\":1}}",
		     "unknown field \"network.mtu\"");
	expect_error("{\"id\":\"a\"," BASE ",\"volume\":{\"size_mib\":1,\"fs\":1}}",
		     "unknown field \"volume.fs\"");
}
END_TEST

START_TEST(test_owner)
{
	char text[512];

	expect_error("{\"id\":\"a\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"]}",
		     "workload \"a\": owner is required");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"]}",
		"owner must be 1 to 64 characters");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"a\\nb\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"]}",
		"owner must be printable");
	snprintf(
		text, sizeof(text),
		"{\"id\":\"a\",\"owner\":\"%065d\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"]}",
		0);
	expect_error(text, "owner must be 1 to 64 characters");
}
END_TEST

START_TEST(test_ranges)
{
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":0,\"memory_mib\":64,\"command\":[\"x\"]}",
		"workload \"a\": vcpus must be between 1 and 1024");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1025,\"memory_mib\":64,\"command\":[\"x\"]}",
		"vcpus must be between 1 and 1024");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":\"2\",\"memory_mib\":64,\"command\":[\"x\"]}",
		"vcpus must be between 1 and 1024");
	expect_error(
		"{\"id\":\"relay-1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":63,\"command\":[\"x\"]}",
		"workload \"relay-1\": memory_mib must be between 64 and 1048576");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":1048577,\"command\":[\"x\"]}",
		"memory_mib must be between 64 and 1048576");
	expect_error("{\"id\":\"a\",\"owner\":\"o\",\"memory_mib\":64,\"command\":[\"x\"]}",
		     "vcpus is required");
}
END_TEST

START_TEST(test_command)
{
	struct vigil_workload_spec s;
	char err[256], *text;
	size_t len = 0;
	FILE *f;

	expect_error("{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64}",
		     "command is required");
	expect_error("{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[]}",
		     "command must have 1 to 256 arguments");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":\"ls\"}",
		"command must be an array of strings");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"ls\",\"\"]}",
		"command[1] must be a non-empty string");
	expect_error(
		"{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"ls\",3]}",
		"command[1] must be a non-empty string");
	f = open_memstream(&text, &len);
	fputs("{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"", f);
	for (int i = 0; i < 256; i++)
		fputs(",\"y\"", f);
	fputs("]}", f);
	fclose(f);
	ck_assert_int_lt(vigil_workload_spec_parse(text, &s, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "1 to 256 arguments"));
	free(text);
}
END_TEST

START_TEST(test_network_rules)
{
#define NET(x) "{\"id\":\"a\"," BASE ",\"network\":" x "}"
	struct vigil_workload_spec s;
	char err[256], mac[VIGIL_MAC_SIZE];

	expect_error(NET("{\"mode\":\"bridge\"}"), "network.mode must be \"veth\" or \"tap\"");
	expect_error(NET("{}"), "network.mode must be");
	expect_error(NET("[]"), "network must be an object");
	expect_error(NET("{\"mode\":\"veth\",\"host_ipv4\":\"198.18.0.1/30\"}"),
		     "network.ipv4 is required in veth mode");
	expect_error(
		NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2\",\"host_ipv4\":\"198.18.0.1/30\"}"),
		"network.ipv4 must be an IPv4 address with a prefix length");
	expect_error(
		NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.300/30\",\"host_ipv4\":\"198.18.0.1/30\"}"),
		"network.ipv4 must be an IPv4 address");
	expect_error(
		NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.5/30\"}"),
		"must be in the same subnet");
	expect_error(
		NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.2/30\"}"),
		"must differ");
	expect_error(
		NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.3/30\",\"host_ipv4\":\"198.18.0.1/30\"}"),
		"network or broadcast");
	/* the VMM's fields are tap's alone */
	expect_error(NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":"
			 "\"198.18.0.1/30\",\"vmm_uid\":1}"),
		     "workload \"a\": network.vmm_uid applies to tap mode only");
	expect_error(NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":"
			 "\"198.18.0.1/30\",\"mac\":\"02:00:00:00:00:01\"}"),
		     "network.mac applies to tap mode only");
	/* a veth workload's own end has the MAC derived from its id */
	ck_assert_int_eq(
		vigil_workload_spec_parse(NET("{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\","
					      "\"host_ipv4\":\"198.18.0.1/30\"}"),
					  &s, err, sizeof(err)),
		0);
	vigil_workload_mac("a", mac);
	ck_assert_str_eq(s.mac, mac);
	vigil_workload_spec_free(&s);
#undef NET
}
END_TEST

/* One entry over each list's limit: refused with the limit named, and nothing freed twice. */
START_TEST(test_network_list_limits)
{
	static const char *const lists[] = { "inbound", "inbound_from", "egress_to",
					     "host_services", "forwards" };
	char spec[8192], entries[4096];
	size_t used = 0;

	for (int i = 0; i <= VIGIL_NFT_MAX_PORTS; i++)
		used += (size_t)snprintf(entries + used, sizeof(entries) - used, "%s\"x\"",
					 i ? "," : "");
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		char msg[128];

		snprintf(spec, sizeof(spec),
			 "{\"id\":\"a\"," BASE ",\"network\":{\"mode\":\"veth\","
			 "\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.1/30\","
			 "\"%s\":[%s]}}",
			 lists[l], entries);
		snprintf(msg, sizeof(msg), "network.%s has %d entries, at most %d", lists[l],
			 VIGIL_NFT_MAX_PORTS + 1, VIGIL_NFT_MAX_PORTS);
		expect_error(spec, msg);
	}
}
END_TEST

#define EGRESS(x)                                                                              \
	"{\"id\":\"bp-1\"," BASE ",\"network\":{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\"," \
	"\"host_ipv4\":\"198.18.0.1/30\",\"egress_to\":" x "}}"

/* egress_to: prefixes of either family, kept through the record, bad ones named. */
START_TEST(test_egress_to)
{
	struct vigil_workload_spec s, t;
	struct vigil_workload_addrs addrs;
	struct vigil_nft_workload w;
	struct json_object *o;
	char err[256] = "";

	ck_assert_msg(vigil_workload_spec_parse(EGRESS("[\"198.18.7.1/32\",\"2001:db8::/32\"]"), &s,
						err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(s.policy.n_egress_to, 2);
	ck_assert_str_eq(s.policy.egress_to[0], "198.18.7.1/32");
	vigil_workload_spec_nft(&s, "vg-bp-1", &addrs, &w);
	ck_assert_uint_eq(w.n_egress_to, 2);
	ck_assert_str_eq(w.egress_to[1], "2001:db8::/32");
	o = vigil_workload_spec_to_json(&s);
	ck_assert_msg(vigil_workload_spec_from_json(o, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(t.policy.n_egress_to, 2);
	ck_assert_str_eq(t.policy.egress_to[0], "198.18.7.1/32");
	ck_assert_str_eq(t.policy.egress_to[1], "2001:db8::/32");
	json_object_put(o);
	vigil_workload_spec_free(&t);
	vigil_workload_spec_free(&s);
	/* left out: no limit, and none in the record */
	ck_assert_int_eq(vigil_workload_spec_parse("{\"id\":\"a\"," BASE "}", &s, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(s.policy.n_egress_to, 0);
	vigil_workload_spec_free(&s);

	expect_error(EGRESS("[]"), "workload \"bp-1\": network.egress_to is empty: list the "
				   "prefixes new flows may go to, or leave it out for any "
				   "destination");
	expect_error(EGRESS("\"198.18.7.1/32\""), "network.egress_to must be an array");
	expect_error(EGRESS("[7]"), "workload \"bp-1\": network.egress_to[0] must be a string");
	expect_error(EGRESS("[\"198.18.7.1/24\"]"),
		     "workload \"bp-1\": egress_to \"198.18.7.1/24\": not an IPv4 or IPv6 prefix "
		     "(host bits zero)");
	expect_error(EGRESS("[\"relay.example\"]"), "egress_to \"relay.example\": not an IPv4");
}
END_TEST

/* The derived MAC: fixed per id, locally administered unicast, different per id. */
START_TEST(test_workload_mac)
{
	char a[VIGIL_MAC_SIZE], b[VIGIL_MAC_SIZE], again[VIGIL_MAC_SIZE];
	unsigned int first;

	vigil_workload_mac("relay-1", a);
	vigil_workload_mac("relay-2", b);
	vigil_workload_mac("relay-1", again);
	ck_assert_str_eq(a, again);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), 17);
	ck_assert_int_eq(sscanf(a, "%2x:", &first), 1);
	ck_assert_uint_eq(first, 0x02);
	/* the scheme is in effect persisted (the rules check it): it must not change */
	vigil_workload_mac("a", a);
	ck_assert_str_eq(a, "02:4c:86:01:ec:8c");
}
END_TEST

/* an unjailed VMM's tap: vmm_uid is its own */
#define TAP(x)                                                                                \
	"{\"id\":\"vm-1\"," BASE ",\"network\":{\"mode\":\"tap\",\"ipv4\":\"198.18.0.2/30\"," \
	"\"host_ipv4\":\"198.18.0.1/30\"" x "},\"jail\":{\"enabled\":false}}"
/* a jailed VMM's, with `cmd` as its command */
#define JAILED_TAP(cmd, x)                                                                \
	"{\"id\":\"vm-1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":" cmd \
	",\"network\":{\"mode\":\"tap\",\"ipv4\":\"198.18.0.2/30\","                      \
	"\"host_ipv4\":\"198.18.0.1/30\"" x "}}"

START_TEST(test_valid_tap_and_round_trip)
{
	const char *text =
		TAP(",\"vmm_uid\":1001,\"vmm_gid\":1002,\"mac\":\"02:AB:cd:00:00:01\","
		    "\"inbound\":[3001],\"host_services\":[\"udp/53\"],\"egress_mbit\":10");
	struct vigil_workload_spec s, t;
	struct vigil_nft_workload w;
	struct vigil_workload_addrs addrs;
	char err[256] = "";
	struct json_object *o;

	ck_assert_msg(vigil_workload_spec_parse(text, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.net_mode, VIGIL_NET_TAP);
	ck_assert_str_eq(s.ipv4, "198.18.0.2/30");
	ck_assert_str_eq(s.host_ipv4, "198.18.0.1/30");
	ck_assert_uint_eq(s.vmm_uid, 1001);
	ck_assert_uint_eq(s.vmm_gid, 1002);
	ck_assert_str_eq(s.mac, "02:ab:cd:00:00:01");
	ck_assert_uint_eq(s.policy.n_inbound, 1);
	ck_assert_uint_eq(s.policy.egress_mbit, 10);
	vigil_workload_spec_nft(&s, "vt-vm-1", &addrs, &w);
	ck_assert_str_eq(w.ipv4, "198.18.0.2");
	ck_assert_str_eq(w.mac, "02:ab:cd:00:00:01");
	ck_assert_uint_eq(w.n_host_services, 1);

	o = vigil_workload_spec_to_json(&s);
	ck_assert_msg(vigil_workload_spec_from_json(o, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(t.net_mode, VIGIL_NET_TAP);
	ck_assert_str_eq(t.ipv4, s.ipv4);
	ck_assert_str_eq(t.host_ipv4, s.host_ipv4);
	ck_assert_uint_eq(t.vmm_uid, 1001);
	ck_assert_uint_eq(t.vmm_gid, 1002);
	ck_assert_str_eq(t.mac, s.mac);
	ck_assert_uint_eq(t.policy.n_inbound, 1);
	ck_assert_uint_eq(t.policy.n_host_services, 1);
	ck_assert_uint_eq(t.policy.egress_mbit, 10);
	json_object_put(o);
	vigil_workload_spec_free(&t);
	vigil_workload_spec_free(&s);

	/* vmm_gid defaults to vmm_uid; no mac: not checked */
	ck_assert_int_eq(vigil_workload_spec_parse(TAP(",\"vmm_uid\":0"), &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.vmm_uid, 0);
	ck_assert_uint_eq(s.vmm_gid, 0);
	ck_assert_str_eq(s.mac, "");
	vigil_workload_spec_nft(&s, "vt-vm-1", &addrs, &w);
	ck_assert_ptr_null(w.mac);
	o = vigil_workload_spec_to_json(&s);
	ck_assert_ptr_null(json_object_object_get(json_object_object_get(o, "network"), "mac"));
	json_object_put(o);
	vigil_workload_spec_free(&s);
	ck_assert_int_eq(
		vigil_workload_spec_parse(TAP(",\"vmm_uid\":2147483647"), &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.vmm_gid, 2147483647u);
	vigil_workload_spec_free(&s);
}
END_TEST

START_TEST(test_tap_rules)
{
	/* the addresses, as in veth mode */
	expect_error("{\"id\":\"vm-1\"," BASE ",\"network\":{\"mode\":\"tap\",\"vmm_uid\":1}}",
		     "workload \"vm-1\": network.ipv4 is required in tap mode");
	expect_error("{\"id\":\"vm-1\"," BASE ",\"network\":{\"mode\":\"tap\",\"vmm_uid\":1,"
		     "\"ipv4\":\"198.18.0.2/30\"}}",
		     "network.host_ipv4 is required in tap mode");
	expect_error("{\"id\":\"vm-1\"," BASE ",\"network\":{\"mode\":\"tap\",\"vmm_uid\":1,"
		     "\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.5/30\"}}",
		     "must be in the same subnet");
	expect_error("{\"id\":\"vm-1\"," BASE ",\"network\":{\"mode\":\"tap\",\"vmm_uid\":1,"
		     "\"ipv4\":\"198.18.0.2/31\",\"host_ipv4\":\"198.18.0.3/31\"}}",
		     "network.ipv4 must be an IPv4 address with a prefix length");
	/* the VMM's user */
	expect_error(TAP(""), "workload \"vm-1\": network.vmm_uid is required");
	expect_error(TAP(",\"vmm_uid\":-1"),
		     "workload \"vm-1\": network.vmm_uid must be between 0 and 2147483647");
	expect_error(TAP(",\"vmm_uid\":2147483648"), "network.vmm_uid must be between 0 and");
	expect_error(TAP(",\"vmm_uid\":\"1000\""), "network.vmm_uid must be between 0 and");
	expect_error(TAP(",\"vmm_uid\":1.5"), "network.vmm_uid must be between 0 and");
	expect_error(TAP(",\"vmm_uid\":1,\"vmm_gid\":-5"),
		     "network.vmm_gid must be between 0 and 2147483647");
	expect_error(TAP(",\"vmm_uid\":1,\"vmm_gid\":null"), "network.vmm_gid must be between");
	/* the guest's MAC */
	static const char *const bad_macs[] = {
		"\"02:00:00:00:00\"",
		"\"02:00:00:00:00:01:02\"",
		"\"02-00-00-00-00-01\"",
		"\"02:00:00:00:00:0g\"",
		"\"2:0:0:0:0:1\"",
		"\"02:00:00:00:00:1 \"",
		"\" 2:00:00:00:00:01\"",
		"\"02:+1:00:00:00:01\"",
		"\"\"",
		"2",
	};
	char text[512];

	for (size_t i = 0; i < sizeof(bad_macs) / sizeof(*bad_macs); i++) {
		snprintf(text, sizeof(text), TAP(",\"vmm_uid\":1,\"mac\":%s"), bad_macs[i]);
		expect_error(text, "workload \"vm-1\": network.mac must be a MAC address");
	}
	expect_error(TAP(",\"vmm_uid\":1,\"mac\":\"01:00:5e:00:00:01\""),
		     "network.mac must be a unicast address");
	expect_error(TAP(",\"vmm_uid\":1,\"mac\":\"ff:ff:ff:ff:ff:ff\""),
		     "network.mac must be a unicast address");
	expect_error(TAP(",\"vmm_uid\":1,\"mac\":\"00:00:00:00:00:00\""),
		     "network.mac must be a unicast address");
	/* the isolation fields apply as in veth mode */
	expect_error(TAP(",\"vmm_uid\":1,\"inbound\":[\"tcp/0\"]"),
		     "network.inbound[0]: port must be 1 to 65535");
	expect_error(TAP(",\"vmm_uid\":1,\"egress_mbit\":0"),
		     "network.egress_mbit must be between 1 and 100000");
	expect_error(TAP(",\"vmm_uid\":1,\"bridge\":\"br0\""), "unknown field \"network.bridge\"");
}
END_TEST

#define NET6(x)                                                                                   \
	"{\"id\":\"relay-1\"," BASE ",\"network\":{\"mode\":\"veth\",\"ipv4\":\"198.18.0.2/30\"," \
	"\"host_ipv4\":\"198.18.0.1/30\"" x "}}"

/* IPv6 beside IPv4: kept in canonical form, handed to the rules without its prefix length. */
static void parse_ok(const char *text, struct vigil_workload_spec *ret)
{
	char err[512] = "";

	ck_assert_msg(vigil_workload_spec_parse(text, ret, err, sizeof(err)) == 0, "%s: %s", text,
		      err);
}

START_TEST(test_valid_ipv6_and_round_trip)
{
	struct vigil_workload_spec s, t;
	struct vigil_workload_addrs addrs;
	struct vigil_nft_workload w;
	struct json_object *o, *net;
	char err[256] = "";

	parse_ok(NET6(",\"ipv6\":\"2001:2:0:1:0::2/64\",\"host_ipv6\":\"2001:2:0:1::1/64\""), &s);
	ck_assert_str_eq(s.ipv6, "2001:2:0:1::2/64");
	ck_assert_str_eq(s.host_ipv6, "2001:2:0:1::1/64");
	vigil_workload_spec_nft(&s, "vg-relay-1", &addrs, &w);
	ck_assert_str_eq(w.ipv4, "198.18.0.2");
	ck_assert_str_eq(w.ipv6, "2001:2:0:1::2");
	o = vigil_workload_spec_to_json(&s);
	net = json_object_object_get(o, "network");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(net, "ipv6")), s.ipv6);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(net, "host_ipv6")),
			 s.host_ipv6);
	ck_assert_msg(vigil_workload_spec_from_json(o, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(t.ipv6, s.ipv6);
	ck_assert_str_eq(t.host_ipv6, s.host_ipv6);
	json_object_put(o);
	vigil_workload_spec_free(&t);
	vigil_workload_spec_free(&s);

	/* without IPv6 the rules get none: the workload may send no IPv6 */
	parse_ok(NET6(""), &s);
	vigil_workload_spec_nft(&s, "vg-relay-1", &addrs, &w);
	ck_assert_ptr_null(w.ipv6);
	vigil_workload_spec_free(&s);

	/* a /127 has no Subnet-Router anycast address: both of its addresses will do */
	parse_ok(NET6(",\"ipv6\":\"2001:2::/127\",\"host_ipv6\":\"2001:2::1/127\""), &s);
	ck_assert_str_eq(s.ipv6, "2001:2::/127");
	vigil_workload_spec_free(&s);

	/* tap mode: the host side's, and the one the guest configures */
	parse_ok(TAP(",\"vmm_uid\":1,\"ipv6\":\"2001:2:0:9::2/126\","
		     "\"host_ipv6\":\"2001:2:0:9::1/126\""),
		 &s);
	ck_assert_str_eq(s.host_ipv6, "2001:2:0:9::1/126");
	vigil_workload_spec_free(&s);
}
END_TEST

static void expect_ipv6_error(const char *ipv6, const char *host_ipv6, const char *msg)
{
	char text[1024];

	snprintf(text, sizeof(text), NET6(",\"ipv6\":%s,\"host_ipv6\":%s"), ipv6, host_ipv6);
	expect_error(text, msg);
}

START_TEST(test_ipv6_rules)
{
	static const char *const bad[] = {
		"\"2001:2::2\"",
		"\"2001:2::2/63\"",
		"\"2001:2::2/128\"",
		"\"2001:2::2/\"",
		"\"2001:2::2/64 \"",
		"\"2001:2::g/64\"",
		"\"198.18.0.6/30\"",
		"\"2001:2::2/+64\"",
		"64",
		"\"2001:2::2/0x40\"",
		"null",
	};

	/* both or neither */
	expect_error(NET6(",\"ipv6\":\"2001:2::2/64\""),
		     "workload \"relay-1\": network.host_ipv6 is required with network.ipv6");
	expect_error(NET6(",\"host_ipv6\":\"2001:2::1/64\""),
		     "workload \"relay-1\": network.ipv6 is required with network.host_ipv6");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		expect_ipv6_error(
			bad[i], "\"2001:2::1/64\"",
			"workload \"relay-1\": network.ipv6 must be an IPv6 address with a "
			"prefix length of 64 to 127, e.g. \"2001:db8:0:1::2/64\"");
		expect_ipv6_error("\"2001:2::2/64\"", bad[i],
				  "network.host_ipv6 must be an IPv6 address with a prefix length");
	}
	/* an IPv6 address where IPv4 belongs */
	expect_error("{\"id\":\"a\"," BASE ",\"network\":{\"mode\":\"veth\",\"ipv4\":"
		     "\"2001:2::2/64\",\"host_ipv4\":\"198.18.0.1/30\"}}",
		     "network.ipv4 must be an IPv4 address with a prefix length of 1 to 30");
	/* one routed subnet, two addresses in it */
	expect_ipv6_error("\"2001:2:0:1::2/64\"", "\"2001:2:0:2::1/64\"",
			  "network.ipv6 and network.host_ipv6 must be in the same subnet");
	expect_ipv6_error("\"2001:2::2/64\"", "\"2001:2::1/65\"",
			  "network.ipv6 and network.host_ipv6 must be in the same subnet");
	expect_ipv6_error("\"2001:2::2/64\"", "\"2001:2:0:0:0::2/64\"",
			  "network.ipv6 and network.host_ipv6 must differ");
	/* no address an interface could own as a unicast one */
	expect_ipv6_error("\"ff02::2/64\"", "\"ff02::1/64\"",
			  "network.ipv6 must be a unicast address: not multicast, link-local, "
			  "loopback, unspecified or IPv4-mapped");
	expect_ipv6_error("\"fe80::2/64\"", "\"fe80::1/64\"", "network.ipv6 must be a unicast");
	expect_ipv6_error("\"::ffff:198.18.0.2/120\"", "\"::ffff:198.18.0.1/120\"",
			  "network.ipv6 must be a unicast");
	expect_ipv6_error("\"::/64\"", "\"::2/64\"", "network.ipv6 must be a unicast");
	expect_ipv6_error("\"::2/64\"", "\"::1/64\"", "network.host_ipv6 must be a unicast");
	/* the subnet's Subnet-Router anycast address */
	expect_ipv6_error("\"2001:2::2/64\"", "\"2001:2::/64\"",
			  "must not be the subnet's Subnet-Router anycast address");
	expect_ipv6_error("\"2001:2::/126\"", "\"2001:2::1/126\"",
			  "must not be the subnet's Subnet-Router anycast address");
}
END_TEST

START_TEST(test_volume_rules)
{
	expect_error("{\"id\":\"a\"," BASE ",\"volume\":{}}",
		     "volume.size_mib must be between 1 and");
	expect_error("{\"id\":\"a\"," BASE ",\"volume\":{\"size_mib\":0}}",
		     "volume.size_mib must be between 1 and");
	expect_error("{\"id\":\"a\"," BASE ",\"volume\":7}", "volume must be an object");
	expect_error("{\"id\":\"a\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		     "\"command\":[\"vm\",\"--disk=path={volume}\"]}",
		     "workload \"a\": command[1]: \"{volume}\" needs a volume (volume.size_mib)");
}
END_TEST

START_TEST(test_volume_placeholder)
{
	const char *text = "{\"id\":\"v1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
			   "\"command\":[\"vm\",\"--disk=path={volume}\"],"
			   "\"volume\":{\"size_mib\":1024}}";
	struct vigil_workload_spec s;
	char err[256], **argv;

	ck_assert_int_eq(vigil_workload_spec_parse(text, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_workload_spec_argv(&s, &argv), 0);
	ck_assert_str_eq(argv[1], "--disk=path=/dev/mapper/vigil-v1");
	ck_assert_uint_eq(s.volume_size_mib, 1024);
	vigil_argv_free(argv);
	vigil_workload_spec_free(&s);
}
END_TEST

START_TEST(test_id_placeholder)
{
	const char *text = "{\"id\":\"r1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
			   "\"command\":[\"run\",\"--name={id}\",\"{id}{id}\",\"{i\"]}";
	struct vigil_workload_spec s;
	char err[256], **argv;

	ck_assert_int_eq(vigil_workload_spec_parse(text, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_workload_spec_argv(&s, &argv), 0);
	ck_assert_str_eq(argv[0], "run");
	ck_assert_str_eq(argv[1], "--name=r1");
	ck_assert_str_eq(argv[2], "r1r1");
	ck_assert_str_eq(argv[3], "{i");
	ck_assert_ptr_null(argv[4]);
	/* the spec keeps the placeholders */
	ck_assert_str_eq(s.argv[1], "--name={id}");
	vigil_argv_free(argv);
	vigil_workload_spec_free(&s);
}
END_TEST

START_TEST(test_tap_placeholder)
{
	const char *text = "{\"id\":\"relay-cardano-mainnet-01\"," BASE
			   ",\"command\":[\"vmm\",\"--tap={tap}\",\"{tap}:{id}\",\"{tap\"],"
			   "\"network\":{\"mode\":\"tap\",\"ipv4\":\"198.18.0.2/30\","
			   "\"host_ipv4\":\"198.18.0.1/30\",\"vmm_uid\":1000},"
			   "\"jail\":{\"enabled\":false}}";
	struct vigil_workload_spec s;
	char err[256] = "", **argv;

	/* BASE has a command too: json-c keeps the last */
	ck_assert_msg(vigil_workload_spec_parse(text, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(vigil_workload_spec_argv(&s, &argv), 0);
	ck_assert_str_eq(argv[1], "--tap=vt-relay-c0b550");
	ck_assert_str_eq(argv[2], "vt-relay-c0b550:relay-cardano-mainnet-01");
	ck_assert_str_eq(argv[3], "{tap");
	ck_assert_ptr_null(argv[4]);
	vigil_argv_free(argv);
	vigil_workload_spec_free(&s);

	/* a jailed VMM is handed its tap as descriptor 3, and cannot name it */
	ck_assert_msg(vigil_workload_spec_parse(JAILED_TAP("[\"qemu\",\"tap,fd={tap_fd}\"]", ""),
						&s, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert(s.jail.enabled);
	ck_assert_int_eq(s.jail.seccomp, VIGIL_SECCOMP_QEMU);
	ck_assert_int_eq(vigil_workload_spec_argv(&s, &argv), 0);
	ck_assert_str_eq(argv[1], "tap,fd=3");
	vigil_argv_free(argv);
	vigil_workload_spec_free(&s);
	expect_error(JAILED_TAP("[\"qemu\",\"ifname={tap}\"]", ""),
		     "workload \"vm-1\": command[1]: \"{tap}\" names a tap the jailed VMM cannot "
		     "see (it has a network namespace of its own): use \"{tap_fd}\"");
	expect_error(JAILED_TAP("[\"qemu\"]", ",\"vmm_uid\":1000"),
		     "workload \"vm-1\": network.vmm_uid applies to an unjailed VMM");
	expect_error("{\"id\":\"p1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		     "\"command\":[\"vmm\",\"fd={tap_fd}\"]}",
		     "workload \"p1\": command[1]: \"{tap_fd}\" needs network.mode \"tap\"");

	/* no tap to name */
	expect_error("{\"id\":\"p1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		     "\"command\":[\"vmm\",\"--tap\",\"{tap}\"]}",
		     "workload \"p1\": command[2]: \"{tap}\" needs network.mode \"tap\"");
	expect_error("{\"id\":\"p1\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		     "\"command\":[\"vmm\",\"x{tap}\"],\"network\":{\"mode\":\"veth\","
		     "\"ipv4\":\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.1/30\"}}",
		     "command[1]: \"{tap}\" needs network.mode \"tap\"");
}
END_TEST

/* A jailed QEMU with its QMP socket, and `extra` at the top of the spec. */
#define QMP_SPEC(extra)                                                   \
	"{\"id\":\"vm-2\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64," \
	"\"command\":[\"qemu\",\"-qmp\",\"unix:{qmp},server=on,wait=off\"]" extra "}"
#define PROCESS_SPEC(extra) "{\"id\":\"p2\"," BASE extra "}"

START_TEST(test_stop_and_restart)
{
	struct vigil_workload_spec s, t;
	struct json_object *o;
	char err[256] = "", **argv;

	/* a process: SIGTERM, vigild's timeout, no restart; none of it written back */
	ck_assert_int_eq(vigil_workload_spec_parse(PROCESS_SPEC(""), &s, err, sizeof(err)), 0);
	ck_assert(!s.stop.given);
	ck_assert_int_eq(s.stop.method, VIGIL_STOP_SIGNAL);
	ck_assert_int_eq(s.stop.signal, SIGTERM);
	ck_assert_uint_eq(s.stop.timeout_s, 0);
	ck_assert_int_eq(s.restart, VIGIL_RESTART_NO);
	o = vigil_workload_spec_to_json(&s);
	ck_assert(!json_object_object_get_ex(o, "stop", NULL));
	ck_assert(!json_object_object_get_ex(o, "restart", NULL));
	json_object_put(o);
	vigil_workload_spec_free(&s);

	/* "{qmp}" makes QMP the default, and stands for the socket in the jail */
	ck_assert_msg(vigil_workload_spec_parse(QMP_SPEC(""), &s, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert(vigil_workload_spec_has_qmp(&s));
	ck_assert_int_eq(s.stop.method, VIGIL_STOP_QMP);
	ck_assert_int_eq(vigil_workload_spec_argv(&s, &argv), 0);
	ck_assert_str_eq(argv[2], "unix:/run/vigil/qmp.sock,server=on,wait=off");
	vigil_argv_free(argv);
	vigil_workload_spec_free(&s);

	/* every field, and the round trip */
	ck_assert_msg(vigil_workload_spec_parse(QMP_SPEC(",\"stop\":{\"method\":\"signal\","
							 "\"signal\":\"SIGINT\",\"timeout_s\":30},"
							 "\"restart\":\"on-failure\""),
						&s, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert(s.stop.given);
	ck_assert_int_eq(s.stop.method, VIGIL_STOP_SIGNAL);
	ck_assert_int_eq(s.stop.signal, SIGINT);
	ck_assert_uint_eq(s.stop.timeout_s, 30);
	ck_assert_int_eq(s.restart, VIGIL_RESTART_ON_FAILURE);
	o = vigil_workload_spec_to_json(&s);
	ck_assert_int_eq(vigil_workload_spec_from_json(o, &t, err, sizeof(err)), 0);
	ck_assert_mem_eq(&s.stop, &t.stop, sizeof(s.stop));
	ck_assert_int_eq(t.restart, VIGIL_RESTART_ON_FAILURE);
	json_object_put(o);
	vigil_workload_spec_free(&t);
	vigil_workload_spec_free(&s);
	ck_assert_int_eq(vigil_workload_spec_parse(PROCESS_SPEC(",\"restart\":\"no\""), &s, err,
						   sizeof(err)),
			 0);
	ck_assert_int_eq(s.restart, VIGIL_RESTART_NO);
	vigil_workload_spec_free(&s);
}
END_TEST

START_TEST(test_stop_and_restart_rules)
{
	expect_error(PROCESS_SPEC(",\"stop\":\"qmp\""), "workload \"p2\": stop must be an object");
	expect_error(PROCESS_SPEC(",\"stop\":{\"grace\":1}"),
		     "workload \"p2\": unknown field \"stop.grace\"");
	expect_error(PROCESS_SPEC(",\"stop\":{\"method\":\"acpi\"}"),
		     "workload \"p2\": stop.method must be \"qmp\" or \"signal\"");
	expect_error(PROCESS_SPEC(",\"stop\":{\"method\":\"qmp\"}"),
		     "workload \"p2\": stop.method \"qmp\" needs the QMP socket in the command: "
		     "\"-qmp\", \"unix:{qmp},server=on,wait=off\"");
	expect_error(
		PROCESS_SPEC(",\"stop\":{\"signal\":\"SIGKILL\"}"),
		"workload \"p2\": stop.signal must be one of SIGTERM, SIGINT, SIGHUP, SIGQUIT, "
		"SIGUSR1, SIGUSR2");
	expect_error(PROCESS_SPEC(",\"stop\":{\"signal\":15}"), "stop.signal must be one of");
	expect_error(PROCESS_SPEC(",\"stop\":{\"timeout_s\":0}"),
		     "workload \"p2\": stop.timeout_s must be between 1 and 3600");
	expect_error(PROCESS_SPEC(",\"stop\":{\"timeout_s\":3601}"),
		     "stop.timeout_s must be between 1 and 3600");
	expect_error(PROCESS_SPEC(",\"stop\":{\"timeout_s\":1.5}"),
		     "stop.timeout_s must be between 1 and 3600");
	expect_error(PROCESS_SPEC(",\"restart\":\"always\""),
		     "workload \"p2\": restart must be \"no\" or \"on-failure\"");
	expect_error(PROCESS_SPEC(",\"restart\":false"),
		     "restart must be \"no\" or \"on-failure\"");
	/* the socket is in the jail's runtime directory */
	expect_error(QMP_SPEC(",\"jail\":{\"enabled\":false}"),
		     "workload \"vm-2\": \"{qmp}\" is the QMP socket in the jail's runtime "
		     "directory: it needs the jail (jail.enabled true)");
	expect_error(QMP_SPEC(",\"jail\":{\"rw_paths\":[\"/run\"]}"),
		     "workload \"vm-2\": jail.rw_paths[0] \"/run\" overlaps the jail's runtime "
		     "directory /run/vigil (the command has \"{qmp}\")");
	expect_error(QMP_SPEC(",\"jail\":{\"ro_paths\":[\"/srv/a\",\"/run/vigil/x\"]}"),
		     "jail.ro_paths[1] \"/run/vigil/x\" overlaps the jail's runtime directory");
}
END_TEST

static Suite *spec_suite(void)
{
	Suite *s = suite_create("workload_spec");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_valid_minimal);
	tcase_add_test(tc, test_valid_veth_and_round_trip);
	tcase_add_test(tc, test_id_rules);
	tcase_add_test(tc, test_malformed_json_says_where);
	tcase_add_test(tc, test_unknown_fields_named);
	tcase_add_test(tc, test_owner);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_command);
	tcase_add_test(tc, test_network_rules);
	tcase_add_test(tc, test_network_list_limits);
	tcase_add_test(tc, test_egress_to);
	tcase_add_test(tc, test_workload_mac);
	tcase_add_test(tc, test_valid_tap_and_round_trip);
	tcase_add_test(tc, test_tap_rules);
	tcase_add_test(tc, test_valid_ipv6_and_round_trip);
	tcase_add_test(tc, test_ipv6_rules);
	tcase_add_test(tc, test_tap_placeholder);
	tcase_add_test(tc, test_volume_rules);
	tcase_add_test(tc, test_volume_placeholder);
	tcase_add_test(tc, test_id_placeholder);
	tcase_add_test(tc, test_stop_and_restart);
	tcase_add_test(tc, test_stop_and_restart_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(spec_suite());
}
