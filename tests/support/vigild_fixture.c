// SPDX-License-Identifier: GPL-2.0-or-later
#include "vigild_fixture.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "meter_loader.h"
#include "registry.h"
#include "tap.h"
#include "testutil.h"

struct vigild_fixture vf = { .max_arg = "3", .vigild_pid = -1 };

const char *vf_vigild_bin(void)
{
	const char *bin = getenv("VIGILD");

	return bin && *bin ? bin : "build/vigild";
}

void vf_id_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s-%d", name, getpid());
}

void vf_pid_file(char *buf, size_t len)
{
	snprintf(buf, len, "%s/vigild.pid", vf.scratch);
}

/*
 * Starts vigild and notes its pid in a file: a test may restart it from its
 * own process, and the teardown (in the parent) must still find it.
 */
pid_t vf_spawn_vigild(void)
{
	char path[PATH_MAX + 16];
	pid_t pid = fork();
	FILE *f;

	if (pid == 0) {
		int fd = open(vf.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		dup2(fd, STDERR_FILENO);
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

		for (size_t i = 0; vf.extra_args[i] && n < 31; i++)
			argv[n++] = vf.extra_args[i];
		execv(vf_vigild_bin(), (char **)argv);
		_exit(127);
	}
	vf_pid_file(path, sizeof(path));
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", pid);
		fclose(f);
	}
	return pid;
}

/* true once `pid` has exited (gone, or a zombie of another process) */
bool vf_exited(pid_t pid)
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

void vf_stop_pid(pid_t pid)
{
	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	for (int i = 0; i < 400 && !vf_exited(pid); i++)
		usleep(25 * 1000);
	waitpid(pid, NULL, WNOHANG);
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

/* kill -9 of whichever vigild the pid file names: no clean-up at all. */
void vf_stop_vigild_hard(void)
{
	char path[PATH_MAX + 16], *text;
	pid_t pid;

	vf_pid_file(path, sizeof(path));
	text = read_file(path);
	ck_assert_ptr_nonnull(text);
	pid = atoi(text);
	free(text);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 400 && !vf_exited(pid); i++)
		usleep(10 * 1000);
	waitpid(pid, NULL, WNOHANG);
}

/* Stops whichever vigild the pid file names. */
void vf_stop_vigild(void)
{
	char path[PATH_MAX + 16], *text;

	vf_pid_file(path, sizeof(path));
	text = read_file(path);
	if (text)
		vf_stop_pid(atoi(text));
	free(text);
	unlink(path);
	vf_stop_pid(vf.vigild_pid);
	vf.vigild_pid = -1;
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
	snprintf(vf.parent_name, sizeof(vf.parent_name), "vigil-test-%s-%d", vf.suite, getpid());
	/* the kernel picks the port; tests that need it read it from the log */
	snprintf(vf.listen, sizeof(vf.listen), "127.0.0.1:0");
	snprintf(vf.parent, sizeof(vf.parent), "%s/%s", vf.cg2.mount, vf.parent_name);
	if (mkdir(vf.bpffs, 0700) < 0 || mount("bpf", vf.bpffs, "bpf", 0, "mode=0700") < 0)
		abort();
	vf.vigild_pid = vf_spawn_vigild();
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
	struct dirent *de;
	DIR *d;

	vf_stop_vigild();
	/* vigild's table outlives it (owned, persistent): it is this test's to remove */
	(void)!system("nft delete table inet vigil 2>/dev/null; nft delete table arp vigil "
		      "2>/dev/null");
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
	snprintf(cmd, sizeof(cmd), "rm -rf %s", vf.scratch);
	(void)!system(cmd);
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

void vf_create_ok(const char *id, const char *command)
{
	char text[1024], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":%s}",
		 id, command);
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
