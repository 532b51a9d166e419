// SPDX-License-Identifier: GPL-2.0-or-later
/* Validation, rule building and listing parsing of the nft policy, without a kernel. */
#include <check.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
	ck_assert_msg(strstr(err, "relay-1\": inbound_from \"198.19.0.1/24\": not an IPv4 or "
				  "IPv6 prefix (host bits zero)"),
		      "%s", err);
	w = good(), w.egress_to = from, w.n_egress_to = 2;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "relay-1\": egress_to \"198.19.0.1/24\": not an IPv4 or "
				  "IPv6 prefix (host bits zero)"),
		      "%s", err);
	w = good(), w.egress_to = (const char *const[]){ "198.18.0.0/15", "2001:db8::/32", "" };
	w.n_egress_to = 2;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), 0);
	w.n_egress_to = 3;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "egress_to \"\""), "%s", err);
	w = good(), w.egress_to = from, w.n_egress_to = VIGIL_NFT_MAX_PREFIXES + 1;
	ck_assert_int_eq(vigil_nft_workload_check(&w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "relay-1\": egress_to: 65 prefixes, at most 64"), "%s", err);
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

/* The rules of a workload's batch, each as libnftnl prints its expressions. */
static char *batch_rules(const struct vigil_nft_workload *w)
{
	struct nft_batch b;
	struct vigil_strbuf out;
	char line[4096];
	int len;

	nft_batch_init(&b);
	nft_workload_batch(&b, w);
	ck_assert_int_eq(b.err, 0);
	vigil_strbuf_init(&out);
	len = (int)b.len;
	for (struct nlmsghdr *h = (struct nlmsghdr *)b.buf; mnl_nlmsg_ok(h, len);
	     h = mnl_nlmsg_next(h, &len)) {
		struct nftnl_rule *r;

		if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWRULE ||
		    h->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES)
			continue;
		r = nftnl_rule_alloc();
		ck_assert_int_eq(nftnl_rule_nlmsg_parse(h, r), 0);
		nftnl_rule_snprintf(line, sizeof(line), r, NFTNL_OUTPUT_DEFAULT, 0);
		/* one line per rule: its expressions' lines joined by a space */
		for (char *c = line; *c; c++) {
			if (*c != '\n') {
				vigil_strbuf_printf(&out, "%c", *c);
				continue;
			}
			if (c[1])
				vigil_strbuf_puts(&out, " ");
			while (c[1] == ' ')
				c++;
		}
		vigil_strbuf_puts(&out, "\n");
		nftnl_rule_free(r);
	}
	nft_batch_free(&b);
	ck_assert_int_eq(vigil_strbuf_error(&out), 0);
	return vigil_strbuf_steal(&out, NULL);
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

START_TEST(test_rule_batch)
{
	struct vigil_nft_workload w = good();
	char *text = batch_rules(&w);

	/* nft names take no '-': the id's become '_' */
	ck_assert_msg(strstr(text, "inet vigil wl_relay_1_out"), "%s", text);
	/* tcp dport 3001 accept; udp dport 53 accept */
	ck_assert(strstr(text,
			 "[ cmp eq reg 1 0x00000006 ] [ payload load 2b @ transport header + 2 "
			 "=> reg 1 ] [ cmp eq reg 1 0x0000b90b ] [ immediate reg 0 accept ]"));
	ck_assert(strstr(text,
			 "[ cmp eq reg 1 0x00000011 ] [ payload load 2b @ transport header + 2 "
			 "=> reg 1 ] [ cmp eq reg 1 0x00003500 ] [ immediate reg 0 accept ]"));
	/* ether saddr != 02:00:5e:00:00:01 */
	ck_assert(strstr(text,
			 "[ payload load 6b @ link header + 6 => reg 1 ] [ cmp neq reg 1 "
			 "0x005e0002 0x00000100 ] [ objref type 1 name wl_relay_1_drop_spoof ]"));
	/* arp saddr ip != 198.18.0.2 */
	ck_assert(strstr(text, "arp vigil wl_relay_1_arp"));
	ck_assert(strstr(text, "[ payload load 4b @ network header + 14 => reg 1 ] [ cmp neq reg 1 "
			       "0x020012c6 ]"));
	/* IPv4 only: every IPv6 source is a spoof */
	ck_assert(strstr(text,
			 "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x0000000a ] "
			 "[ objref type 1 name wl_relay_1_drop_spoof ] [ immediate reg 0 drop ]"));
	ck_assert(!strstr(text, "limit"));
	/* its neighbour discovery to the host, from :: or fe80::/10: dropped and counted apart */
	ck_assert(strstr(text,
			 "inet vigil wl_relay_1_host [ meta load nfproto => reg 1 ] [ cmp eq "
			 "reg 1 0x0000000a ] [ payload load 16b @ network header + 8 => reg 1 "
			 "] [ cmp eq reg 1 0x00000000 0x00000000 0x00000000 0x00000000 ] [ "
			 "meta load l4proto => reg 1 ] [ cmp eq reg 1 0x0000003a ] [ payload "
			 "load 1b @ transport header + 0 => reg 1 ] [ lookup reg 1 set "
			 "vigil_nd_types ] [ objref type 1 name wl_relay_1_drop_no_ipv6 ] [ "
			 "immediate reg 0 drop ]"));
	ck_assert_uint_eq(occurrences(text, "set vigil_nd_types ] [ objref type 1 name "
					    "wl_relay_1_drop_no_ipv6 ] [ immediate reg 0 drop ]"),
			  2);
	free(text);

	w.ipv6 = "2001:db8::2";
	w.egress_mbit = 8;
	w.max_connections = 100;
	w.inbound_from = (const char *const[]){ "198.18.4.0/22", "2001:db8:1::/48" };
	w.n_inbound_from = 2;
	text = batch_rules(&w);
	/* with IPv6, its neighbour discovery from ::, fe80::/10 and its address reaches the host */
	ck_assert_uint_eq(occurrences(text, "set vigil_nd_types ] [ immediate reg 0 accept ]"), 3);
	ck_assert(!strstr(text, "objref type 1 name wl_relay_1_drop_no_ipv6"));
	/* ip6 saddr != 2001:db8::2 */
	ck_assert(strstr(text, "[ payload load 16b @ network header + 8 => reg 1 ] [ cmp neq reg 1 "
			       "0xb80d0120 0x00000000 0x00000000 0x02000000 ]"));
	/* limit rate over 1000000 bytes/second burst 165536 bytes */
	ck_assert(strstr(text, "[ limit rate 1000000/second burst 165536 type bytes flags 0x1 ]"));
	/* ct state new ct count over 100 */
	ck_assert(strstr(text, "[ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ] [ cmp neq "
			       "reg 1 0x00000000 ] [ connlimit count 100 flags 1 ]"));
	/* ip saddr 198.18.4.0/22 return: the address under a mask */
	ck_assert(strstr(text, "inet vigil wl_relay_1_from"));
	ck_assert(strstr(text,
			 "[ payload load 4b @ network header + 12 => reg 1 ] [ bitwise reg 1 = "
			 "( reg 1 & 0x00fcffff ) ^ 0x00000000 ] [ cmp eq reg 1 0x000412c6 ] "
			 "[ immediate reg 0 return ]"));
	/* ip6 saddr 2001:db8:1::/48 return: whole bytes, those alone */
	ck_assert(strstr(text, "[ payload load 6b @ network header + 8 => reg 1 ] [ cmp eq reg 1 "
			       "0xb80d0120 0x00000100 ] [ immediate reg 0 return ]"));
	ck_assert(strstr(text, "[ immediate reg 0 jump -> wl_relay_1_from ]"));
	/* no egress_to: no jump to the egress chain, and nothing in it */
	ck_assert(!strstr(text, "wl_relay_1_to"));
	ck_assert(!strstr(text, "wl_relay_1_drop_egress"));
	free(text);
}
END_TEST

/* The egress chain: a return per destination prefix, the drop, and the out chain's jump. */
START_TEST(test_egress_rules)
{
	struct vigil_nft_workload w = good();
	char *text, *jump, *deny, *conn, *accept_all;

	w.max_connections = 100;
	w.egress_to = (const char *const[]){ "198.18.7.0/24", "2001:db8:1::/48" };
	w.n_egress_to = 2;
	text = batch_rules(&w);
	/* ip daddr 198.18.7.0/24 return: the destination's three bytes */
	ck_assert_msg(strstr(text, "inet vigil wl_relay_1_to [ meta load nfproto => reg 1 ] "
				   "[ cmp eq reg 1 0x00000002 ] [ payload load 3b @ network header "
				   "+ 16 => reg 1 ] [ cmp eq reg 1 0x000712c6 ] "
				   "[ immediate reg 0 return ]"),
		      "%s", text);
	/* ip6 daddr 2001:db8:1::/48 return */
	ck_assert(strstr(text, "[ payload load 6b @ network header + 24 => reg 1 ] [ cmp eq reg 1 "
			       "0xb80d0120 0x00000100 ] [ immediate reg 0 return ]"));
	/* then everything else is dropped and counted as egress */
	ck_assert(strstr(text, "inet vigil wl_relay_1_to [ objref type 1 name "
			       "wl_relay_1_drop_egress ] [ immediate reg 0 drop ]"));
	/* the out chain jumps there after the deny list and before the connection limit */
	jump = strstr(text, "inet vigil wl_relay_1_out [ immediate reg 0 jump -> wl_relay_1_to ]");
	deny = strstr(text, "vigil_deny6");
	conn = strstr(text, "[ connlimit count 100 flags 1 ]");
	accept_all = strstr(text, "inet vigil wl_relay_1_out [ immediate reg 0 accept ]");
	ck_assert_msg(jump && deny && conn && accept_all, "%s", text);
	ck_assert_msg(deny < jump && jump < conn && conn < accept_all, "%s", text);
	free(text);
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
	tcase_add_test(tc, test_rule_batch);
	tcase_add_test(tc, test_egress_rules);
	tcase_add_test(tc, test_state_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(nft_rules_suite());
}
