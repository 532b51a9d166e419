// SPDX-License-Identifier: GPL-2.0-or-later
#include "pins.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
