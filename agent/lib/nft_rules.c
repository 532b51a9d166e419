// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nft command text of vigil's table: validation first, so that a bad
 * request never reaches the kernel, then one buffer per change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_internal.h"
#include "workload_spec.h"

static const char *const default_deny4[] = {
	"10.0.0.0/8",	  /* RFC 1918 */
	"172.16.0.0/12",  /* RFC 1918 */
	"192.168.0.0/16", /* RFC 1918 */
	"100.64.0.0/10",  /* CGNAT (RFC 6598) */
	"169.254.0.0/16", /* link-local, incl. cloud metadata 169.254.169.254 */
};

static const char *const reason_names[VIGIL_NFT_N_REASONS] = {
	[VIGIL_NFT_DROP_SPOOF] = "spoof",     [VIGIL_NFT_DROP_DENY] = "deny",
	[VIGIL_NFT_DROP_W2W] = "w2w",	      [VIGIL_NFT_DROP_HOST] = "host",
	[VIGIL_NFT_DROP_INBOUND] = "inbound",
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

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A dotted IPv4 address, or a prefix "a.b.c.d/n" with host bits zero. */
int nft_check_prefix4(const char *s)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	unsigned long len = 32;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;

	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > 32)
			return -EINVAL;
	}
	if (len < 32 && (ntohl(a.s_addr) & (0xffffffffU >> len)))
		return -EINVAL;
	return 0;
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

static int check_ports(const struct vigil_nft_port *p, size_t n, const char *what, char *err,
		       size_t len)
{
	if (n > VIGIL_NFT_MAX_PORTS)
		return fail(err, len, "%s: %zu ports, at most %d", what, n, VIGIL_NFT_MAX_PORTS);
	for (size_t i = 0; i < n; i++) {
		if (p[i].proto != VIGIL_NFT_TCP && p[i].proto != VIGIL_NFT_UDP)
			return fail(err, len, "%s: protocol %d is neither tcp nor udp", what,
				    p[i].proto);
		if (p[i].port < 1 || p[i].port > 65535)
			return fail(err, len, "%s: port %u is outside 1..65535", what, p[i].port);
	}
	return 0;
}

int vigil_nft_workload_check(const struct vigil_nft_workload *w, char *err, size_t len)
{
	const char *id = w->id ? w->id : "";
	int r;

	if (!vigil_workload_id_valid(id))
		return fail(err, len, "workload id \"%s\": not [a-z0-9][a-z0-9-]{0,31}", id);
	if (!ifname_valid(w->ifname))
		return fail(err, len, "workload %s: interface \"%s\": not 1..%d of [A-Za-z0-9._-]",
			    id, w->ifname ? w->ifname : "", IFNAMSIZ - 1);
	if (!w->ipv4 || strchr(w->ipv4, '/') || nft_check_prefix4(w->ipv4))
		return fail(err, len, "workload %s: ipv4 \"%s\": not an IPv4 address", id,
			    w->ipv4 ? w->ipv4 : "");
	if (w->mac && !mac_valid(w->mac))
		return fail(err, len, "workload %s: mac \"%s\": not xx:xx:xx:xx:xx:xx", id, w->mac);
	if (w->n_inbound_from > VIGIL_NFT_MAX_PREFIXES)
		return fail(err, len, "workload %s: %zu inbound source prefixes, at most %d", id,
			    w->n_inbound_from, VIGIL_NFT_MAX_PREFIXES);
	for (size_t i = 0; i < w->n_inbound_from; i++)
		if (nft_check_prefix4(w->inbound_from[i]))
			return fail(err, len,
				    "workload %s: inbound source \"%s\": not an IPv4 prefix "
				    "(host bits zero)",
				    id, w->inbound_from[i]);
	r = check_ports(w->inbound, w->n_inbound, "inbound ports", err, len);
	if (!r)
		r = check_ports(w->host_services, w->n_host_services, "host services", err, len);
	if (r) {
		/* prepend the workload to the message */
		char tmp[VIGIL_NFT_ERR_SIZE];

		snprintf(tmp, sizeof(tmp), "workload %s: %s", id, err);
		snprintf(err, len, "%s", tmp);
	}
	return r;
}

int nft_check_opts(const struct vigil_nft_opts *opts, char *err, size_t len)
{
	if (opts->n_deny4 > VIGIL_NFT_MAX_PREFIXES)
		return fail(err, len, "deny list: %zu prefixes, at most %d", opts->n_deny4,
			    VIGIL_NFT_MAX_PREFIXES);
	for (size_t i = 0; i < opts->n_deny4; i++)
		if (!opts->deny4[i] || nft_check_prefix4(opts->deny4[i]))
			return fail(err, len,
				    "deny list: \"%s\": not an IPv4 prefix (host bits zero)",
				    opts->deny4[i] ? opts->deny4[i] : "");
	return 0;
}

void nft_base_cmds(struct vigil_strbuf *b, const char *flags)
{
	static const char *const maps[] = { NFT_MAP_FROM, NFT_MAP_TO, NFT_MAP_HOST };

	vigil_strbuf_printf(b,
			    "add table " NFT_T " { %s }\n"
			    "add table " NFT_A " { %s }\n"
			    "add map " NFT_A " " NFT_MAP_ARP " { type ifname : verdict; }\n"
			    "add chain " NFT_A
			    " input { type filter hook input priority filter; policy accept; }\n"
			    "flush chain " NFT_A " input\n"
			    "add rule " NFT_A " input iifname vmap @" NFT_MAP_ARP "\n",
			    flags, flags);
	vigil_strbuf_printf(b, "add set " NFT_T " " NFT_WL_IFS " { type ifname; }\n"
			       "add set " NFT_T " " NFT_DENY4
			       " { type ipv4_addr; flags interval; auto-merge; }\n");
	for (size_t i = 0; i < sizeof(maps) / sizeof(*maps); i++)
		vigil_strbuf_printf(b, "add map " NFT_T " %s { type ifname : verdict; }\n",
				    maps[i]);
	vigil_strbuf_puts(b,
			  "add chain " NFT_T
			  " forward { type filter hook forward priority filter; policy accept; }\n"
			  "add chain " NFT_T
			  " input { type filter hook input priority filter; policy accept; }\n"
			  "flush chain " NFT_T " forward\n"
			  "flush chain " NFT_T " input\n"
			  "add rule " NFT_T " forward iifname vmap @" NFT_MAP_FROM "\n"
			  "add rule " NFT_T " forward oifname vmap @" NFT_MAP_TO "\n"
			  "add rule " NFT_T " input iifname vmap @" NFT_MAP_HOST "\n");
}

void nft_deny_cmds(struct vigil_strbuf *b, const struct vigil_nft_opts *opts)
{
	size_t n = 0;

	vigil_strbuf_puts(b, "flush set " NFT_T " " NFT_DENY4 "\n");
	if (!opts->no_default_deny || opts->n_deny4) {
		vigil_strbuf_puts(b, "add element " NFT_T " " NFT_DENY4 " { ");
		for (size_t i = 0;
		     !opts->no_default_deny && i < sizeof(default_deny4) / sizeof(*default_deny4);
		     i++)
			vigil_strbuf_printf(b, "%s%s", n++ ? ", " : "", default_deny4[i]);
		for (size_t i = 0; i < opts->n_deny4; i++)
			vigil_strbuf_printf(b, "%s%s", n++ ? ", " : "", opts->deny4[i]);
		vigil_strbuf_puts(b, " }\n");
	}
}

/* "tcp dport { a, b }" rules accepting the declared ports of one protocol. */
static void port_rules(struct vigil_strbuf *b, const char *chain, const struct vigil_nft_port *p,
		       size_t n, enum vigil_nft_proto proto)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i].proto != proto)
			continue;
		if (!k++)
			vigil_strbuf_printf(b, "add rule " NFT_T " %s %s dport { ", chain,
					    proto == VIGIL_NFT_TCP ? "tcp" : "udp");
		else
			vigil_strbuf_puts(b, ", ");
		vigil_strbuf_printf(b, "%u", p[i].port);
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
				    " %s ether saddr != %s counter name %s_drop_spoof "
				    "drop\n",
				    chain, w->mac, pfx);
	/* no IPv6 address is assigned, so any IPv6 source is spoofed */
	vigil_strbuf_printf(b,
			    "add rule " NFT_T " %s meta nfproto != ipv4 counter name %s_drop_spoof "
			    "drop\n"
			    "add rule " NFT_T
			    " %s ip saddr != %s counter name %s_drop_spoof drop\n",
			    chain, pfx, chain, w->ipv4, pfx);
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

	/* to the outside: never another workload, never a denied prefix */
	spoof_rules(b, out, pfx, w);
	vigil_strbuf_printf(
		b,
		"add rule " NFT_T " %s oifname @" NFT_WL_IFS " counter name %s_drop_w2w drop\n"
		"add rule " NFT_T " %s ip daddr @" NFT_DENY4 " counter name %s_drop_deny drop\n"
		"add rule " NFT_T " %s accept\n",
		out, pfx, out, pfx, out);

	/* from the outside: replies, and new flows to declared ports only */
	vigil_strbuf_printf(b, "add rule " NFT_T " %s ct state established,related accept\n", in);
	if (w->n_inbound_from) {
		vigil_strbuf_printf(b, "add rule " NFT_T " %s ip saddr != { ", in);
		for (size_t i = 0; i < w->n_inbound_from; i++)
			vigil_strbuf_printf(b, "%s%s", i ? ", " : "", w->inbound_from[i]);
		vigil_strbuf_printf(b, " } counter name %s_drop_inbound drop\n", pfx);
	}
	port_rules(b, in, w->inbound, w->n_inbound, VIGIL_NFT_TCP);
	port_rules(b, in, w->inbound, w->n_inbound, VIGIL_NFT_UDP);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s counter name %s_drop_inbound drop\n", in,
			    pfx);

	/* to the host itself: declared services only */
	spoof_rules(b, host, pfx, w);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s ct state established,related accept\n", host);
	port_rules(b, host, w->host_services, w->n_host_services, VIGIL_NFT_TCP);
	port_rules(b, host, w->host_services, w->n_host_services, VIGIL_NFT_UDP);
	vigil_strbuf_printf(b, "add rule " NFT_T " %s counter name %s_drop_host drop\n", host, pfx);

	vigil_strbuf_printf(b,
			    "add element " NFT_T " " NFT_WL_IFS " { \"%s\" }\n"
			    "add element " NFT_T " " NFT_MAP_FROM " { \"%s\" : jump %s }\n"
			    "add element " NFT_T " " NFT_MAP_TO " { \"%s\" : jump %s }\n"
			    "add element " NFT_T " " NFT_MAP_HOST " { \"%s\" : jump %s }\n"
			    "add element " NFT_A " " NFT_MAP_ARP " { \"%s\" : jump %s_arp }\n",
			    w->ifname, w->ifname, out, w->ifname, in, w->ifname, host, w->ifname,
			    pfx);
}
