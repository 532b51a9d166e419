// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf_prog.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int vigil_prog_find(const char *name, struct bpf_prog_info *ret_info)
{
	__u32 id = 0;
	int count = 0, err;

	while ((err = bpf_prog_get_next_id(id, &id)) == 0) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		/* a program may go away between the id and the fd */
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, name, sizeof(info.name) - 1) == 0) {
			if (count++ == 0 && ret_info)
				*ret_info = info;
		}
		close(fd);
	}
	/* -ENOENT: past the last id */
	return err == -ENOENT ? count : err;
}
