// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Validation of workloads and options, so that a bad request never reaches
 * the kernel, and the nft command text of the table's base: sets, maps, base
 * chains and the deny list. The workloads' own rules are in nft_wl.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr_class.h"
#include "cidr.h"
#include "errmsg.h"
#include "nft_internal.h"
#include "workload_spec.h"

static const char *const reason_names[VIGIL_NFT_N_REASONS] = {
	[VIGIL_NFT_DROP_SPOOF] = "spoof",     [VIGIL_NFT_DROP_DENY] = "deny",
	[VIGIL_NFT_DROP_W2W] = "w2w",	      [VIGIL_NFT_DROP_HOST] = "host",
	[VIGIL_NFT_DROP_INBOUND] = "inbound", [VIGIL_NFT_DROP_RATE] = "rate",
	[VIGIL_NFT_DROP_CONN] = "conn",	      [VIGIL_NFT_DROP_EGRESS] = "egress",
	[VIGIL_NFT_DROP_NO_IPV6] = "no_ipv6",
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

int nft_check_prefix(const char *s)
{
	struct vigil_cidr c;

	return vigil_cidr_parse_as(s, VIGIL_CIDR_NETWORK, &c) < 0 ? -EINVAL : c.family;
}

/* A unicast address of the family, without prefix length, for a workload. */
static bool address_valid(const char *s, int family)
{
	const unsigned char *a;
	struct vigil_cidr c;

	if (!s || strchr(s, '/') || vigil_cidr_parse_as(s, VIGIL_CIDR_NETWORK, &c) < 0 ||
	    c.family != family)
		return false;
	a = c.bytes;
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

/* field: the spec's name of the list, e.g. "egress_to" */
static int check_prefixes(const char *const *p, size_t n, const char *field, char *err, size_t len)
{
	if (n > VIGIL_NFT_MAX_PREFIXES)
		return vigil_invalid(err, len, "%s: %zu prefixes, at most %d", field, n,
				     VIGIL_NFT_MAX_PREFIXES);
	for (size_t i = 0; i < n; i++)
		if (!p[i] || nft_check_prefix(p[i]) < 0)
			return vigil_invalid(
				err, len, "%s \"%s\": not an IPv4 or IPv6 prefix (host bits zero)",
				field, p[i] ? p[i] : "");
	return 0;
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
	r = check_prefixes(w->inbound_from, w->n_inbound_from, "inbound_from", err, len);
	if (!r)
		r = check_prefixes(w->egress_to, w->n_egress_to, "egress_to", err, len);
	if (!r)
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
	if (opts->n_deny > VIGIL_NFT_MAX_DENY)
		return vigil_invalid(err, len, "deny list: %zu prefixes, at most %d", opts->n_deny,
				     VIGIL_NFT_MAX_DENY);
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
			     "add set " NFT_T " " NFT_ND_TYPES " { type icmpv6_type; }\n"
			     "add element " NFT_T " " NFT_ND_TYPES " { nd-router-solicit, "
			     "nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, "
			     "mld2-listener-report }\n"
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

/* `prefix` in the deny list of `family`, after a ", " if it is not the first (*k). */
static void put_prefix(struct vigil_strbuf *b, const char *prefix, int family, size_t *k)
{
	if (nft_check_prefix(prefix) == family)
		vigil_strbuf_printf(b, "%s%s", (*k)++ ? ", " : "", prefix);
}

void nft_deny_cmds(struct vigil_strbuf *b, const struct vigil_nft_opts *opts)
{
	static const struct {
		const char *set;
		int family;
	} sets[] = { { NFT_DENY4, AF_INET }, { NFT_DENY6, AF_INET6 } };
	size_t n_classes;
	const struct vigil_addr_class *classes = vigil_addr_classes(&n_classes);

	for (size_t i = 0; i < sizeof(sets) / sizeof(*sets); i++) {
		size_t start, k = 0;

		vigil_strbuf_printf(b, "flush set " NFT_T " %s\n", sets[i].set);
		start = b->len;
		vigil_strbuf_printf(b, "add element " NFT_T " %s { ", sets[i].set);
		for (size_t c = 0; c < n_classes && !opts->no_default_deny; c++)
			if (classes[c].denied)
				put_prefix(b, classes[c].prefix, sets[i].family, &k);
		for (size_t d = 0; d < opts->n_deny; d++)
			put_prefix(b, opts->deny[d], sets[i].family, &k);
		if (k)
			vigil_strbuf_puts(b, " }\n");
		else /* nothing of this family: no element command at all */
			vigil_strbuf_truncate(b, start);
	}
}
