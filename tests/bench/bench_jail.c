// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the jail adds to a start: from vigild's start of a workload to the
 * workload's execve (vigil_spawn returns when the exec has happened), with
 * the jail (its plan made, clone3 into new namespaces, the private root,
 * identity, privileges, seccomp, the reaper's fork) and without, side by
 * side: ROUNDS starts of each, alternating, medians. The filter is built
 * once beforehand, as vigild keeps it; its build time is printed too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "jail.h"
#include "spawn.h"
#include "timing.h"

#define ROUNDS 50

struct bench {
	int cgroup_fd, null_fd;
	char root[64];
	struct vigil_jail_spec spec;
	struct vigil_seccomp_filter filter;
};

static char *argv_true[] = { "true", NULL };

static double start_once(struct bench *b, bool jailed)
{
	struct vigil_spawn_opts o = { .cgroup_fd = b->cgroup_fd,
				      .netns_fd = -1,
				      .output_fd = b->null_fd };
	struct vigil_jail_opts jo = {
		.jail = &b->spec,
		.id = "bench",
		.uid = 1879048192,
		.gid = 1879048192,
		.memory_mib = 64,
		.root_dir = b->root,
		.netns_fd = -1,
		.handed_fd = -1,
		.filter = &b->filter,
		.argv = argv_true,
	};
	struct vigil_jail_plan *plan = NULL;
	int status_pipe[2], ret, pidfd;
	char err[256];
	double start;
	pid_t pid;

	if (pipe2(status_pipe, O_CLOEXEC) < 0)
		return -1;
	jo.status_fd = status_pipe[1];
	start = bench_now_s();
	if (jailed) {
		ret = vigil_jail_plan_make(&jo, &plan, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "bench_jail: plan: %s\n", err);
			return -1;
		}
		o.jail = plan;
	}
	ret = vigil_spawn(&o, argv_true, &pid, &pidfd, NULL);
	start = bench_now_s() - start;
	vigil_jail_plan_free(plan);
	close(status_pipe[0]);
	close(status_pipe[1]);
	if (ret < 0) {
		fprintf(stderr, "bench_jail: spawn: %s\n", strerror(-ret));
		return -1;
	}
	waitpid(pid, NULL, 0);
	close(pidfd);
	return start;
}

int main(void)
{
	struct bench b = { .spec = { .enabled = true }, .null_fd = -1 };
	double jailed[ROUNDS], plain[ROUNDS], t, build_ms[VIGIL_SECCOMP__COUNT];
	char cg[PATH_MAX];
	struct vigil_cgroup2 cg2;
	int ret = 1;

	if (geteuid() != 0 || vigil_cgroup2_detect(&cg2) < 0) {
		fprintf(stderr, "bench_jail: skipped: needs root and a cgroup v2 hierarchy\n");
		return 77;
	}
	for (int p = 0; p < VIGIL_SECCOMP__COUNT; p++) {
		struct vigil_seccomp_filter f;

		t = bench_now_s();
		if (vigil_seccomp_build(p, VIGIL_SECCOMP_KILL, VIGIL_SECCOMP_OPTIMIZE_TREE, &f) < 0)
			return 1;
		build_ms[p] = (bench_now_s() - t) * 1e3;
		vigil_seccomp_filter_free(&f);
	}
	if (vigil_seccomp_build(VIGIL_SECCOMP_GENERIC, VIGIL_SECCOMP_KILL,
				VIGIL_SECCOMP_OPTIMIZE_TREE, &b.filter) < 0)
		return 1;
	snprintf(cg, sizeof(cg), "%s/vigil-bench-jail-%d", cg2.mount, getpid());
	snprintf(b.root, sizeof(b.root), "/tmp/vigil-bench-jail-%d", getpid());
	if (mkdir(cg, 0755) < 0 || mkdir(b.root, 0700) < 0) {
		fprintf(stderr, "bench_jail: %s, %s: %s\n", cg, b.root, strerror(errno));
		goto out;
	}
	b.cgroup_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	b.null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (int i = 0; i < ROUNDS; i++) {
		jailed[i] = start_once(&b, true);
		plain[i] = start_once(&b, false);
		if (jailed[i] < 0 || plain[i] < 0)
			goto out;
	}
	double mj = bench_median(jailed, ROUNDS) * 1e3, mp = bench_median(plain, ROUNDS) * 1e3;

	printf("start to execve, median of %d: unjailed %.3f ms, jailed %.3f ms: the jail adds "
	       "%.3f ms (x%.2f)\n",
	       ROUNDS, mp, mj, mj - mp, mj / mp);
	printf("seccomp filter build (once per profile and mode, kept by vigild): generic %.3f ms, "
	       "qemu %.3f ms\n",
	       build_ms[VIGIL_SECCOMP_GENERIC], build_ms[VIGIL_SECCOMP_QEMU]);
	ret = 0;
out:
	vigil_seccomp_filter_free(&b.filter);
	if (b.null_fd >= 0)
		close(b.null_fd);
	rmdir(b.root);
	rmdir(cg);
	return ret;
}
