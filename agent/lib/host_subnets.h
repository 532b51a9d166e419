/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_HOST_SUBNETS_H
#define VIGIL_HOST_SUBNETS_H

#include <stddef.h>

/*
 * The subnets of the host's own addresses, IPv4 and global IPv6, as prefixes
 * with zero host bits ("192.0.2.0/24"), each once: what a workload must not
 * reach, as the provider's LAN. Loopback and the interfaces whose names begin
 * with one of skip_prefixes (the workloads' own) are left out. Free with
 * vigil_host_subnets_free().
 */
int vigil_host_subnets(const char *const *skip_prefixes, size_t n_skip, char ***ret, size_t *n);
void vigil_host_subnets_free(char **subnets, size_t n);

#endif
