/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_RTNL_H
#define VIGIL_RTNL_H

#include <netlink/netlink.h>

/*
 * Links and addresses through libnl-route-3, shared by the interface types
 * (veth.c, tap.c). Everything acts in the namespace the socket was opened in.
 */

/* A route netlink socket in the calling thread's current namespace. */
int vigil_rtnl_socket(struct nl_sock **ret);
/* libnl's negative NLE_* as a negative errno. */
int vigil_rtnl_errno(int nlerr);

int vigil_rtnl_link_up(struct nl_sock *sock, const char *ifname);
/* -ENODEV when there is no such link. */
int vigil_rtnl_link_delete(struct nl_sock *sock, const char *ifname);
/*
 * The clsact qdisc on the interface, where tc BPF filters hook in both
 * directions; having one already is no error.
 */
int vigil_rtnl_clsact(struct nl_sock *sock, int ifindex);
/*
 * `cidr` as vigil_cidr_parse() takes it, IPv4 or IPv6; the prefix gives the
 * connected route. IPv6 addresses skip duplicate address detection (the
 * link is point to point), so they are usable at once; -EAFNOSUPPORT when
 * IPv6 is disabled on the interface (its disable_ipv6) or on the host.
 */
int vigil_rtnl_address_add(struct nl_sock *sock, const char *ifname, const char *cidr);
/*
 * The default route of the family of `gateway_cidr` via the host side
 * ("198.18.0.1/30", "2001:db8:0:1::1/64": its address and prefix).
 */
int vigil_rtnl_default_route(struct nl_sock *sock, const char *gateway_cidr);

/* The same with a socket of their own, in the calling thread's namespace. */
int vigil_link_up(const char *ifname);
int vigil_link_delete(const char *ifname);
int vigil_clsact_add(int ifindex);

#endif
