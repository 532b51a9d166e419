/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the nft_*.c files: command text and the table's listed state. */
#ifndef VIGIL_NFT_INTERNAL_H
#define VIGIL_NFT_INTERNAL_H

#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdint.h>

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
#define NFT_ND_TYPES  "vigil_nd_types"

/* "wl_<id>" with '-' as '_' (nft names take no '-'; ids hold no '_'). */
void nft_prefix(char buf[NFT_NAME_SIZE], const char *id);

/* The family of a network as vigil_cidr_parse_as() reads one, else -EINVAL. */
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
/*
 * One nf_tables transaction, built with libnftnl: every message below is
 * appended, and nft_batch_commit() sends them all as one batch. A failure to
 * build one is kept in err and returned by the commit.
 */
struct nft_batch {
	char *buf;
	size_t len, cap;
	size_t last_off; /* where the last message starts */
	size_t n_msgs;
	uint32_t begin_seq, last_seq;
	int err;
};

/* A set element: key, and either a jump target or data (a map's) or neither. */
struct nft_batch_elem {
	const void *key;
	size_t key_len;
	const char *jump;
	const void *data;
	size_t data_len;
};

struct nftnl_rule;
struct nlmsghdr;

void nft_batch_init(struct nft_batch *b);
void nft_batch_free(struct nft_batch *b);
/* Appends the header of a message of type (NFT_MSG_*), NULL on failure. */
struct nlmsghdr *nft_batch_msg(struct nft_batch *b, int type, int family, uint16_t flags);
/* Tables, chains, counters and elements by name, in table `vigil`. */
void nft_batch_table(struct nft_batch *b, int type, int family, const char *name, uint32_t flags);
void nft_batch_chain(struct nft_batch *b, int type, int family, const char *name);
void nft_batch_flush_chain(struct nft_batch *b, int family, const char *name);
void nft_batch_counter(struct nft_batch *b, int type, int family, const char *name);
/* elem NULL with NFT_MSG_DELSETELEM: every element of the set */
void nft_batch_elem(struct nft_batch *b, int type, int family, const char *set,
		    const struct nft_batch_elem *elem);
/* Appends rule r (NULL: it could not be built) and frees it. */
void nft_batch_rule(struct nft_batch *b, int family, struct nftnl_rule *r);
/* Sends the batch through fd and returns the first error the kernel gave. */
int nft_batch_commit(struct nft_batch *b, int fd);

/* An interface name as nftables keys it: IFNAMSIZ bytes, zero padded. */
void nft_ifname_key(char key[IFNAMSIZ], const char *ifname);
/* A netlink socket of our own for batches, where the owner's cannot be told: -errno on failure. */
int nft_socket_open(void);

/* A workload's chains, "<prefix>_<suffix>", in the order they are deleted in. */
#define NFT_WL_N_CHAINS 6
struct nft_wl_chain {
	int family; /* NFPROTO_INET or NFPROTO_ARP */
	const char *family_name;
	const char *suffix;
};
extern const struct nft_wl_chain nft_wl_chains[NFT_WL_N_CHAINS];

/* One workload's chains (created or flushed and refilled), counters and entries. */
void nft_workload_batch(struct nft_batch *b, const struct vigil_nft_workload *w);
/* Deletes all of workload w's, given the interface and forwards it was installed with. */
void nft_workload_delete_batch(struct nft_batch *b, const char *id, const char *ifname,
			       const struct vigil_nft_forward *fwd, size_t n_fwd);
/* Deletes the entries keyed by interface ifname, and host port forwards' entries. */
void nft_keyed_delete_batch(struct nft_batch *b, const char *ifname);
void nft_forward_delete_batch(struct nft_batch *b, const struct vigil_nft_forward *f, size_t n);

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
