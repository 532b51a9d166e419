/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_MOUNTINFO_H
#define VIGIL_MOUNTINFO_H

#include <limits.h>
#include <stddef.h>

struct vigil_mount {
	char target[PATH_MAX];
	char fstype[64];
};

/*
 * Calls `fn` for every line of /proc/self/mountinfo, mount points unescaped.
 * A non-zero return from `fn` stops the walk and is returned.
 */
int vigil_mountinfo_foreach(int (*fn)(const struct vigil_mount *m, void *arg), void *arg);

/*
 * Finds a mount of `fstype`: at `target` when given, else the first one.
 * Returns 0 and fills ret_target (if given), or -ENOENT.
 */
int vigil_mount_find(const char *fstype, const char *target, char *ret_target, size_t len);

#endif
