// SPDX-License-Identifier: GPL-2.0-or-later
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"

int vigil_cidr_parse_as(const char *text, enum vigil_cidr_form form, struct vigil_cidr *ret)
{
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	char addr[INET6_ADDRSTRLEN];
	struct vigil_cidr c = { 0 };
	unsigned long len;

	if (n == 0 || n >= sizeof(addr) || (!slash && form == VIGIL_CIDR_ADDRESS))
		return -EINVAL;
	memcpy(addr, text, n);
	addr[n] = '\0';
	c.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c.family, addr, c.bytes) != 1)
		return -EINVAL;
	len = vigil_cidr_addr_len(&c) * 8;
	if (slash && vigil_parse_decimal(slash + 1, 0, len, &len) < 0)
		return -EINVAL;
	c.prefixlen = (unsigned int)len;
	if (form == VIGIL_CIDR_NETWORK && !vigil_cidr_host_bits_all(&c, false))
		return -EINVAL;
	*ret = c;
	return 0;
}

int vigil_cidr_parse(const char *text, struct vigil_cidr *ret)
{
	struct vigil_cidr c;

	if (vigil_cidr_parse_as(text, VIGIL_CIDR_ADDRESS, &c) < 0)
		return -EINVAL;
	/* a routed point-to-point subnet: room for two addresses, IPv6's at least a /64 */
	if (c.family == AF_INET6 ? c.prefixlen < 64 || c.prefixlen > 127
				 : c.prefixlen < 1 || c.prefixlen > 30)
		return -EINVAL;
	*ret = c;
	return 0;
}

size_t vigil_cidr_addr_len(const struct vigil_cidr *c)
{
	return c->family == AF_INET6 ? 16 : 4;
}

/* The mask of byte i of the address: the bits of the prefix. */
static unsigned char prefix_mask(unsigned int prefixlen, size_t i)
{
	if (prefixlen >= (i + 1) * 8)
		return 0xff;
	if (prefixlen <= i * 8)
		return 0;
	return (unsigned char)(0xff << (8 - (prefixlen - i * 8)));
}

void vigil_cidr_subnet(struct vigil_cidr *c)
{
	for (size_t i = 0; i < vigil_cidr_addr_len(c); i++)
		c->bytes[i] &= prefix_mask(c->prefixlen, i);
}

bool vigil_cidr_host_bits_all(const struct vigil_cidr *c, bool one)
{
	for (size_t i = 0; i < vigil_cidr_addr_len(c); i++) {
		unsigned char host = (unsigned char)~prefix_mask(c->prefixlen, i);

		if ((c->bytes[i] & host) != (one ? host : 0))
			return false;
	}
	return true;
}

bool vigil_cidr_overlap(const struct vigil_cidr *a, const struct vigil_cidr *b)
{
	unsigned int shorter = a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen;

	if (a->family != b->family)
		return false;
	for (size_t i = 0; i < vigil_cidr_addr_len(a); i++) {
		if ((a->bytes[i] ^ b->bytes[i]) & prefix_mask(shorter, i))
			return false;
	}
	return true;
}

void vigil_cidr_format(const struct vigil_cidr *c, char buf[VIGIL_CIDR6_SIZE])
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->bytes, addr, sizeof(addr));
	snprintf(buf, VIGIL_CIDR6_SIZE, "%s/%u", addr, c->prefixlen);
}
