/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_ADDR_WATCH_H
#define VIGIL_ADDR_WATCH_H

/*
 * Notice of the host's addresses changing: a route netlink socket in the
 * calling thread's network namespace that becomes readable when an IPv4 or
 * IPv6 address is added or removed, on any interface. It says that they
 * changed, not how: the caller looks again (vigil_host_subnets()), which
 * stays right even when notices were lost.
 */
int vigil_addr_watch_open(int *ret_fd);

/*
 * Reads every pending notice: 1 when an address was added or removed, or
 * when notices were lost (the socket's buffer overflowed); 0 when nothing
 * of that kind was pending; or a negative errno.
 */
int vigil_addr_watch_drain(int fd);

#endif
