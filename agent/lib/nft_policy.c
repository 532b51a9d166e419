// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil's nftables table. Every change is one netlink batch, so the kernel
 * applies all of it or none: the base (tables, sets, maps, base chains) as
 * nft text through libnftables, the workloads' chains as messages built with
 * libnftnl (nft_wl.c), which need none of libnftables' ruleset cache. Both go
 * out on one socket, libnftables' own: with the owner flag, only that socket
 * may change the table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nft_internal.h"
#include "workload_spec.h"

/* What the handle installed for one workload: what a change must undo or respect. */
struct installed {
	char id[VIGIL_ID_SIZE];
	char ifname[IFNAMSIZ];
	char ipv4[INET_ADDRSTRLEN];
	char ipv6[INET6_ADDRSTRLEN];
	struct vigil_nft_forward *fwd;
	size_t n_fwd;
};

struct vigil_nft {
	struct nft_ctx *ctx;
	struct installed *wl;
	size_t n_wl;
	int fd;	      /* ctx's netlink socket, the tables' owner; -1 if unknown */
	int batch_fd; /* where batches go: fd, or a socket of our own if that is unknown */
	bool owned;
	bool persistent;
	/*
	 * The table's flags as libnftables says them, repeated so a refresh keeps
	 * them; NULL when claimed persistent, which libnftables cannot repeat.
	 */
	const char *flags;
	char err[VIGIL_NFT_ERR_SIZE];
};

/* libnftables reports failures as text; the kernel's reason is strerror()'s. */
static int errno_of(const char *text)
{
	static const int known[] = { EPERM, ENOENT, EBUSY, EEXIST, EOPNOTSUPP, ENOMEM, ENOSPC };

	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (strstr(text, strerror(known[i])))
			return -known[i];
	return -EINVAL;
}

/* Runs one buffer; on failure err gets libnftables' first error line. */
static int run(struct nft_ctx *ctx, const char *cmds, char *err, size_t len)
{
	const char *text;
	int r;

	if (nft_run_cmd_from_buffer(ctx, cmds) == 0)
		return 0;
	text = nft_ctx_get_error_buffer(ctx);
	r = errno_of(text ? text : "");
	if (err)
		snprintf(err, len, "table inet " VIGIL_NFT_TABLE ": %.*s", (int)strcspn(text, "\n"),
			 text ? text : "");
	return r;
}

/*
 * Lists the table's objects (JSON) through ctx; -ENOENT when it does not
 * exist. Listing the table itself would be one command, but libnftables
 * 1.0.6 writes the owner flag of a table past the end of its flag names.
 */
static int load_state(struct nft_ctx *ctx, struct nft_state *ret, char *err, size_t len)
{
	static const char *const lists[] = {
		"list map " NFT_T " " NFT_MAP_FROM,
		"list map " NFT_T " " NFT_MAP_TO,
		"list map " NFT_T " " NFT_MAP_HOST,
		"list set " NFT_T " " NFT_WL_IFS,
		"list chains inet",
		"list counters table " NFT_T,
		"list map " NFT_A " " NFT_MAP_ARP,
		"list chains arp",
		"list counters table " NFT_A,
	};
	unsigned int flags = nft_ctx_output_get_flags(ctx);
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	nft_ctx_output_set_flags(ctx, flags | NFT_CTX_OUTPUT_JSON);
	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists) && !r; i++) {
		r = run(ctx, lists[i], err, len);
		/* without the inet table there is nothing; the arp one is optional */
		if (r == -ENOENT && i > 0)
			r = 0;
		else if (!r)
			r = nft_state_parse(nft_ctx_get_output_buffer(ctx), ret);
		if (r == -EBADMSG && err)
			snprintf(err, len,
				 "table inet " VIGIL_NFT_TABLE ": unreadable JSON listing");
	}
	nft_ctx_output_set_flags(ctx, flags);
	if (r)
		nft_state_free(ret);
	return r;
}

static int run_batch(struct vigil_nft *h, struct nft_batch *b)
{
	int r = nft_batch_commit(b, h->batch_fd);

	if (r)
		snprintf(h->err, sizeof(h->err), "table inet " VIGIL_NFT_TABLE ": %s",
			 strerror(-r));
	return r;
}

static int run_buf(struct vigil_nft *h, struct vigil_strbuf *b)
{
	int r = vigil_strbuf_error(b);

	if (r) {
		snprintf(h->err, sizeof(h->err), "table inet " VIGIL_NFT_TABLE ": %s",
			 strerror(-r));
		return r;
	}
	return run(h->ctx, b->data, h->err, sizeof(h->err));
}

/* Both tables, claimed owned and persistent through the context's socket. */
static int claim_persistent(struct vigil_nft *h)
{
	static const struct {
		int family;
		const char *name;
	} tables[] = { { NFPROTO_INET, NFT_T }, { NFPROTO_ARP, NFT_A } };

	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		int r = nft_claim_table(h->fd, tables[i].family, false);

		/* made by a vigil without persist, or by hand: replaced in one step */
		if (r == -EOPNOTSUPP)
			r = nft_claim_table(h->fd, tables[i].family, true);
		if (r) {
			snprintf(h->err, sizeof(h->err), "table %s: %s", tables[i].name,
				 r == -EPERM ? "owned by another process (is another vigild "
					       "running?)"
					     : strerror(-r));
			return r;
		}
	}
	return 0;
}

int vigil_nft_init(const struct vigil_nft_opts *opts, struct vigil_nft **ret)
{
	static const struct vigil_nft_opts none;
	struct vigil_strbuf b;
	struct vigil_nft *h;
	int r = -EINVAL;

	*ret = NULL;
	if (!opts)
		opts = &none;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ctx = nft_ctx_with_socket(&h->fd);
	if (!h->ctx) {
		free(h);
		return -ENOMEM;
	}
	*ret = h;
	h->batch_fd = h->fd >= 0 ? h->fd : nft_socket_open();
	if (h->batch_fd < 0) {
		snprintf(h->err, sizeof(h->err), "netfilter netlink socket: %s",
			 strerror(-h->batch_fd));
		return h->batch_fd;
	}
	r = nft_check_opts(opts, h->err, sizeof(h->err));
	if (r)
		return r;
	vigil_strbuf_init(&b);
	if (!opts->no_owner && h->fd >= 0 && nft_persist_supported(h->fd) == 0) {
		r = claim_persistent(h);
		if (!r) {
			nft_base_cmds(&b, NULL);
			nft_deny_cmds(&b, opts);
			r = run_buf(h, &b);
		}
		h->owned = h->persistent = !r;
		vigil_strbuf_free(&b);
		return r;
	}
	/*
	 * No persist here (before 6.9, Debian 12's 6.1 among them): no owner
	 * flag either. An owned table without persist is destroyed with its
	 * owner's socket, so a crash of vigild would leave every workload
	 * unfenced; unowned, the rules outlive vigild, and what is lost is the
	 * guard against another actor's changes (vigild's next start repairs
	 * them).
	 */
	nft_base_cmds(&b, "");
	nft_deny_cmds(&b, opts);
	r = run_buf(h, &b);
	h->flags = "";
	vigil_strbuf_free(&b);
	return r;
}

int vigil_nft_set_deny(struct vigil_nft *h, const struct vigil_nft_opts *opts)
{
	struct vigil_strbuf b;
	int r;

	h->err[0] = '\0';
	r = nft_check_opts(opts, h->err, sizeof(h->err));
	if (r)
		return r;
	vigil_strbuf_init(&b);
	nft_deny_cmds(&b, opts);
	r = run_buf(h, &b);
	vigil_strbuf_free(&b);
	return r;
}

void vigil_nft_free(struct vigil_nft *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_wl; i++)
		free(h->wl[i].fwd);
	free(h->wl);
	if (h->batch_fd >= 0 && h->batch_fd != h->fd)
		close(h->batch_fd);
	nft_ctx_free(h->ctx);
	free(h);
}

bool vigil_nft_owned(const struct vigil_nft *h)
{
	return h->owned;
}

bool vigil_nft_persistent(const struct vigil_nft *h)
{
	return h->persistent;
}

const char *vigil_nft_error(const struct vigil_nft *h)
{
	return h->err;
}

/*
 * Whether chain, counter or entry target `name` is one of workload pfx's:
 * exact suffixes only, since one id may start another ("a", "a-drop-b").
 */
static bool belongs(const char *name, const char *pfx)
{
	size_t n = strlen(pfx);

	if (strncmp(name, pfx, n))
		return false;
	name += n;
	for (size_t i = 0; i < NFT_WL_N_CHAINS; i++)
		if (name[0] == '_' && !strcmp(name + 1, nft_wl_chains[i].suffix))
			return true;
	if (strncmp(name, "_drop_", 6))
		return false;
	for (int r = 0; r < VIGIL_NFT_N_REASONS; r++)
		if (!strcmp(name + 6, vigil_nft_reason_name(r)))
			return true;
	return false;
}

static bool is_wl_name(const char *name)
{
	return !strncmp(name, "wl_", 3);
}

/* The interface a workload's entries are keyed by, from its from-map entry. */
static const char *ifname_of(const struct nft_state *s, const char *pfx)
{
	for (size_t i = 0; i < s->n_elems; i++)
		if (!strcmp(s->elems[i].set, NFT_MAP_FROM) && belongs(s->elems[i].target, pfx))
			return s->elems[i].key;
	return NULL;
}

static int family_of(const char *name)
{
	return strcmp(name, "arp") ? NFPROTO_INET : NFPROTO_ARP;
}

static void delete_elem(struct nft_batch *b, const struct nft_elem *e)
{
	char key[IFNAMSIZ];
	const struct nft_batch_elem elem = { key, sizeof(key), NULL, NULL, 0 };

	nft_ifname_key(key, e->key);
	nft_batch_elem(b, NFT_MSG_DELSETELEM, family_of(e->family), e->set, &elem);
}

/* Deletes the entries that route to workload pfx, and its interface's set entry. */
static void delete_entries(struct nft_batch *b, const struct nft_state *s, const char *pfx)
{
	const char *old = ifname_of(s, pfx);

	for (size_t i = 0; i < s->n_elems; i++) {
		const struct nft_elem *e = &s->elems[i];

		if (belongs(e->target, pfx) || (old && !e->target[0] && !strcmp(e->key, old)))
			delete_elem(b, e);
	}
}

/* Deletes chains, then the counters their rules referenced. */
static void delete_objects(struct nft_batch *b, const struct nft_state *s,
			   bool (*doomed)(const char *name, const void *arg), const void *arg)
{
	/* a chain another one jumps to goes after it: the order of nft_wl_chains */
	for (size_t k = 0; k < NFT_WL_N_CHAINS; k++) {
		for (size_t i = 0; i < s->n_chains; i++) {
			const char *name = s->chains[i].name;
			size_t n = strlen(name), m = strlen(nft_wl_chains[k].suffix);

			if (n > m && name[n - m - 1] == '_' &&
			    !strcmp(name + n - m, nft_wl_chains[k].suffix) && doomed(name, arg))
				nft_batch_chain(b, NFT_MSG_DELCHAIN, family_of(s->chains[i].family),
						name);
		}
	}
	for (size_t i = 0; i < s->n_counters; i++)
		if (doomed(s->counters[i].name, arg))
			nft_batch_counter(b, NFT_MSG_DELOBJ, family_of(s->counters[i].family),
					  s->counters[i].name);
}

static struct installed *installed_find(struct vigil_nft *h, const char *id)
{
	for (size_t i = 0; i < h->n_wl; i++)
		if (!strcmp(h->wl[i].id, id))
			return &h->wl[i];
	return NULL;
}

static int installed_set(struct installed *e, const struct vigil_nft_workload *w)
{
	struct vigil_nft_forward *fwd = NULL;

	if (w->n_forwards) {
		fwd = malloc(w->n_forwards * sizeof(*fwd));
		if (!fwd)
			return -ENOMEM;
		memcpy(fwd, w->forwards, w->n_forwards * sizeof(*fwd));
	}
	free(e->fwd);
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", w->id);
	snprintf(e->ifname, sizeof(e->ifname), "%s", w->ifname);
	snprintf(e->ipv4, sizeof(e->ipv4), "%s", w->ipv4);
	snprintf(e->ipv6, sizeof(e->ipv6), "%s", w->ipv6 ? w->ipv6 : "");
	e->fwd = fwd;
	e->n_fwd = w->n_forwards;
	return 0;
}

/* Records what was installed for w; the table is right even if this fails. */
static int installed_put(struct vigil_nft *h, const struct vigil_nft_workload *w)
{
	struct installed *e = installed_find(h, w->id), *grown;

	if (!e) {
		grown = realloc(h->wl, (h->n_wl + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		h->wl = grown;
		e = &h->wl[h->n_wl++];
		memset(e, 0, sizeof(*e));
	}
	return installed_set(e, w);
}

static void installed_drop(struct vigil_nft *h, struct installed *e)
{
	free(e->fwd);
	*e = h->wl[--h->n_wl];
}

/* The reason w cannot sit beside workload other, or NULL. */
static const char *clash(const struct vigil_nft_workload *w, const char *ifname, const char *ipv4,
			 const char *ipv6, const struct vigil_nft_forward *fwd, size_t n_fwd,
			 char *buf, size_t len)
{
	if (!strcmp(w->ifname, ifname))
		snprintf(buf, len, "interface %s", ifname);
	else if (!strcmp(w->ipv4, ipv4))
		snprintf(buf, len, "ipv4 address %s", ipv4);
	else if (w->ipv6 && ipv6 && ipv6[0] && !strcmp(w->ipv6, ipv6))
		snprintf(buf, len, "ipv6 address %s", ipv6);
	else
		buf[0] = '\0';
	for (size_t i = 0; i < w->n_forwards && !buf[0]; i++)
		for (size_t j = 0; j < n_fwd; j++)
			if (w->forwards[i].proto == fwd[j].proto &&
			    w->forwards[i].host_port == fwd[j].host_port)
				snprintf(buf, len, "host port %s/%u",
					 vigil_nft_proto_name(fwd[j].proto), fwd[j].host_port);
	return buf[0] ? buf : NULL;
}

int vigil_nft_apply(struct vigil_nft *h, const struct vigil_nft_workload *w)
{
	struct installed *old;
	struct nft_batch b;
	char what[64];
	int r;

	h->err[0] = '\0';
	r = vigil_nft_workload_check(w, h->err, sizeof(h->err));
	if (r)
		return r;
	for (size_t i = 0; i < h->n_wl; i++) {
		const struct installed *e = &h->wl[i];

		if (strcmp(e->id, w->id) &&
		    clash(w, e->ifname, e->ipv4, e->ipv6, e->fwd, e->n_fwd, what, sizeof(what))) {
			snprintf(h->err, sizeof(h->err), "workload \"%s\": %s is workload \"%s\"'s",
				 w->id, what, e->id);
			return -EEXIST;
		}
	}
	old = installed_find(h, w->id);
	nft_batch_init(&b);
	if (old && strcmp(old->ifname, w->ifname))
		nft_keyed_delete_batch(&b, old->ifname);
	if (old)
		nft_forward_delete_batch(&b, old->fwd, old->n_fwd);
	nft_workload_batch(&b, w);
	r = run_batch(h, &b);
	nft_batch_free(&b);
	if (r == -EEXIST)
		snprintf(
			h->err, sizeof(h->err),
			"workload \"%s\": interface %s or a forwarded host port is already another "
			"workload's in table inet " VIGIL_NFT_TABLE,
			w->id, w->ifname);
	return r ? r : installed_put(h, w);
}

static bool of_prefix(const char *name, const void *pfx)
{
	return belongs(name, pfx);
}

/*
 * Removes what a listing of the table shows of workload id: for a workload
 * this handle did not install, or one whose objects someone else removed.
 */
static int remove_listed(struct vigil_nft *h, const char *id, const struct installed *old)
{
	char pfx[NFT_NAME_SIZE];
	struct nft_state s;
	struct nft_batch b;
	int r;

	r = load_state(h->ctx, &s, h->err, sizeof(h->err));
	if (r)
		return r;
	nft_prefix(pfx, id);
	nft_batch_init(&b);
	delete_entries(&b, &s, pfx);
	delete_objects(&b, &s, of_prefix, pfx);
	if (b.n_msgs && old)
		nft_forward_delete_batch(&b, old->fwd, old->n_fwd);
	if (!b.n_msgs) {
		snprintf(h->err, sizeof(h->err),
			 "workload \"%s\": no rules in table inet " VIGIL_NFT_TABLE, id);
		r = -ENOENT;
	} else {
		r = run_batch(h, &b);
	}
	nft_batch_free(&b);
	nft_state_free(&s);
	return r;
}

int vigil_nft_remove(struct vigil_nft *h, const char *id)
{
	struct installed *old;
	struct nft_batch b;
	int r = -ENOENT;

	h->err[0] = '\0';
	if (!id || !vigil_workload_id_valid(id)) {
		snprintf(h->err, sizeof(h->err), "workload id \"%s\": not [a-z0-9][a-z0-9-]{0,31}",
			 id ? id : "");
		return -EINVAL;
	}
	old = installed_find(h, id);
	if (old) {
		/* what it installed, by name: no listing of the whole table */
		nft_batch_init(&b);
		nft_workload_delete_batch(&b, id, old->ifname, old->fwd, old->n_fwd);
		r = nft_batch_commit(&b, h->batch_fd);
		nft_batch_free(&b);
	}
	if (r == -ENOENT)
		r = remove_listed(h, id, old);
	else if (r)
		snprintf(h->err, sizeof(h->err), "table inet " VIGIL_NFT_TABLE ": %s",
			 strerror(-r));
	if (!r && old)
		installed_drop(h, old);
	return r;
}

struct desired {
	const struct vigil_nft_workload *all;
	size_t n;
};

static bool undesired_name(const char *name, const void *arg)
{
	const struct desired *d = arg;
	char pfx[NFT_NAME_SIZE];

	if (!is_wl_name(name))
		return false;
	for (size_t i = 0; i < d->n; i++) {
		nft_prefix(pfx, d->all[i].id);
		if (belongs(name, pfx))
			return false;
	}
	return true;
}

/* Whether entry e is exactly one that workloads d install. */
static bool desired_elem(const struct nft_elem *e, const struct desired *d)
{
	char pfx[NFT_NAME_SIZE], want[NFT_NAME_SIZE + 8];
	const char *suffix = !strcmp(e->set, NFT_MAP_FROM)   ? "out"
			     : !strcmp(e->set, NFT_MAP_TO)   ? "in"
			     : !strcmp(e->set, NFT_MAP_HOST) ? "host"
			     : !strcmp(e->set, NFT_MAP_ARP)  ? "arp"
							     : NULL;

	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(e->key, d->all[i].ifname))
			continue;
		if (!strcmp(e->set, NFT_WL_IFS))
			return true;
		nft_prefix(pfx, d->all[i].id);
		snprintf(want, sizeof(want), "%s_%s", pfx, suffix ? suffix : "");
		return suffix && !strcmp(e->target, want);
	}
	return false;
}

/* Ids, interfaces, addresses and forwarded ports are each one workload's. */
static int check_unique(struct vigil_nft *h, const struct vigil_nft_workload *all, size_t n)
{
	char what[64];

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct vigil_nft_workload *o = &all[j];

			if (!strcmp(all[i].id, o->id))
				snprintf(what, sizeof(what), "id");
			else if (!clash(&all[i], o->ifname, o->ipv4, o->ipv6, o->forwards,
					o->n_forwards, what, sizeof(what)))
				continue;
			snprintf(h->err, sizeof(h->err), "workloads \"%s\" and \"%s\": same %s",
				 o->id, all[i].id, what);
			return -EINVAL;
		}
	}
	return 0;
}

/* The handle's record becomes exactly all. */
static int installed_reset(struct vigil_nft *h, const struct vigil_nft_workload *all, size_t n)
{
	int r = 0;

	while (h->n_wl)
		installed_drop(h, &h->wl[h->n_wl - 1]);
	for (size_t i = 0; i < n && !r; i++)
		r = installed_put(h, &all[i]);
	return r;
}

int vigil_nft_reconcile(struct vigil_nft *h, const struct vigil_nft_workload *all, size_t n)
{
	struct desired d = { all, n };
	struct vigil_strbuf text;
	struct nft_batch b;
	struct nft_state s;
	int r = 0;

	h->err[0] = '\0';
	for (size_t i = 0; i < n && !r; i++)
		r = vigil_nft_workload_check(&all[i], h->err, sizeof(h->err));
	if (!r)
		r = check_unique(h, all, n);
	if (!r)
		r = load_state(h->ctx, &s, h->err, sizeof(h->err));
	if (r == -ENOENT)
		memset(&s, 0, sizeof(s)); /* the table itself is re-created below */
	else if (r)
		return r;
	/*
	 * Two transactions: the base, refreshed in place, leaves every
	 * workload's entries and chains as they were, so no packet meets a gap
	 * between it and the workloads' own batch.
	 */
	vigil_strbuf_init(&text);
	nft_base_cmds(&text, h->flags);
	r = run_buf(h, &text);
	vigil_strbuf_free(&text);
	nft_batch_init(&b);
	for (size_t i = 0; i < s.n_elems; i++)
		if (!desired_elem(&s.elems[i], &d))
			delete_elem(&b, &s.elems[i]);
	nft_batch_elem(&b, NFT_MSG_DELSETELEM, NFPROTO_INET, NFT_FWD_TCP, NULL);
	nft_batch_elem(&b, NFT_MSG_DELSETELEM, NFPROTO_INET, NFT_FWD_UDP, NULL);
	for (size_t i = 0; i < n; i++)
		nft_workload_batch(&b, &all[i]);
	delete_objects(&b, &s, undesired_name, &d);
	if (!r)
		r = run_batch(h, &b);
	nft_batch_free(&b);
	nft_state_free(&s);
	return r ? r : installed_reset(h, all, n);
}

/* Adds workload pfx's drop counters in s to drops; how many there were. */
static size_t sum_drops(const struct nft_state *s, const char *pfx,
			struct vigil_nft_counter drops[VIGIL_NFT_N_REASONS])
{
	char name[NFT_NAME_SIZE + 16];
	size_t found = 0;

	for (int k = 0; k < VIGIL_NFT_N_REASONS; k++) {
		snprintf(name, sizeof(name), "%s_drop_%s", pfx, vigil_nft_reason_name(k));
		for (size_t i = 0; i < s->n_counters; i++) {
			if (!strcmp(s->counters[i].name, name)) {
				/* spoofing is counted in both tables */
				drops[k].packets += s->counters[i].value.packets;
				drops[k].bytes += s->counters[i].value.bytes;
				found++;
			}
		}
	}
	return found;
}

/* The table as a reader sees it, through a context of its own. */
static int read_state(struct nft_state *ret)
{
	struct nft_ctx *ctx = nft_ctx_buffered();
	int r;

	if (!ctx)
		return -ENOMEM;
	r = load_state(ctx, ret, NULL, 0);
	nft_ctx_free(ctx);
	return r;
}

int vigil_nft_counters(const char *id, struct vigil_nft_counter ret[VIGIL_NFT_N_REASONS])
{
	char pfx[NFT_NAME_SIZE];
	struct nft_state s;
	size_t found;
	int r;

	if (!id || !vigil_workload_id_valid(id))
		return -EINVAL;
	r = read_state(&s);
	if (r)
		return r;
	nft_prefix(pfx, id);
	memset(ret, 0, sizeof(*ret) * VIGIL_NFT_N_REASONS);
	found = sum_drops(&s, pfx, ret);
	nft_state_free(&s);
	return found ? 0 : -ENOENT;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct vigil_nft_listed *)a)->id,
		      ((const struct vigil_nft_listed *)b)->id);
}

/*
 * A from-map entry's workload: "wl_<id>_out" with '_' for '-', which ids
 * never hold, so the id comes back exactly. false for an entry not of that
 * form.
 */
static bool listed_from_entry(const struct nft_elem *e, struct vigil_nft_listed *ret)
{
	size_t n = strlen(e->target);

	if (strncmp(e->target, "wl_", 3) || n < 8 || strcmp(e->target + n - 4, "_out") ||
	    n - 7 >= sizeof(ret->id))
		return false;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->id, e->target + 3, n - 7);
	for (char *p = ret->id; *p; p++)
		*p = *p == '_' ? '-' : *p;
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", e->key);
	return vigil_workload_id_valid(ret->id);
}

int vigil_nft_list(struct vigil_nft_listed **ret, size_t *n)
{
	struct vigil_nft_listed *out, one;
	char pfx[NFT_NAME_SIZE];
	struct nft_state s;
	size_t k = 0;
	int r;

	r = read_state(&s);
	if (r == -ENOENT) {
		*ret = NULL;
		*n = 0;
		return 0;
	}
	if (r)
		return r;
	out = calloc(s.n_elems + 1, sizeof(*out));
	if (!out) {
		nft_state_free(&s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s.n_elems; i++) {
		if (strcmp(s.elems[i].set, NFT_MAP_FROM) || !listed_from_entry(&s.elems[i], &one))
			continue;
		nft_prefix(pfx, one.id);
		sum_drops(&s, pfx, one.drops);
		out[k++] = one;
	}
	nft_state_free(&s);
	qsort(out, k, sizeof(*out), by_id);
	*ret = out;
	*n = k;
	return 0;
}
