// SPDX-License-Identifier: GPL-2.0-or-later
/* The command dispatcher: prefix matching, ambiguity, help and bad input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "print.h"
#include "testutil.h"

static int last_called;
static int last_argc;
static char *last_argv0;

static int record_call(int id, int argc, char **argv)
{
	last_called = id;
	last_argc = argc;
	last_argv0 = argv[0];
	return CLI_OK;
}

static int do_prog(int argc, char **argv)
{
	return record_call(1, argc, argv);
}

static int do_probe(int argc, char **argv)
{
	return record_call(2, argc, argv);
}

static int do_pin(int argc, char **argv)
{
	return record_call(3, argc, argv);
}

static int do_show(int argc, char **argv)
{
	return record_call(4, argc, argv);
}

static int do_showmore(int argc, char **argv)
{
	return record_call(5, argc, argv);
}

static const struct cmd table[] = {
	{ "prog", do_prog }, { "probe", do_probe },	  { "pin", do_pin },
	{ "show", do_show }, { "showmore", do_showmore }, { NULL, NULL },
};

START_TEST(test_lookup_exact)
{
	ck_assert_int_eq(cmd_lookup(table, "prog", NULL, 0), 0);
	ck_assert_int_eq(cmd_lookup(table, "pin", NULL, 0), 2);
}
END_TEST

START_TEST(test_lookup_unique_prefix)
{
	ck_assert_int_eq(cmd_lookup(table, "pi", NULL, 0), 2);
	ck_assert_int_eq(cmd_lookup(table, "prog", NULL, 0), 0);
	ck_assert_int_eq(cmd_lookup(table, "prob", NULL, 0), 1);
	ck_assert_int_eq(cmd_lookup(table, "showm", NULL, 0), 4);
}
END_TEST

START_TEST(test_lookup_exact_beats_longer_names)
{
	/* "show" is also a prefix of "showmore" */
	ck_assert_int_eq(cmd_lookup(table, "show", NULL, 0), 3);
}
END_TEST

START_TEST(test_lookup_ambiguous_names_candidates)
{
	char candidates[128];

	ck_assert_int_eq(cmd_lookup(table, "pr", candidates, sizeof(candidates)), -EINVAL);
	ck_assert_str_eq(candidates, "\"prog\", \"probe\"");
	ck_assert_int_eq(cmd_lookup(table, "p", candidates, sizeof(candidates)), -EINVAL);
	ck_assert_str_eq(candidates, "\"prog\", \"probe\", \"pin\"");
	ck_assert_int_eq(cmd_lookup(table, "sh", candidates, sizeof(candidates)), -EINVAL);
}
END_TEST

START_TEST(test_lookup_unknown_and_empty)
{
	ck_assert_int_eq(cmd_lookup(table, "x", NULL, 0), -ENOENT);
	ck_assert_int_eq(cmd_lookup(table, "progs", NULL, 0), -ENOENT);
	ck_assert_int_eq(cmd_lookup(table, "", NULL, 0), -ENOENT);
}
END_TEST

START_TEST(test_dispatch_passes_own_word)
{
	char *argv[] = { "prob", "--flag", "arg", NULL };

	output_init(false, false);
	ck_assert_int_eq(cmd_dispatch(table, "vigil thing", "command", 3, argv), CLI_OK);
	ck_assert_int_eq(last_called, 2);
	ck_assert_int_eq(last_argc, 3);
	ck_assert_str_eq(last_argv0, "prob");
}
END_TEST

/* Dispatches in JSON mode and returns the error document written to stdout. */
static struct json_object *dispatch_json_error(int argc, char **argv, int *ret_status)
{
	struct json_object *doc;
	char *text;

	capture_stdout_begin();
	output_init(true, false);
	*ret_status = output_finish(cmd_dispatch(table, "vigil thing", "command", argc, argv));
	text = capture_stdout_end();
	doc = parse_json(text);
	ck_assert_msg(doc != NULL, "not one JSON document: %s", text);
	free(text);
	return doc;
}

START_TEST(test_dispatch_ambiguous_is_usage_error)
{
	char *argv[] = { "pr", NULL };
	struct json_object *doc, *v;
	int status;

	last_called = 0;
	doc = dispatch_json_error(1, argv, &status);
	ck_assert_int_eq(status, CLI_USAGE);
	ck_assert_int_eq(last_called, 0);
	ck_assert(json_object_object_get_ex(doc, "error", &v));
	ck_assert_str_eq(json_object_get_string(v),
			 "vigil thing: \"pr\" is ambiguous: could be \"prog\", \"probe\"");
	ck_assert(json_object_object_get_ex(doc, "hint", &v));
	ck_assert_str_eq(json_object_get_string(v), "vigil thing help");
	json_object_put(doc);
}
END_TEST

START_TEST(test_dispatch_unknown_and_missing)
{
	char *argv[] = { "bogus", NULL };
	struct json_object *doc, *v;
	int status;

	doc = dispatch_json_error(1, argv, &status);
	ck_assert_int_eq(status, CLI_USAGE);
	ck_assert(json_object_object_get_ex(doc, "error", &v));
	ck_assert_str_eq(json_object_get_string(v), "vigil thing: unknown command \"bogus\"");
	json_object_put(doc);

	doc = dispatch_json_error(0, argv, &status);
	ck_assert_int_eq(status, CLI_USAGE);
	ck_assert(json_object_object_get_ex(doc, "error", &v));
	ck_assert_str_eq(json_object_get_string(v), "vigil thing: missing command");
	json_object_put(doc);
}
END_TEST

/* The real binary: help at every level, prefixes, and errors. */
START_TEST(test_cli_prefixes_and_help)
{
	struct cmd_result r;

	run_vigil(&r, "feat", "help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "vigil feature probe"));
	cmd_result_free(&r);

	run_vigil(&r, "f", "h", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: vigil feature"));
	cmd_result_free(&r);

	run_vigil(&r, "help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(
		r.out,
		"OBJECT := { feature | workload | usage | prog | map | net | volume | ledger | top }"));
	cmd_result_free(&r);

	/* every object has help, reached by its shortest prefix */
	for (size_t i = 0; i < 3; i++) {
		static const char *const objects[][2] = {
			{ "u", "Usage: vigil usage show" },
			{ "pr", "Usage: vigil prog show" },
			{ "m", "Usage: vigil map show" },
		};

		run_vigil(&r, objects[i][0], "help", NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_nonnull(strstr(r.out, objects[i][1]));
		cmd_result_free(&r);
	}

	run_vigil(&r, "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: vigil"));
	cmd_result_free(&r);

	run_vigil(&r, "feature", "probe", "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--load-modules"));
	cmd_result_free(&r);
}
END_TEST

START_TEST(test_cli_usage_errors)
{
	static const char *const cases[][4] = {
		{ "bogus", NULL },
		{ "feature", NULL },
		{ "feature", "bogus", NULL },
		{ "feature", "probe", "extra", NULL },
		{ "feature", "probe", "--bogus", NULL },
		{ "feature", "probe", "--bpffs", NULL },
		{ "feature", "probe", "--bpffs", "relative" },
		{ "version", "extra", NULL },
		{ "help", "extra", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cmd_result r;

		run_vigil_args(&r, cases[i], 4);
		ck_assert_msg(r.status == CLI_USAGE, "case %zu (%s ...): exit %d", i, cases[i][0],
			      r.status);
		ck_assert_msg(strncmp(r.err, "Error: ", 7) == 0, "case %zu: stderr %s", i, r.err);
		ck_assert_msg(strstr(r.err, "\nTry 'vigil") != NULL, "case %zu: no hint: %s", i,
			      r.err);
		ck_assert_str_eq(r.out, "");
		cmd_result_free(&r);
	}
}
END_TEST

/* Help reads the same however it is asked for, at every object and in its commands. */
START_TEST(test_cli_help_everywhere)
{
	static const char *const objects[][2] = {
		{ "feature", "probe" }, { "workload", "create" }, { "usage", "show" },
		{ "prog", "show" },	{ "map", "dump" },	  { "net", "show" },
		{ "volume", "create" }, { "ledger", "show" },	  { "top", NULL },
		{ "version", NULL },
	};

	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		const char *obj = objects[i][0], *cmd = objects[i][1];
		const char *const forms[][4] = {
			{ "help", obj, NULL },	      { obj, "-h", NULL },
			{ obj, "--help", NULL },      { obj, "help", NULL },
			{ obj, cmd, "--help", NULL }, { obj, cmd, "-h", NULL },
		};
		char *first = NULL;

		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			struct cmd_result r;

			/* top and version have no commands; version takes no words at all */
			if ((!cmd && f >= 4) || (f == 3 && strcmp(obj, "version") == 0))
				continue;
			run_vigil_args(&r, forms[f], 4);
			ck_assert_msg(r.status == 0, "vigil %s %s %s: exit %d: %s", forms[f][0],
				      forms[f][1], forms[f][2] ? forms[f][2] : "", r.status, r.err);
			ck_assert_msg(strncmp(r.out, "Usage: vigil ", 13) == 0, "%s form %zu: %s",
				      obj, f, r.out);
			if (!first)
				first = strdup(r.out);
			else
				ck_assert_msg(strcmp(first, r.out) == 0,
					      "%s: form %zu's help differs from the first", obj, f);
			cmd_result_free(&r);
		}
		free(first);
	}
}
END_TEST

/* A slip gets the nearest word; "list" is a verb wherever "show" lists. */
START_TEST(test_cli_did_you_mean_and_list)
{
	static const char *const cases[][3] = {
		{ "worklaod", "vigil: unknown object \"worklaod\" (did you mean \"workload\"?)" },
		{ "volme", "vigil: unknown object \"volme\" (did you mean \"volume\"?)" },
		{ "prog", "lst", "vigil prog: unknown command \"lst\" (did you mean \"list\"?)" },
		{ "ledger", "verfy",
		  "vigil ledger: unknown command \"verfy\" (did you mean \"verify\"?)" },
		{ "xyzzy", "vigil: unknown object \"xyzzy\"\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[3] = { cases[i][0], cases[i][2] ? cases[i][1] : NULL, NULL };
		const char *msg = cases[i][2] ? cases[i][2] : cases[i][1];
		struct cmd_result r;

		run_vigil_args(&r, args, 3);
		ck_assert_int_eq(r.status, CLI_USAGE);
		ck_assert_msg(strstr(r.err, msg), "case %zu: %s", i, r.err);
		cmd_result_free(&r);
	}
	for (size_t i = 0; i < 5; i++) {
		static const char *const objects[] = { "prog", "map", "ledger", "net", "usage" };
		struct cmd_result r;

		/* "l" is "list" alone in each, and dispatches */
		run_vigil(&r, objects[i], "l", "--help", NULL);
		ck_assert_msg(r.status == 0, "%s l --help: %s", objects[i], r.err);
		cmd_result_free(&r);
	}
}
END_TEST

/* With vigild down, and without root, the message says what to do. */
START_TEST(test_cli_daemon_down_and_not_root)
{
	const char *const nobody[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
				       "--clear-groups" };
	static const char *const need_root[][4] = {
		{ "feature", "probe", NULL },
		{ "usage", "show", NULL },
		{ "volume", "list", NULL },
	};
	struct cmd_result r;

	run_vigil(&r, "--socket", "/nonexistent/vigil.sock", "workload", "list", NULL);
	ck_assert_int_eq(r.status, CLI_FAIL);
	ck_assert_msg(strstr(r.err,
			     "vigild is not running: nothing listens on "
			     "/nonexistent/vigil.sock (start it with 'systemctl start vigil', "
			     "or run 'vigild'"),
		      "%s", r.err);
	cmd_result_free(&r);
	if (geteuid() != 0 || access(nobody[0], X_OK) < 0)
		return; /* dropping to nobody needs root and util-linux's setpriv */
	for (size_t i = 0; i < sizeof(need_root) / sizeof(need_root[0]); i++) {
		char *argv[12];
		size_t n = 0;

		for (size_t k = 0; k < 4; k++)
			argv[n++] = (char *)nobody[k];
		argv[n++] = (char *)vigil_bin();
		for (size_t k = 0; need_root[i][k]; k++)
			argv[n++] = (char *)need_root[i][k];
		argv[n] = NULL;
		ck_assert_int_eq(run_cmd(argv, &r), 0);
		ck_assert_int_eq(r.status, CLI_FAIL);
		ck_assert_msg(strstr(r.err, "needs root: ") && strstr(r.err, "run it as root"),
			      "%s %s: %s", need_root[i][0], need_root[i][1], r.err);
		cmd_result_free(&r);
	}
}
END_TEST

static Suite *dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *lookup = tcase_create("lookup");
	TCase *dispatch = tcase_create("dispatch");
	TCase *cli = tcase_create("cli");

	tcase_add_test(lookup, test_lookup_exact);
	tcase_add_test(lookup, test_lookup_unique_prefix);
	tcase_add_test(lookup, test_lookup_exact_beats_longer_names);
	tcase_add_test(lookup, test_lookup_ambiguous_names_candidates);
	tcase_add_test(lookup, test_lookup_unknown_and_empty);
	tcase_add_test(dispatch, test_dispatch_passes_own_word);
	tcase_add_test(dispatch, test_dispatch_ambiguous_is_usage_error);
	tcase_add_test(dispatch, test_dispatch_unknown_and_missing);
	tcase_add_test(cli, test_cli_prefixes_and_help);
	tcase_add_test(cli, test_cli_usage_errors);
	tcase_add_test(cli, test_cli_help_everywhere);
	tcase_add_test(cli, test_cli_did_you_mean_and_list);
	tcase_add_test(cli, test_cli_daemon_down_and_not_root);
	suite_add_tcase(s, lookup);
	suite_add_tcase(s, dispatch);
	suite_add_tcase(s, cli);
	return s;
}

int main(void)
{
	return run_suite(dispatch_suite());
}
