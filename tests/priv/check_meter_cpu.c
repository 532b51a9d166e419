// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CPU metering against the kernel's own accounting: the cgroup's cpu.stat
 * usage_usec, read by the test itself. Workloads are this binary re-executed
 * with --burn, spawned straight into their cgroups.
 */
#include <bpf/bpf.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_prog.h"
#include "cgroup.h"
#include "meter_loader.h"
#include "spawn.h"
#include "testutil.h"

static struct vigil_cgroup2 cg2;
static char scratch[PATH_MAX], bpffs[PATH_MAX], pin_dir[PATH_MAX], parent[PATH_MAX];
static unsigned int level;

static void cgroup_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", parent, name);
}

/*
 * Host objects are made and removed by unchecked fixtures, which run in the
 * parent process: a failing test (its forked process ends at the failed
 * assertion, skipping checked teardowns) still leaves nothing behind.
 */
static void make_host_objects(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/vigil-test-meter-XXXXXX");
	if (!mkdtemp(scratch))
		abort();
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", bpffs);
	snprintf(parent, sizeof(parent), "%s/vigil-test-%d", cg2.mount, getpid());
	if (mkdir(bpffs, 0700) < 0 || mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0 ||
	    mkdir(parent, 0755) < 0) {
		perror("meter_cpu: setting up bpffs and the cgroup parent");
		abort();
	}
}

static void remove_host_objects(void)
{
	char path[PATH_MAX];

	vigil_meter_unpin(pin_dir);
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(scratch);
	for (int i = 1; i <= 2; i++) {
		snprintf(path, sizeof(path), "%s/w%d", parent, i);
		cgroup_kill_remove(path);
	}
	rmdir(parent);
}

/* Each test starts with no pins and both workload cgroups present and empty. */
static void setup(void)
{
	char path[PATH_MAX];

	vigil_meter_unpin(pin_dir);
	for (int i = 1; i <= 2; i++) {
		snprintf(path, sizeof(path), "%s/w%d", parent, i);
		cgroup_kill_remove(path);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	cgroup_path(path, sizeof(path), "w1");
	ck_assert_int_eq(vigil_cgroup_level(cg2.mount, path, &level), 0);
}

static struct vigil_meter *open_meter(void)
{
	struct vigil_meter_opts opts = { .pin_dir = pin_dir, .workload_cgroup_level = level };
	struct vigil_meter *m = NULL;
	int err = vigil_meter_open(&opts, &m);

	ck_assert_msg(err == 0, "vigil_meter_open: %s", strerror(-err));
	return m;
}

static uint64_t add_workload(struct vigil_meter *m, const char *name, uint32_t slot)
{
	char path[PATH_MAX];
	uint64_t id;

	cgroup_path(path, sizeof(path), name);
	ck_assert_int_eq(vigil_cgroup_id(path, &id), 0);
	ck_assert_int_eq(vigil_meter_add_cgroup(m, id, slot), 0);
	return id;
}

/* Starts `n` burners of `ms` milliseconds each in cgroup `name`. */
static void start_burners(const char *name, int n, int ms, pid_t *pids)
{
	char path[PATH_MAX], ms_arg[16];
	char *argv[] = { "/proc/self/exe", "--burn", ms_arg, NULL };
	int fd;

	snprintf(ms_arg, sizeof(ms_arg), "%d", ms);
	cgroup_path(path, sizeof(path), name);
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(vigil_spawn_in_cgroup(fd, argv, &pids[i]), 0);
	close(fd);
}

static void wait_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* a task's last slice is accounted at its final switch, just after it is reaped */
	usleep(100 * 1000);
}

static uint64_t cpu_stat_ns(const char *name)
{
	char path[PATH_MAX];

	cgroup_path(path, sizeof(path), name);
	return cgroup_cpu_stat_ns(path);
}

static uint64_t metered_ns(struct vigil_meter *m, uint32_t slot)
{
	struct vigil_workload_usage u;

	ck_assert_int_eq(vigil_meter_read(m, slot, &u), 0);
	return u.c.cpu_ns;
}

static void assert_within_percent(uint64_t got, uint64_t want, double percent, const char *what)
{
	double diff = got > want ? (double)(got - want) : (double)(want - got);

	printf("%s: metered %.3f ms, cpu.stat %.3f ms, difference %.3f%%\n", what, got / 1e6,
	       want / 1e6, want ? 100.0 * diff / (double)want : 0.0);
	ck_assert_msg(want > 0, "%s: the kernel saw no CPU time", what);
	ck_assert_msg(diff <= (double)want * percent / 100.0,
		      "%s: metered %llu ns vs cpu.stat %llu ns: off by more than %.1f%%", what,
		      (unsigned long long)got, (unsigned long long)want, percent);
}

START_TEST(test_cpu_matches_cpu_stat_on_both_cores)
{
	struct vigil_meter *m = open_meter();
	pid_t pids[2];

	ck_assert(!vigil_meter_adopted(m));
	add_workload(m, "w1", 7);
	start_burners("w1", 2, 2000, pids);
	wait_all(pids, 2);
	assert_within_percent(metered_ns(m, 7), cpu_stat_ns("w1"), 1.0, "2 burners x 2 s");
	vigil_meter_close(m);
}
END_TEST

START_TEST(test_two_workloads_no_cross_attribution)
{
	struct vigil_meter *m = open_meter();
	pid_t a[1], b[2];

	add_workload(m, "w1", 1);
	add_workload(m, "w2", 2);
	start_burners("w1", 1, 1500, a);
	start_burners("w2", 2, 800, b);
	wait_all(a, 1);
	wait_all(b, 2);
	assert_within_percent(metered_ns(m, 1), cpu_stat_ns("w1"), 1.0, "workload 1");
	assert_within_percent(metered_ns(m, 2), cpu_stat_ns("w2"), 1.0, "workload 2");
	/* nothing else on the host reaches a slot nobody holds */
	ck_assert_uint_eq(metered_ns(m, 3), 0);
	vigil_meter_close(m);
}
END_TEST

/* The id of the program behind the pinned sched_switch link. */
static __u32 pinned_prog_id(void)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/link_sched_switch", pin_dir);
	fd = bpf_obj_get(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.prog_id;
}

START_TEST(test_reopen_adopts_without_double_attach)
{
	struct vigil_meter *m = open_meter();
	/* earlier tests' programs may still be on their way out: never more */
	int before = vigil_prog_find("vigil_sched_switch", NULL);
	__u32 prog_id = pinned_prog_id();
	pid_t pids[1];

	uint64_t cgroup_id = add_workload(m, "w1", 5);

	start_burners("w1", 1, 500, pids);
	wait_all(pids, 1);
	/* the agent goes away; the pinned program keeps counting */
	vigil_meter_close(m);
	start_burners("w1", 1, 500, pids);
	wait_all(pids, 1);

	m = open_meter();
	ck_assert(vigil_meter_adopted(m));
	ck_assert_uint_eq(pinned_prog_id(), prog_id);
	ck_assert_int_le(vigil_prog_find("vigil_sched_switch", NULL), before);
	/* the cgroup is still registered: adding it again is refused */
	ck_assert_int_eq(vigil_meter_add_cgroup(m, cgroup_id, 5), -EEXIST);
	ck_assert_int_eq(vigil_meter_add_cgroup(m, cgroup_id + 1, VIGIL_MAX_WORKLOADS), -ERANGE);
	start_burners("w1", 1, 500, pids);
	wait_all(pids, 1);
	assert_within_percent(metered_ns(m, 5), cpu_stat_ns("w1"), 1.0, "across a re-open");
	vigil_meter_close(m);
}
END_TEST

START_TEST(test_usage_kept_after_workload_is_gone)
{
	struct vigil_meter *m = open_meter();
	char path[PATH_MAX];
	uint64_t id, before;
	pid_t pids[1];

	id = add_workload(m, "w2", 9);
	start_burners("w2", 1, 300, pids);
	wait_all(pids, 1);
	before = metered_ns(m, 9);
	ck_assert_uint_gt(before, 0);
	ck_assert_int_eq(vigil_meter_remove_cgroup(m, id), 0);
	cgroup_path(path, sizeof(path), "w2");
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_uint_eq(metered_ns(m, 9), before);
	vigil_meter_close(m);
}
END_TEST

START_TEST(test_spawn_failure_leaves_nothing)
{
	char *argv[] = { "/nonexistent/vigil-no-such-command", NULL };
	char path[PATH_MAX], *procs;
	pid_t pid;
	int fd;

	cgroup_path(path, sizeof(path), "w1");
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vigil_spawn_in_cgroup(fd, argv, &pid), -ENOENT);
	close(fd);
	strncat(path, "/cgroup.procs", sizeof(path) - strlen(path) - 1);
	procs = read_file(path);
	ck_assert_str_eq(procs, "");
	free(procs);
}
END_TEST

static Suite *meter_cpu_suite(void)
{
	Suite *s = suite_create("meter_cpu");
	TCase *tc = tcase_create("cpu");

	tcase_add_unchecked_fixture(tc, make_host_objects, remove_host_objects);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cpu_matches_cpu_stat_on_both_cores);
	tcase_add_test(tc, test_two_workloads_no_cross_attribution);
	tcase_add_test(tc, test_reopen_adopts_without_double_attach);
	tcase_add_test(tc, test_usage_kept_after_workload_is_gone);
	tcase_add_test(tc, test_spawn_failure_leaves_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	require_root("meter_cpu");
	if (vigil_cgroup2_detect(&cg2) < 0) {
		printf("meter_cpu: skipped: no cgroup v2 hierarchy mounted\n");
		return EXIT_SKIP;
	}
	return run_suite(meter_cpu_suite());
}
