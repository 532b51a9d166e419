// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A volume as one stream, to move it to another host without its key:
 *
 *   "VIGILVOL"  u32le format (1)  u32le n  n bytes of JSON (id, sizes, KDF, UUID)
 *   the backing's first backing_bytes bytes: LUKS2 header and ciphertext
 *   "VIGILEND"  SHA-256 of everything before "VIGILEND"
 *
 * The import writes a file aside, all-zero blocks left as holes, and makes
 * it the volume only when the checksum matches and the header is one vigil
 * wrote: a truncated or foreign stream leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "durable_file.h"
#include "errmsg.h"
#include "json_doc.h"
#include "volume_store.h"

#define MAGIC	      "VIGILVOL"
#define END_MAGIC     "VIGILEND"
#define MAGIC_LEN     8
#define STREAM_FORMAT 1
#define META_MAX      4096
#define CHUNK	      (1u << 20)
#define BLOCK	      4096u

/* Reads up to `len` bytes, fewer only at the end of the stream. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char *meta_json(const struct volume_record *rec)
{
	struct json_object *o = json_object_new_object();
	char *text;

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_string(rec->id));
	json_object_object_add(o, "size_bytes", json_object_new_uint64(rec->size_bytes));
	json_object_object_add(o, "backing_bytes",
			       json_object_new_uint64(rec->size_bytes + VIGIL_VOLUME_HEADER_BYTES));
	json_object_object_add(o, "kdf", json_object_new_string(vigil_volume_kdf_name(rec->kdf)));
	json_object_object_add(o, "uuid", json_object_new_string(rec->uuid));
	json_object_object_add(o, "created_unix_ns", json_object_new_uint64(rec->created_unix_ns));
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static int export_body(const struct volume_record *rec, int in, int out,
		       crypto_hash_sha256_state *h, vigil_volume_progress_fn progress, void *arg,
		       char *err, size_t err_len)
{
	uint64_t total = rec->size_bytes + VIGIL_VOLUME_HEADER_BYTES, done = 0;
	unsigned char *buf = malloc(CHUNK);
	int r = 0;

	if (!buf)
		return vigil_fail(-ENOMEM, err, err_len, "volume \"%s\": out of memory", rec->id);
	while (!r && done < total) {
		size_t want = total - done < CHUNK ? (size_t)(total - done) : CHUNK;
		ssize_t n = read_full(in, buf, want);

		if (n < (ssize_t)want) {
			r = vigil_fail(n < 0 ? (int)n : -EIO, err, err_len,
				       "volume \"%s\": reading %s: %s", rec->id, rec->backing,
				       n < 0 ? strerror((int)-n) : "shorter than the volume");
			break;
		}
		crypto_hash_sha256_update(h, buf, want);
		r = vigil_write_all(out, buf, want);
		if (r < 0)
			vigil_fail(r, err, err_len, "volume \"%s\": writing the export: %s",
				   rec->id, strerror(-r));
		done += want;
		if (progress)
			progress(done, total, arg);
	}
	free(buf);
	return r;
}

static int export_held(const struct vigil_volume_store *st, const char *id, int fd,
		       vigil_volume_progress_fn progress, void *arg,
		       char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len)
{
	unsigned char head[MAGIC_LEN + 8], digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	struct vigil_volume_info info;
	struct volume_record rec;
	char *meta;
	int in, r;

	r = vigil_volume_info(st, id, &info, err, err_len);
	if (r < 0)
		return r;
	if (info.open)
		return vigil_fail(-EBUSY, err, err_len,
				  "volume \"%s\": open: close it first, so the export is whole",
				  id);
	if (!info.header_ok)
		return vigil_fail(
			-EBADMSG, err, err_len,
			"volume \"%s\": refused: its header is not the one vigil wrote: %s", id,
			info.header_problem);
	r = volume_record_read(st, id, &rec);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": %s", id, strerror(-r));
	in = open(rec.backing, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return vigil_fail(-errno, err, err_len, "volume \"%s\": %s: %s", id, rec.backing,
				  strerror(errno));
	meta = meta_json(&rec);
	if (!meta) {
		close(in);
		return vigil_fail(-ENOMEM, err, err_len, "volume \"%s\": out of memory", id);
	}
	if (sodium_init() < 0) {
		r = vigil_fail(-EIO, err, err_len, "volume \"%s\": libsodium cannot start", id);
		goto out;
	}
	memcpy(head, MAGIC, MAGIC_LEN);
	put_u32(head + MAGIC_LEN, STREAM_FORMAT);
	put_u32(head + MAGIC_LEN + 4, (uint32_t)strlen(meta));
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, head, sizeof(head));
	crypto_hash_sha256_update(&h, (unsigned char *)meta, strlen(meta));
	r = vigil_write_all(fd, head, sizeof(head));
	if (!r)
		r = vigil_write_all(fd, meta, strlen(meta));
	if (r < 0) {
		vigil_fail(r, err, err_len, "volume \"%s\": writing the export: %s", id,
			   strerror(-r));
		goto out;
	}
	r = export_body(&rec, in, fd, &h, progress, arg, err, err_len);
	if (r < 0)
		goto out;
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(ret_sha256, VIGIL_VOLUME_SHA256_HEX, digest, sizeof(digest));
	r = vigil_write_all(fd, END_MAGIC, MAGIC_LEN);
	if (!r)
		r = vigil_write_all(fd, digest, sizeof(digest));
	if (r < 0)
		vigil_fail(r, err, err_len, "volume \"%s\": writing the export: %s", id,
			   strerror(-r));
out:
	free(meta);
	close(in);
	return r;
}

/* ------------------------------------------------------------------ */
/* Import                                                             */

/* The stream's header into `rec` (its id as exported) and `backing_bytes`. */
static int read_head(int fd, crypto_hash_sha256_state *h, struct volume_record *rec,
		     uint64_t *backing_bytes, char *err, size_t err_len)
{
	unsigned char head[MAGIC_LEN + 8];
	char meta[META_MAX + 1], why[128], kdf[16];
	struct json_object *o;
	uint32_t meta_len;
	ssize_t n;
	int r;

	n = read_full(fd, head, sizeof(head));
	if (n < 0)
		return vigil_fail((int)n, err, err_len, "reading the stream: %s",
				  strerror((int)-n));
	if (n < (ssize_t)sizeof(head) || memcmp(head, MAGIC, MAGIC_LEN))
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream is not a vigil volume export (no \"" MAGIC
				  "\" at its start)");
	if (get_u32(head + MAGIC_LEN) != STREAM_FORMAT)
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream's format is %u (this vigil reads %d)",
				  get_u32(head + MAGIC_LEN), STREAM_FORMAT);
	meta_len = get_u32(head + MAGIC_LEN + 4);
	if (meta_len == 0 || meta_len > META_MAX)
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream's header claims %u bytes (at most %d)", meta_len,
				  META_MAX);
	n = read_full(fd, meta, meta_len);
	if (n != (ssize_t)meta_len)
		return vigil_fail(-EBADMSG, err, err_len, "the stream is truncated in its header");
	meta[meta_len] = '\0';
	crypto_hash_sha256_update(h, head, sizeof(head));
	crypto_hash_sha256_update(h, (unsigned char *)meta, meta_len);
	if (vigil_json_parse(meta, &o, why, sizeof(why)) < 0)
		return vigil_fail(-EBADMSG, err, err_len, "the stream's header is not JSON: %s",
				  why);
	memset(rec, 0, sizeof(*rec));
	r = volume_json_str(o, "id", rec->id, sizeof(rec->id));
	if (!r)
		r = volume_json_u64(o, "size_bytes", &rec->size_bytes);
	if (!r)
		r = volume_json_u64(o, "backing_bytes", backing_bytes);
	if (!r)
		r = volume_json_u64(o, "created_unix_ns", &rec->created_unix_ns);
	if (!r)
		r = volume_json_str(o, "uuid", rec->uuid, sizeof(rec->uuid));
	if (!r)
		r = volume_json_str(o, "kdf", kdf, sizeof(kdf));
	json_object_put(o);
	if (r < 0)
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream's header lacks id, sizes, KDF or UUID");
	rec->kdf =
		strcmp(kdf, "argon2id") == 0 ? VIGIL_VOLUME_KDF_ARGON2ID : VIGIL_VOLUME_KDF_PBKDF2;
	if (rec->size_bytes % (1u << 20) ||
	    rec->size_bytes < (uint64_t)VIGIL_VOLUME_SIZE_MIB_MIN << 20 ||
	    rec->size_bytes > (uint64_t)VIGIL_VOLUME_SIZE_MIB_MAX << 20 ||
	    *backing_bytes != rec->size_bytes + VIGIL_VOLUME_HEADER_BYTES)
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream's sizes are not a volume's (%llu bytes of data in "
				  "%llu)",
				  (unsigned long long)rec->size_bytes,
				  (unsigned long long)*backing_bytes);
	return 0;
}

static bool block_is_zero(const unsigned char *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* Writes `len` bytes at `off`, leaving all-zero blocks as holes. */
static int write_sparse(int fd, const unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t at = 0; at < len; at += BLOCK) {
		size_t n = len - at < BLOCK ? len - at : BLOCK;

		if (block_is_zero(buf + at, n))
			continue;
		for (size_t done = 0; done < n;) {
			ssize_t w = pwrite(fd, buf + at + done, n - done, (off_t)(off + at + done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += (size_t)w;
		}
	}
	return 0;
}

static int import_body(int in, int out, uint64_t total, crypto_hash_sha256_state *h,
		       vigil_volume_progress_fn progress, void *arg, char *err, size_t err_len)
{
	unsigned char *buf = malloc(CHUNK);
	uint64_t done = 0;
	int r = 0;

	if (!buf)
		return vigil_fail(-ENOMEM, err, err_len, "out of memory");
	while (!r && done < total) {
		size_t want = total - done < CHUNK ? (size_t)(total - done) : CHUNK;
		ssize_t n = read_full(in, buf, want);

		if (n < 0) {
			r = vigil_fail((int)n, err, err_len, "reading the stream: %s",
				       strerror((int)-n));
			break;
		}
		if (n < (ssize_t)want) {
			r = vigil_fail(-EBADMSG, err, err_len,
				       "the stream is truncated: %llu of %llu bytes of the volume",
				       (unsigned long long)(done + (uint64_t)n),
				       (unsigned long long)total);
			break;
		}
		crypto_hash_sha256_update(h, buf, want);
		r = write_sparse(out, buf, want, done);
		if (r < 0)
			vigil_fail(r, err, err_len, "writing the volume: %s", strerror(-r));
		done += want;
		if (progress)
			progress(done, total, arg);
	}
	free(buf);
	return r;
}

static int read_trailer(int fd, crypto_hash_sha256_state *h,
			char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len)
{
	unsigned char tail[MAGIC_LEN + crypto_hash_sha256_BYTES + 1];
	unsigned char digest[crypto_hash_sha256_BYTES];
	ssize_t n = read_full(fd, tail, sizeof(tail));

	if (n < 0)
		return vigil_fail((int)n, err, err_len, "reading the stream: %s",
				  strerror((int)-n));
	if (n < (ssize_t)sizeof(tail) - 1 || memcmp(tail, END_MAGIC, MAGIC_LEN))
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream is truncated: its checksum is missing");
	if (n == (ssize_t)sizeof(tail))
		return vigil_fail(-EBADMSG, err, err_len, "the stream goes on after its checksum");
	crypto_hash_sha256_final(h, digest);
	if (sodium_memcmp(digest, tail + MAGIC_LEN, sizeof(digest)))
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream's checksum does not match: it was changed or "
				  "damaged on the way");
	sodium_bin2hex(ret_sha256, VIGIL_VOLUME_SHA256_HEX, digest, sizeof(digest));
	return 0;
}

/* The imported file `tmp` is a volume vigil wrote: its header, and the UUID its stream gave. */
static int imported_header_ok(const char *tmp, const struct volume_record *rec, char *err,
			      size_t err_len)
{
	char why[256], uuid[VIGIL_LUKS_UUID_SIZE];
	int r = vigil_luks_check(tmp, NULL, uuid, NULL, why, sizeof(why));

	if (r < 0)
		return vigil_fail(r, err, err_len,
				  "the stream's volume header is not one vigil writes: %s", why);
	if (strcmp(uuid, rec->uuid))
		return vigil_fail(-EBADMSG, err, err_len,
				  "the stream's volume header has UUID %s, its header says %s",
				  uuid, rec->uuid);
	return 0;
}

/*
 * The rest of the stream after its header, as the volume `rec` names (held);
 * `relabel` when it takes another id than it was exported with.
 */
static int import_held(const struct vigil_volume_store *st, struct volume_record *rec,
		       uint64_t backing_bytes, bool relabel, crypto_hash_sha256_state *h, int fd,
		       vigil_volume_progress_fn progress, void *arg,
		       char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len)
{
	char tmp[PATH_MAX], final[PATH_MAX], dir[PATH_MAX], why[512];
	struct volume_record existing;
	int out, r;

	if (volume_record_read(st, rec->id, &existing) != -ENOENT)
		return vigil_fail(-EEXIST, err, err_len, "volume \"%s\": exists already", rec->id);
	r = volume_dir_make(st);
	if (!r)
		r = volume_dir(st, dir);
	if (!r)
		r = volume_path(st, rec->id, ".img", final);
	if (!r)
		r = snprintf(tmp, sizeof(tmp), "%s/.%s.import", dir, rec->id) >= (int)sizeof(tmp)
			    ? -ENAMETOOLONG
			    : 0;
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": %s/volumes: %s", rec->id,
				  st->state_dir, strerror(-r));
	/* an import's file of the same name is what a crash left */
	unlink(tmp);
	out = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return vigil_fail(-errno, err, err_len, "volume \"%s\": %s: %s", rec->id, tmp,
				  strerror(errno));
	r = ftruncate(out, (off_t)backing_bytes) < 0 ? -errno : 0;
	if (r < 0)
		snprintf(why, sizeof(why), "%s: %s", tmp, strerror(-r));
	if (!r)
		r = import_body(fd, out, backing_bytes, h, progress, arg, why, sizeof(why));
	if (!r)
		r = read_trailer(fd, h, ret_sha256, why, sizeof(why));
	if (!r && fsync(out) < 0) {
		r = -errno;
		snprintf(why, sizeof(why), "%s: %s", tmp, strerror(errno));
	}
	close(out);
	if (!r)
		r = imported_header_ok(tmp, rec, why, sizeof(why));
	if (!r && relabel)
		r = vigil_luks_relabel(tmp, rec->id, why, sizeof(why));
	if (r < 0) {
		unlink(tmp);
		return vigil_fail(r, err, err_len, "volume \"%s\": import refused: %s", rec->id,
				  why);
	}
	snprintf(rec->backing, sizeof(rec->backing), "%s", final);
	rec->backing_is_device = false;
	r = rename(tmp, final) < 0 ? -errno : 0;
	if (!r)
		r = volume_record_write(st, rec);
	if (r < 0) {
		unlink(tmp);
		unlink(final);
		return vigil_fail(r, err, err_len, "volume \"%s\": cannot keep the import: %s",
				  rec->id, strerror(-r));
	}
	vigil_fsync_dir(dir);
	return 0;
}

int vigil_volume_export(const struct vigil_volume_store *st, const char *id, int fd,
			vigil_volume_progress_fn progress, void *arg,
			char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len)
{
	int lock, r = volume_hold(st, id, true, &lock, err, err_len);

	if (r < 0)
		return r;
	r = export_held(st, id, fd, progress, arg, ret_sha256, err, err_len);
	volume_unlock(st, id, lock);
	return r;
}

int vigil_volume_import(const struct vigil_volume_store *st, const char *id, int fd,
			vigil_volume_progress_fn progress, void *arg,
			char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len)
{
	crypto_hash_sha256_state h;
	struct volume_record rec;
	uint64_t backing_bytes = 0;
	char why[512];
	int lock, r;

	if (id && (r = volume_id_check(id, err, err_len)) < 0)
		return r;
	if (sodium_init() < 0)
		return vigil_fail(-EIO, err, err_len, "libsodium cannot start");
	crypto_hash_sha256_init(&h);
	r = read_head(fd, &h, &rec, &backing_bytes, why, sizeof(why));
	if (r < 0)
		return vigil_fail(r, err, err_len, "import: %s", why);
	if (id)
		snprintf(rec.id, sizeof(rec.id), "%s", id);
	r = volume_hold(st, rec.id, false, &lock, err, err_len);
	if (r < 0)
		return r;
	r = import_held(st, &rec, backing_bytes, id != NULL, &h, fd, progress, arg, ret_sha256, err,
			err_len);
	volume_unlock(st, rec.id, lock);
	return r;
}
