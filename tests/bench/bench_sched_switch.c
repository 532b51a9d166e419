// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CPU meter's cost. A pipe ping-pong between two processes in a metered
 * cgroup (every round trip is two context switches) runs with the metering
 * program detached and attached, interleaved, and the kernel's BPF run-time
 * statistics give the program's cost per event. Needs root and cgroup v2.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_prog.h"
#include "cgroup.h"
#include "meter_loader.h"
#include "spawn.h"

#define ROUND_TRIPS 100000
#define ROUNDS	    5

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Child mode: ping-pong ROUND_TRIPS times over two pipes. */
static int ping_pong(void)
{
	int to_child[2], to_parent[2];
	char byte = 0;
	pid_t pid;

	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < ROUND_TRIPS; i++) {
			if (read(to_child[0], &byte, 1) != 1 || write(to_parent[1], &byte, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	for (int i = 0; i < ROUND_TRIPS; i++) {
		if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
			return 1;
	}
	waitpid(pid, NULL, 0);
	return 0;
}

static double run_load(int cgroup_fd)
{
	char *argv[] = { "/proc/self/exe", "--ping-pong", NULL };
	double start = now_s();
	int status;
	pid_t pid;

	if (vigil_spawn_in_cgroup(cgroup_fd, argv, &pid) < 0)
		return -1;
	waitpid(pid, &status, 0);
	return now_s() - start;
}

static void prog_stats(const char *name, __u64 *run_ns, __u64 *run_cnt)
{
	struct bpf_prog_info info = { 0 };

	if (vigil_prog_find(name, &info) > 0) {
		*run_ns = info.run_time_ns;
		*run_cnt = info.run_cnt;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char scratch[] = "/tmp/vigil-bench-XXXXXX", bpffs[PATH_MAX], pin_dir[PATH_MAX];
	char cgroup[PATH_MAX];
	double off[ROUNDS], on[ROUNDS];
	struct vigil_cgroup2 cg2;
	struct vigil_meter *m = NULL;
	struct vigil_meter_opts opts;
	__u64 ns0 = 0, cnt0 = 0, ns1 = 0, cnt1 = 0;
	unsigned int level;
	uint64_t cgroup_id;
	int cgroup_fd, stats_fd, err;

	if (argc == 2 && strcmp(argv[1], "--ping-pong") == 0)
		return ping_pong();
	if (geteuid() != 0 || vigil_cgroup2_detect(&cg2) < 0) {
		printf("bench_sched_switch: skipped: needs root and cgroup v2\n");
		return 0;
	}
	if (!mkdtemp(scratch))
		return 1;
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", bpffs);
	snprintf(cgroup, sizeof(cgroup), "%s/vigil-bench-%d", cg2.mount, getpid());
	mkdir(bpffs, 0700);
	if (mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0 || mkdir(cgroup, 0755) < 0) {
		perror("bench_sched_switch: setup");
		return 1;
	}
	cgroup_fd = open(cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	vigil_cgroup_level(cg2.mount, cgroup, &level);
	vigil_cgroup_id(cgroup, &cgroup_id);
	opts = (struct vigil_meter_opts){ .pin_dir = pin_dir, .workload_cgroup_level = level };
	/* run-time statistics only while this fd is open */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	for (int r = 0; r < ROUNDS; r++) {
		off[r] = run_load(cgroup_fd);
		err = vigil_meter_open(&opts, &m);
		if (err) {
			fprintf(stderr, "bench_sched_switch: loading the meter: %s\n",
				strerror(-err));
			break;
		}
		vigil_meter_add_cgroup(m, cgroup_id, 0);
		prog_stats("vigil_sched_switch", &ns0, &cnt0);
		on[r] = run_load(cgroup_fd);
		prog_stats("vigil_sched_switch", &ns1, &cnt1);
		vigil_meter_close(m);
		vigil_meter_unpin(pin_dir);
	}
	if (!err) {
		qsort(off, ROUNDS, sizeof(off[0]), cmp_double);
		qsort(on, ROUNDS, sizeof(on[0]), cmp_double);
		printf("pipe ping-pong, %d round trips, median of %d interleaved rounds:\n",
		       ROUND_TRIPS, ROUNDS);
		printf("  without vigil: %.0f round trips/s\n", ROUND_TRIPS / off[ROUNDS / 2]);
		printf("  with vigil:    %.0f round trips/s\n", ROUND_TRIPS / on[ROUNDS / 2]);
		printf("  throughput ratio (with/without): %.3f (target >= 0.95)\n",
		       off[ROUNDS / 2] / on[ROUNDS / 2]);
		if (stats_fd < 0)
			printf("  sched_switch cost: unknown, BPF_ENABLE_STATS failed\n");
		else if (cnt1 > cnt0)
			printf("  sched_switch program: %.1f ns per event, mean over %llu events of "
			       "the last round (kernel BPF stats; target <= 100 ns)\n",
			       (double)(ns1 - ns0) / (double)(cnt1 - cnt0),
			       (unsigned long long)(cnt1 - cnt0));
	}
	if (stats_fd >= 0)
		close(stats_fd);
	close(cgroup_fd);
	rmdir(cgroup);
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(scratch);
	return err ? 1 : 0;
}
