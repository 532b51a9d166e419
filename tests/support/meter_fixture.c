// SPDX-License-Identifier: GPL-2.0-or-later
#include "meter_fixture.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "testutil.h"

struct meter_fixture mf;

void mf_require(const char *suite)
{
	mf.suite = suite;
	/* figures printed by a test that then fails must not be lost */
	setvbuf(stdout, NULL, _IOLBF, 0);
	require_root(suite);
	if (vigil_cgroup2_detect(&mf.cg2) < 0) {
		printf("%s: skipped: no cgroup v2 hierarchy mounted\n", suite);
		exit(EXIT_SKIP);
	}
}

void mf_cgroup_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", mf.parent, name);
}

void mf_make_host_objects(void)
{
	snprintf(mf.scratch, sizeof(mf.scratch), "/tmp/vigil-test-%s-XXXXXX", mf.suite);
	if (!mkdtemp(mf.scratch))
		abort();
	snprintf(mf.bpffs, sizeof(mf.bpffs), "%s/bpffs", mf.scratch);
	snprintf(mf.pin_dir, sizeof(mf.pin_dir), "%s/vigil", mf.bpffs);
	snprintf(mf.parent, sizeof(mf.parent), "%s/vigil-test-%s-%d", mf.cg2.mount, mf.suite,
		 getpid());
	if (mkdir(mf.bpffs, 0700) < 0 || mount("bpf", mf.bpffs, "bpf", 0, "mode=0700") < 0 ||
	    mkdir(mf.parent, 0755) < 0) {
		fprintf(stderr, "%s: setting up bpffs and the cgroup parent: %s\n", mf.suite,
			strerror(errno));
		abort();
	}
}

static void remove_workload_cgroups(void)
{
	char path[PATH_MAX];

	for (int i = 1; i <= 2; i++) {
		snprintf(path, sizeof(path), "%s/w%d", mf.parent, i);
		cgroup_kill_remove(path);
	}
}

void mf_remove_host_objects(void)
{
	vigil_meter_unpin(mf.pin_dir);
	umount2(mf.bpffs, MNT_DETACH);
	rmdir(mf.bpffs);
	rmdir(mf.scratch);
	remove_workload_cgroups();
	rmdir(mf.parent);
}

void mf_setup(void)
{
	char path[PATH_MAX];

	vigil_meter_unpin(mf.pin_dir);
	remove_workload_cgroups();
	for (int i = 1; i <= 2; i++) {
		snprintf(path, sizeof(path), "%s/w%d", mf.parent, i);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	ck_assert_int_eq(vigil_cgroup_level(mf.cg2.mount, path, &mf.level), 0);
}

struct vigil_meter *mf_open_meter(void)
{
	struct vigil_meter_opts opts = { .pin_dir = mf.pin_dir, .workload_cgroup_level = mf.level };
	struct vigil_meter *m = NULL;
	int err = vigil_meter_open(&opts, &m);

	ck_assert_msg(err == 0, "vigil_meter_open: %s", strerror(-err));
	return m;
}

uint64_t mf_add_workload(struct vigil_meter *m, const char *name, uint32_t slot)
{
	char path[PATH_MAX];
	uint64_t id;

	mf_cgroup_path(path, sizeof(path), name);
	ck_assert_int_eq(vigil_cgroup_id(path, &id), 0);
	ck_assert_int_eq(vigil_meter_add_cgroup(m, id, slot), 0);
	return id;
}

pid_t mf_spawn(const char *name, char *const argv[])
{
	char path[PATH_MAX];
	pid_t pid;
	int fd;

	mf_cgroup_path(path, sizeof(path), name);
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vigil_spawn_in_cgroup(fd, argv, &pid), 0);
	close(fd);
	return pid;
}

void mf_wait_ok(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "workload %d ended with status 0x%x", (int)pid, status);
	/* a task's last slice is accounted at its final switch, just after it is reaped */
	usleep(100 * 1000);
}

void mf_assert_within_percent(uint64_t got, uint64_t want, double percent, const char *what,
			      const char *truth)
{
	double diff = got > want ? (double)(got - want) : (double)(want - got);

	printf("%s: metered %llu, %s %llu, difference %.4f%%\n", what, (unsigned long long)got,
	       truth, (unsigned long long)want, want ? 100.0 * diff / (double)want : 0.0);
	ck_assert_msg(want > 0, "%s: %s is zero", what, truth);
	ck_assert_msg(diff <= (double)want * percent / 100.0,
		      "%s: metered %llu vs %s %llu: off by more than %g%%", what,
		      (unsigned long long)got, truth, (unsigned long long)want, percent);
}
