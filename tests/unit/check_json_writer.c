// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON writer: every document it writes is parsed back with json-c. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "testutil.h"

struct doc {
	FILE *f;
	char *text;
	size_t len;
	struct json_writer *jw;
};

static void doc_open(struct doc *d, bool pretty)
{
	d->text = NULL;
	d->f = open_memstream(&d->text, &d->len);
	ck_assert_ptr_nonnull(d->f);
	d->jw = jw_new(d->f, pretty);
	ck_assert_ptr_nonnull(d->jw);
}

/* Closes the document and returns jw_finish()'s verdict. */
static int doc_close(struct doc *d)
{
	int err = jw_finish(d->jw);

	jw_free(d->jw);
	fclose(d->f);
	return err;
}

/* Writes `in` as one JSON string and parses it back. */
static struct json_object *string_roundtrip(const char *in, size_t len, char **ret_text)
{
	struct doc d;
	struct json_object *obj;

	doc_open(&d, false);
	jw_string_len(d.jw, in, len);
	ck_assert_int_eq(doc_close(&d), 0);
	obj = parse_json(d.text);
	ck_assert_msg(obj != NULL, "writer produced invalid JSON: %s", d.text);
	if (ret_text)
		*ret_text = d.text;
	else
		free(d.text);
	return obj;
}

START_TEST(test_nesting_roundtrip)
{
	struct json_object *root, *v, *arr, *inner;
	struct doc d;

	doc_open(&d, false);
	jw_start_object(d.jw);
	jw_string_field(d.jw, "name", "relay-1");
	jw_u64_field(d.jw, "max", UINT64_MAX);
	jw_s64_field(d.jw, "min", INT64_MIN);
	jw_bool_field(d.jw, "yes", true);
	jw_name(d.jw, "none");
	jw_null(d.jw);
	jw_name(d.jw, "list");
	jw_start_array(d.jw);
	jw_u64(d.jw, 1);
	jw_start_object(d.jw);
	jw_string_field(d.jw, "k", "v");
	jw_end_object(d.jw);
	jw_start_array(d.jw);
	jw_end_array(d.jw);
	jw_end_array(d.jw);
	jw_name(d.jw, "empty");
	jw_start_object(d.jw);
	jw_end_object(d.jw);
	jw_end_object(d.jw);
	ck_assert_int_eq(doc_close(&d), 0);

	root = parse_json(d.text);
	ck_assert_msg(root != NULL, "invalid JSON: %s", d.text);
	ck_assert(json_object_object_get_ex(root, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "relay-1");
	ck_assert(json_object_object_get_ex(root, "max", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), UINT64_MAX);
	ck_assert(json_object_object_get_ex(root, "min", &v));
	ck_assert(json_object_get_int64(v) == INT64_MIN);
	ck_assert(json_object_object_get_ex(root, "yes", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(root, "none", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(root, "list", &arr));
	ck_assert_int_eq(json_object_array_length(arr), 3);
	inner = json_object_array_get_idx(arr, 1);
	ck_assert(json_object_object_get_ex(inner, "k", &v));
	ck_assert_str_eq(json_object_get_string(v), "v");
	ck_assert_int_eq(json_object_array_length(json_object_array_get_idx(arr, 2)), 0);
	ck_assert(json_object_object_get_ex(root, "empty", &v));
	ck_assert_int_eq(json_object_object_length(v), 0);
	json_object_put(root);
	free(d.text);
}
END_TEST

START_TEST(test_control_characters_escaped)
{
	char in[40];
	struct json_object *obj;
	char *text;
	size_t n = 0;

	for (int c = 1; c < 0x20; c++)
		in[n++] = (char)c;
	in[n++] = '"';
	in[n++] = '\\';
	in[n++] = 0x7f;
	obj = string_roundtrip(in, n, &text);
	/* no raw control byte reaches the output */
	for (const char *p = text; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "raw byte 0x%02x in %s",
			      (unsigned char)*p, text);
	ck_assert_int_eq(json_object_get_string_len(obj), (int)n);
	ck_assert_mem_eq(json_object_get_string(obj), in, n);
	ck_assert_ptr_nonnull(strstr(text, "\\n"));
	ck_assert_ptr_nonnull(strstr(text, "\\u0001"));
	json_object_put(obj);
	free(text);
}
END_TEST

START_TEST(test_embedded_nul_escaped)
{
	static const char in[] = { 'a', 0, 'b' };
	struct json_object *obj = string_roundtrip(in, sizeof(in), NULL);

	ck_assert_int_eq(json_object_get_string_len(obj), 3);
	ck_assert_mem_eq(json_object_get_string(obj), in, sizeof(in));
	json_object_put(obj);
}
END_TEST

START_TEST(test_valid_utf8_preserved)
{
	/* two-, three- and four-byte sequences, and the largest code point */
	static const char in[] = "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
	struct json_object *obj;
	char *text;

	obj = string_roundtrip(in, strlen(in), &text);
	ck_assert_str_eq(json_object_get_string(obj), in);
	/* passed through as UTF-8, not escaped */
	ck_assert_ptr_nonnull(strstr(text, "\xf0\x9f\x98\x80"));
	json_object_put(obj);
	free(text);
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
		{ "a\xff"
		  "b",
		  "byte never valid" },
		{ "a\xc0\xaf"
		  "b",
		  "overlong two-byte" },
		{ "a\xe0\x80\xaf"
		  "b",
		  "overlong three-byte" },
		{ "a\xed\xa0\x80"
		  "b",
		  "UTF-16 surrogate" },
		{ "a\xf4\x90\x80\x80"
		  "b",
		  "beyond U+10FFFF" },
		{ "a\xe2\x82", "truncated sequence" },
		{ "a\x80"
		  "b",
		  "lone continuation byte" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *obj = string_roundtrip(cases[i].in, strlen(cases[i].in), NULL);
		const char *out = json_object_get_string(obj);

		ck_assert_msg(strstr(out, "\xef\xbf\xbd") != NULL, "%s: no U+FFFD in output",
			      cases[i].why);
		ck_assert_msg(out[0] == 'a', "%s: prefix lost", cases[i].why);
		json_object_put(obj);
	}
}
END_TEST

START_TEST(test_pretty_output_parses)
{
	struct json_object *root, *v;
	struct doc d;

	doc_open(&d, true);
	jw_start_object(d.jw);
	jw_name(d.jw, "a");
	jw_start_array(d.jw);
	jw_u64(d.jw, 1);
	jw_u64(d.jw, 2);
	jw_end_array(d.jw);
	jw_string_field(d.jw, "b", "x");
	jw_end_object(d.jw);
	ck_assert_int_eq(doc_close(&d), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "\n  \"a\": [\n    1,\n    2\n  ],"));
	root = parse_json(d.text);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "b", &v));
	json_object_put(root);
	free(d.text);
}
END_TEST

START_TEST(test_misuse_reported)
{
	struct doc d;

	/* a value where a member name is due */
	doc_open(&d, false);
	jw_start_object(d.jw);
	jw_u64(d.jw, 1);
	jw_end_object(d.jw);
	ck_assert_int_eq(doc_close(&d), -EPROTO);
	free(d.text);

	/* unbalanced */
	doc_open(&d, false);
	jw_start_array(d.jw);
	ck_assert_int_eq(doc_close(&d), -EPROTO);
	free(d.text);

	/* wrong closer */
	doc_open(&d, false);
	jw_start_array(d.jw);
	jw_end_object(d.jw);
	ck_assert_int_eq(doc_close(&d), -EPROTO);
	free(d.text);

	/* two documents */
	doc_open(&d, false);
	jw_u64(d.jw, 1);
	jw_u64(d.jw, 2);
	ck_assert_int_eq(doc_close(&d), -EPROTO);
	free(d.text);

	/* a name with no value */
	doc_open(&d, false);
	jw_start_object(d.jw);
	jw_name(d.jw, "dangling");
	jw_end_object(d.jw);
	ck_assert_int_eq(doc_close(&d), -EPROTO);
	free(d.text);

	/* nothing at all */
	doc_open(&d, false);
	ck_assert_int_eq(doc_close(&d), -EPROTO);
	free(d.text);
}
END_TEST

START_TEST(test_depth_limit)
{
	struct doc d;

	doc_open(&d, false);
	for (int i = 0; i <= JW_MAX_DEPTH; i++)
		jw_start_array(d.jw);
	ck_assert_int_eq(doc_close(&d), -E2BIG);
	free(d.text);

	doc_open(&d, false);
	for (int i = 0; i < JW_MAX_DEPTH; i++)
		jw_start_array(d.jw);
	for (int i = 0; i < JW_MAX_DEPTH; i++)
		jw_end_array(d.jw);
	ck_assert_int_eq(doc_close(&d), 0);
	free(d.text);
}
END_TEST

static Suite *json_writer_suite(void)
{
	Suite *s = suite_create("json_writer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nesting_roundtrip);
	tcase_add_test(tc, test_control_characters_escaped);
	tcase_add_test(tc, test_embedded_nul_escaped);
	tcase_add_test(tc, test_valid_utf8_preserved);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_pretty_output_parses);
	tcase_add_test(tc, test_misuse_reported);
	tcase_add_test(tc, test_depth_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(json_writer_suite());
}
