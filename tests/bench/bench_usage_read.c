// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading the usage of 1,000 workloads: vigil's batched reads of the pinned
 * maps (every counter of every workload) against what cAdvisor does, one
 * open/read/parse per cgroup file. The file side reads every file that this
 * host has for CPU, memory and disk: cgroup v2 cpu.stat everywhere, v2
 * memory.current, memory.peak and io.stat where those controllers are on v2,
 * and on a hybrid host the v1 memory and blkio files of matching cgroups
 * made for the run. Needs root and cgroup v2; cleans up all it made.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "meter_loader.h"
#include "timing.h"

#define WORKLOADS 1000
#define ROUNDS	  9
#define MAX_FILES 8

/* One file cAdvisor would read for each workload: hierarchy root and name. */
struct source {
	const char *root;
	const char *file;
};

struct bench {
	struct vigil_cgroup2 cg2;
	char scratch[PATH_MAX], bpffs[PATH_MAX], pin_dir[PATH_MAX];
	/* the parent made for the run in each hierarchy used; empty when unused */
	char parents[3][PATH_MAX];
	int n_parents;
	struct source files[MAX_FILES];
	int n_files;
	struct vigil_meter *meter;
};

static void child_path(char *buf, size_t len, const char *parent, int i)
{
	snprintf(buf, len, "%s/w%d", parent, i);
}

/* Makes PARENT/w0..w999 under `root`; the parent is recorded for cleanup first. */
static int make_cgroups(struct bench *b, const char *root)
{
	char *parent = b->parents[b->n_parents];
	char path[PATH_MAX + 16];

	snprintf(parent, PATH_MAX, "%s/vigil-bench-%d", root, getpid());
	if (mkdir(parent, 0755) < 0)
		return -errno;
	b->n_parents++;
	for (int i = 0; i < WORKLOADS; i++) {
		child_path(path, sizeof(path), parent, i);
		if (mkdir(path, 0755) < 0)
			return -errno;
	}
	return 0;
}

static void remove_cgroups(struct bench *b)
{
	char path[PATH_MAX + 16];

	for (int p = 0; p < b->n_parents; p++) {
		for (int i = 0; i < WORKLOADS; i++) {
			child_path(path, sizeof(path), b->parents[p], i);
			rmdir(path);
		}
		rmdir(b->parents[p]);
	}
}

static bool file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* The files of one workload cgroup that exist on this host, as cAdvisor reads them. */
static int choose_files(struct bench *b)
{
	static const char *const v2[] = { "cpu.stat", "memory.current", "memory.peak", "io.stat" };
	static const struct {
		const char *root, *probe, *files[2];
	} v1[] = {
		{ "/sys/fs/cgroup/memory",
		  "memory.usage_in_bytes",
		  { "memory.usage_in_bytes", "memory.max_usage_in_bytes" } },
		{ "/sys/fs/cgroup/blkio",
		  "blkio.throttle.io_service_bytes",
		  { "blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced" } },
	};
	char first[PATH_MAX + 16];
	int err;

	child_path(first, sizeof(first), b->parents[0], 0);
	for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		if (file_exists(first, v2[i]))
			b->files[b->n_files++] = (struct source){ b->parents[0], v2[i] };
	}
	/* pure v2 has the memory and io files itself: no v1 hierarchies to add */
	if (b->cg2.mode != VIGIL_CGROUP_HYBRID)
		return 0;
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		if (!file_exists(v1[i].root, v1[i].probe))
			continue;
		err = make_cgroups(b, v1[i].root);
		if (err)
			return err;
		for (int f = 0; f < 2; f++)
			b->files[b->n_files++] =
				(struct source){ b->parents[b->n_parents - 1], v1[i].files[f] };
	}
	return 0;
}

/* Sums every number in the text: the parse cAdvisor does, roughly. */
static uint64_t parse_numbers(const char *text)
{
	uint64_t sum = 0;

	for (const char *p = text; *p;) {
		char *end;

		if (*p >= '0' && *p <= '9') {
			sum += strtoull(p, &end, 10);
			p = end;
		} else {
			p++;
		}
	}
	return sum;
}

static double read_files_once(const struct bench *b, uint64_t *sink)
{
	char dir[PATH_MAX + 16], text[4096];
	double start = bench_now_s();

	for (int i = 0; i < WORKLOADS; i++) {
		for (int f = 0; f < b->n_files; f++) {
			child_path(dir, sizeof(dir), b->files[f].root, i);
			if (vigil_cgroup_read(dir, b->files[f].file, text, sizeof(text)) == 0)
				*sink += parse_numbers(text);
		}
	}
	return bench_now_s() - start;
}

static int sum_slot(uint32_t slot, const struct vigil_slot *s, const struct vigil_workload_usage *u,
		    void *ctx)
{
	uint64_t *sink = ctx;

	*sink += u->cpu_ns + u->disk_read_bytes + u->net_tx_bytes + u->mem_bytes + slot;
	return 0;
}

static double read_maps_once(const struct bench *b, uint64_t *sink)
{
	double start = bench_now_s();
	int err = vigil_meter_read_all(b->meter, sum_slot, sink);

	if (err)
		fprintf(stderr, "bench_usage_read: vigil_meter_read_all: %s\n", strerror(-err));
	return bench_now_s() - start;
}

static int register_workloads(struct bench *b)
{
	struct vigil_meter_opts opts = { .pin_dir = b->pin_dir, .workload_cgroup_level = 2 };
	char path[PATH_MAX + 16];
	int err;

	err = vigil_meter_open(&opts, &b->meter);
	if (err)
		return err;
	for (int i = 0; i < WORKLOADS && !err; i++) {
		struct vigil_slot slot = { .state = VIGIL_SLOT_ACTIVE };
		uint64_t id;

		child_path(path, sizeof(path), b->parents[0], i);
		snprintf(slot.workload, sizeof(slot.workload), "bench-%d", i);
		err = vigil_cgroup_id(path, &id);
		slot.cgroup_id = id;
		if (!err)
			err = vigil_meter_slot_set(b->meter, (uint32_t)i, &slot);
		if (!err)
			err = vigil_meter_add_cgroup(b->meter, id, (uint32_t)i);
	}
	return err;
}

static int setup(struct bench *b)
{
	int err;

	snprintf(b->scratch, sizeof(b->scratch), "/tmp/vigil-bench-usage-XXXXXX");
	if (!mkdtemp(b->scratch))
		return -errno;
	snprintf(b->bpffs, sizeof(b->bpffs), "%s/bpffs", b->scratch);
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s/vigil", b->bpffs);
	if (mkdir(b->bpffs, 0700) < 0 || mount("bpf", b->bpffs, "bpf", 0, "mode=0700") < 0)
		return -errno;
	err = make_cgroups(b, b->cg2.mount);
	if (!err)
		err = register_workloads(b);
	if (!err)
		err = choose_files(b);
	return err;
}

static void teardown(struct bench *b)
{
	vigil_meter_close(b->meter);
	vigil_meter_unpin(b->pin_dir);
	umount2(b->bpffs, MNT_DETACH);
	rmdir(b->bpffs);
	rmdir(b->scratch);
	remove_cgroups(b);
}

static void run(struct bench *b)
{
	double files[ROUNDS], maps[ROUNDS];
	uint64_t sink = 0;

	/* interleaved, so a slow moment of the host hits both alike */
	for (int r = 0; r < ROUNDS; r++) {
		files[r] = read_files_once(b, &sink);
		maps[r] = read_maps_once(b, &sink);
	}
	bench_median(files, ROUNDS);
	bench_median(maps, ROUNDS);
	printf("cgroup mode %s; files read per workload (cAdvisor way):",
	       vigil_cgroup_mode_name(b->cg2.mode));
	for (int f = 0; f < b->n_files; f++)
		printf(" %s", b->files[f].file);
	printf("\n%d workloads, median of %d rounds:\n", WORKLOADS, ROUNDS);
	printf("  cgroup files (%d opens): %8.3f ms\n", WORKLOADS * b->n_files,
	       files[ROUNDS / 2] * 1e3);
	printf("  vigil_meter_read_all:    %8.3f ms (every counter, batched map reads)\n",
	       maps[ROUNDS / 2] * 1e3);
	printf("  ratio: %.1fx faster (target >= 10x)   [checksum %llu]\n",
	       files[ROUNDS / 2] / maps[ROUNDS / 2], (unsigned long long)(sink & 0xff));
}

int main(void)
{
	static struct bench b;
	int err;

	if (geteuid() != 0) {
		printf("bench_usage_read: skipped: needs root (bpffs, cgroups, BPF programs)\n");
		return 77;
	}
	if (vigil_cgroup2_detect(&b.cg2) < 0) {
		printf("bench_usage_read: skipped: no cgroup v2 hierarchy mounted\n");
		return 77;
	}
	err = setup(&b);
	if (err) {
		fprintf(stderr, "bench_usage_read: setting up 1,000 workloads: %s\n",
			strerror(-err));
		teardown(&b);
		return 1;
	}
	run(&b);
	teardown(&b);
	return 0;
}
