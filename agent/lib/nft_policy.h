/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Workload network isolation in vigil's own nftables table, `inet vigil`.
 *
 * Base chains are hooked once (forward, input); each workload's traffic
 * reaches its own chains through verdict maps keyed by interface name, so a
 * packet pays one map lookup whatever the number of workloads. Every change
 * is one libnftables buffer, which the kernel applies as one transaction.
 */
#ifndef VIGIL_NFT_POLICY_H
#define VIGIL_NFT_POLICY_H

#include <linux/types.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter.h"

#define VIGIL_NFT_TABLE	       "vigil"
#define VIGIL_NFT_MAX_PREFIXES 64
/* the deny list: configured prefixes and the host's own subnets, however many it has */
#define VIGIL_NFT_MAX_DENY  4096
#define VIGIL_NFT_MAX_PORTS 64
#define VIGIL_NFT_ERR_SIZE  512
/* 100 Gbit/s */
#define VIGIL_NFT_MAX_MBIT	  100000
#define VIGIL_NFT_MAX_CONNECTIONS 1048576

enum vigil_nft_proto {
	VIGIL_NFT_TCP,
	VIGIL_NFT_UDP,
};

struct vigil_nft_port {
	enum vigil_nft_proto proto;
	unsigned int port; /* 1..65535 */
};

/* New flows to the host's own addresses on host_port go to the workload's port. */
struct vigil_nft_forward {
	enum vigil_nft_proto proto;
	unsigned int host_port; /* 1..65535 */
	unsigned int port;	/* 1..65535, opened inbound by the forward */
};

struct vigil_nft_workload {
	const char *id;	    /* a workload id, [a-z0-9][a-z0-9-]{0,31} */
	const char *ifname; /* host side interface */
	const char *ipv4;   /* the workload's own address, without prefix length */
	const char *ipv6;   /* its IPv6 address, or NULL: it may send no IPv6 at all */
	const char *mac;    /* its MAC, or NULL not to check it */
	const struct vigil_nft_port *inbound; /* ports open to the outside */
	size_t n_inbound;
	/* if any, inbound only from these prefixes (IPv4 or IPv6) */
	const char *const *inbound_from;
	size_t n_inbound_from;
	/* if any, new flows out only to these prefixes (IPv4 or IPv6) */
	const char *const *egress_to;
	size_t n_egress_to;
	const struct vigil_nft_port *host_services; /* host ports it may reach */
	size_t n_host_services;
	const struct vigil_nft_forward *forwards; /* IPv4 only */
	size_t n_forwards;
	unsigned int egress_mbit;     /* 0: unlimited; else 1..VIGIL_NFT_MAX_MBIT */
	unsigned int max_connections; /* 0: unlimited; else per direction */
};

struct vigil_nft_opts {
	/* denied destinations besides the defaults, IPv4 or IPv6 prefixes */
	const char *const *deny;
	size_t n_deny;
	/* leave out the address classes denied by default (addr_class.h) */
	bool no_default_deny;
	bool no_owner; /* do not claim the table (lets other actors edit it) */
};

/* Drop reasons, each a named counter per workload: wl_<id>_drop_<reason>. */
enum vigil_nft_reason {
	VIGIL_NFT_DROP_SPOOF,
	VIGIL_NFT_DROP_DENY,
	VIGIL_NFT_DROP_W2W,
	VIGIL_NFT_DROP_HOST,
	VIGIL_NFT_DROP_INBOUND,
	VIGIL_NFT_DROP_RATE,   /* over egress_mbit */
	VIGIL_NFT_DROP_CONN,   /* a new connection over max_connections */
	VIGIL_NFT_DROP_EGRESS, /* a new flow out to a destination outside egress_to */
	/*
	 * Harmless: neighbour discovery or a listener report to the host from a
	 * workload given no IPv6 address (its kernel has IPv6 on all the same).
	 */
	VIGIL_NFT_DROP_NO_IPV6,
	VIGIL_NFT_N_REASONS,
};

struct vigil_nft_counter {
	uint64_t packets;
	uint64_t bytes;
};

struct vigil_nft;

/*
 * Creates or refreshes the tables (inet vigil, arp vigil), their sets, maps
 * and base chains in the calling thread's network namespace. The tables are
 * claimed (owner flag) unless opts->no_owner, when the kernel allows it.
 * Owned without persist (which libnftables 1.0.6 cannot express), they live
 * only as long as the returned handle. On failure other than -ENOMEM, *ret
 * is still set, for vigil_nft_error(); free it with vigil_nft_free().
 */
int vigil_nft_init(const struct vigil_nft_opts *opts, struct vigil_nft **ret);
void vigil_nft_free(struct vigil_nft *h);

/*
 * Replaces the denied destinations (the defaults unless no_default_deny, and
 * opts->deny) in one transaction; opts->no_owner is not looked at.
 */
int vigil_nft_set_deny(struct vigil_nft *h, const struct vigil_nft_opts *opts);

/* Whether the table carries the owner / persist flags. */
bool vigil_nft_owned(const struct vigil_nft *h);
bool vigil_nft_persistent(const struct vigil_nft *h);

/* The reason of the last failure, naming the object ("" if none). */
const char *vigil_nft_error(const struct vigil_nft *h);

/* Checks a workload's fields; on -EINVAL, err names the field and why. */
int vigil_nft_workload_check(const struct vigil_nft_workload *w, char *err, size_t len);

/*
 * Adds or replaces one workload's chains, counters and map entries; -EEXIST
 * when its interface, an address or a forwarded host port is another
 * workload's. Checked against what this handle installed, which after a
 * restart is what vigil_nft_reconcile() brought the table to.
 */
int vigil_nft_apply(struct vigil_nft *h, const struct vigil_nft_workload *w);

/* Removes one workload's chains, counters and map entries; -ENOENT if none. */
int vigil_nft_remove(struct vigil_nft *h, const char *id);

/* Brings the table to exactly these workloads, in one transaction. */
int vigil_nft_reconcile(struct vigil_nft *h, const struct vigil_nft_workload *all, size_t n);

const char *vigil_nft_reason_name(enum vigil_nft_reason r);
const char *vigil_nft_proto_name(enum vigil_nft_proto p);

/*
 * One workload's drop counters, read from the table in the calling thread's
 * network namespace; -ENOENT when the table or the workload is not there.
 * Needs no handle, so a CLI can read what the agent installed.
 */
int vigil_nft_counters(const char *id, struct vigil_nft_counter ret[VIGIL_NFT_N_REASONS]);

/* A workload in the table, as `vigil net show` lists them all. */
struct vigil_nft_listed {
	char id[VIGIL_ID_SIZE];
	char ifname[IFNAMSIZ];
	struct vigil_nft_counter drops[VIGIL_NFT_N_REASONS];
};

/*
 * Every workload in the table with its interface and drop counters, from
 * one listing, sorted by id; none when there is no table. Free *ret.
 */
int vigil_nft_list(struct vigil_nft_listed **ret, size_t *n);

/*
 * The nft text of one workload's chains (out, in, host; arp), for display;
 * -ENOENT when it has none. Free *ret.
 */
int vigil_nft_rules(const char *id, char **ret);

/* A base chain of another table that drops forwarded packets by default. */
struct vigil_nft_foreign {
	char family[16];
	char table[64];
	char chain[64];
	/* "policy drop", or "ends in drop" / "ends in reject": an unconditional last rule */
	char how[16];
};

/*
 * The forward-hook base chains outside vigil's table that drop what no rule
 * of theirs accepted, by policy (Docker's) or by a last rule that drops or
 * rejects everything (firewalld's): an accept ends only vigil's own chain,
 * so they drop workload traffic that vigil accepts. Free *ret.
 */
int vigil_nft_foreign_drops(struct vigil_nft_foreign **ret, size_t *n);

#endif
