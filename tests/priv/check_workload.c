// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Workloads end to end: the real vigild with a private vf.state dir, socket,
 * vf.bpffs and cgroup vf.parent, driven by the real `vigil workload`. Each test
 * gets its own daemon, started and torn down by unchecked fixtures in the
 * vf.parent process, so a failing test still leaves nothing behind.
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
#include "prom.h"
#include "testutil.h"
#include "vigild_fixture.h"

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
	struct json_object *o = vf_wl_cmd(&status, "list", NULL);
	size_t n;

	ck_assert_int_eq(status, 0);
	n = json_object_array_length(o);
	json_object_put(o);
	return n;
}

static void check_unchanged(size_t workloads, const char *what)
{
	char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/workloads", vf.state);
	ck_assert_msg(list_len() == workloads, "%s: list changed", what);
	/* cgroup dirs: the vf.parent's entries minus its interface files */
	ck_assert_msg(count_entries(dir) == workloads, "%s: registry changed", what);
	ck_assert_msg(count_entries(vf.netns_dir) == 0, "%s: a namespace was left", what);
}

static size_t cgroup_dirs(void)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(vf.parent);

	while (d && (de = readdir(d)))
		n += de->d_type == DT_DIR && de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* The ledger's last record of `id` is final. */
static void assert_final_record(const char *id)
{
	struct json_object *o = vf_last_record(id), *v;

	ck_assert(json_object_object_get_ex(o, "final", &v) && json_object_get_boolean(v));
	json_object_put(o);
}

START_TEST(test_round_trip)
{
	char id[64], path[PATH_MAX + 64], cmd[128], *log;
	struct json_object *o;
	int status, pid;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "rt");
	vf_create_ok(id, "[\"sh\",\"-c\",\"echo started {id}; exec sleep 1000\"]");
	ck_assert_uint_eq(list_len(), 1);
	o = vf_show(id);
	ck_assert_str_eq(vf_state_of(o), "created");
	ck_assert_str_eq(vf_jstr(o, "owner"), "tester");
	ck_assert_int_eq(vf_jint(o, "vcpus"), 1);
	ck_assert_int_eq(vf_jint(o, "memory_mib"), 64);
	ck_assert_int_eq(vf_jint(o, "slot"), 0);
	snprintf(path, sizeof(path), "%s/%s", vf.parent, id);
	ck_assert_str_eq(vf_jstr(o, "cgroup"), path);
	json_object_put(o);

	o = vf_wl_cmd(&status, "start", id);
	ck_assert_msg(status == 0, "start: %s", vf_jstr(o, "error"));
	ck_assert_str_eq(vf_state_of(o), "running");
	pid = (int)vf_jint(o, "pid");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", vf.parent, id);
	log = read_file(path);
	snprintf(cmd, sizeof(cmd), "%d\n", pid);
	ck_assert_ptr_nonnull(strstr(log, cmd));
	free(log);

	o = vf_wl_cmd(&status, "stop", id);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(vf_state_of(o), "stopped");
	json_object_put(o);
	ck_assert_int_eq(kill(pid, 0), -1);

	o = vf_wl_cmd(&status, "delete", id);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(vf_state_of(o), "deleted");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/%s", vf.parent, id);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* its final usage is in the ledger, so its slot and id are free again */
	o = vf_wl_cmd(&status, "show", id);
	ck_assert_int_eq(status, 1);
	ck_assert_ptr_nonnull(strstr(vf_jstr(o, "error"), "does not exist"));
	json_object_put(o);
	assert_final_record(id);
	vf_create_ok(id, "[\"true\"]");
	snprintf(path, sizeof(path), "%s/logs/%s.log", vf.state, id);
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
		  "cannot execute \"vigil-no-such-program\": No such file or directory (searched the jail's PATH)" },
		{ "{\"id\":\"n%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64}",
		  "command is required" },
		{ "{\"id\":\"t%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"],"
		  "\"network\":{\"mode\":\"tap\"}}",
		  "network.ipv4 is required in tap mode" },
		{ "{\"id\":\"v%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		  "\"command\":[\"x\",\"{volume}\"]}",
		  "command[1]: \"{volume}\" needs a volume (volume.size_mib)" },
		{ "{\"id\":\"dup-%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,\"command\":[\"x\"]}",
		  "already exists" },
	};
	char id[64], text[512], err[512], prog[PATH_MAX];
	struct json_object *o;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "dup");
	vf_create_ok(id, "[\"true\"]");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		subst_pid(text, sizeof(text), bad[i].spec);
		ck_assert_int_eq(vf_create(text, err, sizeof(err)), 1);
		ck_assert_msg(strstr(err, bad[i].error), "expected \"%s\" in \"%s\"", bad[i].error,
			      err);
		check_unchanged(1, bad[i].error);
		ck_assert_uint_eq(cgroup_dirs(), 1);
	}

	/*
	 * A program that is gone by the time the workload starts: a clear
	 * error, and the workload stays created.
	 */
	vf_id_of(id, sizeof(id), "noexec");
	snprintf(prog, sizeof(prog), "%s/vanishing-program", vf.images);
	vf_write_file(prog, "#!/bin/sh\nexit 0\n");
	ck_assert_int_eq(chmod(prog, 0755), 0);
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"%s\"],\"jail\":{\"ro_paths\":[\"%s\"]}}",
		 id, prog, prog);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(unlink(prog), 0);
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 1);
	snprintf(text, sizeof(text), "cannot execute \"%s\": No such file or directory", prog);
	ck_assert_msg(strstr(vf_jstr(o, "error"), text), "%s", vf_jstr(o, "error"));
	json_object_put(o);
	o = vf_show(id);
	ck_assert_str_eq(vf_state_of(o), "created");
	json_object_put(o);

	/* --max-workloads 3: the fourth finds no slot */
	vf_id_of(id, sizeof(id), "third");
	vf_create_ok(id, "[\"true\"]");
	snprintf(text, sizeof(text),
		 "{\"id\":\"fourth-%d\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"true\"]}",
		 getpid());
	ck_assert_int_eq(vf_create(text, err, sizeof(err)), 1);
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

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "ex");
	vf_create_ok(id, "[\"sh\",\"-c\",\"i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; "
			 "exit 3\"]");
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	for (int i = 0; i < 300 && !stopped; i++) {
		o = vf_show(id);
		stopped = strcmp(vf_state_of(o), "stopped") == 0;
		if (!stopped) {
			json_object_put(o);
			usleep(50 * 1000);
		}
	}
	ck_assert_msg(stopped, "the workload's exit was not noticed");
	ck_assert_int_eq(vf_jint(o, "exit_status"), 3);
	ck_assert(json_object_object_get_ex(o, "usage", &u));
	ck_assert_int_gt(vf_jint(u, "cpu_ns"), 0);
	ck_assert_str_eq(vf_jstr(u, "workload"), id);
	json_object_put(o);
}
END_TEST

/*
 * `vigil workload logs ID` prints what the workload wrote, and -f follows it
 * until interrupted; `workload show` says times and exits in words (the
 * raw figures stay in JSON) and aligns its usage in units.
 */
START_TEST(test_logs_and_show_text)
{
	char id[64], line[128], *out;
	struct json_object *o;
	struct cmd_result r;
	int pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "logs");
	vf_create_ok(id, "[\"sh\",\"-c\",\"echo out-line; echo err-line >&2; exit 143\"]");
	vf_wl_ok("start", id);
	json_object_put(vf_wait_state(id, "stopped", 10));
	ck_assert_int_eq(run_vigil(&r, "--socket", vf.sock, "workload", "logs", id, NULL), 0);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "out-line\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "err-line\n"));
	cmd_result_free(&r);

	ck_assert_int_eq(run_vigil(&r, "--socket", vf.sock, "workload", "show", id, NULL), 0);
	ck_assert_msg(strstr(r.out, "ended:       exited with status 143 (128 + SIGTERM)\n"), "%s",
		      r.out);
	ck_assert_ptr_null(strstr(r.out, "exit status:"));
	ck_assert_ptr_null(strstr(r.out, " ns:"));
	ck_assert_msg(strstr(r.out, "created:     20") && strstr(r.out, " UTC ("), "%s", r.out);
	ck_assert_msg(strstr(r.out, "\n  cpu_ns:  "), "%s", r.out);
	cmd_result_free(&r);
	o = vf_show(id);
	ck_assert_int_eq(vf_jint(o, "exit_status"), 143);
	ck_assert_int_gt(vf_jint(o, "created_unix_ns"), 0);
	json_object_put(o);

	/* -f: what is there, then it waits; an interrupt ends it cleanly */
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		execl(vigil_bin(), vigil_bin(), "--socket", vf.sock, "workload", "logs", id, "-f",
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	line[0] = '\0';
	while (got < sizeof(line) - 1 && !strstr(line, "err-line\n")) {
		ssize_t n = read(pipefd[0], line + got, sizeof(line) - 1 - got);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
		line[got] = '\0';
	}
	usleep(500 * 1000);
	/* still following: not exited */
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pipefd[0]);
	out = vf_workload_log(id);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "out-line"));
	free(out);
}
END_TEST

/* What `vigil -j usage show ID` (the pinned maps alone) says the workload is doing. */
static const char *pinned_state(const char *id, char *buf, size_t len)
{
	char pin_dir[PATH_MAX + 8];
	struct json_object *o, *v;
	struct cmd_result r;

	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", vf.bpffs);
	ck_assert_int_eq(run_vigil(&r, "-j", "--pin-dir", pin_dir, "usage", "show", id, NULL), 0);
	ck_assert_msg(r.status == 0, "usage show: %s", r.out);
	o = parse_json(r.out);
	ck_assert(o && json_object_object_get_ex(o, "state", &v));
	snprintf(buf, len, "%s", json_object_get_string(v));
	json_object_put(o);
	cmd_result_free(&r);
	return buf;
}

/* The state label of its vigil_workload_info on /metrics. */
static const char *metrics_state(const char *id, char *buf, size_t len)
{
	char url[64], want[96], *p;
	struct reply r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", vf_http_port());
	curl(&r, url, NULL, NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	snprintf(want, sizeof(want), "vigil_workload_info{workload=\"%s\"", id);
	p = strstr(r.body, want);
	ck_assert_msg(p && (p = strstr(p, "state=\"")), "no info of %s: %s", id, r.body);
	snprintf(buf, len, "%.*s", (int)strcspn(p + 7, "\""), p + 7);
	free(r.body);
	return buf;
}

/*
 * The three places a workload's state is read agree: `vigil workload show`
 * (vigild), `vigil usage show` (the pinned maps alone) and /metrics.
 */
START_TEST(test_state_agrees_everywhere)
{
	char id[64], a[32], b[32];
	struct json_object *o;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "st");
	vf_create_ok(id, "[\"sleep\",\"600\"]");
	ck_assert_str_eq(pinned_state(id, a, sizeof(a)), "created");
	ck_assert_str_eq(metrics_state(id, b, sizeof(b)), "created");
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	o = vf_show(id);
	ck_assert_str_eq(vf_state_of(o), "running");
	json_object_put(o);
	ck_assert_str_eq(pinned_state(id, a, sizeof(a)), "running");
	ck_assert_str_eq(metrics_state(id, b, sizeof(b)), "running");
	o = vf_wl_cmd(&status, "stop", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	o = vf_wait_state(id, "stopped", 10);
	json_object_put(o);
	ck_assert_str_eq(pinned_state(id, a, sizeof(a)), "stopped");
	ck_assert_str_eq(metrics_state(id, b, sizeof(b)), "stopped");
}
END_TEST

START_TEST(test_restart_keeps_workloads)
{
	char a[64], b[64];
	struct json_object *o;
	int status, pid;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(a, sizeof(a), "keep");
	vf_id_of(b, sizeof(b), "idle");
	vf_create_ok(a, "[\"sleep\",\"1000\"]");
	vf_create_ok(b, "[\"true\"]");
	o = vf_wl_cmd(&status, "start", a);
	ck_assert_int_eq(status, 0);
	pid = (int)vf_jint(o, "pid");
	json_object_put(o);

	vf_stop_vigild();
	ck_assert_int_eq(kill(pid, 0), 0);
	ck_assert_int_eq(access(vf.sock, F_OK), -1);
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	ck_assert_uint_eq(list_len(), 2);
	o = vf_show(a);
	ck_assert_str_eq(vf_state_of(o), "running");
	ck_assert_int_eq(vf_jint(o, "pid"), pid);
	json_object_put(o);
	o = vf_show(b);
	ck_assert_str_eq(vf_state_of(o), "created");
	json_object_put(o);
	/* the adopted workload (not the new daemon's child) can still be stopped */
	o = vf_wl_cmd(&status, "stop", a);
	ck_assert_msg(status == 0, "stop: %s", vf_jstr(o, "error"));
	ck_assert_str_eq(vf_state_of(o), "stopped");
	json_object_put(o);
}
END_TEST

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
	req.checksum = inet_checksum(&req, sizeof(req));
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
	o = vf_show(id);
	for (int i = 0; i < 4; i++)
		after[i] = interface_stat(ifname, pairs[i][1]);
	ck_assert(json_object_object_get_ex(o, "usage", &u));
	for (int i = 0; i < 4; i++) {
		uint64_t got = (uint64_t)vf_jint(u, pairs[i][0]);

		printf("veth: %s %llu, interface %s %llu\n", pairs[i][0], (unsigned long long)got,
		       pairs[i][1], (unsigned long long)after[i]);
		ck_assert_msg(got >= before[i] && got <= after[i] && got > 0,
			      "%s = %llu, but %s of %s went from %llu to %llu", pairs[i][0],
			      (unsigned long long)got, pairs[i][1], ifname,
			      (unsigned long long)before[i], (unsigned long long)after[i]);
	}
	/* to the host side (the veth's subnet), ARP, neighbour discovery: all private */
	ck_assert_int_eq(vf_jint(u, "net_tx_private_bytes"), vf_jint(u, "net_tx_bytes"));
	ck_assert_int_eq(vf_jint(u, "net_tx_public_bytes"), 0);
	json_object_put(o);
}

START_TEST(test_veth)
{
	char id[64], text[1024], err[512], ifname[IF_NAMESIZE], addr[32], host[32];
	char nspath[PATH_MAX + 64], procns[64];
	struct json_object *o;
	struct stat a, b;
	int status, pid, x = getpid() & 0xff, y = ((getpid() >> 8) & 0x3f) * 4;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "nt");
	snprintf(addr, sizeof(addr), "198.19.%d.%d", x, y + 2);
	snprintf(host, sizeof(host), "198.19.%d.%d", x, y + 1);
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"1000\"],\"network\":{\"mode\":\"veth\","
		 "\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\"}}",
		 id, addr, host);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create: %s", err);
	snprintf(ifname, sizeof(ifname), "vg-%s", id);
	ck_assert_uint_ne(if_nametoindex(ifname), 0);
	snprintf(nspath, sizeof(nspath), "%s/%s", vf.netns_dir, id);
	ck_assert_int_eq(stat(nspath, &a), 0);

	o = vf_wl_cmd(&status, "start", id);
	ck_assert_msg(status == 0, "start: %s", vf_jstr(o, "error"));
	pid = (int)vf_jint(o, "pid");
	json_object_put(o);
	snprintf(procns, sizeof(procns), "/proc/%d/ns/net", pid);
	ck_assert_int_eq(stat(procns, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	o = vf_show(id);
	ck_assert_int_eq(vf_jint(json_object_object_get(o, "network"), "ifindex"),
			 (int)if_nametoindex(ifname));
	json_object_put(o);
	ck_assert_msg(ping(addr), "%s does not answer from the host side", addr);
	assert_usage_equals_interface(id, ifname);

	o = vf_wl_cmd(&status, "delete", id);
	ck_assert_msg(status == 0, "delete: %s", vf_jstr(o, "error"));
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

	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", vf.bpffs);
	run_vigil(&r, "--pin-dir", pin_dir, "-j", "usage", "show", id, NULL);
	ck_assert_msg(r.status == 0, "usage show: %s", r.out);
	o = parse_json(r.out);
	ck_assert_ptr_nonnull(o);
	ns = (uint64_t)vf_jint(o, "cpu_ns");
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

	snprintf(path, sizeof(path), "%s/vigil/vigil_usage", vf.bpffs);
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

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	ck_assert_int_gt(readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
	vf_id_of(id, sizeof(id), "crash");
	snprintf(cmd, sizeof(cmd), "[\"%s\",\"--burn\",\"3000\"]", self);
	vf_create_ok(id, cmd);
	map_id = pinned_usage_map_id();
	users = bpf_programs_using_map(map_id);
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	snprintf(cgroup, sizeof(cgroup), "%s", vf_jstr(o, "cgroup"));
	json_object_put(o);

	usleep(800 * 1000);
	samples[0] = pinned_cpu_ns(id);
	vf_stop_vigild_hard();
	usleep(800 * 1000);
	/* nobody is home, and the programs keep counting */
	samples[1] = pinned_cpu_ns(id);
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	samples[2] = pinned_cpu_ns(id);
	for (int i = 0; i < 200 && !stopped; i++) {
		o = vf_show(id);
		stopped = strcmp(vf_state_of(o), "stopped") == 0;
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

int main(int argc, char **argv)
{
	Suite *s = suite_create("workload");

	vf.suite = "workload";
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	vf_require("workload");
	vf_add_case(s, "round_trip", test_round_trip, vf_make_env, vf_remove_env);
	vf_add_case(s, "bad_input", test_bad_input_changes_nothing, vf_make_env, vf_remove_env);
	vf_add_case(s, "exit", test_exit_is_stopped_and_usage_stays, vf_make_env, vf_remove_env);
	vf_add_case(s, "state", test_state_agrees_everywhere, vf_make_env, vf_remove_env);
	vf_add_case(s, "logs", test_logs_and_show_text, vf_make_env, vf_remove_env);
	vf_add_case(s, "restart", test_restart_keeps_workloads, vf_make_env, vf_remove_env);
	vf_add_case(s, "veth", test_veth, vf_make_env, vf_remove_env);
	vf_add_case(s, "kill9", test_kill9_mid_burn, vf_make_env, vf_remove_env);
	return run_suite(s);
}
