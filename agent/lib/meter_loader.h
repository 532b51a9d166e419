/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_METER_LOADER_H
#define VIGIL_METER_LOADER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter.h"
#include "usage_fields.h"

/*
 * The metering programs and the accounting maps, pinned under one bpffs
 * directory (default /sys/fs/bpf/vigil). Opening adopts what is pinned there
 * (a restarted agent, a crashed one) and only loads and attaches the
 * programs whose links are missing, so nothing is attached twice and
 * counters survive the agent. Closing leaves everything pinned and counting.
 */
struct vigil_meter;

struct vigil_meter_opts {
	const char *pin_dir;
	/* depth of workload cgroups below the cgroup v2 root */
	unsigned int workload_cgroup_level;
};

int vigil_meter_open(const struct vigil_meter_opts *opts, struct vigil_meter **ret);
/*
 * Opens the pinned maps only, for readers such as `vigil usage show`: never
 * loads anything. -ENOENT when nothing is pinned in `pin_dir`.
 */
int vigil_meter_open_pinned(const char *pin_dir, struct vigil_meter **ret);
void vigil_meter_close(struct vigil_meter *m);
/* true when every program was already pinned and running */
bool vigil_meter_adopted(const struct vigil_meter *m);

/* Starts charging the cgroup (v2 id) to `slot`; -EEXIST when it already is. */
int vigil_meter_add_cgroup(struct vigil_meter *m, uint64_t cgroup_id, uint32_t slot);
int vigil_meter_remove_cgroup(struct vigil_meter *m, uint64_t cgroup_id);

int vigil_meter_slot_get(struct vigil_meter *m, uint32_t slot, struct vigil_slot *ret);
int vigil_meter_slot_set(struct vigil_meter *m, uint32_t slot, const struct vigil_slot *s);
/* Records the workload's state in its slot, for readers of the maps; -EINVAL when too long. */
int vigil_meter_slot_set_run_state(struct vigil_meter *m, uint32_t slot, const char *state);
/*
 * The state to show of a slot's workload: "deleted", what vigild last
 * recorded in it, or "created" when it recorded nothing yet.
 */
const char *vigil_slot_state_name(const struct vigil_slot *s);

/* Zeroes a slot's counters and marks it free, before it is reused. */
int vigil_meter_slot_reset(struct vigil_meter *m, uint32_t slot);

/*
 * Reads are snapshots: every frame in one has its verdict (a frame that was
 * between tc and the packet filter when the read began is counted with its
 * verdict or not at all), so public + private + dropped = tx in each, and
 * the figures never go down from one to the next. Each moves the network
 * counters' epoch on twice and waits for the CPUs after each move
 * (vigil_cpu_fence); one reader at a time, in this process and across
 * processes (a lock on the pin directory). A slot's usage, per the usage
 * table (usage_fields.h).
 */
int vigil_meter_read(struct vigil_meter *m, uint32_t slot, struct vigil_workload_usage *ret);

typedef int (*vigil_meter_slot_fn)(uint32_t slot, const struct vigil_slot *s,
				   const struct vigil_workload_usage *u, void *ctx);
/*
 * Calls `fn` for every slot that is not free, from one snapshot of them all,
 * reading the maps in batches (a few syscalls for thousands of workloads).
 * `fn` runs within the snapshot, so it must not read the meter itself. A
 * non-zero return from `fn` stops the walk and is returned.
 */
int vigil_meter_read_all(struct vigil_meter *m, vigil_meter_slot_fn fn, void *ctx);

/* fd of the pinned map `name` (owned by `m`), or -ENOENT. */
int vigil_meter_map_fd(const struct vigil_meter *m, const char *name);

/* Detaches the programs and removes every pin in `pin_dir` (uninstall, tests). */
int vigil_meter_unpin(const char *pin_dir);

/* The meter's BPF object as built into vigil (ELF), for the feature probe. */
const void *vigil_meter_object(size_t *ret_size);

#endif
