// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf_prog.h"

#include "bpf_walk.h"

#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct find_ctx {
	const char *name;
	struct bpf_prog_info *ret_info;
	int count;
};

static int count_named(int fd, const union vigil_bpf_info *any, void *ctx)
{
	const struct bpf_prog_info *info = &any->prog;
	struct find_ctx *f = ctx;

	if (strncmp(info->name, f->name, sizeof(info->name) - 1) == 0 && f->count++ == 0 &&
	    f->ret_info)
		*f->ret_info = *info;
	return 0;
}

int vigil_prog_find(const char *name, struct bpf_prog_info *ret_info)
{
	struct find_ctx f = { .name = name, .ret_info = ret_info };
	int err = vigil_bpf_walk(VIGIL_BPF_PROG, "", count_named, &f);

	return err ? err : f.count;
}

void vigil_prog_full_name(int fd, const struct bpf_prog_info *info, char *buf, size_t len)
{
	struct bpf_func_info func = { 0 };
	struct bpf_prog_info finfo = { 0 };
	__u32 info_len = sizeof(finfo);
	const struct btf_type *t;
	struct btf *btf;

	snprintf(buf, len, "%s", info->name);
	if (!info->btf_id || !info->nr_func_info)
		return;
	finfo.nr_func_info = 1;
	finfo.func_info_rec_size = sizeof(func);
	finfo.func_info = (__u64)(unsigned long)&func;
	if (bpf_obj_get_info_by_fd(fd, &finfo, &info_len) < 0)
		return;
	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return;
	t = btf__type_by_id(btf, func.type_id);
	if (t)
		snprintf(buf, len, "%s", btf__name_by_offset(btf, t->name_off));
	btf__free(btf);
}

int vigil_bpf_stats_enabled(void)
{
	char c = 0;
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	if (n != 1)
		return n < 0 ? -errno : -EIO;
	return c == '1';
}
