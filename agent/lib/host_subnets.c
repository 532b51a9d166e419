// SPDX-License-Identifier: GPL-2.0-or-later
#include "host_subnets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool skipped(const struct ifaddrs *a, const char *const *skip, size_t n_skip)
{
	if (!a->ifa_addr || !a->ifa_netmask || (a->ifa_flags & IFF_LOOPBACK))
		return true;
	for (size_t i = 0; i < n_skip; i++)
		if (!strncmp(a->ifa_name, skip[i], strlen(skip[i])))
			return true;
	return false;
}

/* addr & mask as "prefix/len" in buf; false for link-local IPv6. */
static bool subnet_of(const struct ifaddrs *a, char *buf, size_t len)
{
	unsigned char addr[16], mask[16], text[INET6_ADDRSTRLEN];
	int family = a->ifa_addr->sa_family, size = family == AF_INET ? 4 : 16;
	unsigned int bits = 0;

	if (family == AF_INET) {
		memcpy(addr, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, 4);
		memcpy(mask, &((struct sockaddr_in *)a->ifa_netmask)->sin_addr, 4);
	} else if (family == AF_INET6) {
		memcpy(addr, &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr, 16);
		memcpy(mask, &((struct sockaddr_in6 *)a->ifa_netmask)->sin6_addr, 16);
		if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
			return false;
	} else {
		return false;
	}
	for (int i = 0; i < size; i++) {
		addr[i] &= mask[i];
		bits += (unsigned int)__builtin_popcount(mask[i]);
	}
	inet_ntop(family, addr, (char *)text, sizeof(text));
	snprintf(buf, len, "%s/%u", text, bits);
	return true;
}

int vigil_host_subnets(const char *const *skip_prefixes, size_t n_skip, char ***ret, size_t *n)
{
	struct ifaddrs *all, *a;
	char **out = NULL, buf[INET6_ADDRSTRLEN + 8];
	size_t k = 0;
	int r = 0;

	if (getifaddrs(&all) < 0)
		return -errno;
	for (a = all; a && !r; a = a->ifa_next) {
		bool seen = false;
		char **grown;

		if (skipped(a, skip_prefixes, n_skip) || !subnet_of(a, buf, sizeof(buf)))
			continue;
		for (size_t i = 0; i < k && !seen; i++)
			seen = !strcmp(out[i], buf);
		if (seen)
			continue;
		grown = realloc(out, (k + 1) * sizeof(*out));
		if (!grown || !(grown[k] = strdup(buf))) {
			out = grown ? grown : out;
			r = -ENOMEM;
			break;
		}
		out = grown;
		k++;
	}
	freeifaddrs(all);
	if (r) {
		vigil_host_subnets_free(out, k);
		return r;
	}
	*ret = out;
	*n = k;
	return 0;
}

void vigil_host_subnets_free(char **subnets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(subnets[i]);
	free(subnets);
}
