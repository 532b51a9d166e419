/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CIDR_H
#define VIGIL_CIDR_H

#include <netinet/in.h>

/* "255.255.255.255/32" and the NUL */
#define VIGIL_CIDR_SIZE 19

/*
 * An interface address "a.b.c.d/len" with a prefix of 1 to 30, so that the
 * subnet holds the other end of a routed point-to-point link. -EINVAL
 * otherwise.
 */
int vigil_cidr4_parse(const char *text, struct in_addr *ret_addr, unsigned int *ret_prefixlen);
/* The same address's subnet: its host bits cleared. */
int vigil_cidr4_subnet(const char *text, struct in_addr *ret_net, unsigned int *ret_prefixlen);

#endif
