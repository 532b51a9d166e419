// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf_map.h"

#include <errno.h>
#include <stdio.h>

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
