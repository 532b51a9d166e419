// SPDX-License-Identifier: GPL-2.0-or-later
#include "cpu_fence.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define ONLINE_CPUS "/sys/devices/system/cpu/online"

static int grace_period(void)
{
	return syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0 ? -errno : 0;
}

/* PREEMPT_RT runs bottom halves in preemptible threads: a CPU can switch mid-section. */
static bool bottom_halves_preemptible(void)
{
	struct utsname u;
	char flag = '0';
	FILE *f = fopen("/sys/kernel/realtime", "re");

	if (f) {
		if (fread(&flag, 1, 1, f) != 1)
			flag = '0';
		fclose(f);
	}
	return flag == '1' || (uname(&u) == 0 && strstr(u.version, "PREEMPT_RT"));
}

/* Runs the calling thread on each CPU of "0-3,8,10-11". false when one would not have it. */
static bool visit_cpus(const char *list, cpu_set_t *one, size_t size)
{
	const char *p = list;

	while (*p && *p != '\n') {
		char *end;
		long first = strtol(p, &end, 10), last = first;

		if (end == p || first < 0)
			return false;
		if (*end == '-')
			last = strtol(end + 1, &end, 10);
		if (last < first)
			return false;
		for (long cpu = first; cpu <= last; cpu++) {
			if ((size_t)cpu >= size * 8)
				return false;
			CPU_ZERO_S(size, one);
			CPU_SET_S((size_t)cpu, size, one);
			/* returns on that CPU: it has left whatever it could not be preempted in */
			if (sched_setaffinity(0, size, one) < 0)
				return false;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

int vigil_cpu_fence(void)
{
	long max = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t *saved = NULL, *one = NULL;
	char list[4096];
	bool visited = false;
	size_t size, n;
	FILE *f;

	if (bottom_halves_preemptible() || max <= 0)
		return grace_period();
	f = fopen(ONLINE_CPUS, "re");
	if (!f)
		return grace_period();
	n = fread(list, 1, sizeof(list) - 1, f);
	fclose(f);
	list[n] = '\0';
	size = CPU_ALLOC_SIZE(max);
	saved = CPU_ALLOC(max);
	one = CPU_ALLOC(max);
	if (saved && one && sched_getaffinity(0, size, saved) == 0) {
		visited = visit_cpus(list, one, size);
		if (sched_setaffinity(0, size, saved) < 0 && visited) {
			CPU_FREE(saved);
			CPU_FREE(one);
			return -errno;
		}
	}
	CPU_FREE(saved);
	CPU_FREE(one);
	return visited ? 0 : grace_period();
}
