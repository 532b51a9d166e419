/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_VETH_H
#define VIGIL_VETH_H

#include <net/if.h>
#include <stddef.h>

/* Host interface names of veth workloads begin with it. */
#define VIGIL_VETH_IFNAME_PREFIX "vg-"
/* The workload's end of the pair, inside its own namespace. */
#define VIGIL_VETH_PEER_NAME "eth0"

struct vigil_veth_opts {
	const char *host_ifname;
	const char *netns_path; /* the workload's namespace (netns.h) */
	const char *host_cidr;	/* "198.18.0.1/30" */
	const char *peer_cidr;	/* "198.18.0.2/30" */
	/* optional, both or neither (NULL): "2001:db8:0:1::1/64", "2001:db8:0:1::2/64" */
	const char *host_cidr6;
	const char *peer_cidr6;
	const char *peer_mac; /* "02:xx:xx:xx:xx:xx", or NULL for the kernel's random one */
};

/* The host interface name of workload `id`: "vg-<id>", shortened as vigil_ifname() does. */
void vigil_veth_name(const char *id, char ret[IF_NAMESIZE]);

/*
 * Creates the veth pair with its peer in the workload's namespace (with
 * peer_mac, from its first frame), sets the addresses and the peer's
 * default routes via the host end, brings the peer and the namespace's lo
 * up. The host end stays down, so no frame crosses the pair before the
 * caller has put its meters and filters on it: then vigil_veth_up(). On
 * failure nothing is left; -EAFNOSUPPORT when an end has IPv6 disabled.
 * ret_ifindex: the host end's index.
 */
int vigil_veth_create(const struct vigil_veth_opts *o, int *ret_ifindex);
/*
 * Sets the peer's MAC again, inside the namespace, when it is not peer_mac
 * (a tenant changed it, or the pair predates fixed MACs): 1 when it had to,
 * 0 when it was, or a negative errno.
 */
int vigil_veth_peer_mac(const struct vigil_veth_opts *o);
/* Brings the host end up: traffic flows from here on. */
int vigil_veth_up(const char *host_ifname);
/* Deletes the pair by its host end; -ENODEV when it is gone. */
int vigil_veth_delete(const char *host_ifname);

#endif
