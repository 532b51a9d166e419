// SPDX-License-Identifier: GPL-2.0-or-later
#include "vigild_fixture.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "meter_loader.h"
#include "registry.h"
#include "tap.h"
#include "testutil.h"

struct vigild_fixture vf = { .max_arg = "3" };

/* one vigild this case started */
struct vigild_proc {
	pid_t pid;
	unsigned long long start; /* /proc/PID/stat's start time, in clock ticks */
};

void vf_require(const char *suite)
{
	require_root(suite);
	if (vigil_cgroup2_detect(&vf.cg2) < 0) {
		printf("%s: skipped: cgroup v2 is not mounted\n", suite);
		exit(EXIT_SKIP);
	}
}

const char *vf_vigild_bin(void)
{
	const char *bin = getenv("VIGILD");

	return bin && *bin ? bin : "build/vigild";
}

void vf_id_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s-%d", name, getpid());
}

/*
 * Every vigild a case starts, the fixture's and each one a test restarts
 * from its own (forked) process, is a line "PID START" of this file: the
 * teardown runs in Check's parent process, which sees nothing of a forked
 * test's memory. START tells the vigild from a later process given the same
 * pid, which is not far-fetched with a pid_max of 32768.
 */
static void list_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/vigild.pids", vf.scratch);
}

/* Field 22 of /proc/PID/stat; 0 if there is no such process. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], *stat, *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = read_file(path);
	/* after the command (which may hold spaces), field 22 follows the 20th space */
	p = stat ? strrchr(stat, ')') : NULL;
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	free(stat);
	return t;
}

/* The vigilds this case started, oldest first: *n of them. */
static struct vigild_proc *started(size_t *n)
{
	char path[PATH_MAX + 16], *text, *line, *save = NULL;
	struct vigild_proc *v = NULL;

	*n = 0;
	list_path(path, sizeof(path));
	text = read_file(path);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		v = realloc(v, (*n + 1) * sizeof(*v));
		if (!v)
			abort();
		if (sscanf(line, "%d %llu", &v[*n].pid, &v[*n].start) == 2)
			(*n)++;
	}
	free(text);
	return v;
}

/* Starts vigild and adds it to the case's list, so the teardown finds it wherever it started. */
pid_t vf_spawn_vigild(void)
{
	char path[PATH_MAX + 16];
	pid_t pid = fork();
	FILE *f;

	if (pid == 0) {
		int fd = open(vf.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		dup2(fd, STDERR_FILENO);
		if (vf.before_exec)
			vf.before_exec();
		const char *argv[32] = { "vigild",
					 "--state-dir",
					 vf.state,
					 "--bpffs",
					 vf.bpffs,
					 "--socket",
					 vf.sock,
					 "--cgroup-parent",
					 vf.parent_name,
					 "--max-workloads",
					 vf.max_arg,
					 "--stop-timeout",
					 "2",
					 "--listen",
					 vf.listen };
		size_t n = 15;

		/* the suite's binary, re-executed as a workload, is in the jail as a ro_path */
		argv[n++] = "--image-dir";
		argv[n++] = vf_self_dir();
		argv[n++] = "--image-dir";
		argv[n++] = vf.images;

		for (size_t i = 0; vf.extra_args[i] && n < 31; i++)
			argv[n++] = vf.extra_args[i];
		execv(vf_vigild_bin(), (char **)argv);
		_exit(127);
	}
	list_path(path, sizeof(path));
	/* not yet waited for, so its /proc entry is there to read */
	f = pid > 0 ? fopen(path, "a") : NULL;
	if (!f || fprintf(f, "%d %llu\n", pid, start_time(pid)) < 0 || fclose(f)) {
		/* a vigild the teardown does not know of is the leak this list is for */
		fprintf(stderr, "%s: cannot start vigild and list it in %s\n", vf.suite, path);
		if (pid > 0)
			kill(pid, SIGKILL);
		abort();
	}
	return pid;
}

/*
 * Sends sig to vigild v and waits up to 10 s for all of it to be gone; true
 * once it is (or was already). All of it: after a kill -9 the main thread
 * is a zombie while the other threads are still closing the descriptors
 * they share, among them the netlink socket that owns vigil's tables, and
 * an `nft delete table` gets EPERM until the last one closes it. A pidfd
 * polls readable only once every thread has exited.
 */
static bool stop_and_wait(const struct vigild_proc *v, int sig)
{
	int fd = (int)syscall(SYS_pidfd_open, v->pid, 0);
	struct pollfd p = { .events = POLLIN };
	int r;

	if (fd < 0)
		return true;
	/* opened first: a start time that still matches was this vigild's all along */
	if (start_time(v->pid) != v->start) {
		close(fd);
		return true;
	}
	syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	p.fd = fd;
	do
		r = poll(&p, 1, 10 * 1000);
	while (r < 0 && errno == EINTR);
	close(fd);
	/* a zombie: this process's to reap if it started it; it is gone either way */
	if (r == 1)
		waitpid(v->pid, NULL, WNOHANG);
	return r == 1;
}

/* Signals the newest vigild and asserts it is gone within 10 s. */
static void stop_newest(int sig)
{
	size_t n;
	struct vigild_proc *v = started(&n), newest = n ? v[n - 1] : (struct vigild_proc){ 0 };

	free(v);
	ck_assert_msg(n > 0, "no vigild was started");
	ck_assert_msg(stop_and_wait(&newest, sig), "vigild %d still runs 10 s after signal %d",
		      newest.pid, sig);
}

pid_t vf_vigild_pid(void)
{
	size_t n;
	struct vigild_proc *v = started(&n);
	pid_t pid = n ? v[n - 1].pid : 0;

	free(v);
	ck_assert_msg(pid > 0, "no vigild was started");
	return pid;
}

/* Waits for vigild to answer; false when it does not within 20 s. */
bool vf_vigild_up(void)
{
	for (int i = 0; i < 400; i++) {
		struct cmd_result r;
		bool ok;

		run_vigil(&r, "--socket", vf.sock, "-j", "workload", "list", NULL);
		ok = r.status == 0;
		cmd_result_free(&r);
		if (ok)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

void vf_stop_vigild_hard(void)
{
	stop_newest(SIGKILL);
}

void vf_stop_vigild(void)
{
	stop_newest(SIGTERM);
}

/*
 * Every vigild of the case, whether a test restarted it or Check's kill of
 * the test's process group (after each test) killed it, and each one gone
 * entirely; SIGKILL for one that outlives SIGTERM by 10 s.
 */
static bool stop_all(void)
{
	size_t n;
	struct vigild_proc *v = started(&n);
	bool all = true;

	for (size_t i = 0; i < n; i++) {
		if (!stop_and_wait(&v[i], SIGTERM) && !stop_and_wait(&v[i], SIGKILL)) {
			fprintf(stderr, "%s: vigild %d still runs 10 s after SIGKILL\n", vf.suite,
				v[i].pid);
			all = false;
		}
	}
	free(v);
	return all;
}

/*
 * vigild's tables outlive it (owned, persistent): the suites make them in
 * the host's namespace, and remove them once no vigild holds them. Says
 * which one stays: owned by a process still alive, or made after the
 * delete; a leak fails the suite rather than surprising whoever runs next.
 */
bool vf_delete_tables(void)
{
	static const char *const tables[] = { "inet vigil", "arp vigil" };
	bool gone = true;

	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		sh("nft delete table %s 2>/dev/null", tables[i]);
		if (sh("nft list table %s >/dev/null 2>&1", tables[i]) == 0) {
			fprintf(stderr, "%s: table %s is left in the host's network namespace\n",
				program_invocation_short_name, tables[i]);
			gone = false;
		}
	}
	return gone;
}

void vf_make_env(void)
{
	snprintf(vf.scratch, sizeof(vf.scratch), "/tmp/vigil-test-%s-XXXXXX", vf.suite);
	if (vigil_cgroup2_detect(&vf.cg2) < 0 || !mkdtemp(vf.scratch))
		abort();
	snprintf(vf.bpffs, sizeof(vf.bpffs), "%s/bpffs", vf.scratch);
	snprintf(vf.state, sizeof(vf.state), "%s/state", vf.scratch);
	snprintf(vf.sock, sizeof(vf.sock), "%s/run/vigil.sock", vf.scratch);
	snprintf(vf.netns_dir, sizeof(vf.netns_dir), "%s/run/netns", vf.scratch);
	snprintf(vf.log_path, sizeof(vf.log_path), "%s/vigild.log", vf.scratch);
	snprintf(vf.images, sizeof(vf.images), "%s/images", vf.scratch);
	if (mkdir(vf.images, 0755) < 0)
		abort();
	snprintf(vf.parent_name, sizeof(vf.parent_name), "vigil-test-%s-%d", vf.suite, getpid());
	/* the kernel picks the port; tests that need it read it from the log */
	snprintf(vf.listen, sizeof(vf.listen), "127.0.0.1:0");
	snprintf(vf.parent, sizeof(vf.parent), "%s/%s", vf.cg2.mount, vf.parent_name);
	if (mkdir(vf.bpffs, 0700) < 0 || mount("bpf", vf.bpffs, "bpf", 0, "mode=0700") < 0)
		abort();
	if (vf.state_tmpfs_mib) {
		char opts[32];

		snprintf(opts, sizeof(opts), "size=%um,mode=0700", vf.state_tmpfs_mib);
		if (mkdir(vf.state, 0700) < 0 || mount("tmpfs", vf.state, "tmpfs", 0, opts) < 0)
			abort();
	}
	vf_spawn_vigild();
}

static int remove_tap(struct vigil_workload *w, void *ctx)
{
	if (w->spec.net_mode == VIGIL_NET_TAP && w->host_ifname[0])
		vigil_tap_delete(w->host_ifname);
	vigil_workload_spec_free(&w->spec);
	free(w);
	return 0;
}

static void ignore_bad(const char *file, const char *reason, void *ctx)
{
}

void vf_remove_env(void)
{
	char path[PATH_MAX + NAME_MAX + 2], cmd[PATH_MAX + 32];
	/* every vigild gone first: a table is deletable only once nobody owns it */
	bool stopped = stop_all();
	bool tables_gone = vf_delete_tables();
	struct dirent *de;
	DIR *d;

	d = opendir(vf.parent);
	while (d && (de = readdir(d))) {
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", vf.parent, de->d_name);
			cgroup_kill_remove(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(vf.parent);
	/* a tap lives in the host's namespace, persistent: the records name them */
	vigil_registry_load(vf.state, remove_tap, ignore_bad, NULL);
	/* removing a namespace removes the veth pair in it */
	d = opendir(vf.netns_dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", vf.netns_dir, de->d_name);
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/vigil", vf.bpffs);
	vigil_meter_unpin(path);
	umount2(vf.bpffs, MNT_DETACH);
	if (vf.state_tmpfs_mib)
		umount2(vf.state, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", vf.scratch);
	(void)!system(cmd);
	/* the rest is removed; what could not be is a failure, said above */
	if (!stopped || !tables_gone)
		abort();
}

/* `vigil -j --socket S workload ARGS...`; returns the parsed output. */
struct json_object *vf_wl_cmd(int *status, const char *a1, const char *a2)
{
	const char *args[] = { "--socket", vf.sock, "-j", "workload", a1, a2, NULL };
	struct json_object *o;
	struct cmd_result r;

	run_vigil_args(&r, args, 7);
	o = parse_json(r.out);
	ck_assert_msg(o, "not JSON: %s / %s", r.out, r.err);
	*status = r.status;
	cmd_result_free(&r);
	return o;
}

void vf_wl_ok(const char *cmd, const char *id)
{
	int status;
	struct json_object *o = vf_wl_cmd(&status, cmd, id);

	ck_assert_msg(status == 0, "%s %s: %s", cmd, id, vf_jstr(o, "error"));
	json_object_put(o);
}

const char *vf_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

int64_t vf_jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

void vf_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Creates from `text`; returns the exit status, the error (if any) in err. */
int vf_create(const char *text, char *err, size_t len)
{
	char path[PATH_MAX];
	struct json_object *o;
	int status;

	snprintf(path, sizeof(path), "%s/spec.json", vf.scratch);
	vf_write_file(path, text);
	o = vf_wl_cmd(&status, "create", path);
	if (err)
		snprintf(err, len, "%s", vf_jstr(o, "error") ? vf_jstr(o, "error") : "");
	json_object_put(o);
	return status;
}

const char *vf_self(void)
{
	static char self[PATH_MAX];

	if (!self[0] && readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
		abort();
	return self;
}

const char *vf_self_dir(void)
{
	static char dir[PATH_MAX];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s", vf_self());
		*strrchr(dir, '/') = '\0';
	}
	return dir;
}

void vf_create_ok(const char *id, const char *command)
{
	char text[PATH_MAX + 1024], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":%s,\"jail\":{\"ro_paths\":[\"%s\"]}}",
		 id, command, vf_self());
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create %s: %s", id, err);
}

struct json_object *vf_show(const char *id)
{
	int status;
	struct json_object *o = vf_wl_cmd(&status, "show", id);

	ck_assert_msg(status == 0, "show %s: %s", id, vf_jstr(o, "error"));
	return o;
}

const char *vf_state_of(struct json_object *o)
{
	return vf_jstr(o, "state");
}

void vf_add_case(Suite *s, const char *name, const TTest *test, void (*setup)(void),
		 void (*teardown)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

struct json_object *vf_last_record(const char *id)
{
	char db[PATH_MAX + 16], *line, *last = NULL;
	struct json_object *o;
	struct cmd_result r;

	snprintf(db, sizeof(db), "%s/ledger.db", vf.state);
	run_vigil(&r, "ledger", "export", "--db", db, NULL);
	ck_assert_msg(r.status == 0, "ledger export: %s", r.err);
	for (line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, id))
			last = line;
	ck_assert_msg(last, "no record of %s", id);
	o = parse_json(last);
	ck_assert_ptr_nonnull(o);
	cmd_result_free(&r);
	return o;
}

unsigned int vf_http_port(void)
{
	unsigned int port = 0;

	for (int i = 0; i < 100 && !port; i++) {
		char *log = read_file(vf.log_path), *p = log ? strrchr(log, '(') : NULL;

		while (p && p > log && sscanf(p, "(port %u)", &port) != 1)
			p = memrchr(log, '(', (size_t)(p - log));
		free(log);
		if (!port)
			usleep(50 * 1000);
	}
	ck_assert_uint_ne(port, 0);
	return port;
}

char *vf_workload_log(const char *id)
{
	char path[PATH_MAX + 80];

	snprintf(path, sizeof(path), "%s/logs/%s.log", vf.state, id);
	return read_file(path);
}

struct json_object *vf_wait_state(const char *id, const char *state, double seconds)
{
	for (double end = now_s() + seconds; now_s() < end; usleep(20 * 1000)) {
		struct json_object *o = vf_show(id);

		if (strcmp(vf_state_of(o), state) == 0)
			return o;
		json_object_put(o);
	}
	ck_abort_msg("workload %s is not %s after %.0f s", id, state, seconds);
	return NULL;
}

int vf_control_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", vf.sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

bool vf_wait_log(const char *id, const char *what, double seconds)
{
	for (double end = now_s() + seconds; now_s() < end; usleep(100 * 1000)) {
		char *log = vf_workload_log(id);
		bool found = log && strstr(log, what);

		free(log);
		if (found)
			return true;
	}
	return false;
}

int vf_send_request(const char *req)
{
	int fd = vf_control_connect();

	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	return fd;
}

char *vf_reply_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char *buf = calloc(1, 4096);
	size_t used = 0;
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	while (used < 4095 && poll(&p, 1, ms) == 1) {
		n = read(fd, buf + used, 4095 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

double vf_list_ms(void)
{
	double t0 = now_s();
	struct json_object *o;
	int status;

	o = vf_wl_cmd(&status, "list", NULL);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	return (now_s() - t0) * 1000;
}
