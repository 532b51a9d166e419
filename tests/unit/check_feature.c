// SPDX-License-Identifier: GPL-2.0-or-later
/* The minimum kernel vigild refuses to run below, decided from a release string. */
#include <check.h>
#include <errno.h>

#include "feature.h"
#include "testutil.h"

START_TEST(test_minimum_kernel)
{
	static const char *const ok[] = {
		"6.1.0-57-amd64", "6.1", "6.18.44-fc-v1147", "7.0.0", "6.12.9+deb13-amd64",
	};
	static const char *const too_old[] = {
		"6.0.19", "5.19.0-50-generic", "5.15.0-91-generic", "5.10.0-28-amd64", "4.19.0",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		ck_assert_msg(vigil_kernel_release_ok(ok[i]) == 1, "%s refused", ok[i]);
	for (size_t i = 0; i < sizeof(too_old) / sizeof(*too_old); i++)
		ck_assert_msg(vigil_kernel_release_ok(too_old[i]) == 0, "%s accepted", too_old[i]);
	ck_assert_int_eq(vigil_kernel_release_ok("linux"), -EINVAL);
	ck_assert_int_eq(vigil_kernel_release_ok("6"), -EINVAL);
	ck_assert_int_eq(vigil_kernel_release_ok(""), -EINVAL);
}
END_TEST

static Suite *feature_suite(void)
{
	Suite *s = suite_create("feature");
	TCase *tc = tcase_create("kernel");

	tcase_add_test(tc, test_minimum_kernel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(feature_suite());
}
