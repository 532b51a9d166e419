// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cidr.h"
#include "ifname.h"
#include "rtnl.h"

void vigil_tap_name(const char *id, char ret[IF_NAMESIZE])
{
	vigil_ifname(VIGIL_TAP_IFNAME_PREFIX, id, ret);
}

static bool cidr_of(const char *text, int family)
{
	struct vigil_cidr c;

	return text && vigil_cidr_parse(text, &c) == 0 && c.family == family;
}

static int check_opts(const struct vigil_tap_opts *o)
{
	if (!o->ifname || !vigil_ifname_valid(o->ifname) || !cidr_of(o->host_cidr, AF_INET) ||
	    (o->host_cidr6 && !cidr_of(o->host_cidr6, AF_INET6)) || o->owner_uid == (uid_t)-1 ||
	    o->owner_gid == (gid_t)-1)
		return -EINVAL;
	return 0;
}

/*
 * The kernel refuses to create tun/tap devices over rtnetlink ("tun/tap
 * creation via rtnetlink is not supported"), so the device is made through
 * /dev/net/tun and only addressed and raised through libnl. It stays
 * transient until TUNSETPERSIST, the last step: until then closing `fd`
 * deletes it with everything on it, which is the cleanup on failure.
 */
static int tap_make(int fd, const struct vigil_tap_opts *o, int *ret_ifindex)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL };
	struct nl_sock *sock;
	int ifindex, ret;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	/* without IFF_TUN_EXCL an existing TAP of that name would be taken over */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return errno == EBUSY ? -EEXIST : -errno;
	if (ioctl(fd, TUNSETOWNER, (unsigned long)o->owner_uid) < 0 ||
	    ioctl(fd, TUNSETGROUP, (unsigned long)o->owner_gid) < 0)
		return -errno;
	ret = vigil_rtnl_socket(&sock);
	if (ret < 0)
		return ret;
	ret = vigil_rtnl_address_add(sock, o->ifname, o->host_cidr);
	if (!ret && o->host_cidr6)
		ret = vigil_rtnl_address_add(sock, o->ifname, o->host_cidr6);
	nl_socket_free(sock);
	if (ret < 0)
		return ret;
	ifindex = (int)if_nametoindex(o->ifname);
	if (!ifindex)
		return -errno;
	if (ioctl(fd, TUNSETPERSIST, 1L) < 0)
		return -errno;
	*ret_ifindex = ifindex;
	return 0;
}

int vigil_tap_create(const struct vigil_tap_opts *o, int *ret_ifindex)
{
	int fd, ret;

	ret = check_opts(o);
	if (ret < 0)
		return ret;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = tap_make(fd, o, ret_ifindex);
	close(fd);
	return ret;
}

int vigil_tap_up(const char *ifname)
{
	return vigil_ifname_valid(ifname) ? vigil_link_up(ifname) : -EINVAL;
}

int vigil_tap_delete(const char *ifname)
{
	return vigil_ifname_valid(ifname) ? vigil_link_delete(ifname) : -EINVAL;
}
