// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the jail's seccomp filter costs a workload per system call: getpid
 * and fstat, through the raw syscall, with no filter, with the generic
 * profile compiled as a linear list and as libseccomp's binary tree (the
 * one vigil installs). Each variant runs in its own child, side by side in
 * one run; prints the median of ROUNDS rounds of CALLS calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail_seccomp.h"
#include "timing.h"

#define ROUNDS 11
#define CALLS  200000

enum variant { NO_FILTER, LINEAR, TREE, VARIANTS };
static const char *const variant_names[] = { "no filter", "linear filter", "tree filter" };

struct result {
	double getpid_ns, fstat_ns;
};

static double per_call_ns(long nr)
{
	double rounds[ROUNDS];
	struct stat st;

	for (int r = 0; r < ROUNDS; r++) {
		double start = bench_now_s();

		for (int i = 0; i < CALLS; i++) {
			if (nr == SYS_fstat)
				syscall(SYS_fstat, 0, &st);
			else
				syscall(SYS_getpid);
		}
		rounds[r] = (bench_now_s() - start) * 1e9 / CALLS;
	}
	return bench_median(rounds, ROUNDS);
}

static int measure(enum variant v, struct result *ret)
{
	struct vigil_seccomp_filter f = { 0 };
	int fds[2], status;
	pid_t pid;

	if (v != NO_FILTER &&
	    vigil_seccomp_build(VIGIL_SECCOMP_GENERIC, VIGIL_SECCOMP_KILL, v == TREE, &f) < 0)
		return -1;
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct result r;

		close(fds[0]);
		if (v != NO_FILTER &&
		    (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || vigil_seccomp_install(&f) < 0))
			_exit(1);
		r.getpid_ns = per_call_ns(SYS_getpid);
		r.fstat_ns = per_call_ns(SYS_fstat);
		_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], ret, sizeof(*ret)) != sizeof(*ret))
		status = -1;
	else
		status = 0;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (v != NO_FILTER)
		printf("%-13s %u instructions, sha256 %.16s...\n", variant_names[v], f.len,
		       f.sha256);
	vigil_seccomp_filter_free(&f);
	return status;
}

int main(void)
{
	struct result r[VARIANTS];

	for (int v = 0; v < VARIANTS; v++) {
		if (measure(v, &r[v]) < 0) {
			fprintf(stderr, "bench_seccomp: %s: measurement failed\n",
				variant_names[v]);
			return 1;
		}
	}
	for (int v = 0; v < VARIANTS; v++)
		printf("%-13s getpid %6.1f ns/call (x%.2f)   fstat %6.1f ns/call (x%.2f)\n",
		       variant_names[v], r[v].getpid_ns, r[v].getpid_ns / r[NO_FILTER].getpid_ns,
		       r[v].fstat_ns, r[v].fstat_ns / r[NO_FILTER].fstat_ns);
	printf("tree vs linear: getpid x%.2f, fstat x%.2f\n",
	       r[TREE].getpid_ns / r[LINEAR].getpid_ns, r[TREE].fstat_ns / r[LINEAR].fstat_ns);
	return 0;
}
