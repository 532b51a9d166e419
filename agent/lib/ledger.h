/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LEDGER_H
#define VIGIL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "meter_loader.h"

/*
 * The usage ledger (SQLite, WAL, synchronous=FULL). Every epoch adds one
 * record per workload, in one transaction: cumulative counters since the
 * workload was created (they never go backwards, across host reboots too),
 * the window's delta and plausibility flags. Each record is canonical JSON
 * (keys sorted, no whitespace, integers in base units), signed with the
 * host's Ed25519 key and chained to the previous record by the SHA-256 of its
 * canonical JSON, signature included. Each epoch also gets a signed RFC 6962
 * Merkle root over its records, so a tenant can check one record with an
 * inclusion proof.
 */
struct vigil_ledger;

#define VIGIL_LEDGER_KEY_BYTES	32
#define VIGIL_LEDGER_KEY_HEX	64
#define VIGIL_LEDGER_HASH_BYTES 32
#define VIGIL_LEDGER_SIG_BYTES	64
/* workload ids, boot ids and agent versions, NUL included */
#define VIGIL_LEDGER_NAME_MAX	64
#define VIGIL_LEDGER_OWNER_MAX	256
#define VIGIL_LEDGER_REASON_MAX 256
#define VIGIL_LEDGER_DB_NAME	"ledger.db"
#define VIGIL_LEDGER_KEY_NAME	"host.key"

struct vigil_ledger_opts {
	/* default VIGIL_DEFAULT_STATE_DIR */
	const char *state_dir;
	/* default <state_dir>/ledger.db and <state_dir>/host.key */
	const char *db_path;
	const char *key_path;
	/* written into every record; default VIGIL_VERSION */
	const char *agent_version;
	/*
	 * For readers (show, export, proof): no key, no schema changes, no
	 * verification at open; appending returns -EROFS.
	 */
	bool read_only;
};

/*
 * Opens (creating it and the host key at first start) the ledger. The key
 * file is created with mode 0600; one readable or writable by group or
 * others is refused (-EPERM). Unless read_only, the last epoch is verified:
 * its records, their chain link to the record before it, its Merkle root and
 * signature, and that each of its workloads' stored state (what the next
 * record continues from) matches its record. A broken tail is refused with
 * -EBADMSG: `err` names the first bad record and why. Nothing may then be
 * appended: move the database aside to start a new chain (the BPF counters
 * are not lost; the new chain starts from their current values). Other
 * errors: -EKEYREJECTED when the key file is not the key that signed the
 * ledger, or a negative errno; `err` always says what failed.
 *
 * The trade-off: open costs one epoch, not the whole history (which grows
 * by 1.44 M records a day at 1,000 workloads), so a record altered in an
 * older epoch does not stop the agent. Finding it is the job of
 * vigil_ledger_verify_db (`vigil ledger verify`), which an operator or the
 * accounting service runs on the whole ledger.
 */
int vigil_ledger_open(const struct vigil_ledger_opts *opts, struct vigil_ledger **ret, char *err,
		      size_t err_len);
void vigil_ledger_close(struct vigil_ledger *l);

/* What the last failed call on `l` failed on, for messages. */
const char *vigil_ledger_error(const struct vigil_ledger *l);

struct vigil_ledger_alloc {
	uint64_t vcpus;
	uint64_t memory_mib;
	uint64_t volume_mib;
	uint64_t egress_mbit; /* 0: no limit */
};

struct vigil_ledger_input {
	/* DESIGN.md workload id and its owner (UTF-8, < VIGIL_LEDGER_OWNER_MAX bytes) */
	const char *workload;
	const char *owner;
	struct vigil_ledger_alloc alloc;
	/* /proc/sys/kernel/random/boot_id: the BPF figures restart at zero when it changes */
	const char *boot_id;
	/*
	 * the memory its allocation allows, in bytes: memory_mib, and for a
	 * microVM's VMM its own overhead (memory.max); 0: memory_mib
	 */
	uint64_t memory_allowed_bytes;
	/* what the BPF maps hold now */
	struct vigil_workload_usage usage;
	/* the workload was deleted: its last record */
	bool final;
};

/* plausibility flags of a record ("flags" in its JSON, names in that order) */
enum {
	/* a BPF figure went backwards without a boot change: taken as a new base */
	VIGIL_LEDGER_COUNTER_REGRESSED = 1 << 0,
	/* the window's CPU time exceeds vcpus x window */
	VIGIL_LEDGER_CPU_OVER_ALLOC = 1 << 1,
	/* the memory peak rose above what the allocation allows in this window */
	VIGIL_LEDGER_MEMORY_OVER_ALLOC = 1 << 2,
	/*
	 * more reached public destinations in the window than egress_mbit lets
	 * through: the rate over the window, its burst, and the frames' link headers
	 */
	VIGIL_LEDGER_NET_OVER_EGRESS_LIMIT = 1 << 3,
	/* the window's public + private + dropped bytes are not what was sent */
	VIGIL_LEDGER_NET_TX_UNBALANCED = 1 << 4,
};

/*
 * Appends one epoch: a record per input (each workload at most once) and the
 * epoch's signed Merkle root, in one transaction. A workload with an earlier
 * record continues from it: its window starts where its previous one ended,
 * so no time is missing or counted twice (`window_start_ns` applies to new
 * workloads). A workload whose last record was final starts a new life.
 *
 * On any error nothing is written (the transaction rolls back) and the
 * ledger is as before: -EBUSY (another writer holds the database), -ENOSPC
 * (disk full), -EINVAL (bad input), -EROFS (read-only), -EIO. The caller
 * keeps the inputs queued and retries with fresh figures (they are
 * cumulative, so a late record loses nothing); vigil_ledger_error() says why.
 */
int vigil_ledger_append_epoch(struct vigil_ledger *l, uint64_t window_start_ns,
			      uint64_t window_end_ns, const struct vigil_ledger_input *in,
			      size_t n);

/*
 * Whether `workload`'s last record is final (it was deleted and its usage
 * is recorded to the end); -ENOENT when it has no record.
 */
int vigil_ledger_workload_final(struct vigil_ledger *l, const char *workload, bool *ret);

/*
 * How many records raised each plausibility flag since `l` was opened: up
 * to `max` flag names (as in the records' "flags") and counts. Returns how many.
 */
size_t vigil_ledger_flags_raised(const struct vigil_ledger *l, const char **names, uint64_t *counts,
				 size_t max);

/* seq of the last record, 0 when empty */
uint64_t vigil_ledger_last_seq(const struct vigil_ledger *l);
/* end of the last epoch's window, 0 when empty: where the next window starts after a restart */
uint64_t vigil_ledger_last_window_end(const struct vigil_ledger *l);
/* the host's public key, hex; "" for an empty read-only ledger */
const char *vigil_ledger_host_key(const struct vigil_ledger *l);

typedef int (*vigil_ledger_record_fn)(const char *line, size_t len, void *ctx);
/*
 * Calls `fn` with the canonical JSON (no newline) of the records after
 * `after_seq`, in order, at most `limit` of them (0: all). A non-zero return
 * from `fn` stops the walk and is returned.
 */
int vigil_ledger_records(struct vigil_ledger *l, uint64_t after_seq, uint64_t limit,
			 vigil_ledger_record_fn fn, void *ctx);

/* One epoch's signed Merkle root. */
struct vigil_ledger_epoch {
	uint64_t epoch;
	uint64_t first_seq;
	uint64_t last_seq;
	uint64_t window_start;
	uint64_t window_end;
	uint8_t host_key[VIGIL_LEDGER_KEY_BYTES];
	uint8_t root[VIGIL_LEDGER_HASH_BYTES];
	/* Ed25519 over the epoch's canonical JSON (vigil_ledger_epoch_json) */
	uint8_t sig[VIGIL_LEDGER_SIG_BYTES];
};

/* An inclusion proof of one record in its epoch's Merkle tree. */
struct vigil_ledger_proof {
	uint64_t seq;
	/* the record's canonical JSON */
	char *record;
	struct vigil_ledger_epoch epoch;
	uint64_t leaf_index;
	uint64_t tree_size;
	size_t path_len;
	uint8_t (*path)[VIGIL_LEDGER_HASH_BYTES];
};

/* -ENOENT when there is no record `seq`. */
int vigil_ledger_proof(struct vigil_ledger *l, uint64_t seq, struct vigil_ledger_proof **ret);
void vigil_ledger_proof_free(struct vigil_ledger_proof *p);
/*
 * Checks a proof offline: the record's signature, its leaf in the epoch's
 * tree, the root's signature. `pubkey` (NULL: the key the proof names) pins
 * the host key. Returns 0, or -EBADMSG with the reason in `err`.
 */
int vigil_ledger_proof_check(const struct vigil_ledger_proof *p, const uint8_t *pubkey, char *err,
			     size_t err_len);
/*
 * The proof as a JSON object: {"seq", "record" (the record's canonical JSON,
 * as a string: its bytes are what is hashed), "epoch" (the object its
 * signature covers), "epoch_sig", "leaf_index", "tree_size", "audit_path"
 * (hex hashes, leaf to root)}. Parsing gives -EINVAL with the reason in `err`.
 */
struct json_writer;
void vigil_ledger_proof_to_json(const struct vigil_ledger_proof *p, struct json_writer *jw);
int vigil_ledger_proof_parse(const char *text, struct vigil_ledger_proof **ret, char *err,
			     size_t err_len);

/* The canonical JSON an epoch's signature covers; returns its length or a negative errno. */
int vigil_ledger_epoch_json(const struct vigil_ledger_epoch *e, char **ret);

/* What a verification covered, or where it stopped. */
struct vigil_ledger_check {
	uint64_t records;
	uint64_t first_seq;
	uint64_t last_seq;
	/* Merkle roots checked (databases only) */
	uint64_t epochs;
	char host_key[VIGIL_LEDGER_KEY_HEX + 1];
	/* on -EBADMSG: the first bad record (0: none, e.g. an epoch), its line in a file */
	uint64_t bad_seq;
	uint64_t bad_line;
	/* "record 42: prev_hash does not match record 41" */
	char reason[VIGIL_LEDGER_REASON_MAX];
};

/*
 * Verifies a whole ledger: the chain (gapless seq, prev_hash), the host key
 * (`pubkey`, or else the key the ledger names), counters that never go
 * backwards per workload, deltas, windows that follow each other, and the
 * signatures. Returns 0, -EBADMSG (the ledger is bad: `ret` names the first
 * bad record and why) or another negative errno (it could not be read:
 * `ret->reason` says why). `ret` is filled in every case.
 *
 * In a database every record must belong to an epoch (a record outside any
 * is an error), the epochs must cover the records in order without gaps,
 * and each epoch's Merkle root is recomputed from its records and its
 * signature checked. That one signature authenticates all of the epoch's
 * records (as in Certificate Transparency), so their own signatures are not
 * checked one by one; they are checked only when something fails, to name
 * the altered record among those no verified root covers yet.
 */
int vigil_ledger_verify_db(const char *db_path, const uint8_t *pubkey,
			   struct vigil_ledger_check *ret);
/*
 * The same for exported JSON lines, which carry no epochs: every record's
 * signature is checked. An export that starts after seq 0 is checked from
 * its first record on (its link to the record before cannot be).
 */
int vigil_ledger_verify_lines(FILE *in, const uint8_t *pubkey, struct vigil_ledger_check *ret);

/* Parses 64 hex digits; -EINVAL otherwise. */
int vigil_ledger_parse_key(const char *hex, uint8_t key[VIGIL_LEDGER_KEY_BYTES]);

#endif
