// SPDX-License-Identifier: GPL-2.0-or-later
/* Inclusion proofs: building one from the database, writing, reading and checking it. */
#include <errno.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "ledger_internal.h"
#include "ledger_record.h"
#include "merkle.h"

/* a tree of 2^64 leaves at most */
#define MAX_PATH 64

static int find_epoch(struct vigil_ledger *l, uint64_t seq, struct vigil_ledger_epoch *e)
{
	uint8_t key[VIGIL_LEDGER_KEY_BYTES];
	sqlite3_stmt *st = NULL;
	int rc, ret;

	ret = vigil_ledger_parse_key(l->host_key_hex, key);
	if (ret)
		return -ENOENT;
	rc = sqlite3_prepare_v2(l->db,
				"SELECT " LEDGER_EPOCH_COLUMNS
				" FROM epochs WHERE first_seq <= ?1 AND last_seq >= ?1",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW)
		ret = ledger_epoch_from_row(st, key, e) ? -EUCLEAN : 0;
	else if (rc == SQLITE_DONE)
		ret = -ENOENT;
	else
		ret = ledger_sqlite_errno(l->db, rc);
	sqlite3_finalize(st);
	return ret;
}

/* the epoch's leaves, and a copy of record `seq` */
static int load_leaves(struct vigil_ledger *l, const struct vigil_ledger_epoch *e, uint64_t seq,
		       uint8_t (*leaves)[MERKLE_HASH], char **ret_record)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;
	char *record = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(
		l->db, "SELECT seq, line FROM records WHERE seq BETWEEN ? AND ? ORDER BY seq", -1,
		&st, NULL);
	if (rc != SQLITE_OK)
		return ledger_sqlite_errno(l->db, rc);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->first_seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->last_seq);
	/* seq is the key: the range holds tree_size rows at most */
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		merkle_leaf(line, len, leaves[n++]);
		if ((uint64_t)sqlite3_column_int64(st, 0) == seq) {
			record = strndup(line, len);
			if (!record)
				ret = -ENOMEM;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = ledger_sqlite_errno(l->db, rc);
	/* a database that lost records cannot prove anything */
	if (!ret && (n != e->last_seq - e->first_seq + 1 || !record))
		ret = -EUCLEAN;
	sqlite3_finalize(st);
	if (ret) {
		free(record);
		return ret;
	}
	*ret_record = record;
	return 0;
}

int vigil_ledger_proof(struct vigil_ledger *l, uint64_t seq, struct vigil_ledger_proof **ret)
{
	struct vigil_ledger_proof *p = calloc(1, sizeof(*p));
	uint8_t(*leaves)[MERKLE_HASH] = NULL;
	int r;

	if (!p)
		return -ENOMEM;
	r = find_epoch(l, seq, &p->epoch);
	if (!r) {
		p->seq = seq;
		p->tree_size = p->epoch.last_seq - p->epoch.first_seq + 1;
		p->leaf_index = seq - p->epoch.first_seq;
		leaves = malloc(p->tree_size * sizeof(*leaves));
		p->path = malloc(MAX_PATH * sizeof(*p->path));
		r = leaves && p->path ? 0 : -ENOMEM;
	}
	if (!r)
		r = load_leaves(l, &p->epoch, seq, leaves, &p->record);
	if (!r)
		r = merkle_path((const uint8_t(*)[MERKLE_HASH])leaves, p->tree_size, p->leaf_index,
				p->path, &p->path_len);
	free(leaves);
	if (r) {
		ledger_set_err(l, "ledger %s: proof of record %llu: %s", l->db_path,
			       (unsigned long long)seq,
			       r == -ENOENT    ? "no such record in any epoch"
			       : r == -EUCLEAN ? "its epoch's records are incomplete"
					       : strerror(-r));
		vigil_ledger_proof_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

void vigil_ledger_proof_free(struct vigil_ledger_proof *p)
{
	if (!p)
		return;
	free(p->record);
	free(p->path);
	free(p);
}

static int bad(char *err, size_t len, const char *why)
{
	snprintf(err, len, "%s", why);
	return -EBADMSG;
}

int vigil_ledger_proof_check(const struct vigil_ledger_proof *p, const uint8_t *pubkey, char *err,
			     size_t err_len)
{
	const uint8_t *key = pubkey ? pubkey : p->epoch.host_key;
	const struct vigil_ledger_epoch *e = &p->epoch;
	struct cj_buf msg = { 0 };
	uint8_t leaf[MERKLE_HASH], root[MERKLE_HASH];
	struct ledger_record r;
	char perr[128];
	size_t ss, se;
	int ret;

	if (ledger_record_parse(p->record, strlen(p->record), &r, &ss, &se, perr, sizeof(perr)))
		return bad(err, err_len, perr);
	if (r.seq != p->seq || p->seq < e->first_seq || p->seq > e->last_seq ||
	    p->leaf_index != p->seq - e->first_seq ||
	    p->tree_size != e->last_seq - e->first_seq + 1)
		return bad(err, err_len, "the record's seq, leaf index and epoch do not agree");
	if (memcmp(r.host_key, key, sizeof(r.host_key)) != 0 ||
	    memcmp(e->host_key, key, sizeof(e->host_key)) != 0)
		return bad(err, err_len, "signed by another host key");
	ret = ledger_record_strip_sig(p->record, strlen(p->record), ss, se, &msg);
	if (!ret && crypto_sign_verify_detached(r.sig, (const uint8_t *)msg.p, msg.len, key))
		ret = bad(err, err_len, "bad signature on the record");
	cj_free(&msg);
	if (ret)
		return ret;
	merkle_leaf(p->record, strlen(p->record), leaf);
	if (merkle_root_from_path(leaf, p->leaf_index, p->tree_size,
				  (const uint8_t(*)[MERKLE_HASH])p->path, p->path_len, root) ||
	    memcmp(root, e->root, sizeof(root)) != 0)
		return bad(err, err_len, "the audit path does not lead to the epoch's root");
	if (ledger_epoch_check_sig(e))
		return bad(err, err_len, "bad signature on the epoch's root");
	return 0;
}

static void hex_field(struct json_writer *jw, const char *name, const uint8_t *bin, size_t len)
{
	char hex[2 * VIGIL_LEDGER_SIG_BYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), bin, len);
	jw_string_field(jw, name, hex);
}

void vigil_ledger_proof_to_json(const struct vigil_ledger_proof *p, struct json_writer *jw)
{
	const struct vigil_ledger_epoch *e = &p->epoch;

	jw_start_object(jw);
	jw_u64_field(jw, "seq", p->seq);
	jw_string_field(jw, "record", p->record);
	jw_name(jw, "epoch");
	jw_start_object(jw);
	jw_u64_field(jw, "epoch", e->epoch);
	jw_u64_field(jw, "first_seq", e->first_seq);
	hex_field(jw, "host_key", e->host_key, sizeof(e->host_key));
	jw_u64_field(jw, "last_seq", e->last_seq);
	hex_field(jw, "root", e->root, sizeof(e->root));
	jw_u64_field(jw, "window_end", e->window_end);
	jw_u64_field(jw, "window_start", e->window_start);
	jw_end_object(jw);
	hex_field(jw, "epoch_sig", e->sig, sizeof(e->sig));
	jw_u64_field(jw, "leaf_index", p->leaf_index);
	jw_u64_field(jw, "tree_size", p->tree_size);
	jw_name(jw, "audit_path");
	jw_start_array(jw);
	for (size_t i = 0; i < p->path_len; i++) {
		char hex[2 * MERKLE_HASH + 1];

		sodium_bin2hex(hex, sizeof(hex), p->path[i], MERKLE_HASH);
		jw_string(jw, hex);
	}
	jw_end_array(jw);
	jw_end_object(jw);
}

/* the parser's state: the first missing or malformed field is the message */
struct reader {
	const char *bad;
};

static struct json_object *field(struct reader *r, struct json_object *o, const char *key,
				 enum json_type type)
{
	struct json_object *v;

	if (r->bad)
		return NULL;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type)) {
		r->bad = key;
		return NULL;
	}
	return v;
}

static uint64_t get_u64(struct reader *r, struct json_object *o, const char *key)
{
	struct json_object *v = field(r, o, key, json_type_int);

	if (v && json_object_get_int64(v) < 0)
		r->bad = key;
	return v ? json_object_get_uint64(v) : 0;
}

static void get_hex(struct reader *r, struct json_object *o, const char *key, uint8_t *out,
		    size_t len)
{
	struct json_object *v = o ? field(r, o, key, json_type_string) : NULL;
	const char *s = v ? json_object_get_string(v) : NULL;
	size_t n;

	if (!r->bad && !s)
		r->bad = key;
	if (s && (strlen(s) != 2 * len ||
		  sodium_hex2bin(out, len, s, 2 * len, NULL, &n, NULL) != 0 || n != len))
		r->bad = key;
}

static void read_proof(struct reader *r, struct json_object *o, struct vigil_ledger_proof *p)
{
	struct json_object *e = field(r, o, "epoch", json_type_object);
	struct json_object *rec = field(r, o, "record", json_type_string);
	struct json_object *path = field(r, o, "audit_path", json_type_array);
	size_t n = path ? json_object_array_length(path) : 0;

	p->seq = get_u64(r, o, "seq");
	p->leaf_index = get_u64(r, o, "leaf_index");
	p->tree_size = get_u64(r, o, "tree_size");
	get_hex(r, o, "epoch_sig", p->epoch.sig, sizeof(p->epoch.sig));
	if (e) {
		p->epoch.epoch = get_u64(r, e, "epoch");
		p->epoch.first_seq = get_u64(r, e, "first_seq");
		p->epoch.last_seq = get_u64(r, e, "last_seq");
		p->epoch.window_start = get_u64(r, e, "window_start");
		p->epoch.window_end = get_u64(r, e, "window_end");
		get_hex(r, e, "host_key", p->epoch.host_key, sizeof(p->epoch.host_key));
		get_hex(r, e, "root", p->epoch.root, sizeof(p->epoch.root));
	}
	if (!r->bad && n > MAX_PATH)
		r->bad = "audit_path";
	if (r->bad)
		return;
	p->record = strdup(json_object_get_string(rec));
	p->path = malloc(MAX_PATH * sizeof(*p->path));
	if (!p->record || !p->path) {
		r->bad = "(out of memory)";
		return;
	}
	for (size_t i = 0; i < n && !r->bad; i++) {
		struct json_object *h = json_object_array_get_idx(path, i);
		const char *s =
			json_object_is_type(h, json_type_string) ? json_object_get_string(h) : "";
		size_t got;

		if (strlen(s) != 2 * MERKLE_HASH ||
		    sodium_hex2bin(p->path[i], MERKLE_HASH, s, 2 * MERKLE_HASH, NULL, &got, NULL) ||
		    got != MERKLE_HASH)
			r->bad = "audit_path";
	}
	p->path_len = n;
}

int vigil_ledger_proof_parse(const char *text, struct vigil_ledger_proof **ret, char *err,
			     size_t err_len)
{
	struct json_object *o = json_tokener_parse(text);
	struct vigil_ledger_proof *p = calloc(1, sizeof(*p));
	struct reader r = { 0 };

	if (!p) {
		json_object_put(o);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (!json_object_is_type(o, json_type_object))
		snprintf(err, err_len, "not a JSON object");
	else
		read_proof(&r, o, p);
	if (r.bad)
		snprintf(err, err_len, "field \"%s\" missing or malformed", r.bad);
	json_object_put(o);
	if (r.bad || !p->record) {
		vigil_ledger_proof_free(p);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}
