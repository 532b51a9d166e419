/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BPF_PROG_H
#define VIGIL_BPF_PROG_H

#include <bpf/bpf.h>

/*
 * Walks the programs loaded in the kernel for those named `name` (the
 * kernel keeps 15 characters). Returns how many there are, or a negative
 * errno; ret_info (if given) gets the first one's info.
 */
int vigil_prog_find(const char *name, struct bpf_prog_info *ret_info);

#endif
