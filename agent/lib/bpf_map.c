// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf_map.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int vigil_map_walk(const char *prefix, vigil_map_fn fn, void *ctx)
{
	size_t plen = strlen(prefix);
	__u32 id = 0;
	int err;

	while ((err = bpf_map_get_next_id(id, &id)) == 0) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		/* a map may go away between the id and the fd */
		if (fd < 0)
			continue;
		err = 0;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, prefix, plen) == 0)
			err = fn(fd, &info, ctx);
		close(fd);
		if (err)
			return err;
	}
	return err == -ENOENT ? 0 : err;
}

int vigil_map_memlock(int fd, uint64_t *ret)
{
	char path[64], line[256];
	unsigned long long v;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memlock: %llu", &v) == 1) {
			*ret = v;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}
