/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CIDR_H
#define VIGIL_CIDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* "255.255.255.255/32" and the NUL */
#define VIGIL_CIDR_SIZE 19
/* "ffff:...:ffff/128" and the NUL: INET6_ADDRSTRLEN counts the NUL */
#define VIGIL_CIDR6_SIZE (INET6_ADDRSTRLEN + 4)

/*
 * IPv4 and IPv6 prefixes in text, and the one parser every caller uses: the
 * workload spec's interface addresses, the meters' private prefixes, the nft
 * policy's prefixes and the rules built from them.
 */

/* An address and a prefix length: a network, or an interface address in its subnet. */
struct vigil_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned int prefixlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		unsigned char bytes[16];
	};
};

/* What vigil_cidr_parse_as() takes a text to be. */
enum vigil_cidr_form {
	/*
	 * A network, "198.18.0.0/15" or "fd00::/8", its host bits zero; a bare
	 * address is the prefix of that one host (/32, /128).
	 */
	VIGIL_CIDR_NETWORK,
	/* An address in its subnet, "198.18.0.2/30": the length required, host bits any. */
	VIGIL_CIDR_ADDRESS,
};

/*
 * An address as inet_pton() reads it (IPv6 when it holds a ':'), then "/"
 * and a length in decimal digits, at most 32 or 128. -EINVAL for anything
 * else, and *ret is left as it was.
 */
int vigil_cidr_parse_as(const char *text, enum vigil_cidr_form form, struct vigil_cidr *ret);
/*
 * An interface address "a.b.c.d/len" with a prefix of 1 to 30, or
 * "x:x::x/len" with one of 64 to 127, so that the subnet holds the other
 * end of a routed point-to-point link. -EINVAL otherwise.
 */
int vigil_cidr_parse(const char *text, struct vigil_cidr *ret);
/* The address's size in bytes: 4 or 16. */
size_t vigil_cidr_addr_len(const struct vigil_cidr *c);
/* Clears the host bits: the address's subnet. */
void vigil_cidr_subnet(struct vigil_cidr *c);
/* Whether the host bits are all `one`s (the subnet's network, or broadcast, address). */
bool vigil_cidr_host_bits_all(const struct vigil_cidr *c, bool one);
/* Whether two addresses' subnets overlap; never across families. */
bool vigil_cidr_overlap(const struct vigil_cidr *a, const struct vigil_cidr *b);
/* "address/len", canonical (IPv6 compressed, lower case). */
void vigil_cidr_format(const struct vigil_cidr *c, char buf[VIGIL_CIDR6_SIZE]);

#endif
