// SPDX-License-Identifier: GPL-2.0-or-later
/* Option parsing: global options, command options, and the JSON contract. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "decimal.h"
#include "objects.h"
#include "print.h"
#include "testutil.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

START_TEST(test_global_short_and_long)
{
	char *argv[] = { "vigil", "-j", "--debug", "feature", "probe", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(ARGC(argv), argv, &o, &next, err, sizeof(err)), CLI_OK);
	ck_assert(o.json);
	ck_assert(!o.pretty);
	ck_assert(o.debug);
	ck_assert_int_eq(next, 3);
	ck_assert_str_eq(argv[next], "feature");
}
END_TEST

START_TEST(test_global_pretty_implies_json)
{
	char *argv[] = { "vigil", "--pretty", "version", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(ARGC(argv), argv, &o, &next, err, sizeof(err)), CLI_OK);
	ck_assert(o.json);
	ck_assert(o.pretty);
}
END_TEST

START_TEST(test_global_clustered)
{
	char *argv[] = { "vigil", "-jd", "version", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(ARGC(argv), argv, &o, &next, err, sizeof(err)), CLI_OK);
	ck_assert(o.json && o.debug);
	ck_assert_int_eq(next, 2);
}
END_TEST

START_TEST(test_global_stop_at_object)
{
	/* options after OBJECT belong to the command */
	char *argv[] = { "vigil", "feature", "-p", "probe", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(ARGC(argv), argv, &o, &next, err, sizeof(err)), CLI_OK);
	ck_assert(!o.json && !o.pretty);
	ck_assert_int_eq(next, 1);
}
END_TEST

START_TEST(test_global_unknown_keeps_json)
{
	char *argv[] = { "vigil", "--frobnicate", "-j", "version", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(ARGC(argv), argv, &o, &next, err, sizeof(err)),
			 CLI_USAGE);
	ck_assert_str_eq(err, "unknown option \"--frobnicate\"");
	/* a later -j still selects a JSON error */
	ck_assert(o.json);
}
END_TEST

START_TEST(test_global_unknown_short)
{
	char *argv[] = { "vigil", "-z", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(ARGC(argv), argv, &o, &next, err, sizeof(err)),
			 CLI_USAGE);
	ck_assert_str_eq(err, "unknown option \"-z\"");
}
END_TEST

static const struct option cmd_longopts[] = {
	{ "mount", no_argument, NULL, 'm' },
	{ "path", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 },
};

START_TEST(test_global_timeout)
{
	static const char *const bad[] = { "0", "x", "-1", "86401", "5s", "" };
	char *good[] = { "vigil", "--timeout", "7", "workload", "list", NULL };
	struct global_opts o;
	char err[128];
	int next;

	ck_assert_int_eq(parse_global_opts(5, good, &o, &next, err, sizeof(err)), CLI_OK);
	ck_assert_uint_eq(o.timeout_sec, 7);
	good[1] = "-j";
	ck_assert_int_eq(parse_global_opts(5, good, &o, &next, err, sizeof(err)), CLI_OK);
	ck_assert_uint_eq(o.timeout_sec, VIGIL_CLI_DEFAULT_TIMEOUT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "vigil", "--timeout", (char *)bad[i], "workload", "list", NULL };

		ck_assert_int_eq(parse_global_opts(5, argv, &o, &next, err, sizeof(err)),
				 CLI_USAGE);
		ck_assert_msg(strstr(err, "must be a number of seconds, 1 to 86400"), "%s: %s",
			      bad[i], err);
	}
}
END_TEST

/* A daemon that accepts and never answers: the CLI gives up after --timeout, and says so. */
START_TEST(test_cli_timeout_on_silent_daemon)
{
	char dir[] = "/tmp/vigil-test-timeout-XXXXXX", sock[64];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timespec t0, t1;
	struct cmd_result r;
	double seconds;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/vigil.sock", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_vigil(&r, "-j", "--socket", sock, "--timeout", "1", "workload", "list", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	close(fd);
	unlink(sock);
	rmdir(dir);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "did not answer within 1 s"), "%s", r.out);
	ck_assert_msg(seconds < 5, "gave up after %.1f s", seconds);
	cmd_result_free(&r);
}
END_TEST

/* Numbers of the command line: whole, or with a few decimals in fixed point. */
START_TEST(test_decimal_numbers)
{
	static const struct {
		const char *text;
		unsigned int decimals;
		unsigned long min, max;
		int ret;
		unsigned long value;
	} cases[] = {
		{ "5", 0, 0, 10, 0, 5 },
		{ "5", 3, 0, 10000, 0, 5000 },
		{ "0.25", 3, 0, 10000, 0, 250 },
		{ "1.5", 1, 0, 100, 0, 15 },
		{ "0.001", 3, 0, 10000, 0, 1 },
		{ "0.0001", 3, 0, 10000, -EINVAL, 0 },
		{ "1.5", 0, 0, 10, -EINVAL, 0 },
		{ ".5", 3, 0, 10000, -EINVAL, 0 },
		{ "5.", 3, 0, 10000, -EINVAL, 0 },
		{ "1.2.3", 3, 0, 10000, -EINVAL, 0 },
		{ "-1", 3, 0, 10000, -EINVAL, 0 },
		{ " 1", 3, 0, 10000, -EINVAL, 0 },
		{ "1s", 3, 0, 10000, -EINVAL, 0 },
		{ "", 3, 0, 10000, -EINVAL, 0 },
		{ "0.05", 3, 100, 10000, -ERANGE, 0 },
		{ "11", 3, 100, 10000, -ERANGE, 0 },
		{ "99999999999999999999", 0, 0, 10, -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long v = 0;
		int r = vigil_parse_fixed(cases[i].text, cases[i].decimals, cases[i].min,
					  cases[i].max, &v);

		ck_assert_msg(r == cases[i].ret, "\"%s\" (%u decimals): %d, want %d", cases[i].text,
			      cases[i].decimals, r, cases[i].ret);
		if (!r)
			ck_assert_uint_eq(v, cases[i].value);
	}
}
END_TEST

START_TEST(test_cmd_getopt_values)
{
	char *argv[] = { "probe", "--mount", "--path", "/x", "-h", NULL };
	bool mount = false, help = false;
	const char *path = NULL;
	int c;

	output_init(false, false);
	optind = 0;
	while ((c = cmd_getopt(ARGC(argv), argv, "vigil t probe", "vigil t help", "h",
			       cmd_longopts)) != -1) {
		if (c == 'm')
			mount = true;
		else if (c == 'P')
			path = optarg;
		else if (c == 'h')
			help = true;
		else
			ck_abort_msg("unexpected option result %d", c);
	}
	ck_assert(mount && help);
	ck_assert_str_eq(path, "/x");
	ck_assert_int_eq(cmd_no_more_args(ARGC(argv), argv, "vigil t probe", "vigil t help"),
			 CLI_OK);
}
END_TEST

/* Runs one command parse in JSON mode and returns the error message. */
static char *cmd_getopt_error(int argc, char **argv)
{
	struct json_object *doc, *v;
	char *text, *msg;
	int c;

	capture_stdout_begin();
	output_init(true, false);
	optind = 0;
	while ((c = cmd_getopt(argc, argv, "vigil t probe", "vigil t help", "h", cmd_longopts)) !=
	       -1) {
		if (c == CMD_OPT_ERROR)
			break;
	}
	if (c == -1)
		cmd_no_more_args(argc, argv, "vigil t probe", "vigil t help");
	ck_assert_int_eq(output_finish(CLI_USAGE), CLI_USAGE);
	text = capture_stdout_end();
	doc = parse_json(text);
	ck_assert_msg(doc != NULL, "not JSON: %s", text);
	ck_assert(json_object_object_get_ex(doc, "error", &v));
	msg = strdup(json_object_get_string(v));
	json_object_put(doc);
	free(text);
	return msg;
}

START_TEST(test_cmd_getopt_errors)
{
	char *missing[] = { "probe", "--path", NULL };
	char *unknown[] = { "probe", "--nope", NULL };
	char *unknown_short[] = { "probe", "-q", NULL };
	char *extra[] = { "probe", "--mount", "leftover", NULL };
	char *msg;

	msg = cmd_getopt_error(ARGC(missing), missing);
	ck_assert_str_eq(msg, "vigil t probe: option \"--path\" needs an argument");
	free(msg);
	msg = cmd_getopt_error(ARGC(unknown), unknown);
	ck_assert_str_eq(msg, "vigil t probe: unknown option \"--nope\"");
	free(msg);
	msg = cmd_getopt_error(ARGC(unknown_short), unknown_short);
	ck_assert_str_eq(msg, "vigil t probe: unknown option \"-q\"");
	free(msg);
	msg = cmd_getopt_error(ARGC(extra), extra);
	ck_assert_str_eq(msg, "vigil t probe: unexpected argument \"leftover\"");
	free(msg);
}
END_TEST

/* With -j, stdout is exactly one JSON document whatever happens. */
START_TEST(test_cli_json_always_one_document)
{
	static const char *const cases[][5] = {
		{ "-j", "version", NULL },
		{ "-p", "version", NULL },
		{ "-j", "help", NULL },
		{ "-j", "feature", "help", NULL },
		{ "-j", "bogus", NULL },
		{ "-j", "feature", NULL },
		{ "-j", "feature", "probe", "--bogus", NULL },
		{ "--bogus", "-j", NULL },
		{ "-j", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *doc, *v;
		struct cmd_result r;

		run_vigil_args(&r, cases[i], 5);
		doc = parse_json(r.out);
		ck_assert_msg(doc != NULL, "case %zu: stdout is not one JSON document: '%s'", i,
			      r.out);
		if (json_object_object_get_ex(doc, "error", &v))
			ck_assert_msg(r.status == CLI_USAGE, "case %zu: error with exit %d", i,
				      r.status);
		else
			ck_assert_msg(r.status == 0, "case %zu: exit %d", i, r.status);
		json_object_put(doc);
		cmd_result_free(&r);
	}
}
END_TEST

START_TEST(test_cli_version_fields)
{
	static const char *const keys[] = { "version",	     "git_commit", "libbpf",
					    "libcryptsetup", "libseccomp", "kernel" };
	struct json_object *doc, *v;
	struct cmd_result r;

	run_vigil(&r, "-j", "version", NULL);
	ck_assert_int_eq(r.status, 0);
	doc = parse_json(r.out);
	ck_assert_ptr_nonnull(doc);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_msg(json_object_object_get_ex(doc, keys[i], &v), "no %s", keys[i]);
		ck_assert_msg(json_object_get_string_len(v) > 0, "empty %s", keys[i]);
	}
	json_object_put(doc);
	cmd_result_free(&r);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *global = tcase_create("global");
	TCase *command = tcase_create("command");
	TCase *cli = tcase_create("cli");

	tcase_add_test(global, test_global_short_and_long);
	tcase_add_test(global, test_global_pretty_implies_json);
	tcase_add_test(global, test_global_clustered);
	tcase_add_test(global, test_global_stop_at_object);
	tcase_add_test(global, test_global_unknown_keeps_json);
	tcase_add_test(global, test_global_unknown_short);
	tcase_add_test(global, test_global_timeout);
	tcase_add_test(command, test_cmd_getopt_values);
	tcase_add_test(command, test_decimal_numbers);
	tcase_add_test(command, test_cmd_getopt_errors);
	tcase_add_test(cli, test_cli_json_always_one_document);
	tcase_add_test(cli, test_cli_version_fields);
	tcase_add_test(cli, test_cli_timeout_on_silent_daemon);
	suite_add_tcase(s, global);
	suite_add_tcase(s, command);
	suite_add_tcase(s, cli);
	return s;
}

int main(void)
{
	return run_suite(options_suite());
}
