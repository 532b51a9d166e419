// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the kernel holds in vigil's table, from libnftables' JSON listing:
 * chain names, the entries of the interface sets and maps, named counters.
 * Reconcile and remove compute their deletions from it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_internal.h"

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static uint64_t u64_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static int grow(void *arrayp, size_t n, size_t size)
{
	void **a = arrayp;
	void *p = realloc(*a, (n + 1) * size);

	if (!p)
		return -ENOMEM;
	*a = p;
	return 0;
}

static int add_elems(struct nft_state *s, const char *family, const char *set,
		     struct json_object *elems)
{
	size_t n =
		json_object_is_type(elems, json_type_array) ? json_object_array_length(elems) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(elems, i), *key = e, *jump, *t;
		struct nft_elem *out;

		/* a map entry is [key, {"jump": {"target": chain}}] */
		if (json_object_is_type(e, json_type_array) && json_object_array_length(e) == 2)
			key = json_object_array_get_idx(e, 0);
		if (!json_object_is_type(key, json_type_string))
			continue;
		if (grow(&s->elems, s->n_elems, sizeof(*s->elems)))
			return -ENOMEM;
		out = &s->elems[s->n_elems++];
		memset(out, 0, sizeof(*out));
		snprintf(out->family, sizeof(out->family), "%s", family);
		snprintf(out->set, sizeof(out->set), "%s", set);
		snprintf(out->key, sizeof(out->key), "%s", json_object_get_string(key));
		if (key != e &&
		    json_object_object_get_ex(json_object_array_get_idx(e, 1), "jump", &jump) &&
		    json_object_object_get_ex(jump, "target", &t))
			snprintf(out->target, sizeof(out->target), "%s", json_object_get_string(t));
	}
	return 0;
}

static int add_item(struct nft_state *s, struct json_object *item)
{
	struct json_object *o, *elems;
	const char *name, *table, *family = "";

	if (!json_object_is_type(item, json_type_object))
		return 0;
	json_object_object_foreach(item, kind, body)
	{
		(void)kind;
		table = str_of(body, "table");
		family = str_of(body, "family");
		/* `list chains inet` names the chains of every inet table */
		if (!table || strcmp(table, VIGIL_NFT_TABLE))
			return 0;
	}
	if (json_object_object_get_ex(item, "chain", &o) && (name = str_of(o, "name"))) {
		if (grow(&s->chains, s->n_chains, sizeof(*s->chains)))
			return -ENOMEM;
		snprintf(s->chains[s->n_chains].family, sizeof(s->chains->family), "%s",
			 family ? family : "");
		snprintf(s->chains[s->n_chains++].name, NFT_NAME_SIZE, "%s", name);
	} else if (json_object_object_get_ex(item, "counter", &o) && (name = str_of(o, "name"))) {
		struct nft_named_counter *c;

		if (grow(&s->counters, s->n_counters, sizeof(*s->counters)))
			return -ENOMEM;
		c = &s->counters[s->n_counters++];
		snprintf(c->family, sizeof(c->family), "%s", family ? family : "");
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->value.packets = u64_of(o, "packets");
		c->value.bytes = u64_of(o, "bytes");
	} else if ((json_object_object_get_ex(item, "map", &o) ||
		    json_object_object_get_ex(item, "set", &o)) &&
		   (name = str_of(o, "name")) && json_object_object_get_ex(o, "elem", &elems)) {
		return add_elems(s, family ? family : "", name, elems);
	}
	return 0;
}

int nft_state_parse(const char *json, struct nft_state *ret)
{
	struct json_object *root = json_tokener_parse(json), *items;
	int r = 0;

	if (!root || !json_object_object_get_ex(root, "nftables", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		json_object_put(root);
		return -EBADMSG;
	}
	for (size_t i = 0; i < json_object_array_length(items) && !r; i++)
		r = add_item(ret, json_object_array_get_idx(items, i));
	json_object_put(root);
	return r;
}

void nft_state_free(struct nft_state *s)
{
	free(s->chains);
	free(s->elems);
	free(s->counters);
	memset(s, 0, sizeof(*s));
}
