// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Workloads end to end: the real vigild with a private state dir, socket,
 * bpffs and cgroup parent, driven by the real `vigil workload`. Each test
 * gets its own daemon, started and torn down by unchecked fixtures in the
 * parent process, so a failing test still leaves nothing behind.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "meter_loader.h"
#include "testutil.h"

static char scratch[PATH_MAX], bpffs[PATH_MAX], state[PATH_MAX], sock[PATH_MAX];
static char netns_dir[PATH_MAX], log_path[PATH_MAX], parent_name[64], parent[PATH_MAX];
static char max_arg[16] = "3";
static pid_t vigild_pid = -1;
static struct vigil_cgroup2 cg2;

static const char *vigild_bin(void)
{
	const char *bin = getenv("VIGILD");

	return bin && *bin ? bin : "build/vigild";
}

static void id_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s-%d", name, getpid());
}

static void pid_file(char *buf, size_t len)
{
	snprintf(buf, len, "%s/vigild.pid", scratch);
}

/*
 * Starts vigild and notes its pid in a file: a test may restart it from its
 * own process, and the teardown (in the parent) must still find it.
 */
static pid_t spawn_vigild(void)
{
	char path[PATH_MAX + 16];
	pid_t pid = fork();
	FILE *f;

	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		dup2(fd, STDERR_FILENO);
		execl(vigild_bin(), "vigild", "--state-dir", state, "--bpffs", bpffs, "--socket",
		      sock, "--cgroup-parent", parent_name, "--max-workloads", max_arg,
		      "--stop-timeout", "2", NULL);
		_exit(127);
	}
	pid_file(path, sizeof(path));
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", pid);
		fclose(f);
	}
	return pid;
}

/* true once `pid` has exited (gone, or a zombie of another process) */
static bool exited(pid_t pid)
{
	char path[64], *stat, *paren;
	bool gone;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = read_file(path);
	paren = stat ? strrchr(stat, ')') : NULL;
	gone = !paren || paren[2] == 'Z';
	free(stat);
	return gone;
}

static void stop_pid(pid_t pid)
{
	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	for (int i = 0; i < 400 && !exited(pid); i++)
		usleep(25 * 1000);
	waitpid(pid, NULL, WNOHANG);
}

/* Waits for vigild to answer; false when it does not within 20 s. */
static bool vigild_up(void)
{
	for (int i = 0; i < 400; i++) {
		struct cmd_result r;
		bool ok;

		run_vigil(&r, "--socket", sock, "-j", "workload", "list", NULL);
		ok = r.status == 0;
		cmd_result_free(&r);
		if (ok)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* kill -9 of whichever vigild the pid file names: no clean-up at all. */
static void stop_vigild_hard(void)
{
	char path[PATH_MAX + 16], *text;
	pid_t pid;

	pid_file(path, sizeof(path));
	text = read_file(path);
	ck_assert_ptr_nonnull(text);
	pid = atoi(text);
	free(text);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 400 && !exited(pid); i++)
		usleep(10 * 1000);
	waitpid(pid, NULL, WNOHANG);
}

/* Stops whichever vigild the pid file names. */
static void stop_vigild(void)
{
	char path[PATH_MAX + 16], *text;

	pid_file(path, sizeof(path));
	text = read_file(path);
	if (text)
		stop_pid(atoi(text));
	free(text);
	unlink(path);
	stop_pid(vigild_pid);
	vigild_pid = -1;
}

static void make_env(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/vigil-test-workload-XXXXXX");
	if (vigil_cgroup2_detect(&cg2) < 0 || !mkdtemp(scratch))
		abort();
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(state, sizeof(state), "%s/state", scratch);
	snprintf(sock, sizeof(sock), "%s/run/vigil.sock", scratch);
	snprintf(netns_dir, sizeof(netns_dir), "%s/run/netns", scratch);
	snprintf(log_path, sizeof(log_path), "%s/vigild.log", scratch);
	snprintf(parent_name, sizeof(parent_name), "vigil-test-%d", getpid());
	snprintf(parent, sizeof(parent), "%s/%s", cg2.mount, parent_name);
	if (mkdir(bpffs, 0700) < 0 || mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0)
		abort();
	vigild_pid = spawn_vigild();
}

static void remove_env(void)
{
	char path[PATH_MAX + NAME_MAX + 2], cmd[PATH_MAX + 32];
	struct dirent *de;
	DIR *d;

	stop_vigild();
	d = opendir(parent);
	while (d && (de = readdir(d))) {
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
			cgroup_kill_remove(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(parent);
	/* removing a namespace removes the veth pair in it */
	d = opendir(netns_dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", netns_dir, de->d_name);
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/vigil", bpffs);
	vigil_meter_unpin(path);
	umount2(bpffs, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	(void)!system(cmd);
}

/* `vigil -j --socket S workload ARGS...`; returns the parsed output. */
static struct json_object *wl_cmd(int *status, const char *a1, const char *a2)
{
	const char *args[] = { "--socket", sock, "-j", "workload", a1, a2, NULL };
	struct json_object *o;
	struct cmd_result r;

	run_vigil_args(&r, args, 7);
	o = parse_json(r.out);
	ck_assert_msg(o, "not JSON: %s / %s", r.out, r.err);
	*status = r.status;
	cmd_result_free(&r);
	return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static void write_spec(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Creates from `text`; returns the exit status, the error (if any) in err. */
static int create(const char *text, char *err, size_t len)
{
	char path[PATH_MAX];
	struct json_object *o;
	int status;

	snprintf(path, sizeof(path), "%s/spec.json", scratch);
	write_spec(path, text);
	o = wl_cmd(&status, "create", path);
	if (err)
		snprintf(err, len, "%s", jstr(o, "error") ? jstr(o, "error") : "");
	json_object_put(o);
	return status;
}

static void create_ok(const char *id, const char *command)
{
	char text[1024], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":%s}",
		 id, command);
	ck_assert_msg(create(text, err, sizeof(err)) == 0, "create %s: %s", id, err);
}

static struct json_object *show(const char *id)
{
	int status;
	struct json_object *o = wl_cmd(&status, "show", id);

	ck_assert_msg(status == 0, "show %s: %s", id, jstr(o, "error"));
	return o;
}

static const char *state_of(struct json_object *o)
{
	return jstr(o, "state");
}

static size_t count_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static size_t list_len(void)
{
	int status;
	struct json_object *o = wl_cmd(&status, "list", NULL);
	size_t n;

	ck_assert_int_eq(status, 0);
	n = json_object_array_length(o);
	json_object_put(o);
	return n;
}

static void check_unchanged(size_t workloads, const char *what)
{
	char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/workloads", state);
	ck_assert_msg(list_len() == workloads, "%s: list changed", what);
	/* cgroup dirs: the parent's entries minus its interface files */
	ck_assert_msg(count_entries(dir) == workloads, "%s: registry changed", what);
	ck_assert_msg(count_entries(netns_dir) == 0, "%s: a namespace was left", what);
}

static size_t cgroup_dirs(void)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(parent);

	while (d && (de = readdir(d)))
		n += de->d_type == DT_DIR && de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

START_TEST(test_round_trip)
{
	char id[64], path[PATH_MAX + 64], cmd[128], *log;
	struct json_object *o;
	int status, pid;

	ck_assert_msg(vigild_up(), "vigild did not come up");
	id_of(id, sizeof(id), "rt");
	create_ok(id, "[\"sh\",\"-c\",\"echo started {id}; exec sleep 1000\"]");
	ck_assert_uint_eq(list_len(), 1);
	o = show(id);
	ck_assert_str_eq(state_of(o), "created");
	ck_assert_str_eq(jstr(o, "owner"), "tester");
	ck_assert_int_eq(jint(o, "vcpus"), 1);
	ck_assert_int_eq(jint(o, "memory_mib"), 64);
	ck_assert_int_eq(jint(o, "slot"), 0);
	snprintf(path, sizeof(path), "%s/%s", parent, id);
	ck_assert_str_eq(jstr(o, "cgroup"), path);
	json_object_put(o);

	o = wl_cmd(&status, "start", id);
	ck_assert_msg(status == 0, "start: %s", jstr(o, "error"));
	ck_assert_str_eq(state_of(o), "running");
	pid = (int)jint(o, "pid");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", parent, id);
	log = read_file(path);
	snprintf(cmd, sizeof(cmd), "%d\n", pid);
	ck_assert_ptr_nonnull(strstr(log, cmd));
	free(log);

	o = wl_cmd(&status, "stop", id);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(state_of(o), "stopped");
	json_object_put(o);
	ck_assert_int_eq(kill(pid, 0), -1);

	o = wl_cmd(&status, "delete", id);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(state_of(o), "deleted");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/%s", parent, id);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* the record stays, so the id is not reused while its usage is unexported */
	o = show(id);
	ck_assert_str_eq(state_of(o), "deleted");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/logs/%s.log", state, id);
	log = read_file(path);
	snprintf(cmd, sizeof(cmd), "started %s", id);
	ck_assert_msg(log && strstr(log, cmd), "log: %s", log);
	free(log);
}
END_TEST

/* The template with its "%d" (if any) replaced by our pid, so ids are ours alone. */
static void subst_pid(char *buf, size_t len, const char *tmpl)
{
	const char *p = strstr(tmpl, "%d");

	if (!p)
		snprintf(buf, len, "%s", tmpl);
	else
		snprintf(buf, len, "%.*s%d%s", (int)(p - tmpl), tmpl, getpid(), p + 2);
}

START_TEST(test_bad_input_changes_nothing)
{
	static const struct {
		const char *spec, *error;
	} bad[] = {
		{ "{\"id\": \"x\",\n \"owner\": }", "malformed JSON at line 2" },
		{ "{\"id\":\"u%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"true\"],"
		  "\"colour\":\"red\"}",
		  "unknown field \"colour\"" },
		{ "{\"id\":\"Bad_%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"true\"]}",
		  "invalid id" },
		{ "{\"id\":\"c%d\",\"owner\":\"o\",\"vcpus\":0,\"memory_mib\":64,\"command\":[\"true\"]}",
		  "vcpus must be between 1 and 1024" },
		{ "{\"id\":\"m%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":2,\"command\":[\"true\"]}",
		  "memory_mib must be between 64 and 1048576" },
		{ "{\"id\":\"e%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[]}",
		  "command must have 1 to 256 arguments" },
		{ "{\"id\":\"x%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		  "\"command\":[\"/nonexistent/vigil-test-binary\"]}",
		  "cannot execute \"/nonexistent/vigil-test-binary\": No such file or directory" },
		{ "{\"id\":\"p%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		  "\"command\":[\"vigil-no-such-program\"]}",
		  "cannot execute \"vigil-no-such-program\": No such file or directory (searched PATH)" },
		{ "{\"id\":\"n%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64}",
		  "command is required" },
		{ "{\"id\":\"t%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"],"
		  "\"network\":{\"mode\":\"tap\"}}",
		  "\"tap\" (microVMs) is not supported yet" },
		{ "{\"id\":\"v%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"],"
		  "\"volume\":{\"size_mib\":10}}",
		  "volume: not supported yet" },
		{ "{\"id\":\"dup-%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"]}",
		  "already exists" },
	};
	char id[64], text[512], err[512], prog[PATH_MAX];
	struct json_object *o;
	int status;

	ck_assert_msg(vigild_up(), "vigild did not come up");
	id_of(id, sizeof(id), "dup");
	create_ok(id, "[\"true\"]");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		subst_pid(text, sizeof(text), bad[i].spec);
		ck_assert_int_eq(create(text, err, sizeof(err)), 1);
		ck_assert_msg(strstr(err, bad[i].error), "expected \"%s\" in \"%s\"", bad[i].error,
			      err);
		check_unchanged(1, bad[i].error);
		ck_assert_uint_eq(cgroup_dirs(), 1);
	}

	/*
	 * A program that is gone by the time the workload starts: a clear
	 * error, and the workload stays created.
	 */
	id_of(id, sizeof(id), "noexec");
	snprintf(prog, sizeof(prog), "%s/vanishing-program", scratch);
	write_spec(prog, "#!/bin/sh\nexit 0\n");
	ck_assert_int_eq(chmod(prog, 0755), 0);
	snprintf(text, sizeof(text), "[\"%s\"]", prog);
	create_ok(id, text);
	ck_assert_int_eq(unlink(prog), 0);
	o = wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 1);
	snprintf(text, sizeof(text), "cannot execute \"%s\": No such file or directory", prog);
	ck_assert_msg(strstr(jstr(o, "error"), text), "%s", jstr(o, "error"));
	json_object_put(o);
	o = show(id);
	ck_assert_str_eq(state_of(o), "created");
	json_object_put(o);

	/* --max-workloads 3: the fourth finds no slot */
	id_of(id, sizeof(id), "third");
	create_ok(id, "[\"true\"]");
	snprintf(text, sizeof(text),
		 "{\"id\":\"fourth-%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"true\"]}",
		 getpid());
	ck_assert_int_eq(create(text, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "no free slot"), "%s", err);
	check_unchanged(3, "no free slot");
	ck_assert_uint_eq(cgroup_dirs(), 3);
}
END_TEST

START_TEST(test_exit_is_stopped_and_usage_stays)
{
	char id[64];
	struct json_object *o, *u;
	int status;
	bool stopped = false;

	ck_assert_msg(vigild_up(), "vigild did not come up");
	id_of(id, sizeof(id), "ex");
	create_ok(id, "[\"sh\",\"-c\",\"i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; "
		      "exit 3\"]");
	o = wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	for (int i = 0; i < 300 && !stopped; i++) {
		o = show(id);
		stopped = strcmp(state_of(o), "stopped") == 0;
		if (!stopped) {
			json_object_put(o);
			usleep(50 * 1000);
		}
	}
	ck_assert_msg(stopped, "the workload's exit was not noticed");
	ck_assert_int_eq(jint(o, "exit_status"), 3);
	ck_assert(json_object_object_get_ex(o, "usage", &u));
	ck_assert_int_gt(jint(u, "cpu_ns"), 0);
	ck_assert_str_eq(jstr(u, "workload"), id);
	json_object_put(o);
}
END_TEST

START_TEST(test_restart_keeps_workloads)
{
	char a[64], b[64];
	struct json_object *o;
	int status, pid;

	ck_assert_msg(vigild_up(), "vigild did not come up");
	id_of(a, sizeof(a), "keep");
	id_of(b, sizeof(b), "idle");
	create_ok(a, "[\"sleep\",\"1000\"]");
	create_ok(b, "[\"true\"]");
	o = wl_cmd(&status, "start", a);
	ck_assert_int_eq(status, 0);
	pid = (int)jint(o, "pid");
	json_object_put(o);

	stop_vigild();
	ck_assert_int_eq(kill(pid, 0), 0);
	ck_assert_int_eq(access(sock, F_OK), -1);
	vigild_pid = spawn_vigild();
	ck_assert_msg(vigild_up(), "vigild did not come back");
	ck_assert_uint_eq(list_len(), 2);
	o = show(a);
	ck_assert_str_eq(state_of(o), "running");
	ck_assert_int_eq(jint(o, "pid"), pid);
	json_object_put(o);
	o = show(b);
	ck_assert_str_eq(state_of(o), "created");
	json_object_put(o);
	/* the adopted workload (not the new daemon's child) can still be stopped */
	o = wl_cmd(&status, "stop", a);
	ck_assert_msg(status == 0, "stop: %s", jstr(o, "error"));
	ck_assert_str_eq(state_of(o), "stopped");
	json_object_put(o);
}
END_TEST

static uint16_t icmp_sum(const void *buf, size_t len)
{
	const uint16_t *p = buf;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One ICMP echo to `addr`; true when the reply comes back within 2 s. */
static bool ping(const char *addr)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 2 };
	struct icmphdr req = { .type = ICMP_ECHO };
	char buf[256];
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	bool ok = false;

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, addr, &to.sin_addr);
	req.un.echo.id = htons((uint16_t)getpid());
	req.un.echo.sequence = htons(1);
	req.checksum = icmp_sum(&req, sizeof(req));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)),
			 sizeof(req));
	for (int i = 0; i < 10 && !ok; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		struct icmphdr *h = (struct icmphdr *)(buf + 20);

		if (n < 28)
			break;
		ok = from.sin_addr.s_addr == to.sin_addr.s_addr && h->type == ICMP_ECHOREPLY &&
		     h->un.echo.id == req.un.echo.id;
	}
	close(fd);
	return ok;
}

/*
 * The workload's network usage equals its host interface's own counters
 * (host tx = workload rx). Stray packets (IPv6 neighbour discovery) may
 * pass between the reads, so the usage must lie between two readings.
 */
static void assert_usage_equals_interface(const char *id, const char *ifname)
{
	static const char *const pairs[][2] = {
		{ "net_rx_bytes", "tx_bytes" },
		{ "net_rx_packets", "tx_packets" },
		{ "net_tx_bytes", "rx_bytes" },
		{ "net_tx_packets", "rx_packets" },
	};
	uint64_t before[4], after[4];
	struct json_object *o, *u;

	for (int i = 0; i < 4; i++)
		before[i] = interface_stat(ifname, pairs[i][1]);
	o = show(id);
	for (int i = 0; i < 4; i++)
		after[i] = interface_stat(ifname, pairs[i][1]);
	ck_assert(json_object_object_get_ex(o, "usage", &u));
	for (int i = 0; i < 4; i++) {
		uint64_t got = (uint64_t)jint(u, pairs[i][0]);

		printf("veth: %s %llu, interface %s %llu\n", pairs[i][0], (unsigned long long)got,
		       pairs[i][1], (unsigned long long)after[i]);
		ck_assert_msg(got >= before[i] && got <= after[i] && got > 0,
			      "%s = %llu, but %s of %s went from %llu to %llu", pairs[i][0],
			      (unsigned long long)got, pairs[i][1], ifname,
			      (unsigned long long)before[i], (unsigned long long)after[i]);
	}
	/* to the host side (the veth's subnet), ARP, neighbour discovery: all private */
	ck_assert_int_eq(jint(u, "net_tx_private_bytes"), jint(u, "net_tx_bytes"));
	ck_assert_int_eq(jint(u, "net_tx_public_bytes"), 0);
	json_object_put(o);
}

START_TEST(test_veth)
{
	char id[64], text[1024], err[512], ifname[IF_NAMESIZE], addr[32], host[32];
	char nspath[PATH_MAX + 64], procns[64];
	struct json_object *o;
	struct stat a, b;
	int status, pid, x = getpid() & 0xff, y = ((getpid() >> 8) & 0x3f) * 4;

	ck_assert_msg(vigild_up(), "vigild did not come up");
	id_of(id, sizeof(id), "nt");
	snprintf(addr, sizeof(addr), "198.19.%d.%d", x, y + 2);
	snprintf(host, sizeof(host), "198.19.%d.%d", x, y + 1);
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1000\"],\"network\":{\"mode\":\"veth\","
		 "\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\"}}",
		 id, addr, host);
	ck_assert_msg(create(text, err, sizeof(err)) == 0, "create: %s", err);
	snprintf(ifname, sizeof(ifname), "vg-%s", id);
	ck_assert_uint_ne(if_nametoindex(ifname), 0);
	snprintf(nspath, sizeof(nspath), "%s/%s", netns_dir, id);
	ck_assert_int_eq(stat(nspath, &a), 0);

	o = wl_cmd(&status, "start", id);
	ck_assert_msg(status == 0, "start: %s", jstr(o, "error"));
	pid = (int)jint(o, "pid");
	json_object_put(o);
	snprintf(procns, sizeof(procns), "/proc/%d/ns/net", pid);
	ck_assert_int_eq(stat(procns, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	o = show(id);
	ck_assert_int_eq(jint(json_object_object_get(o, "network"), "ifindex"),
			 (int)if_nametoindex(ifname));
	json_object_put(o);
	ck_assert_msg(ping(addr), "%s does not answer from the host side", addr);
	assert_usage_equals_interface(id, ifname);

	o = wl_cmd(&status, "delete", id);
	ck_assert_msg(status == 0, "delete: %s", jstr(o, "error"));
	json_object_put(o);
	ck_assert_uint_eq(if_nametoindex(ifname), 0);
	ck_assert_int_eq(access(nspath, F_OK), -1);
}
END_TEST

/* cpu_ns of `id` read straight from the pinned maps, as while vigild is down. */
static uint64_t pinned_cpu_ns(const char *id)
{
	char pin_dir[PATH_MAX + 8];
	struct cmd_result r;
	struct json_object *o;
	uint64_t ns;

	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", bpffs);
	run_vigil(&r, "--pin-dir", pin_dir, "-j", "usage", "show", id, NULL);
	ck_assert_msg(r.status == 0, "usage show: %s", r.out);
	o = parse_json(r.out);
	ck_assert_ptr_nonnull(o);
	ns = (uint64_t)jint(o, "cpu_ns");
	json_object_put(o);
	cmd_result_free(&r);
	return ns;
}

static unsigned int pinned_usage_map_id(void)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/vigil/vigil_usage", bpffs);
	fd = bpf_obj_get(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.id;
}

START_TEST(test_kill9_mid_burn)
{
	char id[64], cmd[PATH_MAX + 64], self[PATH_MAX] = { 0 }, cgroup[PATH_MAX];
	uint64_t samples[4], kernel;
	struct json_object *o;
	unsigned int map_id;
	bool stopped = false;
	int status, users;

	ck_assert_msg(vigild_up(), "vigild did not come up");
	ck_assert_int_gt(readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
	id_of(id, sizeof(id), "crash");
	snprintf(cmd, sizeof(cmd), "[\"%s\",\"--burn\",\"3000\"]", self);
	create_ok(id, cmd);
	map_id = pinned_usage_map_id();
	users = bpf_programs_using_map(map_id);
	o = wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	snprintf(cgroup, sizeof(cgroup), "%s", jstr(o, "cgroup"));
	json_object_put(o);

	usleep(800 * 1000);
	samples[0] = pinned_cpu_ns(id);
	stop_vigild_hard();
	usleep(800 * 1000);
	/* nobody is home, and the programs keep counting */
	samples[1] = pinned_cpu_ns(id);
	vigild_pid = spawn_vigild();
	ck_assert_msg(vigild_up(), "vigild did not come back");
	samples[2] = pinned_cpu_ns(id);
	for (int i = 0; i < 200 && !stopped; i++) {
		o = show(id);
		stopped = strcmp(state_of(o), "stopped") == 0;
		json_object_put(o);
		if (!stopped)
			usleep(50 * 1000);
	}
	ck_assert_msg(stopped, "the burn did not end");
	usleep(100 * 1000);
	samples[3] = pinned_cpu_ns(id);
	printf("kill -9: cpu_ns %llu (before), %llu (vigild dead), %llu (restarted), %llu (end)\n",
	       (unsigned long long)samples[0], (unsigned long long)samples[1],
	       (unsigned long long)samples[2], (unsigned long long)samples[3]);
	ck_assert_uint_gt(samples[0], 0);
	ck_assert_uint_gt(samples[1], samples[0]);
	ck_assert_uint_ge(samples[2], samples[1]);
	ck_assert_uint_ge(samples[3], samples[2]);
	/* re-adopted, not attached a second time, the same map */
	ck_assert_uint_eq(pinned_usage_map_id(), map_id);
	ck_assert_int_eq(bpf_programs_using_map(map_id), users);
	kernel = cgroup_cpu_stat_ns(cgroup);
	printf("kill -9: metered %llu ns, cpu.stat %llu ns\n", (unsigned long long)samples[3],
	       (unsigned long long)kernel);
	ck_assert_msg(samples[3] * 100 >= kernel * 99 && samples[3] * 100 <= kernel * 101,
		      "metered %llu ns vs cpu.stat %llu ns: off by more than 1%%",
		      (unsigned long long)samples[3], (unsigned long long)kernel);
}
END_TEST

static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, make_env, remove_env);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

int main(int argc, char **argv)
{
	Suite *s = suite_create("workload");

	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	require_root("workload");
	if (vigil_cgroup2_detect(&cg2) < 0) {
		fprintf(stderr, "workload: skipped: cgroup v2 is not mounted\n");
		return EXIT_SKIP;
	}
	add_case(s, "round_trip", test_round_trip);
	add_case(s, "bad_input", test_bad_input_changes_nothing);
	add_case(s, "exit", test_exit_is_stopped_and_usage_stays);
	add_case(s, "restart", test_restart_keeps_workloads);
	add_case(s, "veth", test_veth);
	add_case(s, "kill9", test_kill9_mid_burn);
	return run_suite(s);
}
