// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The jail, end to end: a hostile tenant's workload (this suite
 * re-executed, jail_attacks.h), started by the real vigild in a veth and a
 * tap network, tries what the threat model says it cannot do, and each
 * attempt fails the way the jail makes it fail; a call outside the seccomp
 * profile kills the workload (or, in log mode, is logged by the kernel);
 * specs asking for what the jail does not give are refused with nothing
 * made; vigil's own state is root's alone.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail_attacks.h"
#include "testutil.h"
#include "vigild_fixture.h"

/* The workload's log ("" when there is none), kept in *buf for the caller to free. */
static const char *log_of(const char *id, char **buf)
{
	*buf = vf_workload_log(id);
	return *buf ? *buf : "";
}

static void wait_stopped(const char *id)
{
	json_object_put(vf_wait_state(id, "stopped", 15));
}

static int64_t jail_uid(const char *id)
{
	struct json_object *o = vf_show(id), *j;
	int64_t uid;

	ck_assert(json_object_object_get_ex(o, "jail", &j));
	uid = vf_jint(j, "uid");
	json_object_put(o);
	return uid;
}

static void start_ok(const char *id)
{
	int status;
	struct json_object *o = vf_wl_cmd(&status, "start", id);

	ck_assert_msg(status == 0, "start %s: %s", id, vf_jstr(o, "error"));
	json_object_put(o);
}

/* The log says `line` (a whole line). */
static void expect_line(const char *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void expect_line(const char *log, const char *fmt, ...)
{
	char line[256], *at;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	for (at = strstr(log, line); at; at = strstr(at + 1, line))
		if ((at == log || at[-1] == '\n') && (at[n] == '\n' || !at[n]))
			return;
	ck_abort_msg("expected the line \"%s\" in:\n%s", line, log);
}

static const struct {
	const char *name, *outcome;
} attacks[] = {
	{ "host-key", "ENOENT" },     { "pinned-map", "ENOENT" },
	{ "bpf", "SIGSYS" },	      { "control-socket", "ENOENT" },
	{ "signal-vigild", "ESRCH" }, { "vigild-proc", "ENOENT" },
	{ "setns", "SIGSYS" },	      { "mount", "SIGSYS" },
	{ "unshare-user", "SIGSYS" }, { "ptrace", "SIGSYS" },
	{ "write-usr", "EROFS" },     { "block-device", "ENOENT" },
	{ "write-tmp", "ok" },	      { "oom-unkillable", "EACCES" },
};

/* `mknod_outcome`: the generic profile lets mknod fail for want of CAP_MKNOD, qemu's kills */
static void check_attacks(const char *id, const char *log, const char *mknod_outcome)
{
	int64_t uid = jail_uid(id);

	printf("%s:\n%s", id, log);
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		expect_line(log, "attack %s: %s", attacks[i].name, attacks[i].outcome);
	expect_line(log, "attack mknod: %s", mknod_outcome);
	expect_line(log, "self uid: %lld", (long long)uid);
	expect_line(log, "self gid: %lld", (long long)uid);
	expect_line(log, "self groups: 0");
	expect_line(log, "self CapEff: 0000000000000000");
	expect_line(log, "self CapPrm: 0000000000000000");
	expect_line(log, "self CapBnd: 0000000000000000");
	expect_line(log, "self CapAmb: 0000000000000000");
	expect_line(log, "self NoNewPrivs: 1");
	expect_line(log, "self Seccomp: 2");
	/* its reaper and itself */
	expect_line(log, "self processes: 2");
	expect_line(log, "self oom_score_adj: 0");
	expect_line(log, "self hostname: %s", id);
	expect_line(log, "attacks done");
}

static void attack_command(char *buf, size_t len, const char *mode)
{
	char pin[PATH_MAX + 16];

	snprintf(pin, sizeof(pin), "%s/vigil", vf.bpffs);
	snprintf(buf, len, "[\"%s\",\"--attack\",\"%s\",\"%s\",\"%s\",\"%s\",\"%d\"]", vf_self(),
		 mode, vf.state, pin, vf.sock, vf_vigild_pid());
}

/*
 * Each limit of the allocation is enforced exactly where the v2 hierarchy
 * gives vigil's cgroup parent its controller, and says why not elsewhere;
 * /metrics says the same.
 */
static void check_limits(const char *id)
{
	static const char *const controllers[] = { "cpu", "memory", "memory", "pids" };
	char path[PATH_MAX + 32], url[128], want[256], *subtree,
		*argv[] = { "curl", "-sf", url, NULL };
	struct json_object *o = vf_show(id), *arr;
	struct cmd_result r;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", vf.parent);
	subtree = read_file(path);
	ck_assert_ptr_nonnull(subtree);
	ck_assert(json_object_object_get_ex(o, "limits", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 4);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", vf_http_port());
	ck_assert_int_eq(run_cmd(argv, &r), 0);
	for (size_t i = 0; i < 4; i++) {
		struct json_object *l = json_object_array_get_idx(arr, i), *v;
		bool has = strstr(subtree, controllers[i]) != NULL;

		ck_assert(json_object_object_get_ex(l, "enforced", &v));
		ck_assert_msg(json_object_get_boolean(v) == has,
			      "limit %s: enforced %d, controller %d", vf_jstr(l, "limit"),
			      json_object_get_boolean(v), has);
		if (!has)
			ck_assert_msg(vf_jstr(l, "reason") && strlen(vf_jstr(l, "reason")) > 10,
				      "limit %s: no reason", vf_jstr(l, "limit"));
		snprintf(want, sizeof(want),
			 "vigil_workload_limits_enforced{workload=\"%s\",limit=\"%s\"} %d\n", id,
			 vf_jstr(l, "limit"), has);
		ck_assert_msg(strstr(r.out, want), "/metrics lacks %s", want);
	}
	printf("limits of %s: the controllers for it: \"%.*s\"\n", id, (int)strcspn(subtree, "\n"),
	       subtree);
	cmd_result_free(&r);
	free(subtree);
	json_object_put(o);
}

/*
 * Runs the attack list as a jailed workload of network `mode`, on the /30 at
 * .`base` of this test's 198.19.x.0/24, to its end; returns its log.
 */
static char *run_attacks(const char *name, const char *mode, int base, char *id, size_t id_len)
{
	char cmd[4 * PATH_MAX], text[5 * PATH_MAX], err[512], *log;
	int x = getpid() & 0xff;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, id_len, name);
	attack_command(cmd, sizeof(cmd), mode);
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":%s,"
		 "\"network\":{\"mode\":\"%s\",\"ipv4\":\"198.19.%d.%d/30\","
		 "\"host_ipv4\":\"198.19.%d.%d/30\"},\"jail\":{\"ro_paths\":[\"%s\"]}}",
		 id, cmd, mode, x, base + 2, x, base + 1, vf_self());
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create: %s", err);
	start_ok(id);
	wait_stopped(id);
	log_of(id, &log);
	return log;
}

START_TEST(test_attacks_veth)
{
	char id[64], *log = run_attacks("atk", "veth", 0, id, sizeof(id));

	check_attacks(id, log, "EPERM");
	free(log);
	check_limits(id);
}
END_TEST

START_TEST(test_attacks_tap)
{
	char id[64], *log = run_attacks("atkvm", "tap", 4, id, sizeof(id));

	check_attacks(id, log, "SIGSYS");
	/* its own network namespace has nothing but a loopback that is down */
	expect_line(log, "attack reach-host-networks: ENETUNREACH");
	/* and what it may do: use the tap it was handed */
	expect_line(log, "attack tap-fd: ok");
	free(log);
}
END_TEST

static void create_kexec(const char *id, const char *mode)
{
	char text[2 * PATH_MAX], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"%s\",\"--kexec\"],"
		 "\"jail\":{\"seccomp_mode\":\"%s\",\"ro_paths\":[\"%s\"]}}",
		 id, vf_self(), mode, vf_self());
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create: %s", err);
}

/* kexec_load is in no profile: the workload is killed, and vigil says by what. */
START_TEST(test_seccomp_kill)
{
	struct cmd_result r;
	struct json_object *o;
	char id[64], *log;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "sigsys");
	create_kexec(id, "kill");
	start_ok(id);
	wait_stopped(id);
	o = vf_show(id);
	ck_assert_str_eq(vf_jstr(o, "exit_reason"), "killed by SIGSYS (seccomp)");
	ck_assert_int_eq(vf_jint(o, "exit_signal"), 31);
	ck_assert_int_eq(vf_jint(o, "exit_status"), 128 + 31);
	json_object_put(o);
	ck_assert_msg(!strstr(log_of(id, &log), "kexec returned"), "%s", log);
	free(log);
	ck_assert_int_eq(run_vigil(&r, "--socket", vf.sock, "workload", "show", id, NULL), 0);
	ck_assert_msg(strstr(r.out, "ended:       killed by SIGSYS (seccomp)"), "%s", r.out);
	cmd_result_free(&r);
	/* the filter it ran under, as libseccomp prints it */
	ck_assert_int_eq(
		run_vigil(&r, "--socket", vf.sock, "workload", "show", id, "--seccomp", NULL), 0);
	ck_assert_msg(strstr(r.out, "action KILL_PROCESS") && strstr(r.out, "getpid"), "%s", r.out);
	cmd_result_free(&r);
}
END_TEST

/* The same call in log mode goes through (and fails for want of privilege); the kernel logs it. */
START_TEST(test_seccomp_log)
{
	char *argv[] = { "dmesg", NULL }, id[64], want[64], *log;
	struct cmd_result r;
	struct json_object *o;
	bool found = false;
	int64_t uid;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "seclog");
	create_kexec(id, "log");
	start_ok(id);
	wait_stopped(id);
	o = vf_show(id);
	ck_assert_str_eq(vf_jstr(o, "exit_reason"), "exited with status 0");
	json_object_put(o);
	/* it returned: no privilege for it, or (this host) no kexec in the kernel */
	ck_assert_msg(strstr(log_of(id, &log), "kexec returned EPERM") ||
			      strstr(log, "kexec returned ENOSYS"),
		      "%s", log);
	free(log);
	uid = jail_uid(id);
	ck_assert_int_eq(run_cmd(argv, &r), 0);
	/* SECCOMP_RET_LOG is code 0x7ffc0000; kexec_load is syscall 246 on x86_64 */
	snprintf(want, sizeof(want), " uid=%lld ", (long long)uid);
	for (char *line = strtok(r.out, "\n"); line && !found; line = strtok(NULL, "\n"))
		found = strstr(line, want) && strstr(line, " syscall=246 ") &&
			strstr(line, "code=0x7ffc0000");
	ck_assert_msg(found, "no kernel log line of uid %lld's kexec_load in log mode",
		      (long long)uid);
	cmd_result_free(&r);
}
END_TEST

static int children_of(const char *dir)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "test -z \"$(find %s -mindepth 1 -maxdepth 1 -type d)\"", dir);
	return sh("%s", cmd);
}

/* Each spec asks for what the jail does not give: refused, naming why, nothing made. */
START_TEST(test_bad_jail_specs)
{
	char escape[PATH_MAX + 16], missing[PATH_MAX + 16], prog[PATH_MAX + 16], jails[8][2048],
		text[4096], err[512], id[64];
	struct {
		const char *jail, *command, *error;
	} bad[] = {
		{ jails[0], "\"true\"", "jail.seccomp" },
		{ jails[1], "\"true\"", "is under no directory vigild allows" },
		{ jails[2], "\"true\"", "leads out of its image directory through a symlink" },
		{ jails[3], "\"true\"", "No such file or directory" },
		{ jails[4], NULL, "is not in the jail" },
		{ jails[5], "\"true\"", "--allow-unjailed" },
		{ jails[6], "\"true\"", "jail.rw_paths[0] \"/srv/x\" overlaps jail.ro_paths[0]" },
		{ jails[7], "\"true\"", "jail.devices" },
	};
	struct json_object *o;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	snprintf(escape, sizeof(escape), "%s/escape", vf.images);
	ck_assert_int_eq(symlink("/etc/passwd", escape), 0);
	snprintf(missing, sizeof(missing), "%s/missing", vf.images);
	snprintf(prog, sizeof(prog), "%s/undeclared", vf.images);
	vf_write_file(prog, "#!/bin/sh\n");
	ck_assert_int_eq(chmod(prog, 0755), 0);
	snprintf(jails[0], sizeof(jails[0]), "{\"seccomp\":\"firecracker\"}");
	snprintf(jails[1], sizeof(jails[1]), "{\"ro_paths\":[\"/opt/vigil-image\"]}");
	snprintf(jails[2], sizeof(jails[2]), "{\"ro_paths\":[\"%s\"]}", escape);
	snprintf(jails[3], sizeof(jails[3]), "{\"rw_paths\":[\"%s\"]}", missing);
	snprintf(jails[4], sizeof(jails[4]), "{}");
	snprintf(jails[5], sizeof(jails[5]), "{\"enabled\":false}");
	snprintf(jails[6], sizeof(jails[6]), "{\"ro_paths\":[\"/srv\"],\"rw_paths\":[\"/srv/x\"]}");
	snprintf(jails[7], sizeof(jails[7]), "{\"devices\":[\"sda\"]}");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char command[PATH_MAX + 8];

		snprintf(command, sizeof(command), "\"%s\"", prog);
		vf_id_of(id, sizeof(id), "badjail");
		snprintf(text, sizeof(text),
			 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
			 "\"command\":[%s],\"jail\":%s}",
			 id, bad[i].command ? bad[i].command : command, bad[i].jail);
		ck_assert_int_eq(vf_create(text, err, sizeof(err)), 1);
		ck_assert_msg(strstr(err, bad[i].error), "spec %s: expected \"%s\" in \"%s\"",
			      bad[i].jail, bad[i].error, err);
	}
	o = vf_wl_cmd(&status, "list", NULL);
	ck_assert_int_eq(status, 0);
	ck_assert_msg(json_object_is_type(o, json_type_array), "%s", json_object_get_string(o));
	ck_assert_uint_eq(json_object_array_length(o), 0);
	json_object_put(o);
	ck_assert_int_eq(children_of(vf.parent), 0);
}
END_TEST

/* A uid range with an account of the host in it is refused before anything is done. */
START_TEST(test_uid_range_clash)
{
	char *argv[] = { (char *)vf_vigild_bin(), "--uid-base",		"65500",
			 "--state-dir",		  "/nonexistent/vigil", NULL };
	struct cmd_result r;

	if (!getpwuid(65534)) {
		printf("uid_range: this host has no uid 65534 to clash with; checked nothing\n");
		return;
	}
	ck_assert_int_eq(run_cmd(argv, &r), 0);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "vigild: --uid-base 65500: user \"") &&
			      strstr(r.err, ", inside the workloads' range 65500-"),
		      "%s", r.err);
	cmd_result_free(&r);
}
END_TEST

static void make_env_unjailed(void)
{
	vf.extra_args[0] = "--allow-unjailed";
	vf_make_env();
}

/* An admin's opt-out, explicit on both sides: the spec says so, and vigild allows it. */
START_TEST(test_unjailed_opt_out)
{
	char id[64], text[1024], err[512], *log;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "unjailed");
	snprintf(
		text, sizeof(text),
		"{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		"\"command\":[\"sh\",\"-c\",\"echo uid $(id -u); grep Seccomp: /proc/self/status\"],"
		"\"jail\":{\"enabled\":false}}",
		id);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create: %s", err);
	start_ok(id);
	wait_stopped(id);
	log_of(id, &log);
	expect_line(log, "uid 0");
	expect_line(log, "Seccomp:\t0");
	free(log);
}
END_TEST

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

/* Should a workload ever leave its namespaces, vigil's state is still root's alone. */
START_TEST(test_private_state)
{
	char path[PATH_MAX + 32];

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_uint_eq(mode_of(vf.state), 0700);
	snprintf(path, sizeof(path), "%s/vigil", vf.bpffs);
	ck_assert_uint_eq(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/host.key", vf.state);
	ck_assert_uint_eq(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/logs", vf.state);
	ck_assert_uint_eq(mode_of(path), 0700);
	ck_assert_uint_eq(mode_of(vf.sock), 0600);
}
END_TEST

/* A workload's main as `--kexec`: a call that no profile allows. */
static int kexec_main(void)
{
	long r = syscall(SYS_kexec_load, 0, 0, NULL, 0);

	printf("kexec returned %s\n", r < 0 ? strerrorname_np(errno) : "0");
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	Suite *s = suite_create("vigild_jail");

	vf.suite = "jail";
	if (argc > 1 && strcmp(argv[1], "--attack") == 0)
		return jail_attacks_main(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "--kexec") == 0)
		return kexec_main();
	vf_require("vigild_jail");
	/*
	 * First: the kernel rate-limits audit lines (about 10 in 5 s, then
	 * "callbacks suppressed"), and the attacks' kills make a burst of them.
	 */
	vf_add_case(s, "seccomp_log", test_seccomp_log, vf_make_env, vf_remove_env);
	vf_add_case(s, "attacks_veth", test_attacks_veth, vf_make_env, vf_remove_env);
	vf_add_case(s, "attacks_tap", test_attacks_tap, vf_make_env, vf_remove_env);
	vf_add_case(s, "seccomp_kill", test_seccomp_kill, vf_make_env, vf_remove_env);
	vf_add_case(s, "bad_specs", test_bad_jail_specs, vf_make_env, vf_remove_env);
	vf_add_case(s, "private_state", test_private_state, vf_make_env, vf_remove_env);
	vf_add_case(s, "uid_range", test_uid_range_clash, NULL, NULL);
	vf_add_case(s, "unjailed", test_unjailed_opt_out, make_env_unjailed, vf_remove_env);
	return run_suite(s);
}
