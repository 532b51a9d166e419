/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TAP_H
#define VIGIL_TAP_H

#include <net/if.h>
#include <sys/types.h>

/* Host interface names of tap workloads begin with it. */
#define VIGIL_TAP_IFNAME_PREFIX "vt-"
/*
 * A microVM's network: a persistent TAP device on the host that the VMM,
 * running as its own unprivileged user, attaches to. The host end is
 * addressed as one side of a routed point-to-point subnet; the guest
 * configures the other address itself. No bridge, so no L2 path between
 * workloads.
 */

struct vigil_tap_opts {
	const char *ifname;
	/* the VMM's: only they (and CAP_NET_ADMIN) may attach to the device */
	uid_t owner_uid;
	gid_t owner_gid;
	const char *host_cidr;	/* "198.18.0.1/30", as vigil_cidr_parse() takes it */
	const char *host_cidr6; /* "2001:db8:0:1::1/64", or NULL for no IPv6 */
};

/* The TAP name of workload `id`: "vt-<id>", shortened as vigil_ifname() does. */
void vigil_tap_name(const char *id, char ret[IF_NAMESIZE]);

/*
 * Creates the TAP in the calling thread's network namespace, persistent,
 * single-queue, with IFF_NO_PI and IFF_VNET_HDR (the VMM's own TUNSETIFF
 * sets the flags it uses when it attaches, but must not ask for
 * IFF_MULTI_QUEUE), and adds the host address. The link stays down, so no
 * frame passes before the caller has put its meters and filters on it:
 * then vigil_tap_up(). -EINVAL for a bad name or address, -EEXIST when the
 * name is taken, -EAFNOSUPPORT when host_cidr6 is given but IPv6 is
 * disabled on the TAP. On failure nothing is left. ret_ifindex: the TAP's
 * index.
 */
int vigil_tap_create(const struct vigil_tap_opts *o, int *ret_ifindex);
/* Brings the TAP up: traffic flows from here on. */
int vigil_tap_up(const char *ifname);
/* Deletes the TAP, even while a VMM holds it open; -ENODEV when it is gone. */
int vigil_tap_delete(const char *ifname);

#endif
