// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <unistd.h>

#include "cidr.h"

int vigil_rtnl_errno(int nlerr)
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
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	default:
		return -EIO;
	}
}

int vigil_rtnl_socket(struct nl_sock **ret)
{
	struct nl_sock *sock = nl_socket_alloc();
	int err;

	if (!sock)
		return -ENOMEM;
	err = nl_connect(sock, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sock);
		return vigil_rtnl_errno(err);
	}
	*ret = sock;
	return 0;
}

int vigil_rtnl_link_up(struct nl_sock *sock, const char *ifname)
{
	struct rtnl_link *link = NULL, *change;
	int err;

	err = rtnl_link_get_kernel(sock, 0, ifname, &link);
	if (err < 0)
		return vigil_rtnl_errno(err);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return -ENOMEM;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sock, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err < 0 ? vigil_rtnl_errno(err) : 0;
}

/* The interface's net.ipv6.conf.<ifname>.<name>, read or (value not 0) written. */
static int ipv6_conf(const char *ifname, const char *name, char value, char *ret)
{
	char path[96 + IF_NAMESIZE];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, name);
	fd = open(path, (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EAFNOSUPPORT : -errno;
	n = value ? write(fd, &value, 1) : read(fd, ret, 1);
	if (n < 0)
		n = -errno;
	close(fd);
	return n == 1 ? 0 : n < 0 ? (int)n : -EIO;
}

/*
 * IPv6 is off on an interface whose disable_ipv6 is set (a new one takes
 * net.ipv6.conf.default's), or on the whole host (booted with
 * ipv6.disable=1: no net.ipv6 at all). Asked first because the kernel's
 * refusal to add the address, EACCES, would not say why. On, its addresses
 * are kept when the link goes down, as IPv4's are: by default the kernel
 * drops them, and a link set down and up again by hand would lose them.
 */
static int ipv6_prepare(const char *ifname)
{
	char disabled;
	int ret = ipv6_conf(ifname, "disable_ipv6", 0, &disabled);

	if (!ret && disabled != '0')
		ret = -EAFNOSUPPORT;
	return ret ? ret : ipv6_conf(ifname, "keep_addr_on_down", '1', NULL);
}

int vigil_rtnl_address_add(struct nl_sock *sock, const char *ifname, const char *cidr)
{
	struct rtnl_addr *addr = NULL;
	struct rtnl_link *link = NULL;
	struct nl_addr *local = NULL;
	struct vigil_cidr c;
	int err;

	err = vigil_cidr_parse(cidr, &c);
	if (err < 0)
		return err;
	addr = rtnl_addr_alloc();
	local = nl_addr_build(c.family, c.bytes, vigil_cidr_addr_len(&c));
	if (!addr || !local) {
		err = -NLE_NOMEM;
		goto out;
	}
	err = rtnl_link_get_kernel(sock, 0, ifname, &link);
	if (!err && c.family == AF_INET6) {
		err = ipv6_prepare(ifname);
		if (err < 0)
			goto out_errno;
		/*
		 * The other end of the link is the workload's: no duplicate to
		 * detect, and DAD would keep the address unusable for 1-2 s.
		 */
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	}
	if (!err) {
		rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
		err = rtnl_addr_set_local(addr, local);
	}
	if (!err) {
		rtnl_addr_set_prefixlen(addr, (int)c.prefixlen);
		err = rtnl_addr_add(sock, addr, 0);
	}
out:
	err = err < 0 ? vigil_rtnl_errno(err) : 0;
out_errno:
	if (link)
		rtnl_link_put(link);
	if (local)
		nl_addr_put(local);
	if (addr)
		rtnl_addr_put(addr);
	return err;
}

int vigil_rtnl_default_route(struct nl_sock *sock, const char *gateway_cidr)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *gw = NULL;
	struct vigil_cidr c;
	int err;

	err = vigil_cidr_parse(gateway_cidr, &c);
	if (err < 0)
		goto out_errno;
	dst = nl_addr_build(c.family, (unsigned char[16]){ 0 }, vigil_cidr_addr_len(&c));
	gw = nl_addr_build(c.family, c.bytes, vigil_cidr_addr_len(&c));
	if (!route || !nh || !dst || !gw) {
		err = -NLE_NOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(route, (uint8_t)c.family);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL; /* the route owns it now */
	err = rtnl_route_add(sock, route, NLM_F_EXCL);
out:
	err = err < 0 ? vigil_rtnl_errno(err) : 0;
out_errno:
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	if (dst)
		nl_addr_put(dst);
	if (gw)
		nl_addr_put(gw);
	return err;
}

int vigil_rtnl_link_delete(struct nl_sock *sock, const char *ifname)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, ifname);
	err = rtnl_link_delete(sock, link);
	rtnl_link_put(link);
	return err < 0 ? vigil_rtnl_errno(err) : 0;
}

int vigil_rtnl_clsact(struct nl_sock *sock, int ifindex)
{
	struct rtnl_qdisc *qdisc = rtnl_qdisc_alloc();
	int err;

	if (!qdisc)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(qdisc), ifindex);
	rtnl_tc_set_parent(TC_CAST(qdisc), TC_H_CLSACT);
	rtnl_tc_set_handle(TC_CAST(qdisc), TC_H_MAKE(TC_H_CLSACT, 0));
	/* libnl 3.7 has no clsact module: the kind alone is the whole request */
	err = rtnl_tc_set_kind(TC_CAST(qdisc), "clsact");
	if (!err)
		err = rtnl_qdisc_add(sock, qdisc, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(qdisc);
	if (err == -NLE_EXIST)
		return 0;
	return err < 0 ? vigil_rtnl_errno(err) : 0;
}

int vigil_clsact_add(int ifindex)
{
	struct nl_sock *sock;
	int ret = vigil_rtnl_socket(&sock);

	if (ret < 0)
		return ret;
	ret = vigil_rtnl_clsact(sock, ifindex);
	nl_socket_free(sock);
	return ret;
}

/* `op` on a socket of its own */
static int one_shot(int (*op)(struct nl_sock *sock, const char *ifname), const char *ifname)
{
	struct nl_sock *sock;
	int ret = vigil_rtnl_socket(&sock);

	if (ret < 0)
		return ret;
	ret = op(sock, ifname);
	nl_socket_free(sock);
	return ret;
}

int vigil_link_up(const char *ifname)
{
	return one_shot(vigil_rtnl_link_up, ifname);
}

int vigil_link_delete(const char *ifname)
{
	return one_shot(vigil_rtnl_link_delete, ifname);
}
