// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bad input to the real vigild, straight onto its control socket as a
 * hostile client would send it (bytes the CLI would never produce): each
 * request gets one JSON error naming the field or the command, vigild stays
 * up, and nothing changes: the workloads, their records in the state
 * directory, and vigild's log, which never carries a client's raw bytes.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/* deeper than json-c's default nesting limit (32) */
#define DEEP8 "[[[[[[[["
#define DEEP  DEEP8 DEEP8 DEEP8 DEEP8 DEEP8 "1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"

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
	/* every spec field's rules, through the daemon */
	{ CREATE("\"id\":\"v1\",\"owner\":\"t\",\"vcpus\":0,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "workload \"v1\": vcpus must be between 1 and" },
	{ CREATE("\"id\":\"v2\",\"owner\":\"t\",\"vcpus\":100000,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "workload \"v2\": vcpus must be between 1 and" },
	{ CREATE("\"id\":\"v3\",\"owner\":\"t\",\"vcpus\":\"2\",\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "workload \"v3\": vcpus" },
	{ CREATE("\"id\":\"v4\",\"owner\":\"t\",\"vcpus\":1e400,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "vcpus" },
	{ CREATE("\"id\":\"m1\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":1,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "workload \"m1\": memory_mib must be between 64 and 1048576" },
	{ CREATE("\"id\":\"m2\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":2000000,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "workload \"m2\": memory_mib must be between 64 and 1048576" },
	{ CREATE("\"id\":\"m3\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64.5,"
		 "\"command\":[\"sleep\",\"1\"]"),
	  0, "workload \"m3\": memory_mib" },
	{ CREATE("\"id\":\"m4\",\"owner\":\"t\",\"vcpus\":1,\"command\":[\"sleep\",\"1\"]"), 0,
	  "workload \"m4\": memory_mib is required" },
	{ CREATE("\"id\":\"c2\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,\"command\":[]"), 0,
	  "workload \"c2\": command must have 1 to" },
	{ CREATE("\"id\":\"c3\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":\"sleep 1\""),
	  0, "workload \"c3\": command must be an array of strings" },
	{ CREATE("\"id\":\"c4\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,\"command\":[1]"), 0,
	  "workload \"c4\": command[0] must be a non-empty string" },
	{ CREATE("\"id\":\"c5\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"\",\"x\"]"),
	  0, "workload \"c5\": command[0] must be a non-empty string" },
	{ CREATE("\"id\":\"c6\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64"), 0,
	  "workload \"c6\": command is required" },
	{ CREATE("\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"sleep\"]"), 0,
	  "workload spec: id is required" },
	{ CREATE("\"id\":7," SPEC_BASE), 0, "workload spec: id must be a string" },
	{ CREATE("\"id\":\"\"," SPEC_BASE), 0, "invalid id \"\"" },
	{ CREATE("\"id\":\"abcdefghijklmnopqrstuvwxyz0123456\"," SPEC_BASE), 0,
	  "invalid id \"abcdefghijklmnopqrstuvwxyz0123456\"" },
	{ CREATE("\"id\":\"-a\"," SPEC_BASE), 0, "invalid id \"-a\"" },
	{ CREATE("\"id\":\"o3\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"sleep\"]"), 0,
	  "workload \"o3\": owner is required" },
	{ CREATE("\"id\":\"o4\",\"owner\":\"\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"]"),
	  0, "workload \"o4\": owner must be 1 to" },
	{ CREATE("\"id\":\"o5\",\"owner\":[],\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"]"),
	  0, "workload \"o5\": owner must be a string" },
	{ "{\"cmd\":\"create\",\"spec\":[1]}", 0, "must be a JSON object" },
	{ "{\"cmd\":\"create\",\"spec\":\"{}\"}", 0, "must be a JSON object" },
	{ CREATE("\"id\":\"n2\"," SPEC_BASE ",\"network\":{\"mode\":\"bridge\"}"), 0,
	  "workload \"n2\": network.mode must be \"veth\" or \"tap\"" },
	{ CREATE("\"id\":\"n3\"," SPEC_BASE ",\"network\":[]"), 0,
	  "workload \"n3\": network must be an object" },
	{ CREATE("\"id\":\"n4\"," SPEC_BASE ",\"network\":{\"mode\":\"veth\",\"ipv4\":"
		 "\"300.1.1.1/30\",\"host_ipv4\":\"198.18.0.1/30\"}"),
	  0, "workload \"n4\": network.ipv4 must be an IPv4 address" },
	{ CREATE("\"id\":\"n5\"," SPEC_BASE ",\"network\":{\"mode\":\"veth\","
		 "\"ipv4\":\"198.18.0.2/30\"}"),
	  0, "workload \"n5\": network.host_ipv4 is required" },
	{ VETH("\"inbound\":[0]"), 0, "network.inbound[0]: port must be 1 to 65535" },
	{ VETH("\"inbound\":[65536]"), 0, "network.inbound[0]: port must be 1 to 65535" },
	{ VETH("\"inbound\":[\"tcp/x\"]"), 0,
	  "network.inbound[0] must be a port number, \"tcp/PORT\" or \"udp/PORT\"" },
	{ VETH("\"inbound\":[\"sctp/80\"]"), 0, "network.inbound[0] must be a port number" },
	{ VETH("\"inbound_from\":[7]"), 0, "network.inbound_from[0] must be a string" },
	{ VETH("\"egress_to\":[" ENTRIES_64 ",\"x\"]"), 0,
	  "network.egress_to has 65 entries, at most 64" },
	{ VETH("\"egress_to\":[]"), 0, "workload \"n1\": network.egress_to is empty" },
	{ VETH("\"egress_to\":[\"198.18.7.1/24\"]"), 0,
	  "workload \"n1\": egress_to \"198.18.7.1/24\": not an IPv4 or IPv6 prefix" },
	{ VETH("\"inbound\":{}"), 0, "network.inbound must be an array" },
	{ CREATE("\"id\":\"j1\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":{\"enabled\":\"yes\"}"),
	  0, "jail.enabled must be true or false" },
	{ CREATE("\"id\":\"j2\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":{\"seccomp_mode\":\"warn\"}"),
	  0, "jail.seccomp_mode must be \"kill\" or \"log\"" },
	{ CREATE("\"id\":\"j3\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":{\"ro_paths\":[\"relative\"]}"),
	  0, "jail.ro_paths[0] must be an absolute, normalized path" },
	{ CREATE("\"id\":\"j3b\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":{\"rw_paths\":[\"/srv/a\\nb\"]}"),
	  0,
	  "jail.rw_paths[0] must be an absolute, normalized path (no \".\", \"..\", \"//\", "
	  "trailing \"/\" or control character)" },
	{ CREATE("\"id\":\"j4\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":{\"devices\":\"tun\"}"),
	  0, "jail.devices must be an array" },
	{ CREATE("\"id\":\"j5\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":{\"chroot\":\"/\"}"),
	  0, "unknown field \"jail.chroot\"" },
	{ CREATE("\"id\":\"j6\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\"],\"jail\":[]"),
	  0, "jail must be an object" },
	{ CREATE("\"id\":\"u1\"," SPEC_BASE ",\"volume\":{\"size_mib\":0}"), 0,
	  "workload \"u1\": volume.size_mib must be between 1 and" },
	{ CREATE("\"id\":\"u2\"," SPEC_BASE ",\"volume\":7"), 0,
	  "workload \"u2\": volume must be an object" },
	{ CREATE("\"id\":\"s1\"," SPEC_BASE ",\"stop\":[]"), 0,
	  "workload \"s1\": stop must be an object" },
	{ CREATE("\"id\":\"s2\"," SPEC_BASE ",\"stop\":{\"method\":\"acpi\"}"), 0,
	  "workload \"s2\": stop.method must be \"qmp\" or \"signal\"" },
	{ CREATE("\"id\":\"s3\"," SPEC_BASE ",\"stop\":{\"method\":\"qmp\"}"), 0,
	  "workload \"s3\": stop.method \"qmp\" needs the QMP socket in the command" },
	{ CREATE("\"id\":\"s4\"," SPEC_BASE ",\"stop\":{\"signal\":\"SIGKILL\"}"), 0,
	  "workload \"s4\": stop.signal must be one of SIGTERM," },
	{ CREATE("\"id\":\"s5\"," SPEC_BASE ",\"stop\":{\"timeout_s\":0}"), 0,
	  "workload \"s5\": stop.timeout_s must be between 1 and 3600" },
	{ CREATE("\"id\":\"s6\"," SPEC_BASE ",\"stop\":{\"after\":1}"), 0,
	  "workload \"s6\": unknown field \"stop.after\"" },
	{ CREATE("\"id\":\"r1\"," SPEC_BASE ",\"restart\":\"always\""), 0,
	  "workload \"r1\": restart must be \"no\" or \"on-failure\"" },
	{ CREATE("\"id\":\"q1\",\"owner\":\"t\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"qemu\",\"-qmp\",\"unix:{qmp},server=on\"],"
		 "\"jail\":{\"enabled\":false}"),
	  0, "workload \"q1\": \"{qmp}\" is the QMP socket in the jail's runtime directory" },
	{ CREATE("\"id\":\"keep\"," SPEC_BASE), 0, "workload \"keep\"" },
	{ "{\"cmd\":\"delete\",\"id\":\"ghost\"}", 0, "workload \"ghost\" does not exist" },
	{ "{\"cmd\":\"start\",\"id\":\"ghost\"}", 0, "workload \"ghost\" does not exist" },
	{ "{\"cmd\":\"stop\",\"id\":\"keep\"}", 0, "workload \"keep\" is not running" },
	{ "{\"cmd\":\"list\",\"cmd\":\"frob\"}", 0, "unknown request \"frob\"" },
	{ "{\"cmd\":\"list\",\"x\":" DEEP "}", 0, "malformed JSON" },
	{ "{\"cmd\":\"list\"}\x01", 0, "malformed JSON at line 1, column 15" },
	{ "\xef\xbb\xbf{\"cmd\":\"list\"}", 0, "malformed JSON at line 1, column 1" },
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
	char *before, *after, *reply, *log, *report = NULL;
	size_t report_len = 0, n_mismatches = 0;
	struct json_object *doc, *err;
	FILE *mismatches;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_create_ok("keep", "[\"sleep\",\"100\"]");
	before = snapshot();
	/* every mismatch at once, so one run shows them all */
	mismatches = open_memstream(&report, &report_len);
	ck_assert_ptr_nonnull(mismatches);
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		const struct bad_request *b = &bad_requests[i];
		size_t len = b->len ? b->len : strlen(b->text);

		reply = send_raw(b->text, len);
		doc = parse_json(reply);
		if (!doc || !json_object_object_get_ex(doc, "error", &err) ||
		    !strstr(json_object_get_string(err), b->error)) {
			fprintf(mismatches, "request %zu: expected an error with \"%s\", got %s\n",
				i, b->error, reply);
			n_mismatches++;
		}
		json_object_put(doc);
		free(reply);
		ck_assert_msg(vf_vigild_up(), "vigild is gone after request %zu", i);
	}
	fclose(mismatches);
	ck_assert_msg(n_mismatches == 0, "%zu of %zu requests:\n%s", n_mismatches,
		      sizeof(bad_requests) / sizeof(bad_requests[0]), report);
	free(report);
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

/* The state the record of workload `id` on disk says. */
static char *recorded_state(const char *id)
{
	char path[PATH_MAX + 64], *text, *state;
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/workloads/%s.json", vf.state, id);
	text = read_file(path);
	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	o = parse_json(text);
	ck_assert_ptr_nonnull(o);
	state = strdup(vf_jstr(o, "state"));
	json_object_put(o);
	free(text);
	return state;
}

/* `cmd` of workload "full" fails with `error`, and vigild still shows it created. */
static void refused_leaving_created(const char *cmd, const char *error)
{
	struct json_object *o;
	int status;

	o = vf_wl_cmd(&status, cmd, "full");
	ck_assert_int_eq(status, 1);
	ck_assert_msg(strstr(vf_jstr(o, "error"), error), "%s", json_object_to_json_string(o));
	json_object_put(o);
	o = vf_show("full");
	ck_assert_str_eq(vf_state_of(o), "created");
	json_object_put(o);
}

/*
 * A delete refused because the state disk is full changes nothing: the
 * daemon and the record on disk both still say what they said, and the
 * delete works once there is room again.
 */
START_TEST(test_delete_on_a_full_disk)
{
	char filler[PATH_MAX + 16], chunk[65536] = { 0 }, *state, *text, err[512];
	char procs[PATH_MAX + 64];
	struct json_object *o;
	int fd, status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_create_ok("full", "[\"sleep\",\"100\"]");
	snprintf(filler, sizeof(filler), "%s/filler", vf.state);
	fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);

	refused_leaving_created("delete", "recording its delete: No space left on device");
	state = recorded_state("full");
	ck_assert_str_eq(state, "created");
	free(state);

	/* a start that cannot be recorded does not run: its process is killed, nothing changes */
	refused_leaving_created("start", "recording its start: No space left on device");
	snprintf(procs, sizeof(procs), "%s/full/cgroup.procs", vf.parent);
	text = read_file(procs);
	ck_assert_msg(text && !text[0], "processes left in the cgroup of full: %s", text);
	free(text);
	/* a create that cannot write its record leaves no workload, cgroup or slot behind */
	ck_assert_int_ne(vf_create("{\"id\":\"full2\"," SPEC_BASE "}", err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "No space left on device"), "%s", err);
	snprintf(procs, sizeof(procs), "%s/full2", vf.parent);
	ck_assert_int_ne(access(procs, F_OK), 0);
	o = vf_wl_cmd(&status, "show", "full2");
	ck_assert_int_eq(status, 1);
	json_object_put(o);

	/* with room again it is deleted (its record goes once its final ledger record is durable) */
	ck_assert_int_eq(unlink(filler), 0);
	o = vf_wl_cmd(&status, "delete", "full");
	ck_assert_msg(status == 0, "%s", json_object_to_json_string(o));
	ck_assert_str_eq(vf_state_of(o), "deleted");
	json_object_put(o);
}
END_TEST

/* The test's end of journald's native socket, bound in vigild's own mount namespace. */
static int journal_sock = -1;

/*
 * In vigild's process, before it runs: a mount namespace whose /run is a
 * tmpfs holding the test's socket as /run/systemd/journal/socket, and
 * JOURNAL_STREAM naming its stderr, as systemd sets both for a service.
 */
static void as_a_journald_service(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX,
				    .sun_path = "/run/systemd/journal/socket" };
	char stream[64];
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
	    mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/journal", 0755) < 0 ||
	    bind(journal_sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    fstat(STDERR_FILENO, &st) < 0)
		_exit(126);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
}

static void make_env_journal(void)
{
	journal_sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (journal_sock < 0)
		abort();
	vf.before_exec = as_a_journald_service;
	vf_make_env();
}

static void remove_env_journal(void)
{
	vf_remove_env();
	vf.before_exec = NULL;
	close(journal_sock);
}

/* One entry of the native protocol: its fields, `NAME=value` or NAME\n<le64 len><bytes>\n. */
static bool journal_field(const char *entry, size_t len, const char *name, char *value,
			  size_t value_len)
{
	size_t name_len = strlen(name);

	for (size_t at = 0; at < len;) {
		const char *line = entry + at, *eol = memchr(line, '\n', len - at);
		size_t field_len = eol ? (size_t)(eol - line) : len - at;
		const char *eq = memchr(line, '=', field_len);
		uint64_t blen;

		if (eq) {
			if ((size_t)(eq - line) == name_len && !memcmp(line, name, name_len)) {
				snprintf(value, value_len, "%.*s", (int)(field_len - name_len - 1),
					 eq + 1);
				return true;
			}
			at += field_len + 1;
			continue;
		}
		/* binary: the name, its length, the value and a newline */
		ck_assert_uint_le(at + field_len + 1 + 8, len);
		memcpy(&blen, eol + 1, 8);
		blen = le64toh(blen);
		if (field_len == name_len && !memcmp(line, name, name_len)) {
			snprintf(value, value_len, "%.*s", (int)blen, eol + 9);
			return true;
		}
		at += field_len + 1 + 8 + blen + 1;
	}
	return false;
}

/*
 * Run as systemd runs it, vigild writes its log to journald's native socket:
 * every entry with its priority and identifier, a workload's with the
 * workload's id as the field VIGIL_WORKLOAD, and nothing to stderr.
 */
START_TEST(test_journal_fields)
{
	char entry[8192], msg[4096], value[256], id[64], *log;
	int status, with_field = 0, entries = 0;
	struct json_object *o;
	bool refusal = false, exit_line = false;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "jn");
	snprintf(msg, sizeof(msg), "{\"id\":\"%s\"," SPEC_BASE "}", id);
	ck_assert_int_eq(vf_create(msg, NULL, 0), 0);
	ck_assert_int_ne(vf_create(msg, NULL, 0), 0);
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	o = vf_wl_cmd(&status, "stop", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	for (int tries = 0; tries < 100; tries++) {
		ssize_t n = recv(journal_sock, entry, sizeof(entry), 0);

		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			if (refusal && exit_line)
				break;
			usleep(20 * 1000);
			continue;
		}
		entries++;
		ck_assert_msg(journal_field(entry, (size_t)n, "PRIORITY", value, sizeof(value)) &&
				      value[0] >= '3' && value[0] <= '7' && !value[1],
			      "an entry without a priority: %.*s", (int)n, entry);
		ck_assert(
			journal_field(entry, (size_t)n, "SYSLOG_IDENTIFIER", value, sizeof(value)));
		ck_assert_str_eq(value, "vigild");
		ck_assert(journal_field(entry, (size_t)n, "MESSAGE", msg, sizeof(msg)));
		if (!journal_field(entry, (size_t)n, "VIGIL_WORKLOAD", value, sizeof(value)))
			continue;
		with_field++;
		ck_assert_str_eq(value, id);
		ck_assert_msg(strstr(msg, id), "entry of %s not naming it: %s", id, msg);
		refusal |= strstr(msg, "already exists") != NULL;
		exit_line |= strstr(msg, "killed by SIGTERM") != NULL;
	}
	printf("journal: %d entries, %d of workload %s\n", entries, with_field, id);
	ck_assert_msg(refusal, "no entry for the refused create of %s", id);
	ck_assert_msg(exit_line, "no entry for the exit of %s", id);
	log = read_file(vf.log_path);
	ck_assert_msg(!log || !log[0], "vigild wrote to stderr beside the journal: %s", log);
	free(log);
}
END_TEST

static void make_env_small_disk(void)
{
	vf.state_tmpfs_mib = 16;
	vf_make_env();
}

static void remove_env_small_disk(void)
{
	vf_remove_env();
	vf.state_tmpfs_mib = 0;
}

int main(void)
{
	Suite *s = suite_create("vigild_input");

	vf.suite = "input";
	vf_require("vigild_input");
	vf.extra_args[0] = "--allow-unjailed";
	vf_add_case(s, "bad_requests", test_bad_requests_refused_and_change_nothing, vf_make_env,
		    vf_remove_env);
	vf_add_case(s, "full_disk", test_delete_on_a_full_disk, make_env_small_disk,
		    remove_env_small_disk);
	vf_add_case(s, "journal", test_journal_fields, make_env_journal, remove_env_journal);
	return run_suite(s);
}
