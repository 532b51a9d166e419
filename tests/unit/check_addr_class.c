// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The address classes (addr_class.c): one table that both the nft deny sets
 * and the meters' private prefixes come from, so that whatever a workload
 * is denied is private. check_meter_net checks that the meters load every
 * class.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr_class.h"
#include "cidr.h"
#include "nft_internal.h"
#include "testutil.h"

static struct vigil_cidr parsed(const char *text)
{
	struct vigil_cidr c;

	ck_assert_msg(vigil_cidr_parse_as(text, VIGIL_CIDR_NETWORK, &c) == 0,
		      "\"%s\" is no network", text);
	return c;
}

static bool within(const struct vigil_cidr *inner, const struct vigil_cidr *outer)
{
	return inner->prefixlen >= outer->prefixlen && vigil_cidr_overlap(inner, outer);
}

/* Whether `prefix` is inside a class: a private destination, to the meters. */
static bool private(const char *prefix)
{
	struct vigil_cidr c = parsed(prefix);
	size_t n;
	const struct vigil_addr_class *classes = vigil_addr_classes(&n);

	for (size_t i = 0; i < n; i++) {
		struct vigil_cidr class = parsed(classes[i].prefix);

		if (within(&c, &class))
			return true;
	}
	return false;
}

START_TEST(test_table)
{
	size_t n, denied = 0;
	const struct vigil_addr_class *classes = vigil_addr_classes(&n);

	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		struct vigil_cidr c = parsed(classes[i].prefix);

		ck_assert_msg(classes[i].why && classes[i].why[0], "%s: no why", classes[i].prefix);
		ck_assert_ptr_eq(vigil_addr_class_of(classes[i].prefix), &classes[i]);
		/* no two overlap: each address has one class */
		for (size_t j = 0; j < i; j++) {
			struct vigil_cidr other = parsed(classes[j].prefix);

			ck_assert_msg(!vigil_cidr_overlap(&c, &other), "%s overlaps %s",
				      classes[i].prefix, classes[j].prefix);
		}
		denied += classes[i].denied;
	}
	ck_assert_uint_gt(denied, 0);
	ck_assert_uint_lt(denied, n);
	ck_assert_ptr_null(vigil_addr_class_of("198.18.0.0/15"));
	ck_assert_str_eq(vigil_addr_class_of("fec0::/10")->why,
			 "site-local, deprecated but routed within sites (RFC 3879)");
}
END_TEST

/* The prefixes of the deny sets' element commands, each a NUL-ended string in *ret. */
static size_t deny_elements(const struct vigil_nft_opts *opts, char ***ret)
{
	struct vigil_strbuf b;
	char *text, *line, *save = NULL, **out = NULL;
	size_t n = 0;

	vigil_strbuf_init(&b);
	nft_deny_cmds(&b, opts);
	ck_assert_int_eq(vigil_strbuf_error(&b), 0);
	text = vigil_strbuf_steal(&b, NULL);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *open = strchr(line, '{'), *close = strrchr(line, '}'), *p, *s2 = NULL;

		if (strncmp(line, "add element ", 12))
			continue;
		ck_assert_msg(open && close, "%s", line);
		*close = '\0';
		for (p = strtok_r(open + 1, ", ", &s2); p; p = strtok_r(NULL, ", ", &s2)) {
			out = realloc(out, (n + 1) * sizeof(*out));
			ck_assert_ptr_nonnull(out);
			out[n] = strdup(p);
			ck_assert_ptr_nonnull(out[n++]);
		}
	}
	free(text);
	*ret = out;
	return n;
}

static void free_elements(char **e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i]);
	free(e);
}

static bool listed(char **e, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i], prefix))
			return true;
	return false;
}

/* What the nft deny sets get by default is the table's denied classes, and private. */
START_TEST(test_denied_is_private)
{
	static const char *const extra[] = { "198.51.100.0/24", "2001:db8::/32" };
	struct vigil_nft_opts opts = { 0 };
	size_t n, n_classes, n_denied = 0;
	const struct vigil_addr_class *classes = vigil_addr_classes(&n_classes);
	char **e;

	n = deny_elements(&opts, &e);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(private(e[i]), "%s is denied, but not private", e[i]);
	for (size_t i = 0; i < n_classes; i++) {
		ck_assert_msg(listed(e, n, classes[i].prefix) == classes[i].denied,
			      "%s: denied %d in the table, not in the sets", classes[i].prefix,
			      classes[i].denied);
		n_denied += classes[i].denied;
	}
	ck_assert_uint_eq(n, n_denied);
	ck_assert(listed(e, n, "fec0::/10"));
	ck_assert(listed(e, n, "169.254.0.0/16"));
	free_elements(e, n);

	/* vigild's own prefixes come after the classes, in either family's set */
	opts.deny = extra;
	opts.n_deny = 2;
	n = deny_elements(&opts, &e);
	ck_assert_uint_eq(n, n_denied + 2);
	ck_assert(listed(e, n, extra[0]) && listed(e, n, extra[1]));
	free_elements(e, n);

	/* without the defaults: those alone, and nothing at all without them */
	opts.no_default_deny = true;
	n = deny_elements(&opts, &e);
	ck_assert_uint_eq(n, 2);
	free_elements(e, n);
	opts.n_deny = 0;
	n = deny_elements(&opts, &e);
	ck_assert_uint_eq(n, 0);
	free_elements(e, n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("addr_class");
	TCase *tc = tcase_create("classes");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_denied_is_private);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
