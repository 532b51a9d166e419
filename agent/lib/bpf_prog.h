/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BPF_PROG_H
#define VIGIL_BPF_PROG_H

#include <bpf/bpf.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Walks the programs loaded in the kernel for those named `name` (the
 * kernel keeps 15 characters). Returns how many there are, or a negative
 * errno; ret_info (if given) gets the first one's info.
 */
int vigil_prog_find(const char *name, struct bpf_prog_info *ret_info);

/*
 * The program's full name from its BTF (the kernel name is cut at 15
 * characters); falls back to the kernel name when there is no BTF.
 */
void vigil_prog_full_name(int fd, const struct bpf_prog_info *info, char *buf, size_t len);

/* kernel.bpf_stats_enabled: 1, 0, or a negative errno when unreadable. */
int vigil_bpf_stats_enabled(void);

#endif
