/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BPF_MAP_H
#define VIGIL_BPF_MAP_H

#include <stdint.h>

/* The memory the kernel charges for the map (fdinfo "memlock"). */
int vigil_map_memlock(int fd, uint64_t *ret);

#endif
