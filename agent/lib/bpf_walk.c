// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf_walk.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int vigil_bpf_walk(enum vigil_bpf_kind kind, const char *prefix, vigil_bpf_fn fn, void *ctx)
{
	int (*next_id)(__u32, __u32 *) =
		kind == VIGIL_BPF_PROG ? bpf_prog_get_next_id : bpf_map_get_next_id;
	int (*fd_by_id)(__u32) =
		kind == VIGIL_BPF_PROG ? bpf_prog_get_fd_by_id : bpf_map_get_fd_by_id;
	size_t plen = strlen(prefix);
	__u32 id = 0;
	int err;

	while ((err = next_id(id, &id)) == 0) {
		union vigil_bpf_info info;
		__u32 len = kind == VIGIL_BPF_PROG ? sizeof(info.prog) : sizeof(info.map);
		const char *name = kind == VIGIL_BPF_PROG ? info.prog.name : info.map.name;
		int fd = fd_by_id(id);

		/* an object may go away between the id and the fd */
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		err = 0;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(name, prefix, plen) == 0)
			err = fn(fd, &info, ctx);
		close(fd);
		if (err)
			return err;
	}
	/* -ENOENT: past the last id */
	return err == -ENOENT ? 0 : err;
}
