// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disk metering on a real block device: an ext4 file system on a loop
 * device the suite creates. The workload (this binary re-executed with
 * --disk) writes 64 MiB with O_DIRECT and 64 MiB through the page cache
 * with fsync, then reads 64 MiB that the test evicted from the cache.
 * Ground truth: the sizes the workload moved, and the loop device's own
 * statistics for what reached it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meter_fixture.h"
#include "testutil.h"

#define MIB	 (1024ULL * 1024ULL)
#define FILE_MIB 64ULL
#define CHUNK	 (1024 * 1024)

static char image[PATH_MAX], mnt[PATH_MAX], loop_dev[64];

static int run_quiet(char *const argv[])
{
	struct cmd_result r = { 0 };
	int status = run_cmd(argv, &r) < 0 ? -1 : r.status;

	if (status != 0)
		fprintf(stderr, "meter_disk: %s failed: %s\n", argv[0], r.err ? r.err : "");
	cmd_result_free(&r);
	return status;
}

static void remove_disk(void);

/* A fixture that cannot finish removes what it made before giving up. */
static void give_up(const char *what)
{
	fprintf(stderr, "meter_disk: %s: %s\n", what, strerror(errno));
	remove_disk();
	abort();
}

static void make_disk(void)
{
	struct cmd_result r = { 0 };
	int fd;

	mf_make_host_objects();
	snprintf(image, sizeof(image), "%s/disk.img", mf.scratch);
	snprintf(mnt, sizeof(mnt), "%s/mnt", mf.scratch);
	fd = open(image, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 512 * MIB) < 0 || mkdir(mnt, 0700) < 0)
		give_up("making the disk image");
	close(fd);
	if (run_cmd((char *[]){ "losetup", "--find", "--show", image, NULL }, &r) < 0 ||
	    r.status != 0 || sscanf(r.out, "%63s", loop_dev) != 1) {
		fprintf(stderr, "meter_disk: losetup: %s\n", r.err ? r.err : "");
		cmd_result_free(&r);
		give_up("attaching a loop device");
	}
	cmd_result_free(&r);
	if (run_quiet((char *[]){ "mkfs.ext4", "-q", "-F", loop_dev, NULL }) != 0 ||
	    mount(loop_dev, mnt, "ext4", 0, NULL) < 0)
		give_up("making and mounting ext4 on the loop device");
}

static void remove_disk(void)
{
	char path[PATH_MAX + 16];

	if (mnt[0] && umount2(mnt, 0) < 0 && errno != EINVAL && errno != ENOENT)
		umount2(mnt, MNT_DETACH);
	if (loop_dev[0])
		run_quiet((char *[]){ "losetup", "-d", loop_dev, NULL });
	snprintf(path, sizeof(path), "%s", image);
	unlink(path);
	rmdir(mnt);
	mf_remove_host_objects();
}

/* Sectors read and written, from the device's own statistics. */
static void device_bytes(uint64_t *read, uint64_t *written)
{
	unsigned long long f[8];
	char path[128], *text;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", strrchr(loop_dev, '/') + 1);
	text = read_file(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(sscanf(text, "%llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
				&f[2], &f[3], &f[4], &f[5], &f[6], &f[7]),
			 8);
	free(text);
	*read = f[2] * 512;
	*written = f[6] * 512;
}

static int write_file(const char *path, int flags, bool sync)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | flags, 0600);
	void *buf;
	int err = 0;

	if (fd < 0 || posix_memalign(&buf, 4096, CHUNK) != 0)
		return -1;
	memset(buf, 0x5a, CHUNK);
	for (unsigned long long i = 0; i < FILE_MIB && !err; i++)
		err = write(fd, buf, CHUNK) == CHUNK ? 0 : -1;
	if (!err && sync)
		err = fsync(fd);
	free(buf);
	close(fd);
	return err;
}

/* Writes a file and pushes it out of the page cache. */
static void make_cold_file(const char *path)
{
	unsigned char vec[FILE_MIB * MIB / 4096];
	int fd;
	void *p;

	ck_assert_int_eq(write_file(path, 0, true), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	p = mmap(NULL, FILE_MIB * MIB, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(mincore(p, FILE_MIB * MIB, vec), 0);
	for (size_t i = 0; i < sizeof(vec); i++)
		ck_assert_msg(!(vec[i] & 1), "page %zu of the cold file is still cached", i);
	munmap(p, FILE_MIB * MIB);
	close(fd);
}

START_TEST(test_disk_bytes_exact)
{
	char *argv[] = { "/proc/self/exe", "--disk", mnt, NULL };
	struct vigil_meter *m = mf_open_meter();
	uint64_t dev_read0, dev_written0, dev_read, dev_written;
	struct vigil_workload_usage u, other;
	char cold[PATH_MAX + 8];

	snprintf(cold, sizeof(cold), "%s/cold", mnt);
	make_cold_file(cold);
	mf_add_workload(m, "w1", 4);
	mf_add_workload(m, "w2", 5);
	sync();
	device_bytes(&dev_read0, &dev_written0);
	mf_wait_ok(mf_spawn("w1", argv));
	/* background writeback of anything left, which must add nothing */
	sync();
	device_bytes(&dev_read, &dev_written);
	ck_assert_int_eq(vigil_meter_read(m, 4, &u), 0);

	mf_assert_within_percent(u.disk_write_bytes, 2 * FILE_MIB * MIB, MF_DISK_TOLERANCE_PERCENT,
				 "disk_write_bytes (O_DIRECT + buffered/fsync)", "known 128 MiB");
	mf_assert_within_percent(u.disk_read_bytes, FILE_MIB * MIB, MF_DISK_TOLERANCE_PERCENT,
				 "disk_read_bytes (cold cache)", "known 64 MiB");
	mf_assert_within_percent(u.disk_read_bytes, dev_read - dev_read0, MF_DISK_TOLERANCE_PERCENT,
				 "disk_read_bytes", "device bytes read");
	/* the device also wrote the journal: never less than what was charged */
	ck_assert_uint_le(u.disk_write_bytes, dev_written - dev_written0);
	printf("ops: %llu reads, %llu writes submitted by the workload\n",
	       (unsigned long long)u.disk_read_ops, (unsigned long long)u.disk_write_ops);
	/*
	 * Bios carry from one page to many large folios, so only bounds hold:
	 * the reads, the direct writes and the fsync's writeback each took
	 * at least one, and none carried less than a page.
	 */
	ck_assert_uint_ge(u.disk_read_ops, 1);
	ck_assert_uint_ge(u.disk_write_ops, 2);
	ck_assert_uint_le(u.disk_read_ops, FILE_MIB * MIB / 4096);
	ck_assert_uint_le(u.disk_write_ops, 2 * FILE_MIB * MIB / 4096);

	ck_assert_int_eq(vigil_meter_read(m, 5, &other), 0);
	ck_assert_uint_eq(other.disk_read_bytes + other.disk_write_bytes, 0);
	ck_assert_uint_eq(other.disk_read_ops + other.disk_write_ops, 0);
	vigil_meter_close(m);
}
END_TEST

static Suite *meter_disk_suite(void)
{
	Suite *s = suite_create("meter_disk");
	TCase *tc = tcase_create("disk");

	tcase_add_unchecked_fixture(tc, make_disk, remove_disk);
	tcase_add_checked_fixture(tc, mf_setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_disk_bytes_exact);
	suite_add_tcase(s, tc);
	return s;
}

/* The workload: O_DIRECT write, buffered write + fsync, cold read. */
static int disk_io(const char *dir)
{
	char path[PATH_MAX];
	char *buf = malloc(CHUNK);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/direct", dir);
	if (!buf || write_file(path, O_DIRECT, false) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/buffered", dir);
	if (write_file(path, 0, true) < 0)
		return 2;
	snprintf(path, sizeof(path), "%s/cold", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 3;
	while ((n = read(fd, buf, CHUNK)) > 0)
		;
	close(fd);
	free(buf);
	return n < 0 ? 4 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--disk") == 0)
		return disk_io(argv[2]);
	mf_require("meter_disk");
	if (access("/dev/loop-control", F_OK) < 0) {
		printf("meter_disk: skipped: no /dev/loop-control (loop devices)\n");
		return EXIT_SKIP;
	}
	return run_suite(meter_disk_suite());
}
