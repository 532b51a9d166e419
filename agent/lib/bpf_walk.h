/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BPF_WALK_H
#define VIGIL_BPF_WALK_H

#include <bpf/bpf.h>

enum vigil_bpf_kind {
	VIGIL_BPF_PROG,
	VIGIL_BPF_MAP,
};

union vigil_bpf_info {
	struct bpf_prog_info prog;
	struct bpf_map_info map;
};

/* A non-zero return stops the walk and is returned. `fd` is closed after the call. */
typedef int (*vigil_bpf_fn)(int fd, const union vigil_bpf_info *info, void *ctx);

/*
 * Calls `fn` for every program or map loaded in the kernel whose (kernel,
 * 15-character) name starts with `prefix`.
 */
int vigil_bpf_walk(enum vigil_bpf_kind kind, const char *prefix, vigil_bpf_fn fn, void *ctx);

#endif
