// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a tenant's volume costs (issue 16):
 * - unlocking it: vigil_volume_check_key, the header check and the KDF, a
 *   high-entropy key (PBKDF2, 1000 iterations) against a passphrase
 *   (argon2id, 128 MiB, 4 passes, 2 lanes); no device-mapper needed;
 * - export to /dev/null and import from a file, in MB/s of the stream;
 * - where the kernel has device-mapper (the guest lane: `make
 *   bench-guest`): a full open and close both ways, and sequential O_DIRECT
 *   writes and reads of dm-crypt against the loop device under it, with
 *   dm-crypt's work queues bypassed (vigil's default) and with them.
 * The variants take turns within each round: on a shared VM, and under
 * TCG above all, only ratios within one run mean anything. Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmod.h"
#include "testutil.h"
#include "timing.h"
#include "volume.h"

#define MIB	    (1024.0 * 1024.0)
#define KDF_RUNS    5
#define IO_ROUNDS   3
#define IO_MIB	    64
#define IO_CHUNK    (1024 * 1024)
#define EXPORT_MIB  256
#define VOLUME_MIB  8
#define ID_PBKDF2   "bench-pbkdf2"
#define ID_ARGON2ID "bench-argon2id"
#define ID_IO	    "bench-io"
#define ID_EXPORT   "bench-export"

static char scratch[PATH_MAX];

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_volume: %s: %s\n", what, err);
	sh("rm -rf '%s'", scratch);
	exit(1);
}

static struct vigil_volume_key *make_key(bool passphrase)
{
	static const char phrase[] = "correct horse battery staple, a tenant's passphrase";
	unsigned char random_bytes[64];
	struct vigil_volume_key *key = NULL;
	int r;

	if (passphrase) {
		r = vigil_volume_key_from(phrase, sizeof(phrase) - 1, &key);
	} else {
		if (getrandom(random_bytes, sizeof(random_bytes), 0) != sizeof(random_bytes))
			die("getrandom", strerror(errno));
		r = vigil_volume_key_from(random_bytes, sizeof(random_bytes), &key);
	}
	if (r < 0)
		die("a key in locked memory", strerror(-r));
	key->passphrase = passphrase;
	return key;
}

static void create(const struct vigil_volume_store *st, const char *id, uint64_t size_mib,
		   const char *backing, const struct vigil_volume_key *key)
{
	struct vigil_volume_create_opts opts = { .id = id,
						 .size_mib = size_mib,
						 .backing = backing };
	char err[512];

	if (vigil_volume_create(st, &opts, key, err, sizeof(err)) < 0)
		die("create", err);
}

/* Median milliseconds of KDF_RUNS unlocks of `id`: a key check, or an open and a close. */
static double unlock_ms(const struct vigil_volume_store *st, const char *id,
			const struct vigil_volume_key *key, bool open_close)
{
	double runs[KDF_RUNS];
	char err[512];

	for (int i = 0; i < KDF_RUNS; i++) {
		double start = bench_now_s();
		int r = open_close ? vigil_volume_open(st, id, key, VIGIL_VOLUME_OPEN_NO_WORKQUEUE,
						       err, sizeof(err))
				   : vigil_volume_check_key(st, id, key, err, sizeof(err));

		if (!r && open_close)
			r = vigil_volume_close(st, id, err, sizeof(err));
		if (r < 0)
			die(open_close ? "open and close" : "check the key", err);
		runs[i] = (bench_now_s() - start) * 1e3;
	}
	return bench_median(runs, KDF_RUNS);
}

static void bench_unlock(const struct vigil_volume_store *st, bool have_dm)
{
	struct vigil_volume_key *key = make_key(false), *phrase = make_key(true);
	double pbkdf2, argon2id;

	create(st, ID_PBKDF2, VOLUME_MIB, NULL, key);
	create(st, ID_ARGON2ID, VOLUME_MIB, NULL, phrase);
	pbkdf2 = unlock_ms(st, ID_PBKDF2, key, false);
	argon2id = unlock_ms(st, ID_ARGON2ID, phrase, false);
	printf("key check (header check + KDF), median of %d: PBKDF2-1000 %.1f ms, "
	       "argon2id 128 MiB/4/2 %.1f ms (x%.1f)\n",
	       KDF_RUNS, pbkdf2, argon2id, argon2id / pbkdf2);
	if (have_dm) {
		pbkdf2 = unlock_ms(st, ID_PBKDF2, key, true);
		argon2id = unlock_ms(st, ID_ARGON2ID, phrase, true);
		printf("open + close (loop, dm-crypt), median of %d: PBKDF2-1000 %.1f ms, "
		       "argon2id %.1f ms (x%.1f)\n",
		       KDF_RUNS, pbkdf2, argon2id, argon2id / pbkdf2);
	}
	vigil_volume_key_free(key);
	vigil_volume_key_free(phrase);
}

/* MB/s of IO_MIB written (or read) sequentially with O_DIRECT at `offset` of `dev`. */
static double sequential_mbps(const char *dev, off_t offset, bool write_it)
{
	void *buf = NULL;
	double start, secs;
	int fd;

	if (posix_memalign(&buf, 4096, IO_CHUNK))
		die("a buffer", "out of memory");
	memset(buf, 0xa5, IO_CHUNK);
	fd = open(dev, (write_it ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die(dev, strerror(errno));
	start = bench_now_s();
	for (int i = 0; i < IO_MIB; i++) {
		off_t at = offset + (off_t)i * IO_CHUNK;
		ssize_t n = write_it ? pwrite(fd, buf, IO_CHUNK, at) : pread(fd, buf, IO_CHUNK, at);

		if (n != IO_CHUNK)
			die(dev, n < 0 ? strerror(errno) : "short transfer");
	}
	if (write_it && fsync(fd) < 0)
		die(dev, strerror(errno));
	secs = bench_now_s() - start;
	close(fd);
	free(buf);
	return IO_MIB / secs;
}

enum io_variant { RAW, NO_WORKQUEUE, WORKQUEUE, IO_VARIANTS };
static const char *const io_names[] = { "raw loop device", "dm-crypt, no work queues",
					"dm-crypt, work queues" };

static void bench_throughput(const struct vigil_volume_store *st)
{
	double w[IO_VARIANTS][IO_ROUNDS], r[IO_VARIANTS][IO_ROUNDS], wm[IO_VARIANTS],
		rm[IO_VARIANTS];
	struct vigil_volume_key *key = make_key(false);
	char file[PATH_MAX + 8], mapper[VIGIL_VOLUME_MAPPER_SIZE], err[512], *dev;
	int fd;

	snprintf(file, sizeof(file), "%s/device.img", scratch);
	fd = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)(VIGIL_VOLUME_HEADER_BYTES + IO_MIB * MIB)) < 0)
		die(file, strerror(errno));
	close(fd);
	dev = sh_output("losetup --find --show '%s'", file);
	if (!dev)
		die("losetup", "cannot attach a loop device");
	dev[strcspn(dev, "\n")] = '\0';
	create(st, ID_IO, IO_MIB, dev, key);
	vigil_volume_mapper_path(ID_IO, mapper, sizeof(mapper));
	for (int round = 0; round < IO_ROUNDS; round++) {
		for (int v = 0; v < IO_VARIANTS; v++) {
			const char *target = v == RAW ? dev : mapper;
			/* the raw device's data area, where the mapping's blocks land */
			off_t offset = v == RAW ? (off_t)VIGIL_VOLUME_HEADER_BYTES : 0;

			if (v != RAW &&
			    vigil_volume_open(st, ID_IO, key,
					      v == NO_WORKQUEUE ? VIGIL_VOLUME_OPEN_NO_WORKQUEUE
								: 0,
					      err, sizeof(err)) < 0)
				die("open", err);
			w[v][round] = sequential_mbps(target, offset, true);
			r[v][round] = sequential_mbps(target, offset, false);
			if (v != RAW && vigil_volume_close(st, ID_IO, err, sizeof(err)) < 0)
				die("close", err);
		}
	}
	printf("sequential O_DIRECT, %d MiB in 1 MiB requests, median of %d rounds:\n", IO_MIB,
	       IO_ROUNDS);
	for (int v = 0; v < IO_VARIANTS; v++) {
		wm[v] = bench_median(w[v], IO_ROUNDS);
		rm[v] = bench_median(r[v], IO_ROUNDS);
		printf("  %-26s write %7.1f MB/s (x%.2f of raw)   read %7.1f MB/s (x%.2f of raw)\n",
		       io_names[v], wm[v], wm[v] / wm[RAW], rm[v], rm[v] / rm[RAW]);
	}
	printf("  no work queues vs work queues: write x%.2f, read x%.2f\n",
	       wm[NO_WORKQUEUE] / wm[WORKQUEUE], rm[NO_WORKQUEUE] / rm[WORKQUEUE]);
	if (vigil_volume_erase(st, ID_IO, err, sizeof(err)) < 0)
		die("erase", err);
	sh("losetup -d '%s'", dev);
	free(dev);
	vigil_volume_key_free(key);
}

static double stream_mbps(uint64_t bytes, double secs)
{
	return (double)bytes / MIB / secs;
}

static void bench_export_import(const struct vigil_volume_store *st)
{
	struct vigil_volume_store other = { 0 };
	struct vigil_volume_key *key = make_key(false);
	char sum[VIGIL_VOLUME_SHA256_HEX], err[512], stream[PATH_MAX + 16], other_dir[PATH_MAX + 8];
	double start, to_null, to_file, from_file;
	struct stat sb;
	int fd;

	create(st, ID_EXPORT, EXPORT_MIB, NULL, key);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	start = bench_now_s();
	if (fd < 0 || vigil_volume_export(st, ID_EXPORT, fd, NULL, NULL, sum, err, sizeof(err)) < 0)
		die("export to /dev/null", fd < 0 ? strerror(errno) : err);
	to_null = bench_now_s() - start;
	close(fd);

	snprintf(stream, sizeof(stream), "%s/volume.export", scratch);
	fd = open(stream, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	start = bench_now_s();
	if (fd < 0 ||
	    vigil_volume_export(st, ID_EXPORT, fd, NULL, NULL, sum, err, sizeof(err)) < 0 ||
	    fsync(fd) < 0)
		die("export to a file", fd < 0 ? strerror(errno) : err);
	to_file = bench_now_s() - start;
	close(fd);

	snprintf(other_dir, sizeof(other_dir), "%s/other", scratch);
	if (mkdir(other_dir, 0700) < 0 || stat(stream, &sb) < 0)
		die(other_dir, strerror(errno));
	other.state_dir = other_dir;
	fd = open(stream, O_RDONLY | O_CLOEXEC);
	start = bench_now_s();
	if (fd < 0 || vigil_volume_import(&other, NULL, fd, NULL, NULL, sum, err, sizeof(err)) < 0)
		die("import", fd < 0 ? strerror(errno) : err);
	from_file = bench_now_s() - start;
	close(fd);
	printf("export/import of a %d MiB volume (a %.0f MiB stream): export to /dev/null "
	       "%.0f MB/s, to a file %.0f MB/s; import from a file %.0f MB/s\n",
	       EXPORT_MIB, (double)sb.st_size / MIB, stream_mbps((uint64_t)sb.st_size, to_null),
	       stream_mbps((uint64_t)sb.st_size, to_file),
	       stream_mbps((uint64_t)sb.st_size, from_file));
	vigil_volume_key_free(key);
}

int main(void)
{
	static const char *const dev_dir[] = { "/dev", NULL };
	struct vigil_volume_store st = { .backing_dirs = dev_dir };
	char state[PATH_MAX + 8], why[256];
	bool have_dm;

	if (geteuid() != 0) {
		printf("bench_volume: skipped: needs root (loop devices, device-mapper)\n");
		return EXIT_SKIP;
	}
	have_dm = vigil_volume_kernel_ready(true, why, sizeof(why)) == 0;
	snprintf(scratch, sizeof(scratch), "/tmp/vigil-bench-volume.XXXXXX");
	if (!mkdtemp(scratch))
		die("mkdtemp", strerror(errno));
	snprintf(state, sizeof(state), "%s/state", scratch);
	if (mkdir(state, 0700) < 0)
		die(state, strerror(errno));
	st.state_dir = state;

	bench_unlock(&st, have_dm);
	if (have_dm)
		bench_throughput(&st);
	else
		printf("open + close and dm-crypt throughput: skipped: %s "
		       "(make bench-guest runs them)\n",
		       why);
	bench_export_import(&st);
	sh("rm -rf '%s'", scratch);
	return 0;
}
