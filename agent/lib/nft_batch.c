// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nf_tables transactions built here with libnftnl and sent on a given socket.
 * libnftables evaluates every `add rule` or `add element` against a cache of
 * all the ruleset's chains, sets and objects, which it fetches from the kernel
 * first: at 1,000 workloads that fetch alone costs a hundred times a
 * workload's own change. A batch built here needs no cache, and since it goes
 * out on the table owner's socket, it may change an owned table.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nft_internal.h"

/* room for the largest message built here: a rule of a dozen expressions */
#define MSG_ROOM       16384
#define ACK_TIMEOUT_MS 5000

/* apart from libnftables' own numbers on the same socket */
static uint32_t next_seq = 0x76670000;

static char *room(struct nft_batch *b)
{
	char *grown;
	size_t cap;

	if (b->err)
		return NULL;
	if (b->cap - b->len >= MSG_ROOM)
		return b->buf + b->len;
	cap = b->cap ? b->cap * 2 : 4 * MSG_ROOM;
	grown = realloc(b->buf, cap);
	if (!grown) {
		b->err = -ENOMEM;
		return NULL;
	}
	b->buf = grown;
	b->cap = cap;
	return b->buf + b->len;
}

static void put_batch_marker(struct nft_batch *b, int type)
{
	char *at = room(b);
	struct nlmsghdr *nlh;

	if (!at)
		return;
	nlh = type == NFNL_MSG_BATCH_BEGIN ? nftnl_batch_begin(at, next_seq++)
					   : nftnl_batch_end(at, next_seq++);
	b->len += nlh->nlmsg_len;
}

void nft_batch_init(struct nft_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->begin_seq = next_seq;
	put_batch_marker(b, NFNL_MSG_BATCH_BEGIN);
}

void nft_batch_free(struct nft_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

struct nlmsghdr *nft_batch_msg(struct nft_batch *b, int type, int family, uint16_t flags)
{
	char *at = room(b);

	if (!at)
		return NULL;
	b->n_msgs++;
	b->last_off = b->len;
	b->last_seq = next_seq;
	return nftnl_nlmsg_build_hdr(at, (uint16_t)type, (uint16_t)family, flags, next_seq++);
}

/* Accounts for the message nlh, now complete. */
static void done(struct nft_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void nft_batch_table(struct nft_batch *b, int type, int family, const char *name, uint32_t flags)
{
	struct nlmsghdr *nlh =
		nft_batch_msg(b, type, family, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	struct nftnl_table *t;

	if (!nlh)
		return;
	t = nftnl_table_alloc();
	if (!t) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	done(b, nlh);
}

void nft_batch_chain(struct nft_batch *b, int type, int family, const char *name)
{
	struct nlmsghdr *nlh =
		nft_batch_msg(b, type, family, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0);
	struct nftnl_chain *c;

	if (!nlh)
		return;
	c = nftnl_chain_alloc();
	if (!c) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, VIGIL_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	done(b, nlh);
}

void nft_batch_flush_chain(struct nft_batch *b, int family, const char *name)
{
	/* a rule delete that names only the chain deletes all its rules */
	struct nlmsghdr *nlh = nft_batch_msg(b, NFT_MSG_DELRULE, family, 0);
	struct nftnl_rule *r;

	if (!nlh)
		return;
	r = nftnl_rule_alloc();
	if (!r) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, VIGIL_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	done(b, nlh);
}

void nft_batch_rule(struct nft_batch *b, int family, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	if (!r) {
		if (!b->err)
			b->err = -ENOMEM;
		return;
	}
	nlh = nft_batch_msg(b, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		done(b, nlh);
	}
	nftnl_rule_free(r);
}

void nft_batch_counter(struct nft_batch *b, int type, int family, const char *name)
{
	struct nlmsghdr *nlh =
		nft_batch_msg(b, type, family, type == NFT_MSG_NEWOBJ ? NLM_F_CREATE : 0);
	struct nftnl_obj *o;

	if (!nlh)
		return;
	o = nftnl_obj_alloc();
	if (!o) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, VIGIL_NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	done(b, nlh);
}

void nft_batch_elem(struct nft_batch *b, int type, int family, const char *set,
		    const struct nft_batch_elem *elem)
{
	struct nlmsghdr *nlh =
		nft_batch_msg(b, type, family, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	struct nftnl_set_elem *e = NULL;
	struct nftnl_set *s;

	if (!nlh)
		return;
	s = nftnl_set_alloc();
	/* no element: all of the set's, the kernel's flush */
	if (s && elem && !(e = nftnl_set_elem_alloc())) {
		nftnl_set_free(s);
		s = NULL;
	}
	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, VIGIL_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	if (e) {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, elem->key, (uint32_t)elem->key_len);
		if (elem->jump) {
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
			nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, elem->jump);
		} else if (elem->data_len) {
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, elem->data,
					   (uint32_t)elem->data_len);
		}
		nftnl_set_elem_add(s, e);
	}
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	done(b, nlh);
}

int nft_socket_open(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* The batch must fit the socket's send buffer in one message. */
static int ensure_sndbuf(int fd, size_t len)
{
	int cur = 0, want;
	socklen_t sl = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) < 0)
		return -errno;
	if ((size_t)cur >= len + 4096)
		return 0;
	want = len + 4096 > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)(len + 4096);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0)
		return -errno;
	return 0;
}

/*
 * The kernel answers a batch within the send itself: an error for each
 * message that failed, an ack for the last one (the only one that asks), or
 * one error aimed at the batch's start when the batch failed as a whole.
 * Everything up to that answer is read, so nothing of ours is left in a
 * socket libnftables reads later.
 */
static int read_answers(int fd, const struct nft_batch *b)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int err = 0, waited = 0;
	bool finished = false;

	while (!finished) {
		ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int len;

		if (got < 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			/* answered already, normally; a module load replays the batch */
			if (waited >= ACK_TIMEOUT_MS || poll(&p, 1, 100) < 0)
				return -ETIMEDOUT;
			waited += 100;
			continue;
		}
		len = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < b->begin_seq ||
			    h->nlmsg_seq > b->last_seq)
				continue;
			if (e->error && !err)
				err = e->error;
			finished |= h->nlmsg_seq == b->last_seq ||
				    (h->nlmsg_seq == b->begin_seq && e->error);
		}
	}
	/* a batch that failed as a whole may have queued answers after its own */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	return err;
}

int nft_batch_commit(struct nft_batch *b, int fd)
{
	struct nlmsghdr *last;
	int r;

	if (b->err)
		return b->err;
	if (!b->n_msgs)
		return 0;
	/* the last message asks for an ack: its answer closes the batch's */
	last = (struct nlmsghdr *)(b->buf + b->last_off);
	last->nlmsg_flags |= NLM_F_ACK;
	put_batch_marker(b, NFNL_MSG_BATCH_END);
	if (b->err)
		return b->err;
	r = ensure_sndbuf(fd, b->len);
	if (r)
		return r;
	if (send(fd, b->buf, b->len, 0) < 0)
		return -errno;
	return read_answers(fd, b);
}
