// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Read-only looks at the ruleset for the CLI: a workload's chains as nft
 * text, and other tables' forward chains that drop by default, which
 * defeats vigil's accept (an accept ends only vigil's own base chain).
 */
#include <errno.h>
#include <json-c/json.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_internal.h"
#include "workload_spec.h"

static struct nft_ctx *ctx_new(unsigned int flags)
{
	struct nft_ctx *ctx = nft_ctx_buffered();

	if (ctx)
		nft_ctx_output_set_flags(ctx, flags);
	return ctx;
}

/*
 * One listing's chain, without the "table FAMILY vigil {" line before it
 * and the "}" line after it, appended to `b`.
 */
static void put_chain_body(struct vigil_strbuf *b, const char *listing)
{
	const char *start = strchr(listing, '\n'), *end = strrchr(listing, '}');

	if (start && end && end > start)
		vigil_strbuf_printf(b, "%.*s", (int)(end - start - 1), start + 1);
}

int vigil_nft_rules(const char *id, char **ret)
{
	char pfx[NFT_NAME_SIZE], cmd[NFT_NAME_SIZE + 64];
	char *listed[NFT_WL_N_CHAINS] = { NULL };
	struct vigil_strbuf b;
	struct nft_ctx *ctx;
	int r = 0;

	if (!id || !vigil_workload_id_valid(id))
		return -EINVAL;
	ctx = ctx_new(0);
	if (!ctx)
		return -ENOMEM;
	nft_prefix(pfx, id);
	for (size_t i = 0; i < NFT_WL_N_CHAINS && !r; i++) {
		snprintf(cmd, sizeof(cmd), "list chain %s " VIGIL_NFT_TABLE " %s_%s",
			 nft_wl_chains[i].family_name, pfx, nft_wl_chains[i].suffix);
		/* a missing table or chain is the one failure a listing has */
		r = nft_run_cmd_from_buffer(ctx, cmd) ? -ENOENT : 0;
		if (!r && !(listed[i] = strdup(nft_ctx_get_output_buffer(ctx))))
			r = -ENOMEM;
	}
	nft_ctx_free(ctx);
	/* one "table FAMILY vigil { ... }" per family, its chains in their order inside */
	vigil_strbuf_init(&b);
	for (size_t i = 0; i < NFT_WL_N_CHAINS && !r; i++) {
		const char *family = nft_wl_chains[i].family_name;
		bool first = true;

		for (size_t k = 0; k < i && first; k++)
			first = strcmp(nft_wl_chains[k].family_name, family) != 0;
		if (!first)
			continue;
		vigil_strbuf_printf(&b, "table %s " VIGIL_NFT_TABLE " {\n", family);
		for (size_t k = i; k < NFT_WL_N_CHAINS; k++) {
			if (strcmp(nft_wl_chains[k].family_name, family))
				continue;
			if (k != i)
				vigil_strbuf_puts(&b, "\n");
			put_chain_body(&b, listed[k]);
		}
		vigil_strbuf_puts(&b, "}\n");
	}
	for (size_t i = 0; i < NFT_WL_N_CHAINS; i++)
		free(listed[i]);
	if (!r)
		r = vigil_strbuf_error(&b);
	if (!r)
		*ret = vigil_strbuf_steal(&b, NULL);
	vigil_strbuf_free(&b);
	return r;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static bool named(struct json_object *o, const char *key, const char *value)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && !strcmp(json_object_get_string(v), value);
}

static bool same_chain(struct json_object *rule, struct json_object *chain)
{
	return named(rule, "family", str_of(chain, "family")) &&
	       named(rule, "table", str_of(chain, "table")) &&
	       named(rule, "chain", str_of(chain, "name"));
}

/*
 * "ends in drop" or "ends in reject" when the chain's last rule in the
 * listing `items` does that to every packet (counters and logging aside),
 * else NULL.
 */
static const char *final_verdict(struct json_object *items, struct json_object *chain)
{
	struct json_object *last = NULL, *rule, *exprs;
	const char *verdict = NULL;

	for (size_t i = 0; i < json_object_array_length(items); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(items, i), "rule", &rule) &&
		    same_chain(rule, chain))
			last = rule;
	if (!last || !json_object_object_get_ex(last, "expr", &exprs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(exprs); i++) {
		struct json_object *e = json_object_array_get_idx(exprs, i);

		if (json_object_object_get_ex(e, "drop", NULL))
			verdict = "ends in drop";
		else if (json_object_object_get_ex(e, "reject", NULL))
			verdict = "ends in reject";
		else if (!json_object_object_get_ex(e, "counter", NULL) &&
			 !json_object_object_get_ex(e, "log", NULL))
			return NULL;
	}
	return verdict;
}

static bool vigils(struct json_object *chain)
{
	return (named(chain, "family", "inet") || named(chain, "family", "arp")) &&
	       named(chain, "table", VIGIL_NFT_TABLE);
}

int vigil_nft_foreign_drops(struct vigil_nft_foreign **ret, size_t *n)
{
	struct json_object *root = NULL, *items, *chain;
	struct vigil_nft_foreign *out = NULL, *p;
	struct nft_ctx *ctx = ctx_new(NFT_CTX_OUTPUT_JSON);
	size_t k = 0;
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	/* the whole ruleset at once: names are not ours to put into commands */
	if (nft_run_cmd_from_buffer(ctx, "list ruleset"))
		r = -EIO;
	else
		root = json_tokener_parse(nft_ctx_get_output_buffer(ctx));
	if (!r && (!root || !json_object_object_get_ex(root, "nftables", &items)))
		r = -EBADMSG;
	for (size_t i = 0; !r && i < json_object_array_length(items); i++) {
		const char *how = "policy drop";

		if (!json_object_object_get_ex(json_object_array_get_idx(items, i), "chain",
					       &chain) ||
		    !named(chain, "hook", "forward") || vigils(chain))
			continue;
		if (!named(chain, "policy", "drop") && !(how = final_verdict(items, chain)))
			continue;
		p = realloc(out, (k + 1) * sizeof(*out));
		if (!p) {
			r = -ENOMEM;
			break;
		}
		out = p;
		snprintf(out[k].family, sizeof(out[k].family), "%s", str_of(chain, "family"));
		snprintf(out[k].table, sizeof(out[k].table), "%s", str_of(chain, "table"));
		snprintf(out[k].chain, sizeof(out[k].chain), "%s", str_of(chain, "name"));
		snprintf(out[k].how, sizeof(out[k].how), "%s", how);
		k++;
	}
	json_object_put(root);
	nft_ctx_free(ctx);
	if (r) {
		free(out);
		return r;
	}
	*ret = out;
	*n = k;
	return 0;
}
