// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Interface names of workloads. Names are persisted in the registry, so the
 * expected values are fixed here: a change of scheme fails this suite.
 */
#include <check.h>
#include <net/if.h>
#include <string.h>

#include "ifname.h"
#include "tap.h"
#include "testutil.h"
#include "veth.h"

static const struct {
	const char *id, *veth, *tap;
} names[] = {
	{ "a", "vg-a", "vt-a" },
	{ "relay-1", "vg-relay-1", "vt-relay-1" },
	/* 12 characters still fit after the 3 of the prefix */
	{ "abcdefghijkl", "vg-abcdefghijkl", "vt-abcdefghijkl" },
	{ "abcdefghijklm", "vg-abcdefg356e8", "vt-abcdefg356e8" },
	{ "abcdefghijklmn", "vg-abcdefg134f2", "vt-abcdefg134f2" },
	{ "relay-cardano-mainnet-01", "vg-relay-c0b550", "vt-relay-c0b550" },
	{ "relay-cardano-mainnet-02", "vg-relay-c0ba09", "vt-relay-c0ba09" },
	{ "relay-cardano-x", "vg-relay-c3f584", "vt-relay-c3f584" },
};

START_TEST(test_names_are_fixed)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char veth[IF_NAMESIZE], tap[IF_NAMESIZE];

		vigil_veth_name(names[i].id, veth);
		vigil_tap_name(names[i].id, tap);
		ck_assert_str_eq(veth, names[i].veth);
		ck_assert_str_eq(tap, names[i].tap);
	}
}
END_TEST

START_TEST(test_long_ids_fit_and_differ)
{
	/* the longest ids the spec allows, alike in their first 31 characters */
	static const char *const ids[] = {
		"relay-cardano-mainnet-0000000001", "relay-cardano-mainnet-0000000002",
		"relay-cardano-mainnet-000000000a", "relay-cardano-mainnet-000000000b",
		"relay-cardano-mainnet-0000000010",
	};
	char got[5][IF_NAMESIZE], again[IF_NAMESIZE];

	for (size_t i = 0; i < 5; i++) {
		vigil_tap_name(ids[i], got[i]);
		ck_assert_uint_le(strlen(got[i]), IF_NAMESIZE - 1);
		ck_assert_msg(vigil_ifname_valid(got[i]), "%s", got[i]);
		ck_assert(strncmp(got[i], "vt-relay-c", 10) == 0);
		vigil_tap_name(ids[i], again);
		ck_assert_str_eq(again, got[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(got[i], got[j]);
	}
}
END_TEST

START_TEST(test_valid_names)
{
	static const char *const good[] = { "a", "vt-relay-1", "eth0.100", "A_b-c.9",
					    "abcdefghijklmno" };
	static const char *const bad[] = {
		"", "abcdefghijklmnop", "vt relay", "vt/1", "vt%d", "vt:1", ".", "..", "vé"
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(vigil_ifname_valid(good[i]), "\"%s\" is refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!vigil_ifname_valid(bad[i]), "\"%s\" is accepted", bad[i]);
}
END_TEST

static Suite *ifname_suite(void)
{
	Suite *s = suite_create("ifname");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_names_are_fixed);
	tcase_add_test(tc, test_long_ids_fit_and_differ);
	tcase_add_test(tc, test_valid_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(ifname_suite());
}
