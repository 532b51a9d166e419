// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-packet cost of the network meter's tc programs: BPF_PROG_TEST_RUN
 * repeats each program over one frame and the kernel reports the mean run
 * time. That time includes the test run's own loop, measured with an empty
 * program and subtracted for the program's cost; each figure is the best of
 * ROUNDS (the host runs other work too). Loopback stands in for a workload
 * interface (only its slot is set; nothing is attached to it). Needs root.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_log.h"
#include "meter_loader.h"
#include "net_meter.h"

#define REPEAT	    1000000U
#define TARGET_NS   50.0
#define LOOPBACK    1
#define FRAME_BYTES 128
#define ROUNDS	    5

static char scratch[PATH_MAX], bpffs[PATH_MAX], pin_dir[PATH_MAX];

/* Ethernet + IPv4 or IPv6 header to `dst`, UDP behind it. */
static int make_frame(uint8_t *buf, bool v6, const char *dst)
{
	memset(buf, 0, FRAME_BYTES);
	memset(buf, 0xff, 6);
	buf[6] = 0x02;
	buf[12] = v6 ? 0x86 : 0x08;
	buf[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		buf[14] = 0x60;
		buf[20] = 17;
		buf[21] = 64;
		return inet_pton(AF_INET6, dst, &buf[14 + 24]) == 1 ? 0 : -EINVAL;
	}
	buf[14] = 0x45;
	buf[22] = 64;
	buf[23] = 17;
	return inet_pton(AF_INET, dst, &buf[14 + 16]) == 1 ? 0 : -EINVAL;
}

/* Mean ns per run of `fd` over the frame, best of ROUNDS. */
static int best_duration(int fd, uint8_t *frame, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = FRAME_BYTES,
		    .repeat = REPEAT);
	__u32 best = UINT32_MAX;

	for (int i = 0; i < ROUNDS; i++) {
		if (bpf_prog_test_run_opts(fd, &opts) < 0)
			return -errno;
		best = opts.duration < best ? opts.duration : best;
	}
	*ret = best;
	return 0;
}

static __u32 overhead_ns;

/* The test run's loop alone: a tc program that only returns. */
static int measure_overhead(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint8_t frame[FRAME_BYTES];
	int fd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vigil_bench_nop", "GPL", insns, 2, NULL);
	if (fd < 0)
		return -errno;
	err = make_frame(frame, false, "10.1.2.3");
	if (!err)
		err = best_duration(fd, frame, &overhead_ns);
	close(fd);
	if (!err)
		printf("test run overhead (empty program): %u ns/packet\n", overhead_ns);
	return err;
}

static int run(const char *prog, const char *what, bool v6, const char *dst)
{
	uint8_t frame[FRAME_BYTES];
	char path[PATH_MAX];
	__u32 ns;
	double cost;
	int fd, err;

	if (make_frame(frame, v6, dst) < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, prog);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = best_duration(fd, frame, &ns);
	close(fd);
	if (err)
		return err;
	cost = ns > overhead_ns ? (double)(ns - overhead_ns) : 0.0;
	printf("%-16s %-18s %4u ns/packet, program %4.0f ns (target <= %.0f ns): %s\n", prog, what,
	       ns, cost, TARGET_NS, cost <= TARGET_NS ? "ok" : "OVER TARGET");
	return 0;
}

static int bench(void)
{
	__u32 key = LOOPBACK, slot = 0;
	char path[PATH_MAX];
	bool adopted;
	int fd, err;

	err = vigil_net_meter_load(pin_dir, 0, &adopted);
	if (err) {
		fprintf(stderr, "bench_tc: loading the network meter: %s\n", strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), "%s/vigil_if_slot", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_update_elem(fd, &key, &slot, BPF_ANY) < 0) {
		err = -errno;
		fprintf(stderr, "bench_tc: %s: %s\n", path, strerror(errno));
		return err;
	}
	close(fd);
	printf("%u runs x %d rounds each, %d-byte frames, default private prefixes\n", REPEAT,
	       ROUNDS, FRAME_BYTES);
	err = measure_overhead();
	if (!err)
		err = run("prog_tc_ingress", "IPv4 public dst", false, "203.0.113.9");
	if (!err)
		err = run("prog_tc_ingress", "IPv4 private dst", false, "10.1.2.3");
	if (!err)
		err = run("prog_tc_ingress", "IPv6 public dst", true, "2001:db8::9");
	if (!err)
		err = run("prog_tc_ingress", "IPv6 private dst", true, "fd00::3");
	if (!err)
		err = run("prog_tc_egress", "IPv4", false, "10.1.2.3");
	if (!err)
		err = run("prog_tc_egress", "IPv6", true, "2001:db8::9");
	if (err)
		fprintf(stderr, "bench_tc: test run: %s\n", strerror(-err));
	return err;
}

int main(void)
{
	int err;

	if (geteuid() != 0) {
		printf("bench_tc: skipped: BPF_PROG_TEST_RUN of tc programs needs root\n");
		return 77;
	}
	vigil_bpf_log_install(NULL);
	snprintf(scratch, sizeof(scratch), "/tmp/vigil-bench-tc-XXXXXX");
	if (!mkdtemp(scratch)) {
		perror("bench_tc: scratch directory");
		return 1;
	}
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", bpffs);
	if (mkdir(bpffs, 0700) < 0 || mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0) {
		perror("bench_tc: mounting a private bpffs");
		rmdir(bpffs);
		rmdir(scratch);
		return 1;
	}
	err = bench();
	vigil_meter_unpin(pin_dir);
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(scratch);
	return err ? 1 : 0;
}
