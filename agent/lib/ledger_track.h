/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LEDGER_TRACK_H
#define VIGIL_LEDGER_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_record.h"

/* What a verifier remembers of each workload's last record: a hash table by workload id. */
struct track_entry {
	char workload[VIGIL_LEDGER_NAME_MAX];
	bool used;
	bool final;
	uint64_t seq;
	uint64_t window_end;
	uint64_t counters[LEDGER_N_COUNTERS];
};

struct track {
	struct track_entry *e;
	size_t cap;
	size_t n;
};

/*
 * The entry of `workload`, added (with used == false) when it has none;
 * NULL when out of memory.
 */
struct track_entry *track_get(struct track *t, const char *workload);
void track_free(struct track *t);

#endif
