// SPDX-License-Identifier: GPL-2.0-or-later
#include "veth.h"

#include <errno.h>
#include <fcntl.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

void vigil_veth_name(const char *id, char ret[IF_NAMESIZE])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	if (strlen(id) <= IF_NAMESIZE - 1 - 3) {
		snprintf(ret, IF_NAMESIZE, "vg-%s", id);
		return;
	}
	for (const char *c = id; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	snprintf(ret, IF_NAMESIZE, "vg-%.7s%05x", id, h & 0xfffff);
}

static int nl_to_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return -ENODEV;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	default:
		return -EIO;
	}
}

/* A route netlink socket in the calling thread's current namespace. */
static int route_socket(struct nl_sock **ret)
{
	struct nl_sock *sock = nl_socket_alloc();
	int err;

	if (!sock)
		return -ENOMEM;
	err = nl_connect(sock, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sock);
		return nl_to_errno(err);
	}
	*ret = sock;
	return 0;
}

static int link_up(struct nl_sock *sock, const char *name)
{
	struct rtnl_link *link = NULL, *change;
	int err;

	err = rtnl_link_get_kernel(sock, 0, name, &link);
	if (err < 0)
		return nl_to_errno(err);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return -ENOMEM;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sock, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err < 0 ? nl_to_errno(err) : 0;
}

static int add_address(struct nl_sock *sock, const char *ifname, const char *cidr)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct rtnl_link *link = NULL;
	struct nl_addr *local = NULL;
	int err;

	if (!addr)
		return -ENOMEM;
	err = nl_addr_parse(cidr, AF_INET, &local);
	if (!err)
		err = rtnl_link_get_kernel(sock, 0, ifname, &link);
	if (!err) {
		rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
		err = rtnl_addr_set_local(addr, local);
	}
	if (!err) {
		rtnl_addr_set_prefixlen(addr, nl_addr_get_prefixlen(local));
		err = rtnl_addr_add(sock, addr, 0);
	}
	if (link)
		rtnl_link_put(link);
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return err < 0 ? nl_to_errno(err) : 0;
}

/* Inside the workload's namespace: lo up, the peer addressed and up. */
static int configure_peer(void *arg)
{
	const struct vigil_veth_opts *o = arg;
	struct nl_sock *sock;
	int ret = route_socket(&sock);

	if (ret < 0)
		return ret;
	ret = link_up(sock, "lo");
	if (!ret)
		ret = add_address(sock, VIGIL_VETH_PEER_NAME, o->peer_cidr);
	if (!ret)
		ret = link_up(sock, VIGIL_VETH_PEER_NAME);
	nl_socket_free(sock);
	return ret;
}

static int delete_link(struct nl_sock *sock, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	err = rtnl_link_delete(sock, link);
	rtnl_link_put(link);
	return err < 0 ? nl_to_errno(err) : 0;
}

int vigil_veth_create(const struct vigil_veth_opts *o, int *ret_ifindex)
{
	struct rtnl_link *link = NULL, *peer;
	struct nl_sock *sock;
	int ns_fd, ifindex = 0, ret;

	ns_fd = open(o->netns_path, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0)
		return -errno;
	ret = route_socket(&sock);
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
		ret = nl_to_errno(ret);
		goto out;
	}
	ret = add_address(sock, o->host_ifname, o->host_cidr);
	if (!ret) {
		ifindex = (int)if_nametoindex(o->host_ifname);
		ret = ifindex ? 0 : -errno;
	}
	if (!ret)
		ret = vigil_netns_run(o->netns_path, configure_peer, (void *)o);
	if (ret < 0) {
		/* deleting one end deletes the pair */
		delete_link(sock, o->host_ifname);
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
	struct nl_sock *sock;
	int ret = route_socket(&sock);

	if (ret < 0)
		return ret;
	ret = link_up(sock, host_ifname);
	nl_socket_free(sock);
	return ret;
}

int vigil_veth_delete(const char *host_ifname)
{
	struct nl_sock *sock;
	int ret = route_socket(&sock);

	if (ret < 0)
		return ret;
	ret = delete_link(sock, host_ifname);
	nl_socket_free(sock);
	return ret;
}
