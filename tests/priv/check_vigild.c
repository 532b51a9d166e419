// SPDX-License-Identifier: GPL-2.0-or-later
/* vigild: refuses a host that lacks what it needs, runs, and stops cleanly. */
#include <bpf/bpf.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "meter_loader.h"
#include "testutil.h"
#include "vigild_fixture.h"

static char scratch[] = "/tmp/vigil-test-vigild-XXXXXX";
static char bpffs[PATH_MAX], state[PATH_MAX], log_path[PATH_MAX], sock[PATH_MAX];
static char cgroup_parent[64];

/* In the parent process (unchecked fixtures), so a failed test leaves nothing behind. */
static void make_scratch(void)
{
	if (!mkdtemp(scratch))
		abort();
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(state, sizeof(state), "%s/state", scratch);
	snprintf(log_path, sizeof(log_path), "%s/vigild.log", scratch);
	snprintf(sock, sizeof(sock), "%s/vigil.sock", scratch);
	snprintf(cgroup_parent, sizeof(cgroup_parent), "vigil-test-%d", getpid());
}

static void reset_scratch(void)
{
	char path[PATH_MAX + 64];
	struct vigil_cgroup2 cg2;

	if (vigil_cgroup2_detect(&cg2) == 0) {
		snprintf(path, sizeof(path), "%s/%s", cg2.mount, cgroup_parent);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/vigil", bpffs);
	vigil_meter_unpin(path);
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	snprintf(path, sizeof(path), "rm -rf %s", state);
	(void)!system(path);
	unlink(log_path);
	unlink(sock);
}

static void remove_scratch(void)
{
	reset_scratch();
	rmdir(scratch);
	/* each test waited for its vigild: a table that stays is a leak */
	if (!vf_delete_tables())
		abort();
}

static void setup(void)
{
	reset_scratch();
	ck_assert_int_eq(mkdir(bpffs, 0700), 0);
}

static pid_t start_vigild(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		dup2(fd, STDERR_FILENO);
		execl(vf_vigild_bin(), "vigild", "--state-dir", state, "--bpffs", bpffs, "--socket",
		      sock, "--cgroup-parent", cgroup_parent, NULL);
		_exit(127);
	}
	return pid;
}

/* Waits up to 10 s for `text` in the daemon's log. */
static bool log_shows(const char *text)
{
	for (int i = 0; i < 200; i++) {
		char *log = read_file(log_path);
		bool found = log && strstr(log, text);

		free(log);
		if (found)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

START_TEST(test_refuses_without_bpffs)
{
	int status;
	pid_t pid = start_vigild();
	char *log;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	log = read_file(log_path);
	ck_assert_ptr_nonnull(strstr(log, "required feature bpffs missing"));
	free(log);
	/* a refused start changes nothing */
	ck_assert_int_eq(access(state, F_OK), -1);
}
END_TEST

START_TEST(test_runs_and_stops_on_sigterm)
{
	bool up, state_ok;
	struct stat st;
	int status;
	pid_t pid;

	ck_assert_int_eq(mount("bpf", bpffs, "bpf", 0, "mode=0700"), 0);
	pid = start_vigild();
	up = log_shows("running");
	state_ok = stat(state, &st) == 0 && (st.st_mode & 0777) == 0700;
	/* stop it before asserting, so a failure leaves no daemon behind */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(up, "vigild did not come up: %s", read_file(log_path));
	ck_assert_msg(state_ok, "state directory missing or not 0700");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(log_shows("stopping"));
}
END_TEST

/*
 * A pin that is not what vigil would load (a left-over of something else
 * named vigil_usage): the load fails, vigild says why with libbpf's own
 * lines, and leaves the foreign pin alone.
 */
START_TEST(test_load_failure_is_explained)
{
	char pin_dir[PATH_MAX + 8], pin[PATH_MAX + 32], *log;
	int fd, status;
	pid_t pid;

	ck_assert_int_eq(mount("bpf", bpffs, "bpf", 0, "mode=0700"), 0);
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", bpffs);
	snprintf(pin, sizeof(pin), "%s/vigil_usage", pin_dir);
	ck_assert_int_eq(mkdir(pin_dir, 0700), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "vigil_usage", 4, 4, 16, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_obj_pin(fd, pin), 0);
	close(fd);

	pid = start_vigild();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	log = read_file(log_path);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, "loading the metering programs into"), "%s", log);
	ck_assert_msg(strstr(log, "the last lines of libbpf's log"), "%s", log);
	ck_assert_msg(strstr(log, "vigil_usage"), "%s", log);
	free(log);
	ck_assert_int_eq(access(pin, F_OK), 0);
	ck_assert_int_eq(unlink(pin), 0);
}
END_TEST

START_TEST(test_bad_option_is_usage_error)
{
	char *argv[] = { (char *)vf_vigild_bin(), "--no-such-option", NULL };
	struct cmd_result r;

	char *level[] = { (char *)vf_vigild_bin(), "--log-level", "loud", NULL };
	char *bare[] = { (char *)vf_vigild_bin(), NULL };

	run_cmd(argv, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "<3>vigild: unknown option \"--no-such-option\""));
	cmd_result_free(&r);
	run_cmd(level, &r);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "--log-level \"loud\": must be err, warning, notice, info or "
				    "debug"),
		      "%s", r.err);
	cmd_result_free(&r);
	/* the fault tests' crash points (check_vigild_torture): a misspelt one is not ignored */
	setenv("VIGILD_CRASH_AT", "create.cgroups", 1);
	run_cmd(bare, &r);
	unsetenv("VIGILD_CRASH_AT");
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "<3>vigild: VIGILD_CRASH_AT: unknown crash point "
				    "\"create.cgroups\" (known: create.cgroup, create.network,"),
		      "%s", r.err);
	cmd_result_free(&r);
}
END_TEST

static Suite *vigild_suite(void)
{
	Suite *s = suite_create("vigild");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_unchecked_fixture(tc, make_scratch, remove_scratch);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refuses_without_bpffs);
	tcase_add_test(tc, test_runs_and_stops_on_sigterm);
	tcase_add_test(tc, test_bad_option_is_usage_error);
	tcase_add_test(tc, test_load_failure_is_explained);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	require_root("vigild");
	return run_suite(vigild_suite());
}
