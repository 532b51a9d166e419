// SPDX-License-Identifier: GPL-2.0-or-later
#include "veth.h"

#include <errno.h>
#include <fcntl.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
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
	if (!ret)
		ret = vigil_rtnl_link_up(sock, VIGIL_VETH_PEER_NAME);
	if (!ret)
		ret = vigil_rtnl_default_route(sock, o->host_cidr);
	nl_socket_free(sock);
	return ret;
}

int vigil_veth_create(const struct vigil_veth_opts *o, int *ret_ifindex)
{
	struct rtnl_link *link = NULL, *peer;
	struct nl_sock *sock;
	int ns_fd, ifindex = 0, ret;

	ns_fd = open(o->netns_path, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0)
		return -errno;
	ret = vigil_rtnl_socket(&sock);
	if (ret < 0) {
		close(ns_fd);
		return ret;
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
	rtnl_link_put(peer);
	ret = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0) {
		ret = vigil_rtnl_errno(ret);
		goto out;
	}
	ret = vigil_rtnl_address_add(sock, o->host_ifname, o->host_cidr);
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
