// SPDX-License-Identifier: GPL-2.0-or-later
#include "addr_watch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

int vigil_addr_watch_open(int *ret_fd)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

static bool address_change(const struct nlmsghdr *h, size_t len)
{
	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
		if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR)
			return true;
	return false;
}

int vigil_addr_watch_drain(int fd)
{
	union {
		struct nlmsghdr h;
		char bytes[8192];
	} buf;
	bool changed = false;

	for (;;) {
		ssize_t n = recv(fd, &buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return changed;
		/* the kernel dropped notices it could not queue: anything may have changed */
		if (n < 0 && errno == ENOBUFS)
			changed = true;
		else if (n < 0)
			return -errno;
		else
			changed = changed || address_change(&buf.h, (size_t)n);
	}
}
