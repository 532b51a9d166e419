/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the nft_*.c files: command text and the table's listed state. */
#ifndef VIGIL_NFT_INTERNAL_H
#define VIGIL_NFT_INTERNAL_H

#include <net/if.h>

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

/* "wl_<id>" with '-' as '_' (nft names take no '-'; ids hold no '_'). */
void nft_prefix(char buf[NFT_NAME_SIZE], const char *id);

int nft_check_prefix4(const char *s);
int nft_check_opts(const struct vigil_nft_opts *opts, char *err, size_t len);

/*
 * Both tables with the given flags, their sets, maps and base chains,
 * refreshed in place. ARP never reaches the inet hooks, so ARP has its own
 * table, `arp vigil`, laid out the same way.
 */
void nft_base_cmds(struct vigil_strbuf *b, const char *flags);
/* The deny set's elements, replaced. */
void nft_deny_cmds(struct vigil_strbuf *b, const struct vigil_nft_opts *opts);
/* One workload's chains (created or flushed and refilled), counters and entries. */
void nft_workload_cmds(struct vigil_strbuf *b, const struct vigil_nft_workload *w);

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
