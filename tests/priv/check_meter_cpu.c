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
#include "meter_fixture.h"
#include "spawn.h"
#include "testutil.h"

/* Starts `n` burners of `ms` milliseconds each in cgroup `name`. */
static void start_burners(const char *name, int n, int ms, pid_t *pids)
{
	char ms_arg[16];
	char *argv[] = { "/proc/self/exe", "--burn", ms_arg, NULL };

	snprintf(ms_arg, sizeof(ms_arg), "%d", ms);
	for (int i = 0; i < n; i++)
		pids[i] = mf_spawn(name, argv);
}

static void wait_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		mf_wait_ok(pids[i]);
}

static uint64_t cpu_stat_ns(const char *name)
{
	char path[PATH_MAX];

	mf_cgroup_path(path, sizeof(path), name);
	return cgroup_cpu_stat_ns(path);
}

static uint64_t metered_ns(struct vigil_meter *m, uint32_t slot)
{
	struct vigil_workload_usage u;

	ck_assert_int_eq(vigil_meter_read(m, slot, &u), 0);
	return u.cpu_ns;
}

static void assert_within_percent(uint64_t got, uint64_t want, double percent, const char *what)
{
	mf_assert_within_percent(got, want, percent, what, "cpu.stat ns");
}

START_TEST(test_cpu_matches_cpu_stat_on_both_cores)
{
	struct vigil_meter *m = mf_open_meter();
	pid_t pids[2];

	ck_assert(!vigil_meter_adopted(m));
	mf_add_workload(m, "w1", 7);
	start_burners("w1", 2, 2000, pids);
	wait_all(pids, 2);
	assert_within_percent(metered_ns(m, 7), cpu_stat_ns("w1"), MF_CPU_TOLERANCE_PERCENT,
			      "2 burners x 2 s");
	vigil_meter_close(m);
}
END_TEST

START_TEST(test_two_workloads_no_cross_attribution)
{
	struct vigil_meter *m = mf_open_meter();
	pid_t a[1], b[2];

	mf_add_workload(m, "w1", 1);
	mf_add_workload(m, "w2", 2);
	start_burners("w1", 1, 1500, a);
	start_burners("w2", 2, 800, b);
	wait_all(a, 1);
	wait_all(b, 2);
	assert_within_percent(metered_ns(m, 1), cpu_stat_ns("w1"), MF_CPU_TOLERANCE_PERCENT,
			      "workload 1");
	assert_within_percent(metered_ns(m, 2), cpu_stat_ns("w2"), MF_CPU_TOLERANCE_PERCENT,
			      "workload 2");
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

	snprintf(path, sizeof(path), "%s/link_sched_switch", mf.pin_dir);
	fd = bpf_obj_get(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.prog_id;
}

/* The id of our pinned accounting map. */
static __u32 usage_map_id(struct vigil_meter *m)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	ck_assert_int_eq(bpf_obj_get_info_by_fd(vigil_meter_map_fd(m, "vigil_usage"), &info, &len),
			 0);
	return info.id;
}

START_TEST(test_reopen_adopts_without_double_attach)
{
	struct vigil_meter *m = mf_open_meter();
	__u32 prog_id = pinned_prog_id(), map_id = usage_map_id(m);
	int users = bpf_programs_using_map(map_id);
	pid_t pids[1];

	uint64_t cgroup_id = mf_add_workload(m, "w1", 5);

	start_burners("w1", 1, 500, pids);
	wait_all(pids, 1);
	/* the agent goes away; the pinned program keeps counting */
	vigil_meter_close(m);
	start_burners("w1", 1, 500, pids);
	wait_all(pids, 1);

	m = mf_open_meter();
	ck_assert(vigil_meter_adopted(m));
	ck_assert_uint_eq(pinned_prog_id(), prog_id);
	ck_assert_uint_eq(usage_map_id(m), map_id);
	ck_assert_int_eq(bpf_programs_using_map(map_id), users);
	/* the cgroup is still registered: adding it again is refused */
	ck_assert_int_eq(vigil_meter_add_cgroup(m, cgroup_id, 5), -EEXIST);
	ck_assert_int_eq(vigil_meter_add_cgroup(m, cgroup_id + 1, VIGIL_MAX_WORKLOADS), -ERANGE);
	start_burners("w1", 1, 500, pids);
	wait_all(pids, 1);
	assert_within_percent(metered_ns(m, 5), cpu_stat_ns("w1"), MF_CPU_TOLERANCE_PERCENT,
			      "across a re-open");
	vigil_meter_close(m);
}
END_TEST

START_TEST(test_usage_kept_after_workload_is_gone)
{
	struct vigil_meter *m = mf_open_meter();
	char path[PATH_MAX];
	uint64_t id, before;
	pid_t pids[1];

	id = mf_add_workload(m, "w2", 9);
	start_burners("w2", 1, 300, pids);
	wait_all(pids, 1);
	before = metered_ns(m, 9);
	ck_assert_uint_gt(before, 0);
	ck_assert_int_eq(vigil_meter_remove_cgroup(m, id), 0);
	mf_cgroup_path(path, sizeof(path), "w2");
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

	mf_cgroup_path(path, sizeof(path), "w1");
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

	tcase_add_unchecked_fixture(tc, mf_make_host_objects, mf_remove_host_objects);
	tcase_add_checked_fixture(tc, mf_setup, NULL);
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
	mf_require("meter_cpu");
	return run_suite(meter_cpu_suite());
}
