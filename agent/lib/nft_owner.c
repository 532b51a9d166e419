// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The owner and persist flags of vigil's tables. Owned, a table can be changed
 * or deleted only through the netlink socket that claimed it, and another
 * actor's `nft flush ruleset` passes it by. Persist (kernel 6.9+) keeps an
 * owned table when that socket closes, so a crashed agent leaves isolation in
 * place and its next start claims the table back.
 *
 * libnftables 1.0.6 can say `flags owner` but not `persist`, and every change
 * after the claim must come from the claiming socket, which is libnftables'
 * own. So the claim is sent through that socket: a batch of one or two table
 * messages built with libnftnl (nft_batch.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nft_internal.h"

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

#define MAX_NETFILTER_SOCKETS 64
#define PROBE_TABLE	      "vigil_persist_probe"

static bool is_netfilter_socket(int fd)
{
	struct sockaddr_nl addr;
	socklen_t len = sizeof(addr);
	int proto;
	socklen_t plen = sizeof(proto);

	return !getsockname(fd, (struct sockaddr *)&addr, &len) && addr.nl_family == AF_NETLINK &&
	       !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) &&
	       proto == NETLINK_NETFILTER;
}

/* The process's netfilter netlink sockets, at most max of them. */
static size_t netfilter_sockets(int *fds, size_t max)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (!dir)
		return 0;
	while ((e = readdir(dir)) && n < max) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(dir) && is_netfilter_socket(fd))
			fds[n++] = fd;
	}
	closedir(dir);
	return n;
}

struct nft_ctx *nft_ctx_buffered(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx && (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx))) {
		nft_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

struct nft_ctx *nft_ctx_with_socket(int *ret_fd)
{
	int before[MAX_NETFILTER_SOCKETS], after[MAX_NETFILTER_SOCKETS];
	size_t nb = netfilter_sockets(before, MAX_NETFILTER_SOCKETS), na;
	struct nft_ctx *ctx = nft_ctx_buffered();

	*ret_fd = -1;
	if (!ctx)
		return NULL;
	/* the context opened exactly one socket; anything else leaves fd unknown */
	na = netfilter_sockets(after, MAX_NETFILTER_SOCKETS);
	for (size_t i = 0; i < na; i++) {
		bool old = false;

		for (size_t j = 0; j < nb; j++)
			old |= after[i] == before[j];
		if (!old) {
			if (*ret_fd >= 0) {
				*ret_fd = -1;
				break;
			}
			*ret_fd = after[i];
		}
	}
	/* a child that kept the owning socket would own vigil's table */
	if (*ret_fd >= 0 && fcntl(*ret_fd, F_SETFD, FD_CLOEXEC) < 0) {
		nft_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

int nft_persist_supported(int fd)
{
	struct nft_batch b;
	int r;

	/* a table made and deleted in one transaction: nothing stays either way */
	nft_batch_init(&b);
	nft_batch_table(&b, NFT_MSG_NEWTABLE, NFPROTO_INET, PROBE_TABLE,
			NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);
	nft_batch_table(&b, NFT_MSG_DELTABLE, NFPROTO_INET, PROBE_TABLE, 0);
	r = nft_batch_commit(&b, fd);
	nft_batch_free(&b);
	return r;
}

int nft_claim_table(int fd, int family, bool replace)
{
	struct nft_batch b;
	int r;

	nft_batch_init(&b);
	if (replace)
		nft_batch_table(&b, NFT_MSG_DELTABLE, family, VIGIL_NFT_TABLE, 0);
	nft_batch_table(&b, NFT_MSG_NEWTABLE, family, VIGIL_NFT_TABLE,
			NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);
	r = nft_batch_commit(&b, fd);
	nft_batch_free(&b);
	return r;
}
