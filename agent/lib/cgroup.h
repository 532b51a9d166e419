/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CGROUP_H
#define VIGIL_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum vigil_cgroup_mode {
	VIGIL_CGROUP_NONE,    /* no cgroup file system at all */
	VIGIL_CGROUP_LEGACY,  /* v1 only */
	VIGIL_CGROUP_HYBRID,  /* v1 controllers with a v2 hierarchy beside them */
	VIGIL_CGROUP_UNIFIED, /* pure v2 */
};

struct vigil_cgroup2 {
	enum vigil_cgroup_mode mode;
	char mount[PATH_MAX];
	/* space-separated, from the v2 root's cgroup.controllers */
	char controllers[256];
};

/*
 * Finds the cgroup v2 mount and the host's mode. Without a v2 mount returns
 * -ENOENT and still sets ret->mode (legacy or none).
 */
int vigil_cgroup2_detect(struct vigil_cgroup2 *ret);
const char *vigil_cgroup_mode_name(enum vigil_cgroup_mode mode);

/* The 64-bit id the kernel (and BPF) uses for the cgroup v2 directory `path`. */
int vigil_cgroup_id(const char *path, uint64_t *ret);
/* Depth of `path` below the v2 mount `mount` (the mount itself is level 0). */
int vigil_cgroup_level(const char *mount, const char *path, unsigned int *ret);

/* Reads the cgroup file `dir`/`file` (one read: cgroup files are small) as a string. */
int vigil_cgroup_read(const char *dir, const char *file, char *buf, size_t len);
/* Writes `value` into the cgroup file `dir`/`file` in one write. */
int vigil_cgroup_write(const char *dir, const char *file, const char *value);

#endif
