// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening and reading the ledger database. */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "paths.h"

/* long enough to ride out a reader's checkpoint, short enough not to stall an epoch */
#define BUSY_TIMEOUT_MS 200

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS records(seq INTEGER PRIMARY KEY, line BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS epochs(epoch INTEGER PRIMARY KEY,"
	" first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
	" window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,"
	" root BLOB NOT NULL, sig BLOB NOT NULL);"
	/* where each workload's next record continues from (not signed: rebuilt by appends) */
	"CREATE TABLE IF NOT EXISTS workloads(workload TEXT PRIMARY KEY,"
	" boot_id TEXT NOT NULL, window_end INTEGER NOT NULL, final INTEGER NOT NULL,"
	" mem_peak INTEGER NOT NULL, raw BLOB NOT NULL, base BLOB NOT NULL,"
	" counters BLOB NOT NULL);";

int ledger_sqlite_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	case SQLITE_CANTOPEN:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys ? -sys : -ENOENT;
	default:
		return -EIO;
	}
}

void ledger_set_err(struct vigil_ledger *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
}

const char *vigil_ledger_error(const struct vigil_ledger *l)
{
	return l->err;
}

int ledger_db_schema(sqlite3 *db)
{
	return ledger_sqlite_errno(db, sqlite3_exec(db, schema, NULL, NULL, NULL));
}

int ledger_db_host_key(sqlite3 *db, uint8_t key[VIGIL_LEDGER_KEY_BYTES])
{
	sqlite3_stmt *st = NULL;
	const char *hex;
	int rc, ret;

	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'host_key'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_sqlite_errno(db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		hex = (const char *)sqlite3_column_text(st, 0);
		ret = hex ? vigil_ledger_parse_key(hex, key) : -EINVAL;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : ledger_sqlite_errno(db, rc);
	}
	sqlite3_finalize(st);
	return ret;
}

int ledger_db_format(sqlite3 *db, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int rc, ret;

	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'format'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_sqlite_errno(db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, len, "%s", v ? v : "");
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : ledger_sqlite_errno(db, rc);
	}
	sqlite3_finalize(st);
	return ret;
}

int vigil_ledger_parse_key(const char *hex, uint8_t key[VIGIL_LEDGER_KEY_BYTES])
{
	uint8_t tmp[VIGIL_LEDGER_KEY_BYTES];
	size_t len;

	if (strlen(hex) != VIGIL_LEDGER_KEY_HEX ||
	    sodium_hex2bin(tmp, sizeof(tmp), hex, VIGIL_LEDGER_KEY_HEX, NULL, &len, NULL) != 0 ||
	    len != sizeof(tmp))
		return -EINVAL;
	memcpy(key, tmp, sizeof(tmp));
	return 0;
}

static int exec(struct vigil_ledger *l, const char *sql)
{
	int ret = ledger_sqlite_errno(l->db, sqlite3_exec(l->db, sql, NULL, NULL, NULL));

	if (ret)
		ledger_set_err(l, "ledger %s: %s: %s", l->db_path, sql, sqlite3_errmsg(l->db));
	return ret;
}

/* The key file must be the key that signed the ledger; a new ledger records it. */
static int bind_host_key(struct vigil_ledger *l)
{
	uint8_t stored[VIGIL_LEDGER_KEY_BYTES];
	char sql[160];
	int ret = ledger_db_host_key(l->db, stored);

	if (ret == -ENOENT) {
		snprintf(
			sql, sizeof(sql),
			"INSERT INTO meta(key, value) VALUES('host_key', '%s'), ('format', '" LEDGER_FORMAT
			"')",
			l->host_key_hex);
		return exec(l, sql);
	}
	if (ret) {
		ledger_set_err(l, "ledger %s: reading its host key: %s", l->db_path,
			       strerror(-ret));
		return ret;
	}
	if (memcmp(stored, l->key.pk, sizeof(stored)) != 0) {
		char hex[VIGIL_LEDGER_KEY_HEX + 1];

		sodium_bin2hex(hex, sizeof(hex), stored, sizeof(stored));
		ledger_set_err(l,
			       "ledger %s was signed by host key %s, but the key file holds %s "
			       "(restore that key file, or move the ledger aside)",
			       l->db_path, hex, l->host_key_hex);
		return -EKEYREJECTED;
	}
	return 0;
}

/* last record's seq and hash, last epoch and its window end */
static int load_head(struct vigil_ledger *l)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT seq, line FROM records ORDER BY seq DESC LIMIT 1",
				-1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->last_seq = (uint64_t)sqlite3_column_int64(st, 0);
		crypto_hash_sha256(l->last_hash, sqlite3_column_blob(st, 1),
				   (unsigned long long)sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto fail;
	rc = sqlite3_prepare_v2(l->db,
				"SELECT epoch, window_end FROM epochs ORDER BY epoch DESC LIMIT 1",
				-1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->last_epoch = (uint64_t)sqlite3_column_int64(st, 0);
		l->last_window_end = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
fail:
	ledger_set_err(l, "ledger %s: reading its last record: %s", l->db_path,
		       sqlite3_errmsg(l->db));
	return ledger_sqlite_errno(l->db, rc);
}

/*
 * Only the last epoch: what the next one chains to and continues from. The
 * whole history is the job of vigil_ledger_verify_db (`vigil ledger verify`);
 * checking it here would make every start as slow as the ledger is long.
 */
static int verify_at_open(struct vigil_ledger *l)
{
	struct vigil_ledger_check check;
	int ret = exec(l, "BEGIN");

	if (ret)
		return ret;
	/* one snapshot, should another process append meanwhile */
	ret = ledger_verify_conn(l->db, l->key.pk, true, &check);
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	if (ret == -EBADMSG)
		ledger_set_err(l, "ledger %s does not verify: %s", l->db_path, check.reason);
	else if (ret)
		ledger_set_err(l, "ledger %s: verifying it: %s", l->db_path, check.reason);
	return ret;
}

static int open_rw(struct vigil_ledger *l, const char *key_path)
{
	char kerr[VIGIL_LEDGER_REASON_MAX];
	int ret;

	ret = host_key_load(key_path, &l->key, kerr, sizeof(kerr));
	if (ret) {
		ledger_set_err(l, "%s", kerr);
		return ret;
	}
	sodium_bin2hex(l->host_key_hex, sizeof(l->host_key_hex), l->key.pk, sizeof(l->key.pk));
	ret = exec(l, "PRAGMA journal_mode=WAL");
	if (!ret)
		ret = exec(l, "PRAGMA synchronous=FULL");
	if (!ret)
		ret = exec(l, schema);
	if (!ret)
		ret = bind_host_key(l);
	if (!ret)
		ret = verify_at_open(l);
	return ret;
}

static int open_ro(struct vigil_ledger *l)
{
	uint8_t pk[VIGIL_LEDGER_KEY_BYTES];
	int ret = ledger_db_host_key(l->db, pk);

	if (ret == -ENOENT)
		return 0;
	if (ret) {
		ledger_set_err(l, "ledger %s: reading its host key: %s", l->db_path,
			       ret == -EIO ? sqlite3_errmsg(l->db) : strerror(-ret));
		return ret;
	}
	sodium_bin2hex(l->host_key_hex, sizeof(l->host_key_hex), pk, sizeof(pk));
	return 0;
}

int vigil_ledger_open(const struct vigil_ledger_opts *opts, struct vigil_ledger **ret, char *err,
		      size_t err_len)
{
	const char *dir = opts->state_dir ? opts->state_dir : VIGIL_DEFAULT_STATE_DIR;
	char db_path[PATH_MAX], key_path[PATH_MAX];
	struct vigil_ledger *l;
	int flags, rc, r;

	snprintf(db_path, sizeof(db_path), "%s", opts->db_path ? opts->db_path : "");
	if (!opts->db_path)
		snprintf(db_path, sizeof(db_path), "%s/" VIGIL_LEDGER_DB_NAME, dir);
	snprintf(key_path, sizeof(key_path), "%s", opts->key_path ? opts->key_path : "");
	if (!opts->key_path)
		snprintf(key_path, sizeof(key_path), "%s/" VIGIL_LEDGER_KEY_NAME, dir);
	if (sodium_init() < 0) {
		snprintf(err, err_len, "libsodium failed to initialize");
		return -EIO;
	}
	l = calloc(1, sizeof(*l));
	if (!l || !(l->db_path = strdup(db_path))) {
		free(l);
		snprintf(err, err_len, "opening ledger %s: %s", db_path, strerror(ENOMEM));
		return -ENOMEM;
	}
	l->read_only = opts->read_only;
	snprintf(l->agent_version, sizeof(l->agent_version), "%s",
		 opts->agent_version ? opts->agent_version : VIGIL_VERSION);
	flags = l->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(db_path, &l->db, flags, NULL);
	if (rc != SQLITE_OK) {
		r = ledger_sqlite_errno(l->db, rc);
		ledger_set_err(l, "opening ledger %s: %s", db_path,
			       l->db ? sqlite3_errmsg(l->db) : strerror(-r));
		goto fail;
	}
	sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
	r = l->read_only ? open_ro(l) : open_rw(l, key_path);
	if (!r)
		r = load_head(l);
	if (r)
		goto fail;
	*ret = l;
	return 0;
fail:
	snprintf(err, err_len, "%s", l->err);
	vigil_ledger_close(l);
	return r;
}

void vigil_ledger_close(struct vigil_ledger *l)
{
	if (!l)
		return;
	sqlite3_close_v2(l->db);
	host_key_wipe(&l->key);
	cj_free(&l->msg);
	cj_free(&l->line);
	free(l->db_path);
	free(l);
}

uint64_t vigil_ledger_last_seq(const struct vigil_ledger *l)
{
	return l->last_seq;
}

uint64_t vigil_ledger_last_window_end(const struct vigil_ledger *l)
{
	return l->last_window_end;
}

const char *vigil_ledger_host_key(const struct vigil_ledger *l)
{
	return l->host_key_hex;
}

int vigil_ledger_records(struct vigil_ledger *l, uint64_t after_seq, uint64_t limit,
			 vigil_ledger_record_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(l->db,
				"SELECT line FROM records WHERE seq > ? ORDER BY seq LIMIT ?", -1,
				&st, NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after_seq);
	sqlite3_bind_int64(st, 2, limit && limit <= INT64_MAX ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = fn(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), ctx);
		if (ret)
			break;
	}
out:
	if (!ret && rc != SQLITE_DONE) {
		ret = ledger_sqlite_errno(l->db, rc);
		ledger_set_err(l, "ledger %s: reading records: %s", l->db_path,
			       sqlite3_errmsg(l->db));
	}
	sqlite3_finalize(st);
	return ret;
}

int vigil_ledger_workload_final(struct vigil_ledger *l, const char *workload, bool *ret)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT final FROM workloads WHERE workload = ?", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return ledger_sqlite_errno(l->db, rc);
	sqlite3_bind_text(st, 1, workload, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : ledger_sqlite_errno(l->db, rc);
}
