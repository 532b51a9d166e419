// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Memory metering against what the test measures itself: the workload's
 * VmRSS in /proc, sampled every few milliseconds over its whole life and
 * integrated, and the 256 MiB it is known to touch. The workload is this
 * binary re-executed with --touch; it reports each phase on a pipe.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "meter_fixture.h"
#include "testutil.h"

#define MIB	  (1024ULL * 1024ULL)
#define TOUCH_MIB 256ULL
#define HOLD_MS	  800
#define SAMPLE_MS 2

/* A "Name:   N kB" line of /proc/PID/status in bytes; -1 once its memory is gone (exited). */
static long long status_kb(pid_t pid, const char *name)
{
	char path[64], key[32], *text, *line;
	long long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(key, sizeof(key), "\n%s:", name);
	text = read_file(path);
	if (!text)
		return -1;
	line = strstr(text, key);
	if (line)
		kib = strtoll(line + strlen(key), NULL, 10);
	free(text);
	return kib < 0 ? -1 : kib * 1024;
}

static long long vm_rss(pid_t pid)
{
	return status_kb(pid, "VmRSS");
}

struct observation {
	/* BPF and /proc figures when the workload reported each phase */
	uint64_t metered_base;
	uint64_t metered_touched, rss_touched;
	uint64_t metered_halved, rss_halved;
	/* the integral of the sampled VmRSS over the workload's life */
	double rss_byte_seconds;
	long long rss_max;
};

/*
 * Samples the workload's VmRSS until its memory is gone, integrating it,
 * and reads the meter at each phase the workload announces on `fd`.
 */
static void observe(struct vigil_meter *m, uint32_t slot, pid_t pid, int fd,
		    struct observation *ret)
{
	struct vigil_workload_usage u;
	double last_t = now_s(), t;
	long long last_rss = 0, rss;
	char phase;

	memset(ret, 0, sizeof(*ret));
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		rss = vm_rss(pid);
		t = now_s();
		if (rss < 0)
			break;
		ret->rss_byte_seconds += (double)(rss + last_rss) / 2.0 * (t - last_t);
		ret->rss_max = rss > ret->rss_max ? rss : ret->rss_max;
		last_t = t;
		last_rss = rss;
		if (poll(&pfd, 1, SAMPLE_MS) == 1 && read(fd, &phase, 1) == 1) {
			int status;

			/* read the meter while the workload holds still */
			ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
			ck_assert(WIFSTOPPED(status));
			ck_assert_int_eq(vigil_meter_read(m, slot, &u), 0);
			rss = vm_rss(pid);
			/* where memory grew besides what was touched, should it have */
			printf("phase %c: RssAnon %lld, RssFile %lld, RssShmem %lld, metered %llu\n",
			       phase, status_kb(pid, "RssAnon"), status_kb(pid, "RssFile"),
			       status_kb(pid, "RssShmem"), (unsigned long long)u.mem_bytes);
			if (phase == 'b') {
				ret->metered_base = u.mem_bytes;
			} else if (phase == 't') {
				ret->metered_touched = u.mem_bytes;
				ret->rss_touched = (uint64_t)rss;
			} else if (phase == 'h') {
				ret->metered_halved = u.mem_bytes;
				ret->rss_halved = (uint64_t)rss;
			}
			/* let the workload go on */
			ck_assert_int_eq(kill(pid, SIGCONT), 0);
		}
	}
	/* the last interval: memory went from last_rss to nothing */
	ret->rss_byte_seconds += (double)last_rss / 2.0 * (now_s() - last_t);
}

static pid_t start_toucher(const char *cgroup, int *ret_fd)
{
	char fd_arg[16];
	char *argv[] = { "/proc/self/exe", "--touch", fd_arg, NULL };
	int pipefd[2];
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	snprintf(fd_arg, sizeof(fd_arg), "%d", pipefd[1]);
	pid = mf_spawn(cgroup, argv);
	close(pipefd[1]);
	*ret_fd = pipefd[0];
	return pid;
}

START_TEST(test_memory_matches_rss_and_known_size)
{
	struct vigil_meter *m = mf_open_meter();
	struct vigil_workload_usage u;
	struct observation o;
	pid_t pid;
	int fd;

	mf_add_workload(m, "w1", 3);
	pid = start_toucher("w1", &fd);
	observe(m, 3, pid, fd, &o);
	mf_wait_ok(pid);
	close(fd);

	mf_assert_within_percent(o.metered_touched, o.rss_touched, MF_MEM_TOLERANCE_PERCENT,
				 "touched: mem_bytes", "VmRSS");
	/* what touching added, beside what the process held before (larger under ASan) */
	mf_assert_within_percent(o.metered_touched - o.metered_base, TOUCH_MIB * MIB,
				 MF_MEM_TOLERANCE_PERCENT, "touched: mem_bytes growth",
				 "known 256 MiB");
	mf_assert_within_percent(o.metered_halved, o.rss_halved, MF_MEM_TOLERANCE_PERCENT,
				 "half freed: mem_bytes", "VmRSS");
	ck_assert_int_eq(vigil_meter_read(m, 3, &u), 0);
	mf_assert_within_percent(u.mem_peak_bytes, (uint64_t)o.rss_max, MF_MEM_TOLERANCE_PERCENT,
				 "mem_peak_bytes", "largest VmRSS sampled");
	mf_assert_within_percent(u.mem_byte_seconds, (uint64_t)o.rss_byte_seconds,
				 MF_MEM_INTEGRAL_TOLERANCE_PERCENT, "mem_byte_seconds",
				 "sampled VmRSS integral");
	/* an exited workload holds nothing, and its integral stops growing */
	ck_assert_uint_eq(u.mem_bytes, 0);
	usleep(200 * 1000);
	ck_assert_int_eq(vigil_meter_read(m, 3, &u), 0);
	mf_assert_within_percent(u.mem_byte_seconds, (uint64_t)o.rss_byte_seconds,
				 MF_MEM_INTEGRAL_TOLERANCE_PERCENT, "mem_byte_seconds 200 ms later",
				 "sampled VmRSS integral");
	vigil_meter_close(m);
}
END_TEST

START_TEST(test_memory_two_workloads_no_cross_attribution)
{
	struct vigil_meter *m = mf_open_meter();
	struct vigil_workload_usage u1, u2;
	struct observation o;
	pid_t pid;
	int fd;

	mf_add_workload(m, "w1", 1);
	mf_add_workload(m, "w2", 2);
	pid = start_toucher("w2", &fd);
	observe(m, 2, pid, fd, &o);
	mf_wait_ok(pid);
	close(fd);
	ck_assert_int_eq(vigil_meter_read(m, 1, &u1), 0);
	ck_assert_int_eq(vigil_meter_read(m, 2, &u2), 0);
	ck_assert_uint_eq(u1.mem_peak_bytes, 0);
	ck_assert_uint_eq(u1.mem_byte_seconds, 0);
	mf_assert_within_percent(u2.mem_peak_bytes, (uint64_t)o.rss_max, MF_MEM_TOLERANCE_PERCENT,
				 "w2 peak", "largest VmRSS sampled");
	vigil_meter_close(m);
}
END_TEST

static Suite *meter_memory_suite(void)
{
	Suite *s = suite_create("meter_memory");
	TCase *tc = tcase_create("memory");

	tcase_add_unchecked_fixture(tc, mf_make_host_objects, mf_remove_host_objects);
	tcase_add_checked_fixture(tc, mf_setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_memory_matches_rss_and_known_size);
	tcase_add_test(tc, test_memory_two_workloads_no_cross_attribution);
	suite_add_tcase(s, tc);
	return s;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Announces a phase and stops until the observer has read the meter. */
static void report(int fd, char phase)
{
	if (write(fd, &phase, 1) != 1)
		exit(1);
	raise(SIGSTOP);
}

/* The workload: settle, touch 256 MiB, hold it, free half, hold that, exit. */
static int touch(const char *fd_arg)
{
	size_t len = TOUCH_MIB * MIB, half = len / 2;
	int fd = atoi(fd_arg);
	char *p;

	/*
	 * mmap bound before the base is read: its first call's lazy binding
	 * walked the symbol tables of every library the suite links, and in the
	 * guest lane, whose files are on tmpfs, that mapped 2 MiB of shmem
	 * (RssShmem 3.5 to 5.5 MiB) while 256 MiB were touched: growth that
	 * touching did not add (the meter agreed with VmRSS to the byte).
	 */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 4096) < 0)
		return 1;
	sleep_ms(HOLD_MS / 4);
	report(fd, 'b');
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	report(fd, 't');
	sleep_ms(HOLD_MS);
	if (munmap(p + half, len - half) < 0)
		return 1;
	report(fd, 'h');
	sleep_ms(HOLD_MS);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--touch") == 0)
		return touch(argv[2]);
	mf_require("meter_memory");
	return run_suite(meter_memory_suite());
}
