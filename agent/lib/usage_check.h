/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_USAGE_CHECK_H
#define VIGIL_USAGE_CHECK_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The kernel's own cgroup v2 accounting of a workload, to cross-check what
 * the BPF meter counted (`vigil usage show --check`). Each item names the
 * usage key it checks and the file it comes from; a file that does not exist
 * (a controller left on cgroup v1 in a hybrid host) is reported, not guessed.
 */
enum vigil_check_item {
	VIGIL_CHECK_CPU,
	VIGIL_CHECK_MEM,
	VIGIL_CHECK_MEM_PEAK,
	VIGIL_CHECK_DISK_READ_BYTES,
	VIGIL_CHECK_DISK_WRITE_BYTES,
	VIGIL_CHECK_DISK_READ_OPS,
	VIGIL_CHECK_DISK_WRITE_OPS,
	VIGIL_CHECK__COUNT,
};

struct vigil_check_source {
	const char *usage_key; /* "cpu_ns" */
	const char *file;      /* "cpu.stat" */
	const char *key;       /* "usage_usec", NULL for one-value files */
};

const struct vigil_check_source *vigil_check_source(enum vigil_check_item item);

struct vigil_check_figure {
	/* 0, or a negative errno: -ENOENT when the file or its key does not exist */
	int err;
	/* in the usage key's base unit */
	uint64_t value;
};

/* How deep below the v2 mount a workload cgroup is looked for. */
#define VIGIL_CHECK_MAX_DEPTH 6

/*
 * Finds the directory of cgroup v2 `id` below `mount`, at most `max_depth`
 * levels down. -ENOENT when no cgroup has that id (it was removed).
 */
int vigil_cgroup_find_by_id(const char *mount, uint64_t id, unsigned int max_depth, char *buf,
			    size_t len);

/* Reads every item's figure from the cgroup directory `dir`. */
void vigil_usage_check_read(const char *dir, struct vigil_check_figure ret[VIGIL_CHECK__COUNT]);

#endif
