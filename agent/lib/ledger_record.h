/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LEDGER_RECORD_H
#define VIGIL_LEDGER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canon_json.h"
#include "ledger.h"
#include "usage_fields.h"

/*
 * One ledger record and its canonical JSON. The usage figures that only
 * grow (CPU, disk, network, memory byte-seconds) are "counters" and
 * "delta"; those that may fall (the memory gauges) are "gauges": the usage
 * table's rows of each kind (usage_fields.h), in the order of their names.
 */
#define LEDGER_N_COUNTERS VIGIL_USAGE_N_COUNTERS
#define LEDGER_N_GAUGES	  VIGIL_USAGE_N_GAUGES
/* the plausibility flags, by bit (VIGIL_LEDGER_COUNTER_REGRESSED ...) */
#define LEDGER_N_FLAGS 5
extern const char *const ledger_flag_names[LEDGER_N_FLAGS];

/* The i-th counter, or gauge, in the order of their JSON keys. */
const struct vigil_usage_field *ledger_counter(size_t i);
const struct vigil_usage_field *ledger_gauge(size_t i);
/* The index of the counter named `name`; LEDGER_N_COUNTERS when none is. */
size_t ledger_counter_index(const char *name);

struct ledger_record {
	uint64_t seq;
	uint8_t prev_hash[VIGIL_LEDGER_HASH_BYTES];
	uint8_t host_key[VIGIL_LEDGER_KEY_BYTES];
	char boot_id[VIGIL_LEDGER_NAME_MAX];
	char workload[VIGIL_LEDGER_NAME_MAX];
	char owner[VIGIL_LEDGER_OWNER_MAX];
	char agent_version[VIGIL_LEDGER_NAME_MAX];
	uint64_t window_start;
	uint64_t window_end;
	struct vigil_ledger_alloc alloc;
	uint64_t counters[LEDGER_N_COUNTERS];
	uint64_t delta[LEDGER_N_COUNTERS];
	uint64_t gauges[LEDGER_N_GAUGES];
	unsigned int flags;
	bool final;
	uint8_t sig[VIGIL_LEDGER_SIG_BYTES];
};

/*
 * Appends the canonical JSON of the record without "sig" (what the signature
 * covers) to `b`; *ret_sig_at is where "sig" belongs in it.
 */
int ledger_record_message(const struct ledger_record *r, struct cj_buf *b, size_t *ret_sig_at);
/* Appends the whole record: `msg` with the signature at `sig_at`. */
int ledger_record_line(const char *msg, size_t len, size_t sig_at, const uint8_t *sig,
		       struct cj_buf *b);

/*
 * Parses a record that must be exactly in canonical form (anything else is
 * not what was signed). [*ret_sig_start, *ret_sig_end) is the ",\"sig\":..."
 * part, which the message leaves out. -EBADMSG with the reason in `err`.
 */
int ledger_record_parse(const char *line, size_t len, struct ledger_record *r,
			size_t *ret_sig_start, size_t *ret_sig_end, char *err, size_t err_len);

/* Copies the message (the line without its signature) into `b`. */
int ledger_record_strip_sig(const char *line, size_t len, size_t sig_start, size_t sig_end,
			    struct cj_buf *b);

#endif
