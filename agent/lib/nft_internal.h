/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the nft_*.c files: command text and the table's listed state. */
#ifndef VIGIL_NFT_INTERNAL_H
#define VIGIL_NFT_INTERNAL_H

#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdbool.h>

#include "nft_policy.h"
#include "strbuf.h"

#define NFT_T	      "inet " VIGIL_NFT_TABLE
#define NFT_A	      "arp " VIGIL_NFT_TABLE
#define NFT_NAME_SIZE 64
#define NFT_WL_IFS    "vigil_wl_ifs"
#define NFT_MAP_FROM  "vigil_from_wl"
#define NFT_MAP_TO    "vigil_to_wl"
#define NFT_MAP_HOST  "vigil_host_from_wl"
#define NFT_MAP_ARP   "vigil_arp_from_wl"
#define NFT_DENY4     "vigil_deny4"
#define NFT_DENY6     "vigil_deny6"
#define NFT_FWD_TCP   "vigil_fwd_tcp"
#define NFT_FWD_UDP   "vigil_fwd_udp"

/* "wl_<id>" with '-' as '_' (nft names take no '-'; ids hold no '_'). */
void nft_prefix(char buf[NFT_NAME_SIZE], const char *id);

/* AF_INET or AF_INET6 for an address or a prefix with zero host bits, else -EINVAL. */
int nft_check_prefix(const char *s);
int nft_check_opts(const struct vigil_nft_opts *opts, char *err, size_t len);

/*
 * Both tables with the given flags (NULL: they exist, claimed, and are left
 * as they are), their sets, maps and base chains, refreshed in place. ARP never reaches the inet hooks, so ARP has its own
 * table, `arp vigil`, laid out the same way.
 */
void nft_base_cmds(struct vigil_strbuf *b, const char *flags);
/* The deny set's elements, replaced. */
void nft_deny_cmds(struct vigil_strbuf *b, const struct vigil_nft_opts *opts);
/* One workload's chains (created or flushed and refilled), counters and entries. */
void nft_workload_cmds(struct vigil_strbuf *b, const struct vigil_nft_workload *w);
/* Deletes host port forwards' map entries. */
void nft_forward_delete_cmds(struct vigil_strbuf *b, const struct vigil_nft_forward *f, size_t n);

/* A libnftables context with buffered output and errors, for reading. */
struct nft_ctx *nft_ctx_buffered(void);
/*
 * The same, for changing the table: in *ret_fd the netlink socket it opened
 * (-1 if that cannot be told apart), which is to own the table.
 */
struct nft_ctx *nft_ctx_with_socket(int *ret_fd);
/* 0 when this kernel keeps owned tables on close (persist), else -EOPNOTSUPP. */
int nft_persist_supported(int fd);
/*
 * Claims table `vigil` of family (NFPROTO_*) through fd, owned and persistent,
 * creating it if needed: -EPERM when another socket owns it, -EOPNOTSUPP when
 * it exists without persist (a flag that cannot be added later), in which case
 * replace deletes and re-creates it in the same transaction.
 */
int nft_claim_table(int fd, int family, bool replace);

/* family: "inet" or "arp", the table an object is in */
struct nft_elem {
	char family[8];
	char set[NFT_NAME_SIZE];
	char key[IFNAMSIZ + 2];
	char target[NFT_NAME_SIZE]; /* jump target, "" in a plain set */
};

struct nft_named {
	char family[8];
	char name[NFT_NAME_SIZE];
};

struct nft_named_counter {
	char family[8];
	char name[NFT_NAME_SIZE];
	struct vigil_nft_counter value;
};

struct nft_state {
	struct nft_named *chains;
	size_t n_chains;
	struct nft_elem *elems;
	size_t n_elems;
	struct nft_named_counter *counters;
	size_t n_counters;
};

/* Adds what one `nft -j list ...` output holds of vigil's table to ret. */
int nft_state_parse(const char *json, struct nft_state *ret);
void nft_state_free(struct nft_state *s);

#endif
