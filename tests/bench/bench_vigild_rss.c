// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's resident memory with 1,000 workloads: a private vigild (own
 * state dir, socket, bpffs and cgroup parent) is given 1,000 process
 * workloads, each created and started through the control socket, and its
 * VmRSS and VmHWM are read from /proc. Target: <= 30 MiB. Needs root and
 * cgroup v2; everything made is removed at the end.
 */
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
#include "timing.h"
#include "vigild_bench.h"

#define WORKLOADS 1000

static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			kib = strtol(line + flen + 1, NULL, 10);
	}
	fclose(f);
	return kib;
}

int main(void)
{
	static const char *const extra[] = { "--max-workloads", "1000", "--stop-timeout", "1",
					     NULL };
	struct vigil_cgroup2 cg2;
	struct vigild_bench b;
	long rss0, rss, hwm;
	double t0, created;
	int made = 0, err = 0;
	char id[32];

	if (geteuid() != 0 || vigil_cgroup2_detect(&cg2) < 0) {
		printf("bench_vigild_rss: skipped: needs root and cgroup v2\n");
		return 77;
	}
	if (vigild_bench_start(&b, "bench_vigild_rss", extra) < 0) {
		vigild_bench_stop(&b);
		return 1;
	}
	rss0 = status_kib(b.pid, "VmRSS");
	t0 = bench_now_s();
	for (; made < WORKLOADS && !err; made++) {
		snprintf(id, sizeof(id), "b%d", made);
		err = vigild_bench_call(&b, "create", NULL, vigild_bench_spec(id)) ||
		      vigild_bench_call(&b, "start", id, NULL);
	}
	created = bench_now_s() - t0;
	t0 = bench_now_s();
	if (!err)
		err = vigild_bench_call(&b, "list", NULL, NULL);
	rss = status_kib(b.pid, "VmRSS");
	hwm = status_kib(b.pid, "VmHWM");
	printf("vigild with %d workloads (created and started in %.1f s, list in %.1f ms):\n", made,
	       created, (bench_now_s() - t0) * 1e3);
	printf("  VmRSS %.1f MiB (%.1f MiB with none), peak VmHWM %.1f MiB (target <= 30 MiB)\n",
	       (double)rss / 1024, (double)rss0 / 1024, (double)hwm / 1024);
	if (vigild_bench_stop(&b) < 0)
		err = 1;
	return err ? 1 : 0;
}
