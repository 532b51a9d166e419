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
 * messages built here, the rest of the table through libnftables as before.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nft_internal.h"

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

#define MAX_NETFILTER_SOCKETS 64
#define ACK_TIMEOUT_MS	      5000
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

struct table_msg {
	int type; /* NFT_MSG_NEWTABLE or NFT_MSG_DELTABLE */
	int family;
	const char *name;
};

static struct nlmsghdr *put_header(char *buf, int type, int family, uint16_t flags, uint32_t seq,
				   uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = (uint8_t)family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

static int elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - since->tv_sec) * 1000 +
		     (now.tv_nsec - since->tv_nsec) / 1000000);
}

/*
 * Reads the kernel's answers to seq first..first+n-1 (each message asks for
 * an ack) and returns the first error among them. The socket is libnftables'
 * and non-blocking; nothing of ours may be left in it.
 */
static int read_acks(int fd, uint32_t first, size_t n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct timespec start;
	size_t answered = 0;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (answered < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = ACK_TIMEOUT_MS - elapsed_ms(&start);
		ssize_t got;
		int len;

		if (left <= 0 || poll(&p, 1, left) != 1)
			return -ETIMEDOUT;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		len = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first ||
			    h->nlmsg_seq >= first + n)
				continue;
			answered++;
			if (e->error && !err)
				err = e->error;
		}
	}
	return err;
}

/* Sends msgs as one transaction through fd: all of them apply, or none. */
static int send_batch(int fd, const struct table_msg *msgs, size_t n, unsigned int flags)
{
	static uint32_t next_seq = 0x76670000; /* apart from libnftables' own numbers */
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	uint32_t first;
	ssize_t sent;

	if (!b)
		return -ENOMEM;
	put_header(mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_BEGIN, AF_UNSPEC, 0, next_seq++,
		   NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
	first = next_seq;
	for (size_t i = 0; i < n; i++) {
		int type = NFNL_SUBSYS_NFTABLES << 8 | msgs[i].type;
		uint16_t f = NLM_F_ACK | (msgs[i].type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
		struct nlmsghdr *nlh = put_header(mnl_nlmsg_batch_current(b), type, msgs[i].family,
						  f, next_seq++, 0);

		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, msgs[i].name);
		if (msgs[i].type == NFT_MSG_NEWTABLE)
			mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(flags));
		mnl_nlmsg_batch_next(b);
	}
	put_header(mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_END, AF_UNSPEC, 0, next_seq++,
		   NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
	sent = send(fd, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), 0);
	mnl_nlmsg_batch_stop(b);
	if (sent < 0)
		return -errno;
	return read_acks(fd, first, n);
}

int nft_persist_supported(int fd)
{
	/* a table made and deleted in one transaction: nothing stays either way */
	const struct table_msg probe[] = {
		{ NFT_MSG_NEWTABLE, NFPROTO_INET, PROBE_TABLE },
		{ NFT_MSG_DELTABLE, NFPROTO_INET, PROBE_TABLE },
	};

	return send_batch(fd, probe, 2, NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);
}

int nft_claim_table(int fd, int family, bool replace)
{
	const struct table_msg claim[] = {
		{ NFT_MSG_DELTABLE, family, VIGIL_NFT_TABLE },
		{ NFT_MSG_NEWTABLE, family, VIGIL_NFT_TABLE },
	};

	return replace ? send_batch(fd, claim, 2, NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST)
		       : send_batch(fd, claim + 1, 1, NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);
}
