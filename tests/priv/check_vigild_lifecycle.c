// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A workload's lifecycle under the real vigild: stops through QMP (the
 * suite's own binary, re-executed as the workload, plays the VMM's QMP
 * socket: it obeys, ignores, or is hostile, and vigild falls back to the
 * signal at once and stays responsive), and the restart policy: a failed
 * workload is started again after a back-off that doubles (1 s, 2 s, 4 s)
 * in the same slot with its counters going on, an exit 0 or policy "no" is
 * left alone, a stop or delete during the back-off cancels it, a vigild
 * killed during it resumes it, a run of 10 s starts the back-off over, and
 * a workload that ended while vigild was down is restarted.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake_qmp.h"
#include "testutil.h"
#include "vigild_fixture.h"

/* vigild's back-off (agent/daemon/workload_restart.c) and how far a measured one may stray */
#define FIRST_MS   1000
#define SLACK_MS   300
#define QMP_STOP_S 3

/*
 * A jailed workload of `command` (JSON), with the suite's binary in its
 * jail, `jail_extra` inside the jail object and `extra` at the top.
 */
static void create_wl(const char *id, const char *command, const char *jail_extra,
		      const char *extra)
{
	char text[PATH_MAX * 2 + 1024], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":%s,\"jail\":{\"ro_paths\":[\"%s\"]%s}%s}",
		 id, command, vf_self(), jail_extra, extra);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create %s: %s", id, err);
}

/* The suite itself as the workload: `--exit CODE MS` */
static void create_exiting(const char *id, int code, int ms, const char *restart)
{
	char command[PATH_MAX + 64], extra[64] = "";

	snprintf(command, sizeof(command), "[\"%s\",\"--exit\",\"%d\",\"%d\"]", vf_self(), code,
		 ms);
	if (restart)
		snprintf(extra, sizeof(extra), ",\"restart\":\"%s\"", restart);
	create_wl(id, command, "", extra);
}

static uint64_t cpu_ns_of(struct json_object *show)
{
	struct json_object *u;

	ck_assert(json_object_object_get_ex(show, "usage", &u));
	return (uint64_t)vf_jint(u, "cpu_ns");
}

static bool log_has(const char *what)
{
	char *log = read_file(vf.log_path);
	bool found = log && strstr(log, what);

	free(log);
	return found;
}

static bool cgroup_empty(const char *id)
{
	char path[PATH_MAX + 80], *procs;
	bool empty;

	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", vf.parent, id);
	procs = read_file(path);
	empty = !procs || !procs[0];
	free(procs);
	return empty;
}

/*
 * Waits up to `seconds` for `id` to be in `state` after `restarts`
 * restarts, polling every 20 ms; its show, and when it was first seen so.
 */
static struct json_object *wait_for(const char *id, const char *state, int64_t restarts,
				    double seconds, double *ret_seen)
{
	char last[64] = "";

	for (double end = now_s() + seconds; now_s() < end; usleep(20 * 1000)) {
		struct json_object *o = vf_show(id);

		if (strcmp(vf_state_of(o), state) == 0 && vf_jint(o, "restarts") == restarts) {
			if (ret_seen)
				*ret_seen = now_s();
			return o;
		}
		snprintf(last, sizeof(last), "%s after %lld", vf_state_of(o),
			 (long long)vf_jint(o, "restarts"));
		json_object_put(o);
	}
	ck_abort_msg("%s is not %s after %lld restarts within %.0f s, but %s", id, state,
		     (long long)restarts, seconds, last);
	return NULL;
}

/*
 * exit 1 after 400 ms, three times: each restart comes 1 s, 2 s, 4 s after
 * the exit, when the schedule said, in the same slot, and cpu_ns goes on.
 */
START_TEST(test_backoff_doubles)
{
	struct json_object *o;
	double exited, started;
	uint64_t cpu = 0, due;
	int64_t slot;
	char line[128];

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_exiting("bo", 1, 400, "on-failure");
	vf_wl_ok("start", "bo");
	o = vf_show("bo");
	slot = vf_jint(o, "slot");
	json_object_put(o);
	for (int k = 0; k < 3; k++) {
		int64_t delay = FIRST_MS << k;

		o = wait_for("bo", "restarting", k, 5, &exited);
		ck_assert_str_eq(vf_jstr(o, "exit_reason"), "exited with status 1");
		ck_assert_int_le(vf_jint(o, "next_start_in_ms"), delay);
		due = (uint64_t)vf_jint(o, "next_start_unix_ns");
		json_object_put(o);
		o = wait_for("bo", "running", k + 1, delay / 1000.0 + 3, &started);
		printf("lifecycle: restart %d came %.2f s after the exit was seen (back-off %lld ms); "
		       "started %.1f ms after it was due\n",
		       k + 1, started - exited, (long long)delay,
		       ((double)(uint64_t)vf_jint(o, "started_unix_ns") - (double)due) / 1e6);
		ck_assert_double_ge((started - exited) * 1000, delay - SLACK_MS);
		ck_assert_double_le((started - exited) * 1000, delay + SLACK_MS);
		ck_assert_uint_ge((uint64_t)vf_jint(o, "started_unix_ns"), due);
		ck_assert_int_eq(vf_jint(o, "slot"), slot);
		ck_assert_uint_ge(cpu_ns_of(o), cpu);
		cpu = cpu_ns_of(o);
		json_object_put(o);
	}
	/* four runs of 50 ms of CPU each, all on the one slot */
	o = wait_for("bo", "restarting", 3, 5, NULL);
	ck_assert_uint_ge(cpu_ns_of(o), 4 * 40 * 1000000ull);
	json_object_put(o);
	snprintf(line, sizeof(line), "exited with status 1; restart 3 in %d ms", 4 * FIRST_MS);
	ck_assert_msg(log_has(line), "vigild's log has no \"%s\"", line);
	vf_wl_ok("stop", "bo");
}
END_TEST

/* An exit 0 under on-failure, and any exit under "no": nothing comes back. */
START_TEST(test_no_restart)
{
	struct json_object *o;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_exiting("ok0", 0, 100, "on-failure");
	create_exiting("no1", 1, 100, "no");
	create_exiting("dflt", 1, 100, NULL);
	vf_wl_ok("start", "ok0");
	vf_wl_ok("start", "no1");
	vf_wl_ok("start", "dflt");
	usleep((FIRST_MS + 1500) * 1000);
	o = vf_show("ok0");
	ck_assert_str_eq(vf_state_of(o), "stopped");
	ck_assert_str_eq(vf_jstr(o, "exit_reason"), "exited with status 0");
	ck_assert_int_eq(vf_jint(o, "restarts"), 0);
	json_object_put(o);
	o = vf_show("no1");
	ck_assert_str_eq(vf_state_of(o), "stopped");
	ck_assert_str_eq(vf_jstr(o, "exit_reason"), "exited with status 1");
	ck_assert_int_eq(vf_jint(o, "restarts"), 0);
	ck_assert_str_eq(vf_jstr(o, "restart"), "no");
	json_object_put(o);
	o = vf_show("dflt");
	ck_assert_str_eq(vf_state_of(o), "stopped");
	ck_assert_str_eq(vf_jstr(o, "restart"), "no");
	json_object_put(o);
}
END_TEST

/* A stop or a delete during the back-off: answered at once, and the restart never comes. */
START_TEST(test_stop_during_backoff_cancels)
{
	struct json_object *o;
	double t0;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_exiting("sc", 1, 100, "on-failure");
	create_exiting("dc", 1, 100, "on-failure");
	vf_wl_ok("start", "sc");
	vf_wl_ok("start", "dc");
	json_object_put(wait_for("sc", "restarting", 0, 5, NULL));
	t0 = now_s();
	o = vf_wl_cmd(&status, "stop", "sc");
	ck_assert_msg(status == 0, "stop: %s", vf_jstr(o, "error"));
	printf("lifecycle: a stop during the back-off answered in %.1f ms\n", (now_s() - t0) * 1e3);
	ck_assert_str_eq(vf_state_of(o), "stopped");
	json_object_put(o);
	json_object_put(wait_for("dc", "restarting", 0, 5, NULL));
	o = vf_wl_cmd(&status, "delete", "dc");
	ck_assert_msg(status == 0, "delete: %s", vf_jstr(o, "error"));
	ck_assert_str_eq(vf_state_of(o), "deleted");
	json_object_put(o);
	usleep((FIRST_MS + 1000) * 1000);
	o = vf_show("sc");
	ck_assert_str_eq(vf_state_of(o), "stopped");
	ck_assert_int_eq(vf_jint(o, "restarts"), 0);
	json_object_put(o);
	ck_assert(cgroup_empty("sc"));
	ck_assert(log_has("workload \"sc\": its restart is cancelled"));
	/* deleted, and not brought back either: released, or still kept as deleted */
	o = vf_wl_cmd(&status, "show", "dc");
	ck_assert(status != 0 || strcmp(vf_state_of(o), "deleted") == 0);
	json_object_put(o);
	ck_assert(cgroup_empty("dc"));
}
END_TEST

/*
 * vigild killed with SIGKILL in the middle of a 4 s back-off: the next one
 * shows the same schedule, starts the workload when it was due, and the
 * back-off goes on doubling from there.
 */
START_TEST(test_kill9_during_backoff_resumes)
{
	struct json_object *o;
	uint64_t due, started;
	int64_t slot;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_exiting("k9", 1, 100, "on-failure");
	vf_wl_ok("start", "k9");
	o = wait_for("k9", "restarting", 2, 10, NULL);
	due = (uint64_t)vf_jint(o, "next_start_unix_ns");
	slot = vf_jint(o, "slot");
	ck_assert_int_gt(vf_jint(o, "next_start_in_ms"), 2 * FIRST_MS);
	json_object_put(o);
	vf_stop_vigild_hard();
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	o = vf_show("k9");
	ck_assert_str_eq(vf_state_of(o), "restarting");
	ck_assert_uint_eq((uint64_t)vf_jint(o, "next_start_unix_ns"), due);
	json_object_put(o);
	o = wait_for("k9", "running", 3, 6, NULL);
	started = (uint64_t)vf_jint(o, "started_unix_ns");
	printf("lifecycle: after a kill -9 during the back-off, restart 3 started %.1f ms after it "
	       "was due\n",
	       ((double)started - (double)due) / 1e6);
	ck_assert_uint_ge(started, due);
	ck_assert_uint_le(started, due + SLACK_MS * 1000000ull);
	ck_assert_int_eq(vf_jint(o, "slot"), slot);
	json_object_put(o);
	o = wait_for("k9", "restarting", 3, 5, NULL);
	ck_assert_int_gt(vf_jint(o, "next_start_in_ms"), 4 * FIRST_MS);
	ck_assert_int_le(vf_jint(o, "next_start_in_ms"), 8 * FIRST_MS);
	json_object_put(o);
	ck_assert(log_has("workload \"k9\": its restart 3 is due in"));
	vf_wl_ok("stop", "k9");
}
END_TEST

/* `--runs FILE MS...`: a workload that fails fast twice, then after a long run. */
START_TEST(test_stable_run_resets_backoff)
{
	char runs[PATH_MAX], command[PATH_MAX * 2], jail[PATH_MAX + 32];
	struct json_object *o;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	snprintf(runs, sizeof(runs), "%s/runs", vf.images);
	vf_write_file(runs, "");
	ck_assert_int_eq(chmod(runs, 0666), 0);
	snprintf(command, sizeof(command), "[\"%s\",\"--runs\",\"%s\",\"100\",\"100\",\"10500\"]",
		 vf_self(), runs);
	snprintf(jail, sizeof(jail), ",\"rw_paths\":[\"%s\"]", runs);
	create_wl("st", command, jail, ",\"restart\":\"on-failure\"");
	vf_wl_ok("start", "st");
	o = wait_for("st", "restarting", 1, 5, NULL);
	ck_assert_int_gt(vf_jint(o, "next_start_in_ms"), FIRST_MS);
	json_object_put(o);
	/* the third run lasts 10.5 s: the back-off after it starts over */
	o = wait_for("st", "restarting", 2, 20, NULL);
	ck_assert_int_le(vf_jint(o, "next_start_in_ms"), FIRST_MS);
	json_object_put(o);
	json_object_put(wait_for("st", "running", 3, 5, NULL));
	vf_wl_ok("stop", "st");
}
END_TEST

/* Killed while vigild was down: at its start vigild counts it a failure and restarts it. */
START_TEST(test_ended_while_down_restarted)
{
	struct json_object *o;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_exiting("ud", 0, 600000, "on-failure");
	vf_wl_ok("start", "ud");
	vf_stop_vigild();
	/* each process: a cgroup.kill would leave the cgroup killing what is cloned into it */
	ck_assert_int_eq(sh("xargs -r kill -9 < %s/ud/cgroup.procs", vf.parent), 0);
	for (int i = 0; i < 100 && !cgroup_empty("ud"); i++)
		usleep(20 * 1000);
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	o = vf_show("ud");
	ck_assert_str_eq(vf_state_of(o), "restarting");
	ck_assert_ptr_null(vf_jstr(o, "exit_reason"));
	json_object_put(o);
	json_object_put(wait_for("ud", "running", 1, 5, NULL));
	ck_assert(log_has("workload \"ud\": ended while vigild was not watching (status unknown); "
			  "restart 1 in 1000 ms"));
	vf_wl_ok("stop", "ud");
}
END_TEST

/*
 * A workload killed at the end of its stop's timeout starts again, and
 * runs: killing it must not leave its cgroup killing what is cloned into it.
 */
START_TEST(test_start_after_kill)
{
	struct json_object *o;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_wl("sk", "[\"/bin/sh\",\"-c\",\"trap '' TERM; while :; do sleep 1; done\"]", "",
		  ",\"stop\":{\"timeout_s\":1}");
	vf_wl_ok("start", "sk");
	usleep(200 * 1000);
	o = vf_wl_cmd(&(int){ 0 }, "stop", "sk");
	ck_assert_str_eq(vf_jstr(o, "exit_reason"), "killed by SIGKILL");
	json_object_put(o);
	vf_wl_ok("start", "sk");
	usleep(1000 * 1000);
	o = vf_show("sk");
	ck_assert_msg(strcmp(vf_state_of(o), "running") == 0, "sk is %s (%s) after its restart",
		      vf_state_of(o), vf_jstr(o, "exit_reason"));
	json_object_put(o);
	vf_wl_ok("stop", "sk");
}
END_TEST

/* The fake QMP socket of `id` in `mode`; a stop through QMP, killing after QMP_STOP_S. */
static void create_qmp(const char *id, const char *mode, const char *target)
{
	char command[PATH_MAX * 2 + 128], extra[128];

	snprintf(command, sizeof(command), "[\"%s\",\"--qmp\",\"%s\",\"{qmp}\"%s%s%s]", vf_self(),
		 mode, target ? ",\"" : "", target ? target : "", target ? "\"" : "");
	snprintf(extra, sizeof(extra), ",\"stop\":{\"method\":\"qmp\",\"timeout_s\":%d}",
		 QMP_STOP_S);
	create_wl(id, command, "", extra);
	vf_wl_ok("start", id);
	/* "fake qmp: listening", or "not listening" */
	ck_assert_msg(vf_wait_log(id, "listening", 10), "the fake QMP of %s did not come up", id);
}

/* `workload stop ID`: the workload it answers with, and how long it took in ms. */
static struct json_object *stop_timed(const char *id, double *ret_ms)
{
	struct json_object *o;
	double t0 = now_s();
	int status;

	o = vf_wl_cmd(&status, "stop", id);
	*ret_ms = (now_s() - t0) * 1e3;
	ck_assert_msg(status == 0, "stop %s: %s", id, vf_jstr(o, "error"));
	return o;
}

START_TEST(test_qmp_powerdown_obeyed)
{
	struct json_object *w;
	double ms;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_qmp("qo", "obey", NULL);
	w = stop_timed("qo", &ms);
	printf("lifecycle: a stop through QMP (system_powerdown obeyed) took %.1f ms\n", ms);
	ck_assert_str_eq(vf_state_of(w), "stopped");
	ck_assert_str_eq(vf_jstr(w, "exit_reason"), "exited with status 0");
	ck_assert_double_lt(ms, 1000);
	json_object_put(w);
	ck_assert(vf_wait_log("qo", "fake qmp: system_powerdown", 1));
	ck_assert(log_has("workload \"qo\": QMP: system_powerdown accepted after"));
}
END_TEST

START_TEST(test_qmp_powerdown_ignored)
{
	struct json_object *w;
	double ms;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	create_qmp("qi", "ignore", NULL);
	w = stop_timed("qi", &ms);
	printf("lifecycle: a stop through QMP (system_powerdown ignored) took %.1f ms\n", ms);
	ck_assert_str_eq(vf_state_of(w), "stopped");
	ck_assert_str_eq(vf_jstr(w, "exit_reason"), "killed by SIGKILL");
	ck_assert_double_ge(ms, QMP_STOP_S * 1000);
	ck_assert_double_lt(ms, QMP_STOP_S * 1000 + 2000);
	json_object_put(w);
	ck_assert(log_has("workload \"qi\": still running 3000 ms after QMP system_powerdown, "
			  "killing it"));
}
END_TEST

/* A VMM that breaks QMP, and the reason vigild logs before it falls back to SIGTERM. */
static const struct {
	const char *mode, *reason;
} hostile[] = {
	{ "garbage", "QMP: message 1: invalid UTF-8 at line 1, column 1 (offset 0)" },
	{ "silent", "QMP: no answer within 1500 ms (waiting for the greeting)" },
	{ "flood", "QMP: more than 64 messages" },
	{ "longline", "QMP: a line longer than 4095 bytes" },
	{ "absent", "QMP: /run/vigil/qmp.sock: No such file or directory" },
	{ "symlink", "QMP: /run/vigil/qmp.sock: Too many levels of symbolic links" },
};

/*
 * The stop falls back to SIGTERM at once (or at the exchange's deadline),
 * and `workload list` is answered in milliseconds all the while.
 */
START_TEST(test_qmp_hostile_falls_back)
{
	char id[32], req[96], line[256], *reply;
	struct json_object *doc, *w;
	double t0, worst = 0, took;
	int fd, lists = 0;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	snprintf(id, sizeof(id), "q-%s", hostile[_i].mode);
	/* symlink: to vigild's own control socket, a host path the jail cannot see */
	create_qmp(id, hostile[_i].mode, strcmp(hostile[_i].mode, "symlink") ? NULL : vf.sock);
	snprintf(req, sizeof(req), "{\"cmd\":\"stop\",\"id\":\"%s\"}", id);
	t0 = now_s();
	fd = vf_send_request(req);
	/* lists while the stop goes on: until its answer is there */
	for (int i = 0; i < 200 && poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0) == 0;
	     i++) {
		double t = vf_list_ms();

		lists++;
		worst = t > worst ? t : worst;
		usleep(20 * 1000);
	}
	reply = vf_reply_within(fd, 10000);
	took = (now_s() - t0) * 1e3;
	close(fd);
	printf("lifecycle: QMP %s: the stop took %.0f ms; %d workload lists meanwhile took at most "
	       "%.1f ms\n",
	       hostile[_i].mode, took, lists, worst);
	doc = parse_json(reply);
	ck_assert_msg(doc && json_object_object_get_ex(doc, "workload", &w), "reply: %s", reply);
	ck_assert_str_eq(vf_state_of(w), "stopped");
	ck_assert_msg(strcmp(vf_jstr(w, "exit_reason"), "killed by SIGTERM") == 0, "%s", reply);
	json_object_put(doc);
	free(reply);
	ck_assert_double_lt(worst, 500);
	snprintf(line, sizeof(line), "workload \"%s\": %s; stopping it with SIGTERM instead", id,
		 hostile[_i].reason);
	ck_assert_msg(log_has(line), "vigild's log has no \"%s\"", line);
}
END_TEST

static void make_env(void)
{
	snprintf(vf.max_arg, sizeof(vf.max_arg), "16");
	vf_make_env();
}

/*
 * `--exit CODE MS`: 50 ms of CPU, then exits CODE at MS, without the
 * sanitizers' exit-time leak check (it ptraces, which the jail forbids).
 */
/* Spins until this process has had `ms` of CPU, however busy the host is. */
static void burn_cpu_time(long ms)
{
	struct timespec ts;

	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	while (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L < ms);
}

static void __attribute__((noreturn)) exit_after(const char *code, const char *ms)
{
	long total = strtol(ms, NULL, 10);

	/* CPU time, not wall time: on a loaded host 50 ms of wall time gave 32 ms of CPU */
	burn_cpu_time(50);
	if (total > 50)
		usleep((useconds_t)(total - 50) * 1000);
	_exit(atoi(code));
}

/*
 * `--runs FILE MS...`: run N (the bytes in FILE, which gets one more)
 * exits 1 after the Nth MS; past them it runs until stopped.
 */
static void __attribute__((noreturn)) runs(int argc, char **argv)
{
	int fd = open(argv[2], O_RDWR | O_APPEND | O_CLOEXEC);
	struct stat st;
	long n;

	if (fd < 0 || fstat(fd, &st) < 0 || write(fd, "x", 1) != 1)
		_exit(2);
	close(fd);
	n = (long)st.st_size;
	if (n + 3 < argc)
		exit_after("1", argv[n + 3]);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	Suite *s = suite_create("vigild_lifecycle");
	TCase *tc;

	vf.suite = "lifecycle";
	if (argc == 4 && strcmp(argv[1], "--exit") == 0)
		exit_after(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "--runs") == 0)
		runs(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "--qmp") == 0)
		fake_qmp_main(argc - 1, argv + 1);
	vf_require("vigild_lifecycle");
	vf_add_case(s, "backoff", test_backoff_doubles, make_env, vf_remove_env);
	vf_add_case(s, "no_restart", test_no_restart, make_env, vf_remove_env);
	vf_add_case(s, "cancel", test_stop_during_backoff_cancels, make_env, vf_remove_env);
	vf_add_case(s, "kill9", test_kill9_during_backoff_resumes, make_env, vf_remove_env);
	vf_add_case(s, "stable", test_stable_run_resets_backoff, make_env, vf_remove_env);
	vf_add_case(s, "unseen", test_ended_while_down_restarted, make_env, vf_remove_env);
	vf_add_case(s, "start_after_kill", test_start_after_kill, make_env, vf_remove_env);
	vf_add_case(s, "qmp_obey", test_qmp_powerdown_obeyed, make_env, vf_remove_env);
	vf_add_case(s, "qmp_ignore", test_qmp_powerdown_ignored, make_env, vf_remove_env);
	tc = tcase_create("qmp_hostile");
	tcase_add_unchecked_fixture(tc, make_env, vf_remove_env);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_qmp_hostile_falls_back, 0,
			    (int)(sizeof(hostile) / sizeof(hostile[0])));
	suite_add_tcase(s, tc);
	return run_suite(s);
}
