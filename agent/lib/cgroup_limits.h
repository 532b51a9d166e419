/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CGROUP_LIMITS_H
#define VIGIL_CGROUP_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A workload's cgroup v2 limits, from its allocation:
 *   cpu.max          vcpus x 100 ms in every 100 ms period
 *   memory.max       memory_mib, plus VIGIL_VMM_OVERHEAD_MIB for a VMM
 *   memory.swap.max  0: a workload does not swap
 *   pids.max         VIGIL_PIDS_MAX tasks (processes and threads)
 * written before its first instruction runs. Where the kernel's v2
 * hierarchy lacks a controller (a hybrid host keeps it on v1) the limit is
 * not enforced, and the status says why.
 */
enum vigil_limit {
	VIGIL_LIMIT_CPU,
	VIGIL_LIMIT_MEMORY,
	VIGIL_LIMIT_SWAP,
	VIGIL_LIMIT_PIDS,
	VIGIL_LIMIT__COUNT
};

#define VIGIL_CPU_PERIOD_US 100000
#define VIGIL_PIDS_MAX	    1024
/*
 * What a VMM needs beside its guest's memory: its own heap, device
 * emulation and, under TCG, its translated code (QEMU's microvm measured
 * in the README).
 */
#define VIGIL_VMM_OVERHEAD_MIB 256

struct vigil_limit_status {
	bool enforced;
	char value[32];	  /* as written to the file, e.g. "200000 100000" */
	char reason[192]; /* why it is not enforced, "" when it is */
};

struct vigil_limits {
	struct vigil_limit_status l[VIGIL_LIMIT__COUNT];
};

/* "cpu", "memory", "swap", "pids" */
const char *vigil_limit_name(enum vigil_limit limit);
/* "cpu.max", "memory.max", "memory.swap.max", "pids.max" */
const char *vigil_limit_file(enum vigil_limit limit);

/* The memory.max of an allocation, in bytes. */
uint64_t vigil_limit_memory_bytes(uint32_t memory_mib, bool vmm);
/* The values of an allocation, none enforced yet. */
void vigil_limits_values(uint32_t vcpus, uint32_t memory_mib, bool vmm, struct vigil_limits *ret);

/*
 * Enables the cpu, memory and pids controllers for the children of
 * `parent` (a directory below the v2 mount `mount`), level by level from
 * the mount down, where the kernel's v2 hierarchy has them. Best effort:
 * what could not be enabled shows in each workload's limit status.
 */
void vigil_limits_enable(const char *mount, const char *parent);

/*
 * Writes the limits' values into the cgroup directory `cgroup`, whose v2
 * mount is `mount`, and sets each one's enforced and reason. 0, or a
 * negative errno when the cgroup cannot be read at all.
 */
int vigil_limits_apply(const char *mount, const char *cgroup, struct vigil_limits *l);

/* How many limits are enforced. */
size_t vigil_limits_enforced(const struct vigil_limits *l);

#endif
