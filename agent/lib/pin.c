// SPDX-License-Identifier: GPL-2.0-or-later
#include "pin.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * The fd's anonymous inode names the kind of object, as bpftool reads it;
 * a link is "bpf_link" when created and "bpf-link" when opened from a pin.
 */
static int pin_identify(int fd, struct vigil_pin *p)
{
	union {
		struct bpf_map_info map;
		struct bpf_prog_info prog;
		struct bpf_link_info link;
	} info;
	char link_path[64], target[64];
	__u32 len = sizeof(info);
	ssize_t n;

	snprintf(link_path, sizeof(link_path), "/proc/self/fd/%d", fd);
	n = readlink(link_path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	if (strcmp(target, "anon_inode:bpf-map") == 0) {
		p->kind = VIGIL_PIN_MAP;
		p->id = info.map.id;
	} else if (strcmp(target, "anon_inode:bpf-prog") == 0) {
		p->kind = VIGIL_PIN_PROG;
		p->id = info.prog.id;
	} else if (strcmp(target, "anon_inode:bpf-link") == 0 ||
		   strcmp(target, "anon_inode:bpf_link") == 0) {
		p->kind = VIGIL_PIN_LINK;
		p->id = info.link.id;
		p->prog_id = info.link.prog_id;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vigil_pin *)a)->name, ((const struct vigil_pin *)b)->name);
}

int vigil_pins_scan(const char *dir, struct vigil_pin *ret, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return -errno;
	while (n < max && (de = readdir(d))) {
		char path[PATH_MAX];
		int fd;

		if (de->d_type != DT_REG ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&ret[n], 0, sizeof(ret[n]));
		snprintf(ret[n].name, sizeof(ret[n].name), "%s", de->d_name);
		if (pin_identify(fd, &ret[n]) == 0)
			n++;
		close(fd);
	}
	closedir(d);
	qsort(ret, n, sizeof(*ret), by_name);
	return (int)n;
}
