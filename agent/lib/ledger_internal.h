/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LEDGER_INTERNAL_H
#define VIGIL_LEDGER_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>

#include "canon_json.h"
#include "host_key.h"
#include "ledger.h"
#include "ledger_record.h"

/* Shared by the ledger's files; not for other users of the library. */
struct vigil_ledger {
	sqlite3 *db;
	char *db_path;
	bool read_only;
	struct host_key key;
	char host_key_hex[VIGIL_LEDGER_KEY_HEX + 1];
	char agent_version[VIGIL_LEDGER_NAME_MAX];
	uint64_t last_seq;
	uint8_t last_hash[VIGIL_LEDGER_HASH_BYTES];
	uint64_t last_epoch;
	uint64_t last_window_end;
	/* records that raised each flag since the ledger was opened */
	uint64_t flags_raised[LEDGER_N_FLAGS];
	/* reused by every append */
	struct cj_buf msg;
	struct cj_buf line;
	char err[2 * VIGIL_LEDGER_REASON_MAX];
};

/* SQLite result code -> negative errno */
int ledger_sqlite_errno(sqlite3 *db, int rc);
void ledger_set_err(struct vigil_ledger *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The database's tables (idempotent). */
int ledger_db_schema(sqlite3 *db);
/* meta "host_key" into `key`: 0, -ENOENT when the ledger has none yet */
int ledger_db_host_key(sqlite3 *db, uint8_t key[VIGIL_LEDGER_KEY_BYTES]);

/*
 * The records' format (meta "format"), written with the host key: 2 since
 * the network figures net_tx_dropped_bytes and net_tx_dropped_packets and
 * alloc.egress_mbit joined them (1 before).
 */
#define LEDGER_FORMAT "2"
/* meta "format" into `buf`: 0, -ENOENT when the ledger has none yet */
int ledger_db_format(sqlite3 *db, char *buf, size_t len);

/*
 * Verifies the ledger in `db` (see vigil_ledger_verify_db), or with
 * `last_epoch` only its last epoch: its records, their link to the record
 * before, its root and signature, and that each of its workloads' stored
 * state continues from its record there. Call it inside a read transaction.
 */
int ledger_verify_conn(sqlite3 *db, const uint8_t *pubkey, bool last_epoch,
		       struct vigil_ledger_check *ret);

/* the columns every epoch query selects, in ledger_epoch_from_row()'s order */
#define LEDGER_EPOCH_COLUMNS "epoch, first_seq, last_seq, window_start, window_end, root, sig"
int ledger_epoch_from_row(sqlite3_stmt *st, const uint8_t *host_key, struct vigil_ledger_epoch *e);
void ledger_epoch_sign(struct vigil_ledger_epoch *e, const uint8_t *sk);
/* 0, or -EBADMSG when the signature does not match the epoch's host key */
int ledger_epoch_check_sig(const struct vigil_ledger_epoch *e);

#endif
