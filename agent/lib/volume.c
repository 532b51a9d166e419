// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A volume's life: create, open, close, erase, show. Every operation
 * checks what it is given before it changes anything, and one that fails
 * midway undoes what it did (a backing file it made is removed, a header
 * it wrote on an admin's device wiped).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "jail_spec.h"
#include "kmod.h"
#include "durable_file.h"
#include "volume_store.h"
#include "workload_spec.h"

#define MIB (1ull << 20)

void vigil_volume_mapper_path(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, VIGIL_VOLUME_MAPPER_DIR "/vigil-%s", id);
}

static void mapper_name(const char *id, char buf[VIGIL_VOLUME_MAPPER_SIZE])
{
	snprintf(buf, VIGIL_VOLUME_MAPPER_SIZE, "vigil-%s", id);
}

static uint64_t now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Backing stores                                                     */

struct backing {
	char path[PATH_MAX];
	bool is_device;
	bool made; /* a file this create made, removed if it fails */
};

static int device_size(int fd, uint64_t *ret)
{
	return ioctl(fd, BLKGETSIZE64, ret) < 0 ? -errno : 0;
}

/*
 * An admin's block device: held exclusively for the check, so a device
 * mounted or used by another mapping is refused as busy.
 */
static int backing_device_check(const char *id, const char *path, uint64_t need, char *err,
				size_t err_len)
{
	uint64_t size = 0;
	int fd, r;

	fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vigil_fail(-errno, err, err_len, "volume \"%s\": backing device %s: %s", id,
				  path,
				  errno == EBUSY ? "in use (mounted or held by another mapping)"
						 : strerror(errno));
	r = device_size(fd, &size);
	close(fd);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": backing device %s: %s", id, path,
				  strerror(-r));
	if (size < need)
		return vigil_fail(-ENOSPC, err, err_len,
				  "volume \"%s\": backing device %s is too small: %llu MiB, the "
				  "volume needs %llu MiB (its size and 16 MiB of LUKS2 header)",
				  id, path, (unsigned long long)(size / MIB),
				  (unsigned long long)(need / MIB));
	return 0;
}

/* A new backing file of `size` bytes at `dfd`/`name`, sparse unless preallocated. */
static int backing_file_make(int dfd, const char *name, uint64_t size, bool preallocate)
{
	int fd, r = 0;

	fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (preallocate)
		r = posix_fallocate(fd, 0, (off_t)size) ? -ENOSPC : 0;
	else if (ftruncate(fd, (off_t)size) < 0)
		r = -errno;
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		unlinkat(dfd, name, 0);
	return r;
}

/* Which allowed directory holds `path` (the admin's --backing-dir). */
static const char *backing_dir_of(const struct vigil_volume_store *st, const char *path)
{
	for (const char *const *d = st->backing_dirs; d && *d; d++)
		if (vigil_path_within(path, *d) && strcmp(path, *d))
			return *d;
	return NULL;
}

/*
 * Opens the directory holding `path` beneath `dir` with no symlink on the
 * way; `*ret_name` is the last component.
 */
static int open_parent_beneath(const char *dir, const char *path, int *ret_dfd,
			       const char **ret_name)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char rel[PATH_MAX];
	const char *name = strrchr(path, '/') + 1;
	size_t off = strlen(dir) + 1, len = (size_t)(name - path);
	int root, dfd;

	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	if (len <= off) {
		*ret_dfd = root;
		*ret_name = name;
		return 0;
	}
	snprintf(rel, sizeof(rel), "%.*s", (int)(len - off - 1), path + off);
	dfd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	close(root);
	if (dfd < 0)
		return -errno;
	*ret_dfd = dfd;
	*ret_name = name;
	return 0;
}

static int backing_given(const struct vigil_volume_store *st, const char *id, const char *path,
			 uint64_t need, bool preallocate, struct backing *b, char *err,
			 size_t err_len)
{
	const char *dir, *name = NULL;
	struct stat sb;
	int dfd = -1, r;

	if (!vigil_path_normalized(path) || strlen(path) >= sizeof(b->path))
		return vigil_fail(-EINVAL, err, err_len,
				  "volume \"%s\": backing %s: must be an absolute, normalized path",
				  id, path);
	dir = backing_dir_of(st, path);
	if (!dir)
		return vigil_fail(-EACCES, err, err_len,
				  "volume \"%s\": backing %s is not under a directory allowed for "
				  "backing stores (--backing-dir)",
				  id, path);
	r = open_parent_beneath(dir, path, &dfd, &name);
	if (r == -ELOOP || r == -EXDEV)
		return vigil_fail(-ELOOP, err, err_len,
				  "volume \"%s\": backing %s: its path goes through a symlink", id,
				  path);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": backing %s: %s", id, path,
				  strerror(-r));
	snprintf(b->path, sizeof(b->path), "%s", path);
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
	    vigil_path_within(path, "/dev")) {
		close(dfd);
		return vigil_fail(-ENODEV, err, err_len,
				  "volume \"%s\": backing %s: no such block device", id, path);
	}
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		close(dfd);
		if (S_ISLNK(sb.st_mode))
			return vigil_fail(-ELOOP, err, err_len,
					  "volume \"%s\": backing %s is a symlink (give the device "
					  "node itself)",
					  id, path);
		if (!S_ISBLK(sb.st_mode))
			return vigil_fail(
				-EEXIST, err, err_len,
				"volume \"%s\": backing %s exists and is not a block device "
				"(a backing file must be new)",
				id, path);
		b->is_device = true;
		return backing_device_check(id, path, need, err, err_len);
	}
	r = errno == ENOENT ? backing_file_make(dfd, name, need, preallocate) : -errno;
	close(dfd);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": backing file %s: %s", id, path,
				  r == -ENOSPC ? "no space for it" : strerror(-r));
	b->made = true;
	return 0;
}

static int backing_default(const struct vigil_volume_store *st, const char *id, uint64_t need,
			   bool preallocate, struct backing *b, char *err, size_t err_len)
{
	char dir[PATH_MAX], name[64];
	int dfd, r;

	r = volume_dir_make(st);
	if (!r)
		r = volume_dir(st, dir);
	if (!r)
		r = volume_path(st, id, ".img", b->path);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": %s/volumes: %s", id,
				  st->state_dir, strerror(-r));
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vigil_fail(-errno, err, err_len, "volume \"%s\": %s: %s", id, dir,
				  strerror(errno));
	snprintf(name, sizeof(name), "%s.img", id);
	/* without a record, a backing file is what a create or import left in a crash */
	unlinkat(dfd, name, 0);
	r = backing_file_make(dfd, name, need, preallocate);
	close(dfd);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": backing file %s: %s", id,
				  b->path, r == -ENOSPC ? "no space for it" : strerror(-r));
	b->made = true;
	return 0;
}

/* Undoes a failed create's backing: its file removed, or its header on a device wiped. */
static void backing_undo(const struct backing *b, bool formatted)
{
	char ignored[256];

	if (b->made)
		unlink(b->path);
	else if (formatted)
		vigil_luks_erase(b->path, ignored, sizeof(ignored));
}

static int create_held(const struct vigil_volume_store *st,
		       const struct vigil_volume_create_opts *opts,
		       const struct vigil_volume_key *key, char *err, size_t err_len)
{
	const char *id = opts->id;
	struct volume_record rec = { 0 };
	struct backing b = { 0 };
	char why[256];
	uint64_t need;
	int r;

	r = volume_id_check(id, err, err_len);
	if (r < 0)
		return r;
	if (opts->size_mib < VIGIL_VOLUME_SIZE_MIB_MIN ||
	    opts->size_mib > VIGIL_VOLUME_SIZE_MIB_MAX)
		return vigil_fail(-EINVAL, err, err_len,
				  "volume \"%s\": size_mib must be between %d and %d", id,
				  VIGIL_VOLUME_SIZE_MIB_MIN, VIGIL_VOLUME_SIZE_MIB_MAX);
	if (!key)
		return vigil_fail(-EINVAL, err, err_len, "volume \"%s\": a key is needed", id);
	if (volume_record_read(st, id, &rec) != -ENOENT)
		return vigil_fail(-EEXIST, err, err_len, "volume \"%s\": exists already", id);
	need = opts->size_mib * MIB + VIGIL_VOLUME_HEADER_BYTES;
	r = opts->backing ? backing_given(st, id, opts->backing, need, opts->preallocate, &b, err,
					  err_len)
			  : backing_default(st, id, need, opts->preallocate, &b, err, err_len);
	if (r < 0)
		return r;
	snprintf(rec.id, sizeof(rec.id), "%s", id);
	snprintf(rec.backing, sizeof(rec.backing), "%s", b.path);
	rec.backing_is_device = b.is_device;
	rec.size_bytes = opts->size_mib * MIB;
	rec.created_unix_ns = now_unix_ns();
	rec.kdf = key->passphrase ? VIGIL_VOLUME_KDF_ARGON2ID : VIGIL_VOLUME_KDF_PBKDF2;
	r = vigil_luks_format(b.path, id, key, rec.kdf, rec.uuid, why, sizeof(why));
	if (r < 0) {
		backing_undo(&b, false);
		return vigil_fail(r, err, err_len, "volume \"%s\": %s", id, why);
	}
	r = volume_dir_make(st);
	if (!r)
		r = volume_record_write(st, &rec);
	if (r < 0) {
		backing_undo(&b, true);
		return vigil_fail(r, err, err_len, "volume \"%s\": cannot write its record: %s", id,
				  strerror(-r));
	}
	return 0;
}

/* The header on the record's backing is vigil's and is this volume's. */
static int header_check(const struct volume_record *rec, char *err, size_t err_len)
{
	char why[256], uuid[VIGIL_LUKS_UUID_SIZE];
	struct stat sb;
	int r;

	if (stat(rec->backing, &sb) < 0)
		return vigil_fail(-errno, err, err_len,
				  "volume \"%s\": its backing %s is missing: %s", rec->id,
				  rec->backing, strerror(errno));
	r = vigil_luks_check(rec->backing, NULL, uuid, NULL, why, sizeof(why));
	if (r < 0)
		return vigil_fail(r, err, err_len,
				  "volume \"%s\": refused: its header on %s is not "
				  "the one vigil wrote: %s",
				  rec->id, rec->backing, why);
	if (strcmp(uuid, rec->uuid))
		return vigil_fail(
			-EBADMSG, err, err_len,
			"volume \"%s\": refused: %s holds another volume's header (UUID %s, "
			"not %s)",
			rec->id, rec->backing, uuid, rec->uuid);
	return 0;
}

int vigil_volume_check_key(const struct vigil_volume_store *st, const char *id,
			   const struct vigil_volume_key *key, char *err, size_t err_len)
{
	struct volume_record rec;
	char why[256];
	int r;

	r = volume_record_get(st, id, &rec, err, err_len);
	if (!r)
		r = header_check(&rec, err, err_len);
	if (r < 0)
		return r;
	r = vigil_luks_try_key(rec.backing, key, why, sizeof(why));
	return r < 0 ? vigil_fail(r, err, err_len, "volume \"%s\": %s", id, why) : 0;
}

static int open_held(const struct vigil_volume_store *st, const char *id,
		     const struct vigil_volume_key *key, unsigned int flags, char *err,
		     size_t err_len)
{
	char name[VIGIL_VOLUME_MAPPER_SIZE], why[256];
	struct volume_record rec;
	int r;

	r = volume_record_get(st, id, &rec, err, err_len);
	if (r < 0)
		return r;
	r = vigil_volume_kernel_ready(!rec.backing_is_device, why, sizeof(why));
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": cannot open it: %s", id, why);
	mapper_name(id, name);
	if (vigil_luks_active(name))
		return vigil_fail(-EEXIST, err, err_len,
				  "volume \"%s\": open already (/dev/mapper/%s)", id, name);
	r = header_check(&rec, err, err_len);
	if (r < 0)
		return r;
	r = vigil_luks_activate(rec.backing, name, key, flags & VIGIL_VOLUME_OPEN_NO_WORKQUEUE, why,
				sizeof(why));
	return r < 0 ? vigil_fail(r, err, err_len, "volume \"%s\": %s", id, why) : 0;
}

static int close_held(const struct vigil_volume_store *st, const char *id, char *err,
		      size_t err_len)
{
	char name[VIGIL_VOLUME_MAPPER_SIZE], why[256];
	struct volume_record rec;
	int r;

	r = volume_record_get(st, id, &rec, err, err_len);
	if (r < 0)
		return r;
	mapper_name(id, name);
	r = vigil_luks_deactivate(name, why, sizeof(why));
	return r < 0 ? vigil_fail(r, err, err_len, "volume \"%s\": cannot close it: %s", id, why)
		     : 0;
}

static int erase_held(const struct vigil_volume_store *st, const char *id, char *err,
		      size_t err_len)
{
	char path[PATH_MAX], dir[PATH_MAX], why[256];
	struct volume_record rec;
	int r;

	r = close_held(st, id, err, err_len);
	if (r < 0)
		return r;
	r = volume_record_get(st, id, &rec, err, err_len);
	if (r < 0)
		return r;
	/* the keyslots and headers first: once they are gone the data is noise */
	if (access(rec.backing, F_OK) == 0) {
		r = vigil_luks_erase(rec.backing, why, sizeof(why));
		if (r < 0)
			return vigil_fail(r, err, err_len, "volume \"%s\": cannot erase it: %s", id,
					  why);
	}
	r = volume_path(st, id, ".json", path);
	if (!r)
		r = volume_dir(st, dir);
	if (!r && unlink(path) < 0)
		r = -errno;
	if (r < 0)
		return vigil_fail(r, err, err_len,
				  "volume \"%s\": erased, but its record cannot be removed: %s", id,
				  strerror(-r));
	if (!rec.backing_is_device)
		unlink(rec.backing);
	vigil_fsync_dir(dir);
	return 0;
}

static void info_from(const struct volume_record *rec, struct vigil_volume_info *ret)
{
	char name[VIGIL_VOLUME_MAPPER_SIZE];
	struct stat sb;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->id, sizeof(ret->id), "%s", rec->id);
	snprintf(ret->backing, sizeof(ret->backing), "%s", rec->backing);
	ret->backing_is_device = rec->backing_is_device;
	ret->size_bytes = rec->size_bytes;
	ret->backing_bytes = rec->size_bytes + VIGIL_VOLUME_HEADER_BYTES;
	ret->created_unix_ns = rec->created_unix_ns;
	ret->kdf = rec->kdf;
	vigil_volume_mapper_path(rec->id, ret->mapper, sizeof(ret->mapper));
	mapper_name(rec->id, name);
	ret->open = vigil_luks_active(name);
	if (ret->open && stat(ret->mapper, &sb) == 0 && S_ISBLK(sb.st_mode)) {
		ret->dev_major = major(sb.st_rdev);
		ret->dev_minor = minor(sb.st_rdev);
	}
	ret->header_ok = header_check(rec, ret->header_problem, sizeof(ret->header_problem)) == 0;
}

int vigil_volume_info(const struct vigil_volume_store *st, const char *id,
		      struct vigil_volume_info *ret, char *err, size_t err_len)
{
	struct volume_record rec;
	int r = volume_record_get(st, id, &rec, err, err_len);

	if (r < 0)
		return r;
	info_from(&rec, ret);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct vigil_volume_info *)a)->id,
		      ((const struct vigil_volume_info *)b)->id);
}

int vigil_volume_list(const struct vigil_volume_store *st, struct vigil_volume_info **ret,
		      size_t *ret_n, char *err, size_t err_len)
{
	struct vigil_volume_info *all = NULL;
	char dir[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (volume_dir(st, dir) < 0 || !(d = opendir(dir))) {
		*ret = NULL;
		*ret_n = 0;
		return errno == ENOENT
			       ? 0
			       : vigil_fail(-errno, err, err_len, "%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		struct volume_record rec;
		struct vigil_volume_info *grown;
		char id[40];
		size_t len = strlen(de->d_name);

		if (len <= 5 || len - 5 >= sizeof(id) || strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(len - 5), de->d_name);
		if (!vigil_workload_id_valid(id) || volume_record_read(st, id, &rec) < 0)
			continue;
		grown = realloc(all, (n + 1) * sizeof(*all));
		if (!grown) {
			free(all);
			closedir(d);
			return vigil_fail(-ENOMEM, err, err_len, "listing volumes: out of memory");
		}
		all = grown;
		info_from(&rec, &all[n++]);
	}
	closedir(d);
	if (n)
		qsort(all, n, sizeof(*all), by_id);
	*ret = all;
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* One operation at a time on a volume, whoever runs it               */

int vigil_volume_create(const struct vigil_volume_store *st,
			const struct vigil_volume_create_opts *opts,
			const struct vigil_volume_key *key, char *err, size_t err_len)
{
	int fd, r = volume_hold(st, opts->id, false, &fd, err, err_len);

	if (r < 0)
		return r;
	r = create_held(st, opts, key, err, err_len);
	volume_unlock(st, opts->id, fd);
	return r;
}

int vigil_volume_open(const struct vigil_volume_store *st, const char *id,
		      const struct vigil_volume_key *key, unsigned int flags, char *err,
		      size_t err_len)
{
	int fd, r = volume_hold(st, id, true, &fd, err, err_len);

	if (r < 0)
		return r;
	r = open_held(st, id, key, flags, err, err_len);
	volume_unlock(st, id, fd);
	return r;
}

int vigil_volume_close(const struct vigil_volume_store *st, const char *id, char *err,
		       size_t err_len)
{
	int fd, r = volume_hold(st, id, true, &fd, err, err_len);

	if (r < 0)
		return r;
	r = close_held(st, id, err, err_len);
	volume_unlock(st, id, fd);
	return r;
}

int vigil_volume_erase(const struct vigil_volume_store *st, const char *id, char *err,
		       size_t err_len)
{
	int fd, r = volume_hold(st, id, true, &fd, err, err_len);

	if (r < 0)
		return r;
	r = erase_held(st, id, err, err_len);
	volume_unlock(st, id, fd);
	return r;
}
