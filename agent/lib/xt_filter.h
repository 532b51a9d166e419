/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_XT_FILTER_H
#define VIGIL_XT_FILTER_H

#include <stdbool.h>

/*
 * Whether legacy iptables (x_tables, which nft cannot list) drops forwarded
 * packets by policy: the FORWARD chain of table filter for family AF_INET
 * (iptables-legacy) or AF_INET6 (ip6tables-legacy), in the calling thread's
 * network namespace. *ret_drop is false when that table does not exist; it
 * is read only if /proc lists it, since asking the kernel for a missing
 * table would create it.
 */
int vigil_xt_forward_drops(int family, bool *ret_drop);

#endif
