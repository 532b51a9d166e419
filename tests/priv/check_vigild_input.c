// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bad input to the real vigild, straight onto its control socket as a
 * hostile client would send it (bytes the CLI would never produce): each
 * request gets one JSON error naming the field or the command, vigild stays
 * up, and nothing changes: the workloads, their records in the state
 * directory, and vigild's log, which never carries a client's raw bytes.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "vigild_fixture.h"

#define SPEC_BASE                                                                             \
	"\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"sleep\",\"100\"]," \
	"\"jail\":{\"enabled\":false}"
#define CREATE(spec) "{\"cmd\":\"create\",\"spec\":{" spec "}}"
#define VETH(extra)                                                                   \
	CREATE("\"id\":\"n1\"," SPEC_BASE ",\"network\":{\"mode\":\"veth\",\"ipv4\":" \
	       "\"198.18.0.2/30\",\"host_ipv4\":\"198.18.0.1/30\"," extra "}")
#define ENTRIES_8 "\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\""
#define ENTRIES_64                                                                      \
	ENTRIES_8 "," ENTRIES_8 "," ENTRIES_8 "," ENTRIES_8 "," ENTRIES_8 "," ENTRIES_8 \
		  "," ENTRIES_8 "," ENTRIES_8

struct bad_request {
	const char *text;
	/* its length when it holds a NUL byte; 0: strlen */
	size_t len;
	const char *error;
};

static const struct bad_request bad_requests[] = {
	{ "{\"cmd\":\"list\"}\0garbage", 22, "a NUL byte at line 1, column 15 (offset 14)" },
	{ "{\"cmd\":\"list\"", 0, "malformed JSON at line 1" },
	{ "{\"cmd\":\"list\"} {\"cmd\":\"list\"}", 0, "malformed JSON at line 1, column 16" },
	{ "[1,2]", 0, "request: must be a JSON object" },
	{ "", 0, "malformed JSON" },
	{ "{\"cmd\":\"show\",\"id\":\"\xff\"}", 0, "invalid UTF-8 at line 1, column 21" },
	{ "{\"cmd\":\"show\",\"id\":\"\xc0\xaf\"}", 0, "invalid UTF-8" },
	{ "{\"cmd\":\"show\",\"id\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8" },
	{ "{}", 0, "request: \"cmd\" (a string) is required" },
	{ "{\"cmd\":1}", 0, "request: \"cmd\" (a string) is required" },
	{ "{\"cmd\":\"frobnicate\"}", 0, "unknown request \"frobnicate\" (known: list, create," },
	{ "{\"cmd\":\"frobnicate\",\"id\":\"x\"}", 0, "unknown request \"frobnicate\"" },
	{ "{\"cmd\":\"show\"}", 0, "request \"show\": \"id\" (a string) is required" },
	{ "{\"cmd\":\"stop\",\"id\":7}", 0, "request \"stop\": \"id\" (a string) is required" },
	{ "{\"cmd\":\"show\",\"id\":\"a\\u0000b\"}", 0, "id holds a NUL character (U+0000)" },
	{ "{\"cmd\\u0000x\":\"list\"}", 0, "a key holds a NUL character (U+0000) at line 1" },
	{ "{\"cmd\":\"show\",\"id\":\"ghost\"}", 0, "workload \"ghost\" does not exist" },
	{ "{\"cmd\":\"show\",\"id\":\"x\\nvigild: FORGED\"}", 0,
	  "workload \"x\\x0avigild: FORGED\"" },
	{ "{\"cmd\":\"create\"}", 0, "request \"create\": \"spec\" is required" },
	{ CREATE("\"id\":\"a\\u0000b\"," SPEC_BASE), 0, "spec.id holds a NUL character" },
	{ CREATE("\"id\":\"o1\",\"owner\":\"al\\u0000ice\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "spec.owner holds a NUL character" },
	{ CREATE("\"id\":\"c1\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\\u0000\"]"),
	  0, "spec.command[1] holds a NUL character" },
	{ CREATE("\"id\":\"o2\",\"owner\":\"al\\nice\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "owner must be printable ASCII" },
	{ CREATE("\"id\":\"Bad_Id\"," SPEC_BASE), 0, "invalid id \"Bad_Id\": must match" },
	{ CREATE("\"id\":\"k1\"," SPEC_BASE ",\"surprise\":1"), 0, "surprise" },
	{ VETH("\"inbound_from\":[" ENTRIES_64 ",\"x\"]"), 0,
	  "network.inbound_from has 65 entries, at most 64" },
	{ VETH("\"inbound\":[" ENTRIES_64 ",\"x\"]"), 0,
	  "network.inbound has 65 entries, at most 64" },
	{ VETH("\"forwards\":[" ENTRIES_64 ",\"x\"]"), 0,
	  "network.forwards has 65 entries, at most 64" },
};

/* Sends `len` bytes as one request and returns the whole reply (free it). */
static char *send_raw(const char *text, size_t len)
{
	int fd = vf_control_connect();
	char *reply = NULL;
	size_t used = 0;
	ssize_t n;

	ck_assert_int_eq(send(fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	reply = calloc(1, 65536);
	ck_assert_ptr_nonnull(reply);
	while ((n = read(fd, reply + used, 65535 - used)) > 0)
		used += (size_t)n;
	close(fd);
	return reply;
}

/* What must not change: the workloads vigild lists, and its records on disk. */
static char *snapshot(void)
{
	char cmd[PATH_MAX + 64], *text;
	struct json_object *o;
	struct cmd_result r;
	int status;

	o = vf_wl_cmd(&status, "list", NULL);
	ck_assert_int_eq(status, 0);
	/* the ledger's files change with every epoch: not by a request */
	snprintf(
		cmd, sizeof(cmd),
		"cd %s && find . \\( -path ./logs -o -name 'ledger.db*' \\) -prune -o -print | sort",
		vf.state);
	ck_assert_int_eq(run_cmd((char *[]){ "sh", "-c", cmd, NULL }, &r), 0);
	ck_assert_int_ge(asprintf(&text, "%s\n%s", json_object_to_json_string(o), r.out), 0);
	cmd_result_free(&r);
	json_object_put(o);
	return text;
}

START_TEST(test_bad_requests_refused_and_change_nothing)
{
	char *before, *after, *reply, *log;
	struct json_object *doc, *err;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_create_ok("keep", "[\"sleep\",\"100\"]");
	before = snapshot();
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		const struct bad_request *b = &bad_requests[i];
		size_t len = b->len ? b->len : strlen(b->text);

		reply = send_raw(b->text, len);
		doc = parse_json(reply);
		ck_assert_msg(doc, "request %zu: the reply is not one JSON document: %s", i, reply);
		ck_assert_msg(json_object_object_get_ex(doc, "error", &err) &&
				      strstr(json_object_get_string(err), b->error),
			      "request %zu: expected an error with \"%s\", got %s", i, b->error,
			      reply);
		json_object_put(doc);
		free(reply);
		ck_assert_msg(vf_vigild_up(), "vigild is gone after request %zu", i);
	}
	after = snapshot();
	ck_assert_str_eq(after, before);
	/* every line vigild wrote is its own: a client's newline came out escaped */
	log = read_file(vf.log_path);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(!strstr(log, "\nvigild: FORGED"), "a client forged a log line:\n%s", log);
	ck_assert_ptr_nonnull(strstr(log, "x\\x0avigild: FORGED"));
	/* and each carries its syslog priority for journald */
	for (char *line = log, *next; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		ck_assert_msg(line[0] == '<' && line[1] >= '3' && line[1] <= '7' &&
				      strncmp(line + 2, ">vigild: ", 9) == 0,
			      "a log line without its priority: %.*s", (int)(next - line), line);
	}
	ck_assert_ptr_nonnull(strstr(log, "<5>vigild: unknown request \"frobnicate\""));
	printf("vigild_input: %zu bad requests refused, nothing changed\n",
	       sizeof(bad_requests) / sizeof(bad_requests[0]));
	free(log);
	free(before);
	free(after);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vigild_input");

	vf.suite = "input";
	require_root("vigild_input");
	if (vigil_cgroup2_detect(&vf.cg2) < 0) {
		printf("vigild_input: skipped: cgroup v2 is not mounted\n");
		return EXIT_SKIP;
	}
	vf.extra_args[0] = "--allow-unjailed";
	vf_add_case(s, "bad_requests", test_bad_requests_refused_and_change_nothing, vf_make_env,
		    vf_remove_env);
	return run_suite(s);
}
