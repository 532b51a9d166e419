// SPDX-License-Identifier: GPL-2.0-or-later
/* Validation and listing parsing of the nft policy, without a kernel. */
#include <check.h>
#include <errno.h>
#include <sys/socket.h>
#include <string.h>

#include "nft_internal.h"
#include "testutil.h"

static const struct vigil_nft_port ports[] = { { VIGIL_NFT_TCP, 3001 }, { VIGIL_NFT_UDP, 53 } };

static struct vigil_nft_workload good(void)
{
	return (struct vigil_nft_workload){ .id = "relay-1",
					    .ifname = "vg-relay-1",
					    .ipv4 = "198.18.0.2",
					    .mac = "02:00:5e:00:00:01",
					    .inbound = ports,
					    .n_inbound = 2 };
}

START_TEST(test_prefixes)
{
	ck_assert_int_eq(nft_check_prefix("198.18.0.0/15"), AF_INET);
	ck_assert_int_eq(nft_check_prefix("169.254.169.254"), AF_INET);
	ck_assert_int_eq(nft_check_prefix("0.0.0.0/0"), AF_INET);
	ck_assert_int_eq(nft_check_prefix("198.18.0.1/15"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("198.18.0.0/33"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("198.18.0.0/"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("198.18.0.0/-1"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("fd00::/8"), AF_INET6);
	ck_assert_int_eq(nft_check_prefix("2001:db8::1"), AF_INET6);
	ck_assert_int_eq(nft_check_prefix("2001:db8::/129"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("2001:db8::1/64"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("2001:db9::/31"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix("::/0"), AF_INET6);
	ck_assert_int_eq(nft_check_prefix("1.2.3"), -EINVAL);
	ck_assert_int_eq(nft_check_prefix(""), -EINVAL);
}
END_TEST

START_TEST(test_workload_check)
{
	static const struct vigil_nft_port bad_proto[] = { { 7, 80 } };
	static const char *const from[] = { "198.18.0.0/30", "198.19.0.1/24" };
	static const struct vigil_nft_forward twice[] = { { VIGIL_NFT_TCP, 8080, 80 },
							  { VIGIL_NFT_TCP, 8080, 81 } };
	static const struct vigil_nft_forward zero[] = { { VIGIL_NFT_UDP, 5353, 0 } };
	struct vigil_nft_workload w = good();
	char err[VIGIL_NFT_ERR_SIZE];

	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), 0);
	w.id = "-x";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "\"-x\""));
	w = good(), w.ifname = "vg;drop";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "relay-1") && strstr(err, "interface"));
	w = good(), w.ipv4 = "198.18.0.2/30";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	w = good(), w.mac = "02:00:5e:00:00:01:ff";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	w = good(), w.inbound = bad_proto, w.n_inbound = 1;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "relay-1\": inbound ports: protocol 7"));
	w = good(), w.inbound_from = from, w.n_inbound_from = 2;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "198.19.0.1/24"));
	w = good(), w.ipv4 = "224.0.0.1";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	w = good(), w.ipv6 = "fe80::1";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "relay-1\": ipv6 \"fe80::1\""));
	w = good(), w.ipv6 = "2001:db8::2";
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), 0);
	w = good(), w.egress_mbit = VIGIL_NFT_MAX_MBIT + 1;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "relay-1\": egress_mbit 100001 is outside 1..100000"), "%s", err);
	w = good(), w.max_connections = VIGIL_NFT_MAX_CONNECTIONS + 1;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "max_connections"));
	w = good(), w.forwards = twice, w.n_forwards = 2;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "host port tcp/8080 given twice"), "%s", err);
	w = good(), w.forwards = zero, w.n_forwards = 1;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "port 0 is outside"));
}
END_TEST

START_TEST(test_rule_text)
{
	struct vigil_nft_workload w = good();
	struct vigil_strbuf b;

	vigil_strbuf_init(&b);
	nft_workload_cmds(&b, &w);
	ck_assert_int_eq(vigil_strbuf_error(&b), 0);
	/* nft names take no '-': the id's become '_' */
	ck_assert(strstr(b.data, "add chain inet vigil wl_relay_1_out\n"));
	ck_assert(strstr(b.data, "tcp dport { 3001 } accept"));
	ck_assert(strstr(b.data, "udp dport { 53 } accept"));
	ck_assert(strstr(b.data, "ether saddr != 02:00:5e:00:00:01"));
	ck_assert(strstr(b.data, "arp saddr ip != 198.18.0.2 counter name wl_relay_1_drop_spoof"));
	ck_assert(strstr(b.data, "vigil_from_wl { \"vg-relay-1\" : jump wl_relay_1_out }"));
	/* IPv4 only: every IPv6 source is a spoof */
	ck_assert(strstr(b.data, "meta nfproto ipv6 counter name wl_relay_1_drop_spoof drop"));
	ck_assert(!strstr(b.data, "limit rate"));
	vigil_strbuf_reset(&b);
	w.ipv6 = "2001:db8::2";
	w.egress_mbit = 8;
	w.max_connections = 100;
	nft_workload_cmds(&b, &w);
	ck_assert(strstr(b.data, "ip6 saddr != 2001:db8::2 counter name wl_relay_1_drop_spoof"));
	ck_assert(strstr(b.data, "limit rate over 1000000 bytes/second"));
	ck_assert(
		strstr(b.data, "ct state new ct count over 100 counter name wl_relay_1_drop_conn"));
	vigil_strbuf_free(&b);
}
END_TEST

START_TEST(test_state_parse)
{
	static const char json[] =
		"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}},"
		"{\"map\": {\"family\": \"inet\", \"name\": \"vigil_from_wl\", \"table\": \"vigil\","
		" \"elem\": [[\"vg-a\", {\"jump\": {\"target\": \"wl_a_out\"}}]]}},"
		"{\"set\": {\"family\": \"inet\", \"name\": \"vigil_wl_ifs\", \"table\": \"vigil\","
		" \"elem\": [\"vg-a\"]}},"
		"{\"chain\": {\"family\": \"inet\", \"table\": \"other\", \"name\": \"wl_x_out\"}},"
		"{\"chain\": {\"family\": \"arp\", \"table\": \"vigil\", \"name\": \"wl_a_arp\"}},"
		"{\"counter\": {\"family\": \"inet\", \"name\": \"wl_a_drop_deny\", \"table\": "
		"\"vigil\", \"packets\": 7, \"bytes\": 588}}]}";
	struct nft_state s = { 0 };

	ck_assert_int_eq(nft_state_parse(json, &s), 0);
	ck_assert_uint_eq(s.n_elems, 2);
	ck_assert_str_eq(s.elems[0].key, "vg-a");
	ck_assert_str_eq(s.elems[0].target, "wl_a_out");
	ck_assert_str_eq(s.elems[1].target, "");
	ck_assert_uint_eq(s.n_chains, 1); /* another table's chain is not ours */
	ck_assert_str_eq(s.chains[0].family, "arp");
	ck_assert_uint_eq(s.n_counters, 1);
	ck_assert_uint_eq(s.counters[0].value.packets, 7);
	nft_state_free(&s);
	ck_assert_int_eq(nft_state_parse("{\"nft\": 1}", &s), -EBADMSG);
	ck_assert_int_eq(nft_state_parse("not json", &s), -EBADMSG);
}
END_TEST

static Suite *nft_rules_suite(void)
{
	Suite *s = suite_create("nft_rules");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_workload_check);
	tcase_add_test(tc, test_rule_text);
	tcase_add_test(tc, test_state_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(nft_rules_suite());
}
