// SPDX-License-Identifier: GPL-2.0-or-later
#include "cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vigil_cidr4_parse(const char *text, struct in_addr *ret_addr, unsigned int *ret_prefixlen)
{
	char buf[VIGIL_CIDR_SIZE], *slash, *end;
	struct in_addr addr;
	unsigned long n;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (*end || errno || n < 1 || n > 30 || !isdigit((unsigned char)slash[1]))
		return -EINVAL;
	if (inet_pton(AF_INET, buf, &addr) != 1)
		return -EINVAL;
	*ret_addr = addr;
	*ret_prefixlen = (unsigned int)n;
	return 0;
}

int vigil_cidr4_subnet(const char *text, struct in_addr *ret_net, unsigned int *ret_prefixlen)
{
	struct in_addr addr;
	unsigned int len;
	int r = vigil_cidr4_parse(text, &addr, &len);

	if (r)
		return r;
	ret_net->s_addr = addr.s_addr & htonl(~0u << (32 - len));
	*ret_prefixlen = len;
	return 0;
}
