// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CPU meter's cost. A pipe ping-pong between two processes in a metered
 * cgroup (every round trip is two context switches) runs with the metering
 * program detached and attached, interleaved, and the kernel's BPF run-time
 * statistics give the program's cost per event. Those statistics add their
 * own clock reads to every run, so an empty program on the same tracepoint,
 * measured in the same rounds, shows what the measurement itself costs.
 * Needs root and cgroup v2.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/filter.h>
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
#include "timing.h"

#define ROUND_TRIPS 100000
#define ROUNDS	    5

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
	double start = bench_now_s();
	int status;
	pid_t pid;

	if (vigil_spawn_in_cgroup(cgroup_fd, argv, &pid) < 0)
		return -1;
	waitpid(pid, &status, 0);
	return bench_now_s() - start;
}

static void prog_stats(const char *name, __u64 *run_ns, __u64 *run_cnt)
{
	struct bpf_prog_info info = { 0 };

	if (vigil_prog_find(name, &info) > 0) {
		*run_ns = info.run_time_ns;
		*run_cnt = info.run_cnt;
	}
}

/* An empty tp_btf/sched_switch program: the floor of the statistics. */
static int attach_empty_program(int *ret_prog_fd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, load_opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	int btf_id = libbpf_find_vmlinux_btf_id("sched_switch", BPF_TRACE_RAW_TP);
	int prog_fd, link_fd;

	if (btf_id < 0)
		return btf_id;
	load_opts.attach_btf_id = (__u32)btf_id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "vigil_empty", "GPL", insns, 2, &load_opts);
	if (prog_fd < 0)
		return -errno;
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (link_fd < 0) {
		close(prog_fd);
		return -errno;
	}
	*ret_prog_fd = prog_fd;
	return link_fd;
}

static double fd_ns_per_run(int prog_fd, __u64 *ret_cnt)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0 || !info.run_cnt)
		return -1;
	*ret_cnt = info.run_cnt;
	return (double)info.run_time_ns / (double)info.run_cnt;
}

int main(int argc, char **argv)
{
	char scratch[] = "/tmp/vigil-bench-XXXXXX", bpffs[PATH_MAX], pin_dir[PATH_MAX];
	char cgroup[PATH_MAX];
	double off[ROUNDS], on[ROUNDS], cost[ROUNDS], empty_cost[ROUNDS];
	__u64 empty_cnt = 0;
	struct vigil_cgroup2 cg2;
	struct vigil_meter *m = NULL;
	struct vigil_meter_opts opts;
	__u64 ns0 = 0, cnt0 = 0, ns1 = 0, cnt1 = 0;
	int empty_prog_fd = -1, empty_link_fd;
	unsigned int level;
	uint64_t cgroup_id;
	int cgroup_fd, stats_fd = -1, err;

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

	for (int r = 0; r < ROUNDS; r++) {
		off[r] = run_load(cgroup_fd);
		err = vigil_meter_open(&opts, &m);
		if (err) {
			fprintf(stderr, "bench_sched_switch: loading the meter: %s\n",
				strerror(-err));
			break;
		}
		vigil_meter_add_cgroup(m, cgroup_id, 0);
		on[r] = run_load(cgroup_fd);
		/* statistics cost time themselves: only in the rounds that read them */
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		prog_stats("vigil_sched_switch", &ns0, &cnt0);
		run_load(cgroup_fd);
		prog_stats("vigil_sched_switch", &ns1, &cnt1);
		vigil_meter_close(m);
		vigil_meter_unpin(pin_dir);
		cost[r] = cnt1 > cnt0 ? (double)(ns1 - ns0) / (double)(cnt1 - cnt0) : -1;

		empty_cost[r] = -1;
		empty_link_fd = attach_empty_program(&empty_prog_fd);
		if (empty_link_fd >= 0) {
			run_load(cgroup_fd);
			empty_cost[r] = fd_ns_per_run(empty_prog_fd, &empty_cnt);
			close(empty_link_fd);
			close(empty_prog_fd);
		}
		if (stats_fd >= 0)
			close(stats_fd);
	}
	if (!err) {
		double c = bench_median(cost, ROUNDS), e = bench_median(empty_cost, ROUNDS);

		printf("pipe ping-pong, %d round trips, median of %d interleaved rounds:\n",
		       ROUND_TRIPS, ROUNDS);
		printf("  without vigil: %.0f round trips/s\n",
		       ROUND_TRIPS / bench_median(off, ROUNDS));
		printf("  with vigil:    %.0f round trips/s\n",
		       ROUND_TRIPS / bench_median(on, ROUNDS));
		printf("  throughput ratio (with/without): %.3f (target >= 0.95)\n",
		       bench_median(off, ROUNDS) / bench_median(on, ROUNDS));
		if (stats_fd < 0)
			printf("  sched_switch cost: unknown, BPF_ENABLE_STATS failed\n");
		else
			printf("  sched_switch program: %.1f ns per event (median of the rounds' means "
			       "over about %llu events; kernel BPF stats; target <= 100 ns)\n"
			       "  an empty program on the same tracepoint: %.1f ns per event (the "
			       "statistics' own cost)\n"
			       "  vigil_sched_switch beyond the empty program: %.1f ns per event\n",
			       c, (unsigned long long)(cnt1 - cnt0), e, c - e);
	}
	close(cgroup_fd);
	rmdir(cgroup);
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(scratch);
	return err ? 1 : 0;
}
