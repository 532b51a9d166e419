/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigild with 1 s ledger epochs and a private boot id file, for the suites
 * of the ledger and its exporter: its records over HTTP, the sequence it
 * has reached, a CPU burner workload, and the ledger's verification.
 */
#ifndef VIGIL_LEDGER_FIXTURE_H
#define VIGIL_LEDGER_FIXTURE_H

#include <stdint.h>

#include "prom.h"

/* Check fixture set-up and teardown (around vf_make_env and vf_remove_env). */
void lf_make_env(void);
void lf_remove_env(void);

/* Replaces the boot id vigild reads, as a host reboot would. */
void lf_write_boot_id(const char *id);
/* GET `path` from vigild's HTTP port; free r.body. */
struct reply lf_http_get(const char *path);
/* The ledger's last sequence number, from /healthz (0 when unknown). */
uint64_t lf_ledger_sequence(void);
/* Waits up to 10 s for the ledger to pass `seq`, and asserts it did. */
void lf_wait_sequence_above(uint64_t seq);
/* Asserts `vigil ledger verify` accepts vigild's ledger. */
void lf_ledger_verifies(void);
/* Creates and starts workload `id`: this suite's binary re-executed with --burn MS. */
void lf_start_burner(const char *id, int ms);

#endif
