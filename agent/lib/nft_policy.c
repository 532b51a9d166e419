// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil's nftables table through libnftables: every change is one command
 * buffer, which libnftables sends as one netlink batch, so the kernel applies
 * all of it or none. The handle keeps one libnftables context, hence one
 * netlink socket: with the owner flag, only that socket may change the table.
 */
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_internal.h"
#include "workload_spec.h"

struct vigil_nft {
	struct nft_ctx *ctx;
	bool owned;
	bool persistent;
	const char *flags; /* the table's, repeated so a refresh keeps them */
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

static struct nft_ctx *ctx_new(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return NULL;
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_ctx_free(ctx);
		return NULL;
	}
	return ctx;
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

int vigil_nft_init(const struct vigil_nft_opts *opts, struct vigil_nft **ret)
{
	/* the strongest flags first: persist needs a newer libnftables parser */
	static const char *const flags[] = { "flags owner, persist;", "flags owner;", "" };
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
	h->ctx = ctx_new();
	if (!h->ctx) {
		free(h);
		return -ENOMEM;
	}
	*ret = h;
	r = nft_check_opts(opts, h->err, sizeof(h->err));
	if (r)
		return r;
	vigil_strbuf_init(&b);
	for (size_t i = opts->no_owner ? 2 : 0; i < 3; i++) {
		vigil_strbuf_reset(&b);
		nft_base_cmds(&b, flags[i]);
		nft_deny_cmds(&b, opts);
		r = run_buf(h, &b);
		if (!r) {
			h->owned = i < 2;
			h->persistent = i == 0;
			h->flags = flags[i];
			break;
		}
	}
	vigil_strbuf_free(&b);
	return r;
}

void vigil_nft_free(struct vigil_nft *h)
{
	if (!h)
		return;
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
	static const char *const chains[] = { "_out", "_in", "_host", "_arp" };
	size_t n = strlen(pfx);

	if (strncmp(name, pfx, n))
		return false;
	name += n;
	for (size_t i = 0; i < sizeof(chains) / sizeof(*chains); i++)
		if (!strcmp(name, chains[i]))
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

static void delete_elem(struct vigil_strbuf *b, const struct nft_elem *e)
{
	vigil_strbuf_printf(b, "delete element %s " VIGIL_NFT_TABLE " %s { \"%s\" }\n", e->family,
			    e->set, e->key);
}

/*
 * Deletes the entries that route to workload pfx or are keyed by ifname
 * (either may be stale after a change), before anything re-adds them.
 */
static void delete_entries(struct vigil_strbuf *b, const struct nft_state *s, const char *pfx,
			   const char *ifname)
{
	const char *old = ifname_of(s, pfx);

	for (size_t i = 0; i < s->n_elems; i++) {
		const struct nft_elem *e = &s->elems[i];

		if (belongs(e->target, pfx) || !strcmp(e->key, ifname ? ifname : "") ||
		    (old && !e->target[0] && !strcmp(e->key, old)))
			delete_elem(b, e);
	}
}

/* Deletes chains, then the counters their rules referenced. */
static void delete_objects(struct vigil_strbuf *b, const struct nft_state *s,
			   bool (*doomed)(const char *name, const void *arg), const void *arg)
{
	for (size_t i = 0; i < s->n_chains; i++)
		if (doomed(s->chains[i].name, arg))
			vigil_strbuf_printf(b, "delete chain %s " VIGIL_NFT_TABLE " %s\n",
					    s->chains[i].family, s->chains[i].name);
	for (size_t i = 0; i < s->n_counters; i++)
		if (doomed(s->counters[i].name, arg))
			vigil_strbuf_printf(b, "delete counter %s " VIGIL_NFT_TABLE " %s\n",
					    s->counters[i].family, s->counters[i].name);
}

int vigil_nft_apply(struct vigil_nft *h, const struct vigil_nft_workload *w)
{
	char pfx[NFT_NAME_SIZE];
	struct nft_state s;
	struct vigil_strbuf b;
	int r;

	h->err[0] = '\0';
	r = vigil_nft_workload_check(w, h->err, sizeof(h->err));
	if (r)
		return r;
	r = load_state(h->ctx, &s, h->err, sizeof(h->err));
	if (r)
		return r;
	nft_prefix(pfx, w->id);
	for (size_t i = 0; i < s.n_elems; i++) {
		const struct nft_elem *e = &s.elems[i];

		if (!strcmp(e->set, NFT_MAP_FROM) && !strcmp(e->key, w->ifname) &&
		    !belongs(e->target, pfx)) {
			snprintf(h->err, sizeof(h->err),
				 "workload %s: interface %s already leads to chain %s", w->id,
				 w->ifname, e->target);
			nft_state_free(&s);
			return -EEXIST;
		}
	}
	vigil_strbuf_init(&b);
	delete_entries(&b, &s, pfx, w->ifname);
	nft_workload_cmds(&b, w);
	r = run_buf(h, &b);
	vigil_strbuf_free(&b);
	nft_state_free(&s);
	return r;
}

static bool of_prefix(const char *name, const void *pfx)
{
	return belongs(name, pfx);
}

int vigil_nft_remove(struct vigil_nft *h, const char *id)
{
	char pfx[NFT_NAME_SIZE];
	struct nft_state s;
	struct vigil_strbuf b;
	int r;

	h->err[0] = '\0';
	if (!id || !vigil_workload_id_valid(id)) {
		snprintf(h->err, sizeof(h->err), "workload id \"%s\": not [a-z0-9][a-z0-9-]{0,31}",
			 id ? id : "");
		return -EINVAL;
	}
	r = load_state(h->ctx, &s, h->err, sizeof(h->err));
	if (r)
		return r;
	nft_prefix(pfx, id);
	vigil_strbuf_init(&b);
	delete_entries(&b, &s, pfx, NULL);
	delete_objects(&b, &s, of_prefix, pfx);
	if (!b.len) {
		snprintf(h->err, sizeof(h->err),
			 "workload %s: no rules in table inet " VIGIL_NFT_TABLE, id);
		r = -ENOENT;
	} else {
		r = run_buf(h, &b);
	}
	vigil_strbuf_free(&b);
	nft_state_free(&s);
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

/* Ids, interfaces and addresses must be unique among the workloads. */
static int check_unique(struct vigil_nft *h, const struct vigil_nft_workload *all, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			const char *what = !strcmp(all[i].id, all[j].id)	   ? "id"
					   : !strcmp(all[i].ifname, all[j].ifname) ? "interface"
					   : !strcmp(all[i].ipv4, all[j].ipv4)	   ? "ipv4 address"
										   : NULL;

			if (what) {
				snprintf(h->err, sizeof(h->err), "workloads %s and %s: same %s",
					 all[j].id, all[i].id, what);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int vigil_nft_reconcile(struct vigil_nft *h, const struct vigil_nft_workload *all, size_t n)
{
	struct desired d = { all, n };
	struct vigil_strbuf b;
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
	vigil_strbuf_init(&b);
	for (size_t i = 0; i < s.n_elems; i++)
		if (!desired_elem(&s.elems[i], &d))
			delete_elem(&b, &s.elems[i]);
	nft_base_cmds(&b, h->flags);
	for (size_t i = 0; i < n; i++)
		nft_workload_cmds(&b, &all[i]);
	delete_objects(&b, &s, undesired_name, &d);
	r = run_buf(h, &b);
	vigil_strbuf_free(&b);
	nft_state_free(&s);
	return r;
}

int vigil_nft_counters(const char *id, struct vigil_nft_counter ret[VIGIL_NFT_N_REASONS])
{
	char pfx[NFT_NAME_SIZE], name[NFT_NAME_SIZE + 16];
	struct nft_ctx *ctx;
	struct nft_state s;
	size_t found = 0;
	int r;

	if (!id || !vigil_workload_id_valid(id))
		return -EINVAL;
	ctx = ctx_new();
	if (!ctx)
		return -ENOMEM;
	r = load_state(ctx, &s, NULL, 0);
	nft_ctx_free(ctx);
	if (r)
		return r;
	nft_prefix(pfx, id);
	memset(ret, 0, sizeof(*ret) * VIGIL_NFT_N_REASONS);
	for (int k = 0; k < VIGIL_NFT_N_REASONS; k++) {
		snprintf(name, sizeof(name), "%s_drop_%s", pfx, vigil_nft_reason_name(k));
		for (size_t i = 0; i < s.n_counters; i++) {
			if (!strcmp(s.counters[i].name, name)) {
				/* spoofing is counted in both tables */
				ret[k].packets += s.counters[i].value.packets;
				ret[k].bytes += s.counters[i].value.bytes;
				found++;
			}
		}
	}
	nft_state_free(&s);
	return found ? 0 : -ENOENT;
}
