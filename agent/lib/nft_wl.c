// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One workload's policy as nf_tables expressions: the same rules nft would
 * make of the commented nft text beside each, built without libnftables so
 * that adding a workload costs the same at any number of workloads.
 *
 * Where nft would make an anonymous set, a rule per member does the same:
 * a workload's chains are reached through verdict maps, so only its own
 * packets pay for its own few ports. The inbound source prefixes and the
 * egress destination prefixes each get a chain of their own that returns on
 * a match and drops what is left (`!= { a, b }` is "none of them").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if_arp.h>
#include <netinet/in.h>

#include "cidr.h"
#include "nft_internal.h"

const struct nft_wl_chain nft_wl_chains[NFT_WL_N_CHAINS] = {
	{ NFPROTO_INET, "inet", "out" },  { NFPROTO_INET, "inet", "in" },
	{ NFPROTO_INET, "inet", "from" }, { NFPROTO_INET, "inet", "to" },
	{ NFPROTO_INET, "inet", "host" }, { NFPROTO_ARP, "arp", "arp" },
};

enum { OUT, IN, FROM, TO, HOST, ARP };

/* offsets in the IPv4, IPv6, ARP (Ethernet/IPv4) and transport headers */
#define IP4_SADDR    12
#define IP4_DADDR    16
#define IP6_SADDR    8
#define IP6_DADDR    24
#define ARP_SHA	     8
#define ARP_SPA	     14
#define ETH_SADDR    6
#define TH_DPORT     2
#define ICMPV6_TYPE  0
#define ICMPV6_PROTO 58

struct chains {
	char pfx[NFT_NAME_SIZE];
	char name[NFT_WL_N_CHAINS][NFT_NAME_SIZE + 8];
};

static void chain_names(struct chains *c, const char *id)
{
	nft_prefix(c->pfx, id);
	for (int i = 0; i < NFT_WL_N_CHAINS; i++)
		snprintf(c->name[i], sizeof(c->name[i]), "%s_%s", c->pfx, nft_wl_chains[i].suffix);
}

static void counter_name(char buf[NFT_NAME_SIZE + 16], const char *pfx, enum vigil_nft_reason r)
{
	snprintf(buf, NFT_NAME_SIZE + 16, "%s_drop_%s", pfx, vigil_nft_reason_name(r));
}

/* A rule being built: any expression that could not be made spoils it. */
struct rule {
	struct nftnl_rule *r;
	bool failed;
};

static struct rule rule_new(int family, const char *chain)
{
	struct rule r = { nftnl_rule_alloc(), false };

	if (r.r) {
		nftnl_rule_set_u32(r.r, NFTNL_RULE_FAMILY, (uint32_t)family);
		nftnl_rule_set_str(r.r, NFTNL_RULE_TABLE, VIGIL_NFT_TABLE);
		nftnl_rule_set_str(r.r, NFTNL_RULE_CHAIN, chain);
	}
	return r;
}

static struct nftnl_expr *expr(struct rule *r, const char *name)
{
	struct nftnl_expr *e = r->r ? nftnl_expr_alloc(name) : NULL;

	if (!e) {
		r->failed = true;
		return NULL;
	}
	nftnl_rule_add_expr(r->r, e);
	return e;
}

static void meta(struct rule *r, uint32_t key)
{
	struct nftnl_expr *e = expr(r, "meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
}

static void cmp(struct rule *r, uint32_t op, const void *data, size_t len)
{
	struct nftnl_expr *e = expr(r, "cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, (uint32_t)len);
	}
}

static void payload(struct rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
}

/* reg 1 = reg 1 & mask */
static void mask(struct rule *r, const void *m, size_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = expr(r, "bitwise");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, (uint32_t)len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, m, (uint32_t)len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, (uint32_t)len);
	}
}

static void lookup(struct rule *r, const char *set, bool invert)
{
	struct nftnl_expr *e = expr(r, "lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		if (invert)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
}

static void u8_is(struct rule *r, uint32_t meta_key, uint8_t value)
{
	meta(r, meta_key);
	cmp(r, NFT_CMP_EQ, &value, 1);
}

/* ct state { bits } */
static void ct_state(struct rule *r, uint32_t bits)
{
	static const uint32_t none;
	struct nftnl_expr *e = expr(r, "ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	mask(r, &bits, sizeof(bits));
	cmp(r, NFT_CMP_NEQ, &none, sizeof(none));
}

static void counter(struct rule *r, const char *pfx, enum vigil_nft_reason reason)
{
	char name[NFT_NAME_SIZE + 16];
	struct nftnl_expr *e = expr(r, "objref");

	counter_name(name, pfx, reason);
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
	}
}

static void verdict(struct rule *r, int code, const char *chain)
{
	struct nftnl_expr *e = expr(r, "immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)code);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
}

static void put(struct nft_batch *b, int family, struct rule *r)
{
	if (r->failed) {
		nftnl_rule_free(r->r);
		r->r = NULL;
	}
	nft_batch_rule(b, family, r->r);
}

/* ... counter name <pfx>_drop_<reason> drop */
static void put_drop(struct nft_batch *b, int family, struct rule *r, const char *pfx,
		     enum vigil_nft_reason reason)
{
	counter(r, pfx, reason);
	verdict(r, NF_DROP, NULL);
	put(b, family, r);
}

static void family_is(struct rule *r, int family)
{
	u8_is(r, NFT_META_NFPROTO, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

/*
 * ip saddr, ip6 daddr ... (op) an address or a prefix of either family,
 * which the workload check has vetted. As nft does, so that `nft list`
 * shows it as a prefix: a prefix of whole bytes compares those bytes, any
 * other the whole address after a mask.
 */
static void addr_match(struct rule *r, bool source, const char *text, uint32_t op)
{
	uint8_t m[16] = { 0 };
	struct vigil_cidr c;
	size_t bytes;

	if (vigil_cidr_parse_as(text, VIGIL_CIDR_NETWORK, &c) < 0) {
		r->failed = true;
		return;
	}
	family_is(r, c.family);
	if (!c.prefixlen) {
		/* any address at all: nothing to compare, and != matches nothing */
		if (op == NFT_CMP_NEQ)
			r->failed = true;
		return;
	}
	bytes = c.prefixlen % 8 ? vigil_cidr_addr_len(&c) : c.prefixlen / 8;
	payload(r, NFT_PAYLOAD_NETWORK_HEADER,
		c.family == AF_INET ? (source ? IP4_SADDR : IP4_DADDR)
				    : (source ? IP6_SADDR : IP6_DADDR),
		(uint32_t)bytes);
	if (c.prefixlen % 8) {
		memset(m, 0xff, c.prefixlen / 8);
		m[c.prefixlen / 8] = (uint8_t)(0xff << (8 - c.prefixlen % 8));
		mask(r, m, bytes);
	}
	cmp(r, op, c.bytes, bytes);
}

/* ether saddr != mac (nft's dependency: an Ethernet interface) */
static void ether_saddr_not(struct rule *r, const uint8_t mac[6])
{
	uint16_t ether = ARPHRD_ETHER;

	meta(r, NFT_META_IIFTYPE);
	cmp(r, NFT_CMP_EQ, &ether, sizeof(ether));
	payload(r, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, 6);
	cmp(r, NFT_CMP_NEQ, mac, 6);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	return s && sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0], &mac[1], &mac[2],
			   &mac[3], &mac[4], &mac[5]) == 6;
}

/* tcp dport N accept, a rule per port */
static void port_rules(struct nft_batch *b, const char *chain, const struct vigil_nft_port *p,
		       size_t n, const struct vigil_nft_forward *f, size_t n_f)
{
	for (size_t i = 0; i < n + n_f; i++) {
		enum vigil_nft_proto proto = i < n ? p[i].proto : f[i - n].proto;
		uint16_t port = htons((uint16_t)(i < n ? p[i].port : f[i - n].port));
		struct rule r = rule_new(NFPROTO_INET, chain);

		u8_is(&r, NFT_META_L4PROTO, proto == VIGIL_NFT_UDP ? IPPROTO_UDP : IPPROTO_TCP);
		payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, sizeof(port));
		cmp(&r, NFT_CMP_EQ, &port, sizeof(port));
		verdict(&r, NF_ACCEPT, NULL);
		put(b, NFPROTO_INET, &r);
	}
}

/* Whatever comes from the workload must carry its own addresses. */
static void spoof_rules(struct nft_batch *b, const char *chain, const char *pfx,
			const struct vigil_nft_workload *w)
{
	uint8_t mac[6];
	struct rule r;

	if (parse_mac(w->mac, mac)) {
		r = rule_new(NFPROTO_INET, chain);
		ether_saddr_not(&r, mac);
		put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_SPOOF);
	}
	r = rule_new(NFPROTO_INET, chain); /* ip saddr != ipv4 */
	addr_match(&r, true, w->ipv4, NFT_CMP_NEQ);
	put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_SPOOF);
	r = rule_new(NFPROTO_INET, chain);
	if (w->ipv6) /* ip6 saddr != ipv6 */
		addr_match(&r, true, w->ipv6, NFT_CMP_NEQ);
	else /* meta nfproto ipv6: no IPv6 address is assigned, so any source is spoofed */
		family_is(&r, AF_INET6);
	put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_SPOOF);
}

/*
 * Neighbour discovery and multicast listener reports, from the workload's
 * link-local, unspecified or own address, are how a kernel brings up any
 * link: let them reach the host when the workload has IPv6. Otherwise they
 * are dropped under a reason of their own: they are no attack, and would
 * drown the spoof counter.
 * ip6 saddr <source> icmpv6 type @vigil_nd_types accept | counter ... drop
 */
static void neighbour_rules(struct nft_batch *b, const char *chain, const char *pfx,
			    const struct vigil_nft_workload *w)
{
	const char *sources[] = { "::", "fe80::/10", w->ipv6 };

	for (size_t i = 0; i < sizeof(sources) / sizeof(*sources) && sources[i]; i++) {
		struct rule r = rule_new(NFPROTO_INET, chain);

		addr_match(&r, true, sources[i], NFT_CMP_EQ);
		u8_is(&r, NFT_META_L4PROTO, ICMPV6_PROTO);
		payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, ICMPV6_TYPE, 1);
		lookup(&r, NFT_ND_TYPES, false);
		if (w->ipv6) {
			verdict(&r, NF_ACCEPT, NULL);
			put(b, NFPROTO_INET, &r);
		} else {
			put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_NO_IPV6);
		}
	}
}

static void established_accept(struct nft_batch *b, const char *chain)
{
	struct rule r = rule_new(NFPROTO_INET, chain);

	ct_state(&r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
	verdict(&r, NF_ACCEPT, NULL);
	put(b, NFPROTO_INET, &r);
}

/* ct state new ct count over N: new connections over the limit are dropped */
static void conn_rule(struct nft_batch *b, const char *chain, const char *pfx,
		      const struct vigil_nft_workload *w)
{
	struct nftnl_expr *e;
	struct rule r;

	if (!w->max_connections)
		return;
	r = rule_new(NFPROTO_INET, chain);
	ct_state(&r, NF_CT_STATE_BIT(IP_CT_NEW));
	e = expr(&r, "connlimit");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CONNLIMIT_COUNT, w->max_connections);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CONNLIMIT_FLAGS, NFT_CONNLIMIT_F_INV);
	}
	put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_CONN);
}

/* limit rate over <rate> bytes/second burst <burst> bytes */
static void rate_rule(struct nft_batch *b, const char *chain, const char *pfx,
		      const struct vigil_nft_workload *w)
{
	struct nftnl_expr *e;
	struct rule r;

	if (!w->egress_mbit)
		return;
	r = rule_new(NFPROTO_INET, chain);
	e = expr(&r, "limit");
	if (e) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, w->egress_mbit * 125000ULL);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		/* 100 ms at the rate, and at least a few full frames */
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST,
				   (uint32_t)(w->egress_mbit * 12500ULL + 65536));
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKT_BYTES);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	}
	put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_RATE);
}

/*
 * A chain of prefixes, when there are any: `chain` returns for a packet
 * whose source (or destination) is in one of them and drops the rest,
 * counted for `reason`; `from` jumps to it.
 * ip saddr P return, for each P; counter name ... drop; in from: jump chain
 */
static void prefix_rules(struct nft_batch *b, const char *from, const char *chain,
			 const char *const *prefixes, size_t n, bool source, const char *pfx,
			 enum vigil_nft_reason reason)
{
	struct rule r;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		r = rule_new(NFPROTO_INET, chain);
		addr_match(&r, source, prefixes[i], NFT_CMP_EQ);
		verdict(&r, NFT_RETURN, NULL);
		put(b, NFPROTO_INET, &r);
	}
	r = rule_new(NFPROTO_INET, chain);
	put_drop(b, NFPROTO_INET, &r, pfx, reason);
	r = rule_new(NFPROTO_INET, from);
	verdict(&r, NFT_JUMP, chain);
	put(b, NFPROTO_INET, &r);
}

/*
 * To the outside: within its rate; replies to flows the inbound policy let
 * in; new flows never to another workload or a denied prefix, and only to
 * egress_to when it is given.
 */
static void out_rules(struct nft_batch *b, const struct chains *c,
		      const struct vigil_nft_workload *w)
{
	const char *out = c->name[OUT], *pfx = c->pfx;
	static const struct {
		int family;
		const char *set;
	} deny[] = { { AF_INET, NFT_DENY4 }, { AF_INET6, NFT_DENY6 } };
	struct rule r;

	spoof_rules(b, out, pfx, w);
	rate_rule(b, out, pfx, w);
	established_accept(b, out);
	r = rule_new(NFPROTO_INET, out); /* oifname @vigil_wl_ifs */
	meta(&r, NFT_META_OIFNAME);
	lookup(&r, NFT_WL_IFS, false);
	put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_W2W);
	for (size_t i = 0; i < sizeof(deny) / sizeof(*deny); i++) {
		r = rule_new(NFPROTO_INET, out); /* ip daddr @vigil_deny4 */
		family_is(&r, deny[i].family);
		payload(&r, NFT_PAYLOAD_NETWORK_HEADER,
			deny[i].family == AF_INET ? IP4_DADDR : IP6_DADDR,
			deny[i].family == AF_INET ? 4 : 16);
		lookup(&r, deny[i].set, false);
		put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_DENY);
	}
	/* before the connection limit, so that a refused flow is not counted against it */
	prefix_rules(b, out, c->name[TO], w->egress_to, w->n_egress_to, false, pfx,
		     VIGIL_NFT_DROP_EGRESS);
	conn_rule(b, out, pfx, w);
	r = rule_new(NFPROTO_INET, out);
	verdict(&r, NF_ACCEPT, NULL);
	put(b, NFPROTO_INET, &r);
}

/* From the outside: replies, and new flows from declared sources to declared ports. */
static void in_rules(struct nft_batch *b, const struct chains *c,
		     const struct vigil_nft_workload *w)
{
	struct rule r;

	established_accept(b, c->name[IN]);
	prefix_rules(b, c->name[IN], c->name[FROM], w->inbound_from, w->n_inbound_from, true,
		     c->pfx, VIGIL_NFT_DROP_INBOUND);
	conn_rule(b, c->name[IN], c->pfx, w);
	port_rules(b, c->name[IN], w->inbound, w->n_inbound, w->forwards, w->n_forwards);
	r = rule_new(NFPROTO_INET, c->name[IN]);
	put_drop(b, NFPROTO_INET, &r, c->pfx, VIGIL_NFT_DROP_INBOUND);
}

/* To the host itself: declared services only. */
static void host_rules(struct nft_batch *b, const char *host, const char *pfx,
		       const struct vigil_nft_workload *w)
{
	struct rule r;

	neighbour_rules(b, host, pfx, w);
	spoof_rules(b, host, pfx, w);
	established_accept(b, host);
	port_rules(b, host, w->host_services, w->n_host_services, NULL, 0);
	r = rule_new(NFPROTO_INET, host);
	put_drop(b, NFPROTO_INET, &r, pfx, VIGIL_NFT_DROP_HOST);
}

/* ARP from the workload must name its own addresses as the sender. */
static void arp_rules(struct nft_batch *b, const char *arp, const char *pfx,
		      const struct vigil_nft_workload *w)
{
	struct in_addr a;
	uint8_t mac[6];
	struct rule r = rule_new(NFPROTO_ARP, arp);

	if (inet_pton(AF_INET, w->ipv4, &a) != 1)
		r.failed = true;
	payload(&r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SPA, sizeof(a));
	cmp(&r, NFT_CMP_NEQ, &a, sizeof(a));
	put_drop(b, NFPROTO_ARP, &r, pfx, VIGIL_NFT_DROP_SPOOF);
	if (parse_mac(w->mac, mac)) {
		r = rule_new(NFPROTO_ARP, arp);
		payload(&r, NFT_PAYLOAD_NETWORK_HEADER, ARP_SHA, sizeof(mac));
		cmp(&r, NFT_CMP_NEQ, mac, sizeof(mac));
		put_drop(b, NFPROTO_ARP, &r, pfx, VIGIL_NFT_DROP_SPOOF);
	}
}

void nft_ifname_key(char key[IFNAMSIZ], const char *ifname)
{
	memset(key, 0, IFNAMSIZ);
	strncpy(key, ifname, IFNAMSIZ - 1);
}

/* The host port forward maps: inet_service : ipv4_addr . inet_service */
static void forward_elems(struct nft_batch *b, int type, const struct vigil_nft_forward *f,
			  size_t n, const char *ipv4)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t host_port = htons((uint16_t)f[i].host_port);
		/* a concatenation's parts each take whole 32-bit registers */
		uint8_t data[8] = { 0 };
		uint16_t port = htons((uint16_t)f[i].port);
		struct nft_batch_elem e = { &host_port, sizeof(host_port), NULL, data,
					    ipv4 ? sizeof(data) : 0 };

		if (ipv4 && inet_pton(AF_INET, ipv4, data) != 1 && !b->err)
			b->err = -EINVAL;
		memcpy(data + 4, &port, sizeof(port));
		nft_batch_elem(b, type, NFPROTO_INET,
			       f[i].proto == VIGIL_NFT_UDP ? NFT_FWD_UDP : NFT_FWD_TCP, &e);
	}
}

void nft_forward_delete_batch(struct nft_batch *b, const struct vigil_nft_forward *f, size_t n)
{
	forward_elems(b, NFT_MSG_DELSETELEM, f, n, NULL);
}

/* The sets and maps keyed by the workload's interface, and their chains. */
static const struct {
	int family;
	const char *set;
	int chain; /* -1: a plain set */
} keyed[] = {
	{ NFPROTO_INET, NFT_WL_IFS, -1 },  { NFPROTO_INET, NFT_MAP_FROM, OUT },
	{ NFPROTO_INET, NFT_MAP_TO, IN },  { NFPROTO_INET, NFT_MAP_HOST, HOST },
	{ NFPROTO_ARP, NFT_MAP_ARP, ARP },
};

static void keyed_elems(struct nft_batch *b, int type, const char *ifname, const struct chains *c)
{
	char key[IFNAMSIZ];

	nft_ifname_key(key, ifname);
	for (size_t i = 0; i < sizeof(keyed) / sizeof(*keyed); i++) {
		struct nft_batch_elem e = { key, sizeof(key), NULL, NULL, 0 };

		if (c && keyed[i].chain >= 0)
			e.jump = c->name[keyed[i].chain];
		nft_batch_elem(b, type, keyed[i].family, keyed[i].set, &e);
	}
}

void nft_keyed_delete_batch(struct nft_batch *b, const char *ifname)
{
	keyed_elems(b, NFT_MSG_DELSETELEM, ifname, NULL);
}

void nft_workload_batch(struct nft_batch *b, const struct vigil_nft_workload *w)
{
	char name[NFT_NAME_SIZE + 16];
	struct chains c;

	chain_names(&c, w->id);
	for (int r = 0; r < VIGIL_NFT_N_REASONS; r++) {
		counter_name(name, c.pfx, r);
		nft_batch_counter(b, NFT_MSG_NEWOBJ, NFPROTO_INET, name);
	}
	counter_name(name, c.pfx, VIGIL_NFT_DROP_SPOOF);
	nft_batch_counter(b, NFT_MSG_NEWOBJ, NFPROTO_ARP, name);
	for (int i = 0; i < NFT_WL_N_CHAINS; i++)
		nft_batch_chain(b, NFT_MSG_NEWCHAIN, nft_wl_chains[i].family, c.name[i]);
	for (int i = 0; i < NFT_WL_N_CHAINS; i++)
		nft_batch_flush_chain(b, nft_wl_chains[i].family, c.name[i]);
	arp_rules(b, c.name[ARP], c.pfx, w);
	out_rules(b, &c, w);
	in_rules(b, &c, w);
	host_rules(b, c.name[HOST], c.pfx, w);
	keyed_elems(b, NFT_MSG_NEWSETELEM, w->ifname, &c);
	forward_elems(b, NFT_MSG_NEWSETELEM, w->forwards, w->n_forwards, w->ipv4);
}

void nft_workload_delete_batch(struct nft_batch *b, const char *id, const char *ifname,
			       const struct vigil_nft_forward *fwd, size_t n_fwd)
{
	char name[NFT_NAME_SIZE + 16];
	struct chains c;

	chain_names(&c, id);
	/* first what refers to the chains, then the chains, then their counters */
	keyed_elems(b, NFT_MSG_DELSETELEM, ifname, NULL);
	nft_forward_delete_batch(b, fwd, n_fwd);
	for (int i = 0; i < NFT_WL_N_CHAINS; i++)
		nft_batch_chain(b, NFT_MSG_DELCHAIN, nft_wl_chains[i].family, c.name[i]);
	for (int r = 0; r < VIGIL_NFT_N_REASONS; r++) {
		counter_name(name, c.pfx, r);
		nft_batch_counter(b, NFT_MSG_DELOBJ, NFPROTO_INET, name);
	}
	counter_name(name, c.pfx, VIGIL_NFT_DROP_SPOOF);
	nft_batch_counter(b, NFT_MSG_DELOBJ, NFPROTO_ARP, name);
}
