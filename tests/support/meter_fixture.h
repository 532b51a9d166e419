/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared set-up of the metering suites: a private bpffs, a pid-suffixed
 * parent cgroup on the v2 hierarchy with workload cgroups w1 and w2, and
 * workloads spawned straight into them.
 */
#ifndef VIGIL_METER_FIXTURE_H
#define VIGIL_METER_FIXTURE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "meter_loader.h"

struct meter_fixture {
	const char *suite;
	struct vigil_cgroup2 cg2;
	char scratch[PATH_MAX];
	char bpffs[PATH_MAX];
	char pin_dir[PATH_MAX];
	char parent[PATH_MAX];
	unsigned int level;
};

extern struct meter_fixture mf;

/*
 * The accuracy the README's metering table claims, on every kernel the
 * suites run on; the suites assert exactly these.
 */
/* cpu_ns against cpu.stat usage_usec, which has whole microseconds */
#define MF_CPU_TOLERANCE_PERCENT 0.001
/* mem_bytes and its peak against VmRSS, and a known touched size */
#define MF_MEM_TOLERANCE_PERCENT 0.2
/* mem_byte_seconds against VmRSS sampled every 2 ms and integrated: the sampling's error */
#define MF_MEM_INTEGRAL_TOLERANCE_PERCENT 1.0
/* disk bytes against the sizes moved and the device's statistics: exact */
#define MF_DISK_TOLERANCE_PERCENT 0.0

/* In main(): exits 77 unless root with a cgroup v2 hierarchy. */
void mf_require(const char *suite);

/*
 * Unchecked fixtures (they run in the parent process, so a failing test,
 * whose process ends at the failed assertion, still leaves nothing behind).
 */
void mf_make_host_objects(void);
void mf_remove_host_objects(void);
/* Checked set-up: no pins, and w1 and w2 present and empty. */
void mf_setup(void);

void mf_cgroup_path(char *buf, size_t len, const char *name);
struct vigil_meter *mf_open_meter(void);
/* Charges cgroup `name` to `slot`; returns its cgroup id. */
uint64_t mf_add_workload(struct vigil_meter *m, const char *name, uint32_t slot);
/* Spawns argv (NULL-terminated) into cgroup `name`. */
pid_t mf_spawn(const char *name, char *const argv[]);
/* Reaps `pid`, which must exit 0, and waits for its final switch. */
void mf_wait_ok(pid_t pid);

void mf_assert_within_percent(uint64_t got, uint64_t want, double percent, const char *what,
			      const char *truth);

#endif
