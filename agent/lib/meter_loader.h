/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_METER_LOADER_H
#define VIGIL_METER_LOADER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "meter.h"

/*
 * The metering programs and the accounting map, pinned under one bpffs
 * directory (default /sys/fs/bpf/vigil). Opening adopts what is pinned there
 * (a restarted agent, a crashed one) and only loads and attaches when
 * nothing is, so programs are never attached twice and counters survive
 * the agent. Closing leaves everything pinned and counting.
 */
struct vigil_meter;

struct vigil_meter_opts {
	const char *pin_dir;
	/* depth of workload cgroups below the cgroup v2 root */
	unsigned int workload_cgroup_level;
};

int vigil_meter_open(const struct vigil_meter_opts *opts, struct vigil_meter **ret);
void vigil_meter_close(struct vigil_meter *m);
/* true when the programs were already pinned and running */
bool vigil_meter_adopted(const struct vigil_meter *m);

/* Starts charging the cgroup (v2 id) to `slot`; -EEXIST when it already is. */
int vigil_meter_add_cgroup(struct vigil_meter *m, uint64_t cgroup_id, uint32_t slot);
int vigil_meter_remove_cgroup(struct vigil_meter *m, uint64_t cgroup_id);
/* Sums the per-CPU counters of `slot`. */
int vigil_meter_read(struct vigil_meter *m, uint32_t slot, struct vigil_usage *ret);

/* Detaches the programs and removes every pin in `pin_dir` (uninstall, tests). */
int vigil_meter_unpin(const char *pin_dir);

#endif
