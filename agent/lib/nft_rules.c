// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nft command text of vigil's table: validation first, so that a bad
 * request never reaches the kernel, then one buffer per change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "nft_internal.h"
#include "workload_spec.h"

static const char *const default_deny[] = {
	"10.0.0.0/8",	  /* RFC 1918 */
	"172.16.0.0/12",  /* RFC 1918 */
	"192.168.0.0/16", /* RFC 1918 */
	"100.64.0.0/10",  /* CGNAT (RFC 6598) */
	"169.254.0.0/16", /* link-local, incl. cloud metadata 169.254.169.254 */
	"fc00::/7",	  /* unique local (RFC 4193) */
	"fe80::/10",	  /* link-local */
	"fec0::/10",	  /* site-local, deprecated but routable inside sites */
};

static const char *const reason_names[VIGIL_NFT_N_REASONS] = {
	[VIGIL_NFT_DROP_SPOOF] = "spoof",     [VIGIL_NFT_DROP_DENY] = "deny",
	[VIGIL_NFT_DROP_W2W] = "w2w",	      [VIGIL_NFT_DROP_HOST] = "host",
	[VIGIL_NFT_DROP_INBOUND] = "inbound", [VIGIL_NFT_DROP_RATE] = "rate",
	[VIGIL_NFT_DROP_CONN] = "conn",
};

const char *vigil_nft_reason_name(enum vigil_nft_reason r)
{
	return r < VIGIL_NFT_N_REASONS ? reason_names[r] : "unknown";
}

void nft_prefix(char buf[NFT_NAME_SIZE], const char *id)
{
	snprintf(buf, NFT_NAME_SIZE, "wl_%s", id);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

/*
 * An IPv4 or IPv6 address, or a prefix "addr/n" with its host bits zero.
 * Returns AF_INET or AF_INET6, or -EINVAL.
 */
int nft_check_prefix(const char *s)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned char a[16];
	unsigned long len, bits;
	int family;
	char *end;

	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, addr, a) != 1)
		return -EINVAL;
	bits = family == AF_INET ? 32 : 128;
	len = bits;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > bits)
			return -EINVAL;
	}
	for (unsigned long i = len; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	return family;
}

/* A unicast address of the family, without prefix length, for a workload. */
static bool address_valid(const char *s, int family)
{
	unsigned char a[16];

	if (!s || strchr(s, '/') || nft_check_prefix(s) != family)
		return false;
	inet_pton(family, s, a);
	if (family == AF_INET)
		return a[0] != 0 && a[0] < 224; /* not 0/8, multicast or reserved */
	return a[0] != 0xff && !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80) &&
	       memcmp(a, (unsigned char[16]){ 0 }, 15); /* not ::, ::1, multicast, fe80::/10 */
}

static bool ifname_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("-_.", *s))
			return false;
	return true;
}

static bool mac_valid(const char *s)
{
	unsigned int b[6];
	char tail;

	return strlen(s) == 17 && sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
					 &b[4], &b[5], &tail) == 6;
}

static int check_port(unsigned int port, const char *what, char *err, size_t len)
{
	if (port < 1 || port > 65535)
		return vigil_invalid(err, len, "%s: port %u is outside 1..65535", what, port);
	return 0;
}

static int check_proto(enum vigil_nft_proto proto, const char *what, char *err, size_t len)
{
	if (proto != VIGIL_NFT_TCP && proto != VIGIL_NFT_UDP)
		return vigil_invalid(err, len, "%s: protocol %d is neither tcp nor udp", what,
				     proto);
	return 0;
}

static int check_ports(const struct vigil_nft_port *p, size_t n, const char *what, char *err,
		       size_t len)
{
	int r = 0;

	if (n > VIGIL_NFT_MAX_PORTS)
		return vigil_invalid(err, len, "%s: %zu ports, at most %d", what, n,
				     VIGIL_NFT_MAX_PORTS);
	for (size_t i = 0; i < n && !r; i++) {
		r = check_proto(p[i].proto, what, err, len);
		if (!r)
			r = check_port(p[i].port, what, err, len);
	}
	return r;
}

static int check_forwards(const struct vigil_nft_forward *f, size_t n, char *err, size_t len)
{
	int r = 0;

	if (n > VIGIL_NFT_MAX_PORTS)
		return vigil_invalid(err, len, "forwards: %zu, at most %d", n, VIGIL_NFT_MAX_PORTS);
	for (size_t i = 0; i < n && !r; i++) {
		r = check_proto(f[i].proto, "forwards", err, len);
		if (!r)
			r = check_port(f[i].host_port, "forwards", err, len);
		if (!r)
			r = check_port(f[i].port, "forwards", err, len);
		for (size_t j = 0; j < i && !r; j++)
			if (f[j].proto == f[i].proto && f[j].host_port == f[i].host_port)
				r = vigil_invalid(err, len, "forwards: host port %s/%u given twice",
						  vigil_nft_proto_name(f[i].proto), f[i].host_port);
	}
	return r;
}

static int check_limits(const struct vigil_nft_workload *w, char *err, size_t len)
{
	if (w->egress_mbit > VIGIL_NFT_MAX_MBIT)
		return vigil_invalid(err, len, "egress_mbit %u is outside 1..%d (0: unlimited)",
				     w->egress_mbit, VIGIL_NFT_MAX_MBIT);
	if (w->max_connections > VIGIL_NFT_MAX_CONNECTIONS)
		return vigil_invalid(err, len, "max_connections %u is outside 1..%d (0: unlimited)",
				     w->max_connections, VIGIL_NFT_MAX_CONNECTIONS);
	return 0;
}

static int check_fields(const struct vigil_nft_workload *w, char *err, size_t len)
{
	int r;

	if (!ifname_valid(w->ifname))
		return vigil_invalid(err, len, "interface \"%s\": not 1..%d of [A-Za-z0-9._-]",
				     w->ifname ? w->ifname : "", IFNAMSIZ - 1);
	if (!address_valid(w->ipv4, AF_INET))
		return vigil_invalid(err, len, "ipv4 \"%s\": not a unicast IPv4 address",
				     w->ipv4 ? w->ipv4 : "");
	if (w->ipv6 && !address_valid(w->ipv6, AF_INET6))
		return vigil_invalid(err, len,
				     "ipv6 \"%s\": not a global or unique-local IPv6 address",
				     w->ipv6);
	if (w->mac && !mac_valid(w->mac))
		return vigil_invalid(err, len, "mac \"%s\": not xx:xx:xx:xx:xx:xx", w->mac);
	if (w->n_inbound_from > VIGIL_NFT_MAX_PREFIXES)
		return vigil_invalid(err, len, "%zu inbound source prefixes, at most %d",
				     w->n_inbound_from, VIGIL_NFT_MAX_PREFIXES);
	for (size_t i = 0; i < w->n_inbound_from; i++)
		if (!w->inbound_from[i] || nft_check_prefix(w->inbound_from[i]) < 0)
			return vigil_invalid(
				err, len,
				"inbound source \"%s\": not an IPv4 or IPv6 prefix (host bits "
				"zero)",
				w->inbound_from[i] ? w->inbound_from[i] : "");
	r = check_ports(w->inbound, w->n_inbound, "inbound ports", err, len);
	if (!r)
		r = check_ports(w->host_services, w->n_host_services, "host services", err, len);
	if (!r)
		r = check_forwards(w->forwards, w->n_forwards, err, len);
	if (!r)
		r = check_limits(w, err, len);
	return r;
}

int vigil_nft_workload_check(const struct vigil_nft_workload *w, char *err, size_t len)
{
	const char *id = w->id ? w->id : "";
	char why[VIGIL_NFT_ERR_SIZE];
	int r;

	if (!vigil_workload_id_valid(id))
		return vigil_invalid(err, len, "workload id \"%s\": not [a-z0-9][a-z0-9-]{0,31}",
				     id);
	r = check_fields(w, why, sizeof(why));
	if (r)
		snprintf(err, len, "workload \"%s\": %s", id, why);
	return r;
}

int nft_check_opts(const struct vigil_nft_opts *opts, char *err, size_t len)
{
	if (opts->n_deny > VIGIL_NFT_MAX_PREFIXES)
		return vigil_invalid(err, len, "deny list: %zu prefixes, at most %d", opts->n_deny,
				     VIGIL_NFT_MAX_PREFIXES);
	for (size_t i = 0; i < opts->n_deny; i++)
		if (!opts->deny[i] || nft_check_prefix(opts->deny[i]) < 0)
			return vigil_invalid(
				err, len,
				"deny list: \"%s\": not an IPv4 or IPv6 prefix (host bits zero)",
				opts->deny[i] ? opts->deny[i] : "");
	return 0;
}

const char *vigil_nft_proto_name(enum vigil_nft_proto p)
{
	return p == VIGIL_NFT_UDP ? "udp" : "tcp";
}

void nft_base_cmds(struct vigil_strbuf *b, const char *flags)
{
	static const char *const maps[] = { NFT_MAP_FROM, NFT_MAP_TO, NFT_MAP_HOST };

	if (flags)
		vigil_strbuf_printf(b, "add table " NFT_T " { %s }\nadd table " NFT_A " { %s }\n",
				    flags, flags);
	vigil_strbuf_puts(b, "add map " NFT_A " " NFT_MAP_ARP " { type ifname : verdict; }\n"
			     "add chain " NFT_A
			     " input { type filter hook input priority filter; policy accept; }\n"
			     "flush chain " NFT_A " input\n"
			     "add rule " NFT_A " input iifname vmap @" NFT_MAP_ARP "\n");
	vigil_strbuf_puts(b, "add set " NFT_T " " NFT_WL_IFS " { type ifname; }\n"
			     "add set " NFT_T " " NFT_DENY4
			     " { type ipv4_addr; flags interval; auto-merge; }\n"
			     "add set " NFT_T " " NFT_DENY6
			     " { type ipv6_addr; flags interval; auto-merge; }\n"
			     "add map " NFT_T " " NFT_FWD_TCP
			     " { type inet_service : ipv4_addr . inet_service; }\n"
			     "add map " NFT_T " " NFT_FWD_UDP
			     " { type inet_service : ipv4_addr . inet_service; }\n");
	for (size_t i = 0; i < sizeof(maps) / sizeof(*maps); i++)
		vigil_strbuf_printf(b, "add map " NFT_T " %s { type ifname : verdict; }\n",
				    maps[i]);
	vigil_strbuf_puts(
		b, "add chain " NFT_T
		   " forward { type filter hook forward priority filter; policy accept; }\n"
		   "add chain " NFT_T
		   " input { type filter hook input priority filter; policy accept; }\n"
		   "add chain " NFT_T
		   " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
		   "flush chain " NFT_T " forward\n"
		   "flush chain " NFT_T " input\n"
		   "flush chain " NFT_T " prerouting\n"
		   "add rule " NFT_T " forward iifname vmap @" NFT_MAP_FROM "\n"
		   "add rule " NFT_T " forward oifname vmap @" NFT_MAP_TO "\n"
		   "add rule " NFT_T " input iifname vmap @" NFT_MAP_HOST "\n"
		   /* a host port forward: one map lookup, whatever the number of forwards */
		   "add rule " NFT_T " prerouting fib daddr type local dnat ip addr . port to tcp "
		   "dport map @" NFT_FWD_TCP "\n"
		   "add rule " NFT_T " prerouting fib daddr type local dnat ip addr . port to udp "
		   "dport map @" NFT_FWD_UDP "\n");
}

/* The prefixes of the deny list of one family, each after a ", " but the first. */
static size_t put_prefixes(struct vigil_strbuf *b, const char *const *p, size_t n, int family,
			   size_t k)
{
	for (size_t i = 0; i < n; i++)
		if (nft_check_prefix(p[i]) == family)
			vigil_strbuf_printf(b, "%s%s", k++ ? ", " : "", p[i]);
	return k;
}

void nft_deny_cmds(struct vigil_strbuf *b, const struct vigil_nft_opts *opts)
{
	static const struct {
		const char *set;
		int family;
	} sets[] = { { NFT_DENY4, AF_INET }, { NFT_DENY6, AF_INET6 } };
	size_t n_default = opts->no_default_deny ? 0 : sizeof(default_deny) / sizeof(*default_deny);

	for (size_t i = 0; i < sizeof(sets) / sizeof(*sets); i++) {
		size_t start, k;

		vigil_strbuf_printf(b, "flush set " NFT_T " %s\n", sets[i].set);
		start = b->len;
		vigil_strbuf_printf(b, "add element " NFT_T " %s { ", sets[i].set);
		k = put_prefixes(b, default_deny, n_default, sets[i].family, 0);
		k = put_prefixes(b, opts->deny, opts->n_deny, sets[i].family, k);
		if (k)
			vigil_strbuf_puts(b, " }\n");
		else /* nothing of this family: no element command at all */
			vigil_strbuf_truncate(b, start);
	}
}

/* "tcp dport { a, b }" rules accepting the declared ports of one protocol. */
static void port_rules(struct vigil_strbuf *b, const char *chain, const struct vigil_nft_port *p,
		       size_t n, const struct vigil_nft_forward *f, size_t n_f,
		       enum vigil_nft_proto proto)
{
	size_t k = 0;

	for (size_t i = 0; i < n + n_f; i++) {
		unsigned int port = i < n ? p[i].port : f[i - n].port;

		if ((i < n ? p[i].proto : f[i - n].proto) != proto)
			continue;
		if (!k++)
			vigil_strbuf_printf(b, "add rule " NFT_T " %s %s dport { ", chain,
					    vigil_nft_proto_name(proto));
		else
			vigil_strbuf_puts(b, ", ");
		vigil_strbuf_printf(b, "%u", port);
	}
	if (k)
		vigil_strbuf_puts(b, " } accept\n");
}

/* Whatever comes from the workload must carry its own addresses. */
static void spoof_rules(struct vigil_strbuf *b, const char *chain, const char *pfx,
			const struct vigil_nft_workload *w)
{
	if (w->mac)
		vigil_strbuf_printf(b,
				    "add rule " NFT_T
				    " %s ether saddr != %s counter name %s_drop_spoof drop\n",
				    chain, w->mac, pfx);
	vigil_strbuf_printf(b,
			    "add rule " NFT_T " %s meta nfproto != { ipv4, ipv6 } counter name "
			    "%s_drop_spoof drop\n"
			    "add rule " NFT_T
			    " %s ip saddr != %s counter name %s_drop_spoof drop\n",
			    chain, pfx, chain, w->ipv4, pfx);
	if (w->ipv6)
		vigil_strbuf_printf(b,
				    "add rule " NFT_T
				    " %s ip6 saddr != %s counter name %s_drop_spoof drop\n",
				    chain, w->ipv6, pfx);
	else /* no IPv6 address is assigned, so any IPv6 source is spoofed */
		vigil_strbuf_printf(b,
				    "add rule " NFT_T
				    " %s meta nfproto ipv6 counter name %s_drop_spoof drop\n",
				    chain, pfx);
}

/*
 * Neighbour discovery and multicast listener reports, from the workload's
 * link-local, unspecified or own address, are how a kernel brings up any
 * link: let them reach the host when the workload has IPv6, drop them
 * uncounted otherwise (they are no attack, and would drown the spoof counter).
 */
static void neighbour_rule(struct vigil_strbuf *b, const char *chain,
			   const struct vigil_nft_workload *w)
{
	vigil_strbuf_printf(b,
			    "add rule " NFT_T " %s ip6 saddr { ::, fe80::/10%s%s } icmpv6 type { "
			    "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, "
			    "mld-listener-report, mld2-listener-report } %s\n",
			    chain, w->ipv6 ? ", " : "", w->ipv6 ? w->ipv6 : "",
			    w->ipv6 ? "accept" : "drop");
}

/* New connections over the limit are dropped: existing ones keep going. */
static void conn_rule(struct vigil_strbuf *b, const char *chain, const char *pfx,
		      const struct vigil_nft_workload *w)
{
	if (w->max_connections)
		vigil_strbuf_printf(b,
				    "add rule " NFT_T " %s ct state new ct count over %u counter "
				    "name %s_drop_conn drop\n",
				    chain, w->max_connections, pfx);
}

static void inbound_from_rules(struct vigil_strbuf *b, const char *in, const char *pfx,
			       const struct vigil_nft_workload *w)
{
	static const struct {
		int family;
		const char *match;
		const char *none;
	} fam[] = { { AF_INET, "ip saddr", "ipv4" }, { AF_INET6, "ip6 saddr", "ipv6" } };

	for (size_t f = 0; f < sizeof(fam) / sizeof(*fam); f++) {
		size_t start = b->len, k;

		vigil_strbuf_printf(b, "add rule " NFT_T " %s %s != { ", in, fam[f].match);
		k = put_prefixes(b, w->inbound_from, w->n_inbound_from, fam[f].family, 0);
		if (k) {
			vigil_strbuf_printf(b, " } counter name %s_drop_inbound drop\n", pfx);
			continue;
		}
		/* no declared source of this family: none of it may come in */
		vigil_strbuf_truncate(b, start);
		vigil_strbuf_printf(b,
				    "add rule " NFT_T " %s meta nfproto %s counter name "
				    "%s_drop_inbound drop\n",
				    in, fam[f].none, pfx);
	}
}

static void forward_elements(struct vigil_strbuf *b, const char *verb,
			     const struct vigil_nft_forward *f, size_t n, const char *ipv4)
{
	for (size_t i = 0; i < n; i++) {
		vigil_strbuf_printf(b, "%s element " NFT_T " %s { %u", verb,
				    f[i].proto == VIGIL_NFT_UDP ? NFT_FWD_UDP : NFT_FWD_TCP,
				    f[i].host_port);
		if (ipv4)
			vigil_strbuf_printf(b, " : %s . %u", ipv4, f[i].port);
		vigil_strbuf_puts(b, " }\n");
	}
}

void nft_forward_delete_cmds(struct vigil_strbuf *b, const struct vigil_nft_forward *f, size_t n)
{
	forward_elements(b, "delete", f, n, NULL);
}

void nft_workload_cmds(struct vigil_strbuf *b, const struct vigil_nft_workload *w)
{
	char pfx[NFT_NAME_SIZE], out[NFT_NAME_SIZE + 8], in[NFT_NAME_SIZE + 8],
		host[NFT_NAME_SIZE + 8];

	nft_prefix(pfx, w->id);
	snprintf(out, sizeof(out), "%s_out", pfx);
	snprintf(in, sizeof(in), "%s_in", pfx);
	snprintf(host, sizeof(host), "%s_host", pfx);
	for (int r = 0; r < VIGIL_NFT_N_REASONS; r++)
		vigil_strbuf_printf(b, "add counter " NFT_T " %s_drop_%s\n", pfx, reason_names[r]);
	/* ARP from the workload must name its own addresses as the sender */
	vigil_strbuf_printf(b,
			    "add counter " NFT_A " %s_drop_spoof\n"
			    "add chain " NFT_A " %s_arp\nflush chain " NFT_A " %s_arp\n"
			    "add rule " NFT_A
			    " %s_arp arp saddr ip != %s counter name %s_drop_spoof "
			    "drop\n",
			    pfx, pfx, pfx, pfx, w->ipv4, pfx);
	if (w->mac)
		vigil_strbuf_printf(b,
				    "add rule " NFT_A " %s_arp arp saddr ether != %s counter name "
				    "%s_drop_spoof drop\n",
				    pfx, w->mac, pfx);
	vigil_strbuf_printf(b,
			    "add chain " NFT_T " %s\nflush chain " NFT_T " %s\n"
			    "add chain " NFT_T " %s\nflush chain " NFT_T " %s\n"
			    "add chain " NFT_T " %s\nflush chain " NFT_T " %s\n",
			    out, out, in, in, host, host);

	/*
	 * To the outside: within its rate; replies to flows the inbound policy
	 * let in; new flows never to another workload or a denied prefix.
	 */
	spoof_rules(b, out, pfx, w);
	if (w->egress_mbit)
		vigil_strbuf_printf(b,
				    "add rule " NFT_T " %s limit rate over %llu bytes/second "
				    "burst %llu bytes counter name %s_drop_rate drop\n",
				    out, w->egress_mbit * 125000ULL,
				    /* 100 ms at the rate, and at least a few full frames */
				    w->egress_mbit * 12500ULL + 65536, pfx);
	vigil_strbuf_printf(
		b,
		"add rule " NFT_T " %s ct state established,related accept\n"
		"add rule " NFT_T " %s oifname @" NFT_WL_IFS " counter name %s_drop_w2w drop\n"
		"add rule " NFT_T " %s ip daddr @" NFT_DENY4 " counter name %s_drop_deny drop\n"
		"add rule " NFT_T " %s ip6 daddr @" NFT_DENY6 " counter name %s_drop_deny drop\n",
		out, out, pfx, out, pfx, out, pfx);
	conn_rule(b, out, pfx, w);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s accept\n", out);

	/* from the outside: replies, and new flows to declared ports only */
	vigil_strbuf_printf(b, "add rule " NFT_T " %s ct state established,related accept\n", in);
	if (w->n_inbound_from)
		inbound_from_rules(b, in, pfx, w);
	conn_rule(b, in, pfx, w);
	port_rules(b, in, w->inbound, w->n_inbound, w->forwards, w->n_forwards, VIGIL_NFT_TCP);
	port_rules(b, in, w->inbound, w->n_inbound, w->forwards, w->n_forwards, VIGIL_NFT_UDP);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s counter name %s_drop_inbound drop\n", in,
			    pfx);

	/* to the host itself: declared services only */
	neighbour_rule(b, host, w);
	spoof_rules(b, host, pfx, w);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s ct state established,related accept\n", host);
	port_rules(b, host, w->host_services, w->n_host_services, NULL, 0, VIGIL_NFT_TCP);
	port_rules(b, host, w->host_services, w->n_host_services, NULL, 0, VIGIL_NFT_UDP);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s counter name %s_drop_host drop\n", host, pfx);

	vigil_strbuf_printf(b,
			    "add element " NFT_T " " NFT_WL_IFS " { \"%s\" }\n"
			    "add element " NFT_T " " NFT_MAP_FROM " { \"%s\" : jump %s }\n"
			    "add element " NFT_T " " NFT_MAP_TO " { \"%s\" : jump %s }\n"
			    "add element " NFT_T " " NFT_MAP_HOST " { \"%s\" : jump %s }\n"
			    "add element " NFT_A " " NFT_MAP_ARP " { \"%s\" : jump %s_arp }\n",
			    w->ifname, w->ifname, out, w->ifname, in, w->ifname, host, w->ifname,
			    pfx);
	forward_elements(b, "add", w->forwards, w->n_forwards, w->ipv4);
}
