// SPDX-License-Identifier: GPL-2.0-or-later
/* An epoch's Merkle root: its canonical JSON, signature and database row. */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "canon_json.h"
#include "ledger_internal.h"

static int epoch_json(const struct vigil_ledger_epoch *e, struct cj_buf *b)
{
	cj_lit(b, "{\"epoch\":");
	cj_u64(b, e->epoch);
	cj_lit(b, ",\"first_seq\":");
	cj_u64(b, e->first_seq);
	cj_lit(b, ",\"host_key\":");
	cj_hex(b, e->host_key, sizeof(e->host_key));
	cj_lit(b, ",\"last_seq\":");
	cj_u64(b, e->last_seq);
	cj_lit(b, ",\"root\":");
	cj_hex(b, e->root, sizeof(e->root));
	cj_lit(b, ",\"window_end\":");
	cj_u64(b, e->window_end);
	cj_lit(b, ",\"window_start\":");
	cj_u64(b, e->window_start);
	cj_lit(b, "}");
	return cj_error(b);
}

int vigil_ledger_epoch_json(const struct vigil_ledger_epoch *e, char **ret)
{
	struct cj_buf b = { 0 };
	int r = epoch_json(e, &b);

	if (r) {
		cj_free(&b);
		return r;
	}
	*ret = b.p;
	return (int)b.len;
}

void ledger_epoch_sign(struct vigil_ledger_epoch *e, const uint8_t *sk)
{
	/* an epoch's JSON is well under 1 KiB */
	char buf[1024];
	struct cj_buf b = { .p = buf, .cap = sizeof(buf) };

	epoch_json(e, &b);
	crypto_sign_detached(e->sig, NULL, (const uint8_t *)b.p, b.len, sk);
}

int ledger_epoch_check_sig(const struct vigil_ledger_epoch *e)
{
	char buf[1024];
	struct cj_buf b = { .p = buf, .cap = sizeof(buf) };

	epoch_json(e, &b);
	if (crypto_sign_verify_detached(e->sig, (const uint8_t *)b.p, b.len, e->host_key) != 0)
		return -EBADMSG;
	return 0;
}

static int blob(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
	if ((size_t)sqlite3_column_bytes(st, col) != len)
		return -EBADMSG;
	memcpy(out, sqlite3_column_blob(st, col), len);
	return 0;
}

int ledger_epoch_from_row(sqlite3_stmt *st, const uint8_t *host_key, struct vigil_ledger_epoch *e)
{
	e->epoch = (uint64_t)sqlite3_column_int64(st, 0);
	e->first_seq = (uint64_t)sqlite3_column_int64(st, 1);
	e->last_seq = (uint64_t)sqlite3_column_int64(st, 2);
	e->window_start = (uint64_t)sqlite3_column_int64(st, 3);
	e->window_end = (uint64_t)sqlite3_column_int64(st, 4);
	memcpy(e->host_key, host_key, sizeof(e->host_key));
	if (blob(st, 5, e->root, sizeof(e->root)) || blob(st, 6, e->sig, sizeof(e->sig)))
		return -EBADMSG;
	return 0;
}
