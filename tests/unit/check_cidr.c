// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one parser of prefixes in text (cidr.c), and its callers: the spec's
 * interface addresses, the meters' private prefixes and the nft policy's
 * prefixes read every text alike.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "net_meter.h"
#include "nft_internal.h"
#include "testutil.h"

/* A text, and what it is as a network: its family and length, or 0 when refused. */
static const struct {
	const char *text;
	int family;
	unsigned int len;
} networks[] = {
	{ "198.18.0.0/15", AF_INET, 15 },
	{ "169.254.169.254", AF_INET, 32 },
	{ "0.0.0.0/0", AF_INET, 0 },
	/* leading zeros are digits like any other */
	{ "10.0.0.0/008", AF_INET, 8 },
	{ "fd00::/8", AF_INET6, 8 },
	{ "2001:db8::1", AF_INET6, 128 },
	{ "::/0", AF_INET6, 0 },
	{ "::ffff:198.18.0.0/111", AF_INET6, 111 },
	{ "198.18.0.1/15", 0, 0 }, /* host bits */
	{ "2001:db8::1/64", 0, 0 },
	{ "2001:db9::/31", 0, 0 },
	{ "198.18.0.0/33", 0, 0 },
	{ "2001:db8::/129", 0, 0 },
	{ "198.18.0.0/", 0, 0 },
	{ "198.18.0.0/-1", 0, 0 },
	{ "198.18.0.0/+8", 0, 0 },
	{ "198.18.0.0/ 8", 0, 0 },
	{ "198.18.0.0/8x", 0, 0 },
	{ "198.18.0.0/8/8", 0, 0 },
	{ "198.18.0.0/99999999999999999999999", 0, 0 },
	{ "fd00::/08x", 0, 0 },
	{ "/8", 0, 0 },
	{ "1.2.3", 0, 0 },
	{ "198.18.0.300", 0, 0 },
	{ "hello", 0, 0 },
	{ "", 0, 0 },
	/* the longest text of an address, and one character more */
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.255/128", AF_INET6, 128 },
	{ "00000:0000:0000:0000:0000:ffff:255.255.255.255/128", 0, 0 },
};

START_TEST(test_network)
{
	for (size_t i = 0; i < sizeof(networks) / sizeof(*networks); i++) {
		struct vigil_cidr c = { .family = -1 };
		int r = vigil_cidr_parse_as(networks[i].text, VIGIL_CIDR_NETWORK, &c);

		if (!networks[i].family) {
			ck_assert_msg(r == -EINVAL, "\"%s\" taken", networks[i].text);
			ck_assert_int_eq(c.family, -1); /* untouched */
			continue;
		}
		ck_assert_msg(r == 0, "\"%s\" refused", networks[i].text);
		ck_assert_int_eq(c.family, networks[i].family);
		ck_assert_uint_eq(c.prefixlen, networks[i].len);
	}
}
END_TEST

START_TEST(test_address)
{
	struct vigil_cidr c;

	ck_assert_int_eq(vigil_cidr_parse_as("198.18.0.2/30", VIGIL_CIDR_ADDRESS, &c), 0);
	ck_assert_uint_eq(c.prefixlen, 30);
	ck_assert_uint_eq(c.bytes[3], 2); /* the host bits are the address's */
	ck_assert_int_eq(vigil_cidr_parse_as("2001:db8::2/64", VIGIL_CIDR_ADDRESS, &c), 0);
	ck_assert_int_eq(c.family, AF_INET6);
	/* an address in its subnet needs the subnet's length */
	ck_assert_int_eq(vigil_cidr_parse_as("198.18.0.2", VIGIL_CIDR_ADDRESS, &c), -EINVAL);
	ck_assert_int_eq(vigil_cidr_parse_as("198.18.0.2/33", VIGIL_CIDR_ADDRESS, &c), -EINVAL);

	/* a workload's: a routed point-to-point subnet, IPv4 /1 to /30, IPv6 /64 to /127 */
	ck_assert_int_eq(vigil_cidr_parse("198.18.0.2/30", &c), 0);
	ck_assert_int_eq(vigil_cidr_parse("198.18.0.2/1", &c), 0);
	ck_assert_int_eq(vigil_cidr_parse("198.18.0.2/31", &c), -EINVAL);
	ck_assert_int_eq(vigil_cidr_parse("198.18.0.2/0", &c), -EINVAL);
	ck_assert_int_eq(vigil_cidr_parse("2001:db8::2/64", &c), 0);
	ck_assert_int_eq(vigil_cidr_parse("2001:db8::/127", &c), 0);
	ck_assert_int_eq(vigil_cidr_parse("2001:db8::2/63", &c), -EINVAL);
	ck_assert_int_eq(vigil_cidr_parse("2001:db8::2/128", &c), -EINVAL);
}
END_TEST

/* The nft policy's check and the meters' keys take and refuse the same texts. */
START_TEST(test_callers_agree)
{
	for (size_t i = 0; i < sizeof(networks) / sizeof(*networks); i++) {
		const char *text = networks[i].text;
		int family = networks[i].family;
		struct vigil_prefix_key k;
		int r = vigil_prefix_parse(text, &k);

		ck_assert_int_eq(nft_check_prefix(text), family ? family : -EINVAL);
		ck_assert_msg(r == (family ? 0 : -EINVAL), "\"%s\": %d", text, r);
		if (family)
			/* IPv4 as ::ffff:a.b.c.d/96+n */
			ck_assert_uint_eq(k.prefixlen,
					  networks[i].len + (family == AF_INET ? 96 : 0));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_network);
	tcase_add_test(tc, test_address);
	tcase_add_test(tc, test_callers_agree);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
