// SPDX-License-Identifier: GPL-2.0-or-later
/* One JSON document as clients must send it, and escaping what they sent for logs and replies. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "errmsg.h"
#include "json_doc.h"
#include "testutil.h"

static void expect_refused(const char *text, size_t len, const char *msg)
{
	struct json_object *obj = NULL;
	char err[256] = "";

	ck_assert_int_eq(vigil_json_parse_len(text, len, &obj, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(obj);
	ck_assert_msg(strstr(err, msg), "expected \"%s\" in \"%s\"", msg, err);
}

START_TEST(test_one_clean_document)
{
	struct json_object *obj;
	char err[256];

	ck_assert_int_eq(
		vigil_json_parse("  {\"a\":[\"\xc3\xa9\",\"\\u00e9\"]}\n", &obj, err, sizeof(err)),
		0);
	json_object_put(obj);
	expect_refused("{}\0{}", 5, "a NUL byte at line 1, column 3 (offset 2)");
	expect_refused("{}\n{}", 5, "malformed JSON at line 2, column 1 (offset 3)");
	expect_refused("{\"a\":\"\xff\"}", 9, "invalid UTF-8 at line 1, column 7");
	expect_refused("{\"a\":\"\xe0\x80\xaf\"}", 11, "invalid UTF-8");
	expect_refused("{\"a\":\"\xf4\x90\x80\x80\"}", 12, "invalid UTF-8");
	expect_refused("{\"a\":\"\xc3\"}", 9, "invalid UTF-8");
	expect_refused("{\"a\":{\"b\":[1,\"x\\u0000\"]}}", 25, "a.b[1] holds a NUL character");
	expect_refused("{\"k\\u0000ey\":1}", 15, "a key holds a NUL character (U+0000) at line 1");
	/* an escaped backslash before "u0000" is no NUL */
	ck_assert_int_eq(vigil_json_parse("{\"a\":\"\\\\u0000\"}", &obj, err, sizeof(err)), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(obj, "a")), "\\u0000");
	json_object_put(obj);
}
END_TEST

START_TEST(test_escape)
{
	char out[32];

	ck_assert_str_eq(vigil_escape("relay-1 \xc3\xa9", out, sizeof(out)), "relay-1 \xc3\xa9");
	ck_assert_str_eq(vigil_escape("a\nb\tc\x7f", out, sizeof(out)), "a\\x0ab\\x09c\\x7f");
	ck_assert_str_eq(vigil_escape("back\\slash", out, sizeof(out)), "back\\\\slash");
	ck_assert_str_eq(vigil_escape("bad \xff\xc3", out, sizeof(out)), "bad \\xff\\xc3");
	/* cut whole: never half a character or half an escape */
	ck_assert_str_eq(vigil_escape("abcd\xc3\xa9", out, 6), "abcd");
	ck_assert_str_eq(vigil_escape("abc\n", out, 6), "abc");
}
END_TEST

static Suite *json_doc_suite(void)
{
	Suite *s = suite_create("json_doc");
	TCase *tc = tcase_create("documents");

	tcase_add_test(tc, test_one_clean_document);
	tcase_add_test(tc, test_escape);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(json_doc_suite());
}
