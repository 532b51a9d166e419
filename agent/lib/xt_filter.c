// SPDX-License-Identifier: GPL-2.0-or-later
#include "xt_filter.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel answers both families' requests with the same layout, but for the entries. */
_Static_assert(sizeof(struct ipt_getinfo) == sizeof(struct ip6t_getinfo), "getinfo layouts");
_Static_assert(sizeof(struct ipt_get_entries) == sizeof(struct ip6t_get_entries),
	       "get_entries layouts");

static int table_listed(const char *names_file, const char *table, bool *ret)
{
	char line[64];
	FILE *f = fopen(names_file, "re");

	*ret = false;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!*ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		*ret = !strcmp(line, table);
	}
	fclose(f);
	return 0;
}

/*
 * A built-in chain's policy is its last entry (the hook's underflow): a
 * standard target whose verdict is -NF_DROP - 1 for DROP.
 */
static int forward_policy(int fd, int family, bool *ret_drop)
{
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int so_info = family == AF_INET ? IPT_SO_GET_INFO : IP6T_SO_GET_INFO;
	int so_entries = family == AF_INET ? IPT_SO_GET_ENTRIES : IP6T_SO_GET_ENTRIES;
	struct ipt_getinfo info = { .name = "filter" };
	socklen_t len = sizeof(info);
	struct ipt_get_entries *entries;
	const struct xt_standard_target *target;
	unsigned int at, target_offset;
	int r = 0;

	if (getsockopt(fd, level, so_info, &info, &len) < 0)
		return -errno;
	if (!(info.valid_hooks & (1u << NF_INET_FORWARD)))
		return 0;
	at = info.underflow[NF_INET_FORWARD];
	len = (socklen_t)(sizeof(*entries) + info.size);
	entries = calloc(1, len);
	if (!entries)
		return -ENOMEM;
	memcpy(entries->name, info.name, sizeof(entries->name));
	entries->size = info.size;
	if (getsockopt(fd, level, so_entries, entries, &len) < 0) {
		r = -errno;
		goto out;
	}
	if (family == AF_INET)
		target_offset = ((const struct ipt_entry *)((char *)entries->entrytable + at))
					->target_offset;
	else
		target_offset = ((const struct ip6t_entry *)((char *)entries->entrytable + at))
					->target_offset;
	if (at + target_offset + sizeof(*target) > info.size) {
		r = -EBADMSG;
		goto out;
	}
	target = (const void *)((char *)entries->entrytable + at + target_offset);
	*ret_drop = !target->target.u.user.name[0] && target->verdict == -NF_DROP - 1;
out:
	free(entries);
	return r;
}

int vigil_xt_forward_drops(int family, bool *ret_drop)
{
	bool listed;
	int fd, r;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	*ret_drop = false;
	r = table_listed(family == AF_INET ? "/proc/net/ip_tables_names"
					   : "/proc/net/ip6_tables_names",
			 "filter", &listed);
	if (r || !listed)
		return r;
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	r = forward_policy(fd, family, ret_drop);
	close(fd);
	return r;
}
