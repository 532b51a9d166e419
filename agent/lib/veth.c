// SPDX-License-Identifier: GPL-2.0-or-later
#include "veth.h"

#include <errno.h>
#include <fcntl.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <net/ethernet.h>
#include <unistd.h>

#include "ifname.h"
#include "netns.h"
#include "rtnl.h"

void vigil_veth_name(const char *id, char ret[IF_NAMESIZE])
{
	vigil_ifname(VIGIL_VETH_IFNAME_PREFIX, id, ret);
}

/*
 * Inside the workload's namespace: lo up, the peer addressed and up, and the
 * host side its default gateway (routed point to point, no shared bridge).
 */
static int configure_peer(void *arg)
{
	const struct vigil_veth_opts *o = arg;
	struct nl_sock *sock;
	int ret = vigil_rtnl_socket(&sock);

	if (ret < 0)
		return ret;
	ret = vigil_rtnl_link_up(sock, "lo");
	if (!ret)
		ret = vigil_rtnl_address_add(sock, VIGIL_VETH_PEER_NAME, o->peer_cidr);
	if (!ret && o->peer_cidr6)
		ret = vigil_rtnl_address_add(sock, VIGIL_VETH_PEER_NAME, o->peer_cidr6);
	if (!ret)
		ret = vigil_rtnl_link_up(sock, VIGIL_VETH_PEER_NAME);
	if (!ret)
		ret = vigil_rtnl_default_route(sock, o->host_cidr);
	if (!ret && o->host_cidr6)
		ret = vigil_rtnl_default_route(sock, o->host_cidr6);
	nl_socket_free(sock);
	return ret;
}

static int mac_addr(const char *mac, struct nl_addr **ret)
{
	int r = nl_addr_parse(mac, AF_LLC, ret);

	if (r < 0)
		return vigil_rtnl_errno(r);
	if (nl_addr_get_len(*ret) != ETH_ALEN) {
		nl_addr_put(*ret);
		return -EINVAL;
	}
	return 0;
}

int vigil_veth_create(const struct vigil_veth_opts *o, int *ret_ifindex)
{
	struct rtnl_link *link = NULL, *peer;
	struct nl_addr *mac = NULL;
	struct nl_sock *sock;
	int ns_fd, ifindex = 0, ret;

	if (o->peer_mac) {
		ret = mac_addr(o->peer_mac, &mac);
		if (ret < 0)
			return ret;
	}
	ns_fd = open(o->netns_path, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0) {
		ret = -errno;
		goto out_mac;
	}
	ret = vigil_rtnl_socket(&sock);
	if (ret < 0) {
		close(ns_fd);
		goto out_mac;
	}
	link = rtnl_link_veth_alloc();
	if (!link) {
		ret = -ENOMEM;
		goto out;
	}
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, o->host_ifname);
	rtnl_link_set_name(peer, VIGIL_VETH_PEER_NAME);
	rtnl_link_set_ns_fd(peer, ns_fd);
	/* IFLA_ADDRESS inside VETH_INFO_PEER: the peer never has another MAC */
	if (mac)
		rtnl_link_set_addr(peer, mac);
	rtnl_link_put(peer);
	ret = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0) {
		ret = vigil_rtnl_errno(ret);
		goto out;
	}
	ret = vigil_rtnl_address_add(sock, o->host_ifname, o->host_cidr);
	if (!ret && o->host_cidr6)
		ret = vigil_rtnl_address_add(sock, o->host_ifname, o->host_cidr6);
	if (!ret) {
		ifindex = (int)if_nametoindex(o->host_ifname);
		ret = ifindex ? 0 : -errno;
	}
	if (!ret)
		ret = vigil_netns_run(o->netns_path, configure_peer, (void *)o);
	if (ret < 0) {
		/* deleting one end deletes the pair */
		vigil_rtnl_link_delete(sock, o->host_ifname);
		goto out;
	}
	*ret_ifindex = ifindex;
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sock);
	close(ns_fd);
out_mac:
	if (mac)
		nl_addr_put(mac);
	return ret;
}

static int set_peer_mac(void *arg)
{
	struct nl_addr *want = arg;
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_sock *sock;
	int ret = vigil_rtnl_socket(&sock);

	if (ret < 0)
		return ret;
	ret = rtnl_link_get_kernel(sock, 0, VIGIL_VETH_PEER_NAME, &link);
	if (ret < 0) {
		ret = vigil_rtnl_errno(ret);
		goto out;
	}
	if (rtnl_link_get_addr(link) && !nl_addr_cmp(rtnl_link_get_addr(link), want))
		goto out;
	change = rtnl_link_alloc();
	if (!change) {
		ret = -ENOMEM;
		goto out;
	}
	rtnl_link_set_addr(change, want);
	ret = rtnl_link_change(sock, link, change, 0);
	/* 1: it had to be set */
	ret = ret < 0 ? vigil_rtnl_errno(ret) : 1;
out:
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sock);
	return ret;
}

int vigil_veth_peer_mac(const struct vigil_veth_opts *o)
{
	struct nl_addr *mac;
	int ret;

	if (!o->peer_mac)
		return -EINVAL;
	ret = mac_addr(o->peer_mac, &mac);
	if (ret < 0)
		return ret;
	ret = vigil_netns_run(o->netns_path, set_peer_mac, mac);
	nl_addr_put(mac);
	return ret;
}

int vigil_veth_up(const char *host_ifname)
{
	return vigil_link_up(host_ifname);
}

int vigil_veth_delete(const char *host_ifname)
{
	return vigil_link_delete(host_ifname);
}
