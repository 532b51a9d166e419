// SPDX-License-Identifier: GPL-2.0-or-later
#include "pin.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int vigil_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool vigil_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return vigil_pin_path(path, sizeof(path), dir, name) == 0 && access(path, F_OK) == 0;
}

int vigil_pin_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err = vigil_pin_path(path, sizeof(path), dir, name);
	int fd;

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int vigil_unpin(const char *dir, const char *const *names, size_t n)
{
	char path[PATH_MAX];
	int err, first_err = 0;

	for (size_t i = 0; i < n; i++) {
		err = vigil_pin_path(path, sizeof(path), dir, names[i]);
		if (!err && unlink(path) < 0 && errno != ENOENT)
			err = -errno;
		first_err = first_err ? first_err : err;
	}
	return first_err;
}
