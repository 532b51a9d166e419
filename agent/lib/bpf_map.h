/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BPF_MAP_H
#define VIGIL_BPF_MAP_H

#include <bpf/bpf.h>
#include <stdint.h>

/* A non-zero return stops the walk and is returned. `fd` is closed after the call. */
typedef int (*vigil_map_fn)(int fd, const struct bpf_map_info *info, void *ctx);
/* Calls `fn` for every map in the kernel whose name starts with `prefix`. */
int vigil_map_walk(const char *prefix, vigil_map_fn fn, void *ctx);

/* The memory the kernel charges for the map (fdinfo "memlock"). */
int vigil_map_memlock(int fd, uint64_t *ret);

#endif
