// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A workload's network, whichever its mode: a veth pair whose other end is
 * in the workload's own namespace (a process workload), or a tap that its
 * VMM attaches to (a microVM). Either is a routed point-to-point link with
 * the host, made with its link down; create and repair make it the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "net_meter.h"
#include "netns.h"
#include "tap.h"
#include "veth.h"

/* An optional spec field: NULL when it is not given. */
static const char *optional(const char *field)
{
	return field[0] ? field : NULL;
}

static struct vigil_veth_opts veth_opts(const struct vigil_workload *r)
{
	return (struct vigil_veth_opts){
		.host_ifname = r->host_ifname,
		.netns_path = r->netns,
		.host_cidr = r->spec.host_ipv4,
		.peer_cidr = r->spec.ipv4,
		.host_cidr6 = optional(r->spec.host_ipv6),
		.peer_cidr6 = optional(r->spec.ipv6),
		.peer_mac = r->spec.mac,
	};
}

void net_names(struct vigild *d, struct vigil_workload *r)
{
	if (r->spec.net_mode == VIGIL_NET_TAP) {
		vigil_tap_name(r->spec.id, r->host_ifname);
		r->netns[0] = '\0';
		return;
	}
	vigil_veth_name(r->spec.id, r->host_ifname);
	snprintf(r->netns, sizeof(r->netns), "%s/%s", d->netns_dir, r->spec.id);
}

int net_make(struct vigil_workload *r, const char **ret_failed)
{
	struct vigil_tap_opts to = {
		.ifname = r->host_ifname,
		.owner_uid = r->spec.jail.enabled ? r->uid : r->spec.vmm_uid,
		.owner_gid = r->spec.jail.enabled ? r->uid : r->spec.vmm_gid,
		.host_cidr = r->spec.host_ipv4,
		.host_cidr6 = optional(r->spec.host_ipv6),
	};
	struct vigil_veth_opts vo = veth_opts(r);
	int ret;

	*ret_failed = r->host_ifname;
	if (r->spec.net_mode == VIGIL_NET_TAP)
		return vigil_tap_create(&to, &r->ifindex);
	ret = vigil_netns_create(r->netns);
	if (ret < 0) {
		*ret_failed = r->netns;
		return ret;
	}
	ret = vigil_veth_create(&vo, &r->ifindex);
	if (ret < 0)
		vigil_netns_remove(r->netns);
	return ret;
}

const char *net_strerror(int err)
{
	/* the interfaces take net.ipv6.conf.default's when they are made */
	if (err == -EAFNOSUPPORT)
		return "IPv6 is disabled on it (sysctl net.ipv6.conf.default.disable_ipv6, or the "
		       "ipv6.disable=1 boot option): enable it or leave out network.ipv6";
	return strerror(-err);
}

bool net_present(const struct vigil_workload *r)
{
	struct stat st;

	if ((int)if_nametoindex(r->host_ifname) != r->ifindex)
		return false;
	return r->spec.net_mode == VIGIL_NET_TAP || stat(r->netns, &st) == 0;
}

int net_check_mac(const struct vigil_workload *r)
{
	struct vigil_veth_opts vo = veth_opts(r);

	/* a tap's MAC is the guest's own business: the rules just check it */
	return r->spec.net_mode == VIGIL_NET_VETH ? vigil_veth_peer_mac(&vo) : 0;
}

int net_link_up(const struct vigil_workload *r)
{
	return r->spec.net_mode == VIGIL_NET_TAP ? vigil_tap_up(r->host_ifname)
						 : vigil_veth_up(r->host_ifname);
}

int net_meter_attach(const struct vigild *d, const struct vigil_workload *r)
{
	return vigil_net_attach(d->pin_dir, r->ifindex, r->slot,
				r->spec.net_mode == VIGIL_NET_TAP ? VIGIL_NET_LINK_TAP
								  : VIGIL_NET_LINK_VETH);
}

int net_link_delete(const struct vigil_workload *r)
{
	return r->spec.net_mode == VIGIL_NET_TAP ? vigil_tap_delete(r->host_ifname)
						 : vigil_veth_delete(r->host_ifname);
}

void net_unmake(const struct vigil_workload *r)
{
	if (r->host_ifname[0])
		net_link_delete(r);
	if (r->netns[0])
		vigil_netns_remove(r->netns);
}
