// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcryptsetup.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "luks.h"

#define CIPHER	    "aes"
#define CIPHER_MODE "xts-plain64"
#define ENCRYPTION  CIPHER "-" CIPHER_MODE
/* bytes: a 512-bit key, two AES-256 keys for XTS */
#define VOLUME_KEY_BYTES 64
#define SECTOR_SIZE	 4096
#define AF_STRIPES	 4000

/* libcryptsetup's last error, for the caller's message: it never prints */
static __thread char luks_reason[256];

static void luks_log(int level, const char *msg, void *usrptr)
{
	size_t n;

	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(luks_reason, sizeof(luks_reason), "%s", msg);
	n = strlen(luks_reason);
	while (n && (luks_reason[n - 1] == '\n' || luks_reason[n - 1] == '.'))
		luks_reason[--n] = '\0';
}

static void luks_quiet(void)
{
	luks_reason[0] = '\0';
	crypt_set_log_callback(NULL, luks_log, NULL);
	crypt_set_debug_level(CRYPT_DEBUG_NONE);
}

__attribute__((format(printf, 4, 5))) static int luks_fail(int ret, char *err, size_t err_len,
							   const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < err_len)
		snprintf(err + n, err_len - (size_t)n, ": %s",
			 luks_reason[0] ? luks_reason : strerror(-ret));
	return ret;
}

static int luks_load(const char *backing, struct crypt_device **ret, char *err, size_t err_len)
{
	struct crypt_device *cd;
	int r;

	r = crypt_init(&cd, backing);
	if (r < 0)
		return luks_fail(r, err, err_len, "cannot open its backing %s", backing);
	crypt_set_log_callback(cd, luks_log, NULL);
	r = crypt_load(cd, CRYPT_LUKS2, NULL);
	if (r < 0) {
		crypt_free(cd);
		return luks_fail(r == -EINVAL ? -EBADMSG : r, err, err_len,
				 "no LUKS2 header vigil can read on %s", backing);
	}
	*ret = cd;
	return 0;
}

static void pbkdf_for(enum vigil_volume_kdf kdf, struct crypt_pbkdf_type *p)
{
	memset(p, 0, sizeof(*p));
	p->hash = "sha256";
	p->flags = CRYPT_PBKDF_NO_BENCHMARK;
	if (kdf == VIGIL_VOLUME_KDF_ARGON2ID) {
		p->type = CRYPT_KDF_ARGON2ID;
		p->iterations = VIGIL_LUKS_ARGON2_TIME;
		p->max_memory_kb = VIGIL_LUKS_ARGON2_MEMORY_KIB;
		p->parallel_threads = VIGIL_LUKS_ARGON2_THREADS;
	} else {
		p->type = CRYPT_KDF_PBKDF2;
		p->iterations = VIGIL_LUKS_PBKDF2_ITERATIONS;
	}
}

int vigil_luks_format(const char *backing, const char *id, const struct vigil_volume_key *key,
		      enum vigil_volume_kdf kdf, char ret_uuid[VIGIL_LUKS_UUID_SIZE], char *err,
		      size_t err_len)
{
	struct crypt_pbkdf_type pbkdf;
	struct crypt_params_luks2 params = {
		.pbkdf = &pbkdf,
		.sector_size = SECTOR_SIZE,
		.label = id,
		.subsystem = VIGIL_LUKS_SUBSYSTEM,
	};
	struct crypt_device *cd;
	int r;

	luks_quiet();
	pbkdf_for(kdf, &pbkdf);
	r = crypt_init(&cd, backing);
	if (r < 0)
		return luks_fail(r, err, err_len, "cannot open its backing %s", backing);
	crypt_set_log_callback(cd, luks_log, NULL);
	r = crypt_format(cd, CRYPT_LUKS2, CIPHER, CIPHER_MODE, NULL, NULL, VOLUME_KEY_BYTES,
			 &params);
	if (r < 0) {
		luks_fail(r, err, err_len, "cannot write a LUKS2 header on %s", backing);
		goto out;
	}
	r = crypt_keyslot_add_by_volume_key(cd, 0, NULL, 0, (const char *)key->bytes, key->len);
	if (r < 0) {
		luks_fail(r, err, err_len, "cannot add the key's keyslot");
		goto out;
	}
	snprintf(ret_uuid, VIGIL_LUKS_UUID_SIZE, "%s", crypt_get_uuid(cd));
	r = 0;
out:
	crypt_free(cd);
	return r;
}

/* ------------------------------------------------------------------ */
/* The header check: LUKS2's JSON metadata, field by field            */

struct check {
	char *problem;
	size_t len;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static bool check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return false;
	va_start(ap, fmt);
	vsnprintf(c->problem, c->len, fmt, ap);
	va_end(ap);
	c->failed = true;
	return false;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *member_str(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int64_t member_int(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	if (!v)
		return -1;
	/* LUKS2 writes 64-bit sizes and offsets as strings */
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/* `o` is an object with exactly the one key `key` (an empty one when `key` is NULL). */
static bool only_key(struct check *c, struct json_object *o, const char *what, const char *key)
{
	int n;

	if (!o || !json_object_is_type(o, json_type_object))
		return check_fail(c, "it has no %s", what);
	n = json_object_object_length(o);
	if (!key && n)
		return check_fail(c, "it has %d %s (vigil writes none)", n, what);
	if (key && (n != 1 || !member(o, key)))
		return check_fail(c, "it has %d %s (vigil writes one, \"%s\")", n, what, key);
	return true;
}

static bool refs_only_zero(struct json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) &&
	       json_object_array_length(arr) == 1 &&
	       strcmp(json_object_get_string(json_object_array_get_idx(arr, 0)), "0") == 0;
}

static bool check_kdf(struct check *c, struct json_object *kdf, enum vigil_volume_kdf *ret)
{
	const char *type = member_str(kdf, "type");

	if (strcmp(type, "pbkdf2") == 0) {
		if (strcmp(member_str(kdf, "hash"), "sha256") ||
		    member_int(kdf, "iterations") < VIGIL_LUKS_PBKDF2_ITERATIONS)
			return check_fail(c,
					  "its keyslot's PBKDF2 is weaker than vigil's "
					  "(sha256, %d iterations)",
					  VIGIL_LUKS_PBKDF2_ITERATIONS);
		*ret = VIGIL_VOLUME_KDF_PBKDF2;
		return true;
	}
	if (strcmp(type, "argon2id") == 0) {
		if (member_int(kdf, "time") < VIGIL_LUKS_ARGON2_TIME ||
		    member_int(kdf, "memory") < VIGIL_LUKS_ARGON2_MEMORY_KIB)
			return check_fail(c,
					  "its keyslot's argon2id is weaker than vigil's "
					  "(time %d, memory %d KiB)",
					  VIGIL_LUKS_ARGON2_TIME, VIGIL_LUKS_ARGON2_MEMORY_KIB);
		*ret = VIGIL_VOLUME_KDF_ARGON2ID;
		return true;
	}
	return check_fail(c, "its keyslot's KDF is \"%s\" (vigil writes pbkdf2 or argon2id)", type);
}

static bool check_keyslots(struct check *c, struct json_object *slots, enum vigil_volume_kdf *kdf)
{
	struct json_object *slot, *area, *af;

	if (!only_key(c, slots, "keyslots", "0"))
		return false;
	slot = member(slots, "0");
	area = member(slot, "area");
	af = member(slot, "af");
	if (strcmp(member_str(slot, "type"), "luks2") || member_int(slot, "key_size") != 64)
		return check_fail(c, "its keyslot is not a LUKS2 keyslot of a 512-bit key");
	if (strcmp(member_str(area, "encryption"), ENCRYPTION) ||
	    member_int(area, "key_size") != VOLUME_KEY_BYTES)
		return check_fail(c,
				  "its keyslot area is encrypted with \"%s\" (vigil writes %s "
				  "with a 512-bit key)",
				  member_str(area, "encryption"), ENCRYPTION);
	if (strcmp(member_str(af, "type"), "luks1") || member_int(af, "stripes") != AF_STRIPES)
		return check_fail(c, "its keyslot's anti-forensic split is not %d stripes",
				  AF_STRIPES);
	return check_kdf(c, member(slot, "kdf"), kdf);
}

static bool check_segments(struct check *c, struct json_object *segments)
{
	struct json_object *seg;

	if (!only_key(c, segments, "segments", "0"))
		return false;
	seg = member(segments, "0");
	if (strcmp(member_str(seg, "type"), "crypt"))
		return check_fail(c, "its data segment is of type \"%s\"", member_str(seg, "type"));
	if (strcmp(member_str(seg, "encryption"), ENCRYPTION))
		return check_fail(c, "its data is encrypted with \"%s\" (vigil writes %s)",
				  member_str(seg, "encryption"), ENCRYPTION);
	if (member_int(seg, "sector_size") != SECTOR_SIZE)
		return check_fail(c, "its sector size is %" PRId64 " (vigil writes %d)",
				  member_int(seg, "sector_size"), SECTOR_SIZE);
	if ((uint64_t)member_int(seg, "offset") != VIGIL_VOLUME_HEADER_BYTES ||
	    strcmp(member_str(seg, "size"), "dynamic") || member_int(seg, "iv_tweak") != 0)
		return check_fail(c, "its data segment is not where vigil puts it (offset 16 MiB, "
				     "to the end)");
	if (member(seg, "integrity") || member(seg, "flags"))
		return check_fail(c, "its data segment has integrity or flags vigil does not set");
	return true;
}

static bool check_config(struct check *c, struct json_object *config)
{
	struct json_object *flags = member(config, "flags");
	struct json_object *req = member(config, "requirements");

	if (flags && json_object_array_length(flags))
		return check_fail(c, "it has persistent flags (vigil sets none)");
	if (req)
		return check_fail(c, "it has requirements (a reencryption or a newer format)");
	return true;
}

static bool check_metadata(struct check *c, struct json_object *md, enum vigil_volume_kdf *kdf)
{
	struct json_object *digests = member(md, "digests");

	if (!check_keyslots(c, member(md, "keyslots"), kdf) ||
	    !only_key(c, member(md, "tokens"), "tokens", NULL) ||
	    !check_segments(c, member(md, "segments")))
		return false;
	if (!only_key(c, digests, "digests", "0"))
		return false;
	if (!refs_only_zero(member(member(digests, "0"), "keyslots")) ||
	    !refs_only_zero(member(member(digests, "0"), "segments")))
		return check_fail(c, "its digest does not bind keyslot 0 to segment 0");
	return check_config(c, member(md, "config"));
}

static int check_loaded(struct crypt_device *cd, enum vigil_volume_kdf *ret_kdf, struct check *c)
{
	struct json_object *md;
	const char *json = NULL;
	enum vigil_volume_kdf kdf = VIGIL_VOLUME_KDF_PBKDF2;
	int r;

	if (strcmp(crypt_get_subsystem(cd) ? crypt_get_subsystem(cd) : "", VIGIL_LUKS_SUBSYSTEM)) {
		check_fail(c, "its subsystem label is not \"%s\": vigil did not write it",
			   VIGIL_LUKS_SUBSYSTEM);
		return -EBADMSG;
	}
	r = crypt_dump_json(cd, &json, 0);
	if (r < 0) {
		check_fail(c, "its metadata cannot be read: %s", strerror(-r));
		return r;
	}
	md = json_tokener_parse(json);
	r = check_metadata(c, md, &kdf) ? 0 : -EBADMSG;
	json_object_put(md);
	if (!r && ret_kdf)
		*ret_kdf = kdf;
	return r;
}

int vigil_luks_check(const char *backing, enum vigil_volume_kdf *ret_kdf,
		     char ret_uuid[VIGIL_LUKS_UUID_SIZE], char ret_label[64], char *problem,
		     size_t problem_len)
{
	struct check c = { problem, problem_len, false };
	struct crypt_device *cd;
	int r;

	luks_quiet();
	r = luks_load(backing, &cd, problem, problem_len);
	if (r < 0)
		return r;
	r = check_loaded(cd, ret_kdf, &c);
	if (!r && ret_uuid)
		snprintf(ret_uuid, VIGIL_LUKS_UUID_SIZE, "%s", crypt_get_uuid(cd));
	if (!r && ret_label)
		snprintf(ret_label, 64, "%s", crypt_get_label(cd) ? crypt_get_label(cd) : "");
	crypt_free(cd);
	return r;
}

/* Loads and checks `backing` for a key to be tried on it. */
static int load_checked(const char *backing, struct crypt_device **ret, char *err, size_t err_len)
{
	struct check c = { err, err_len, false };
	int r;

	luks_quiet();
	r = luks_load(backing, ret, err, err_len);
	if (r < 0)
		return r;
	r = check_loaded(*ret, NULL, &c);
	if (r < 0) {
		crypt_free(*ret);
		return r;
	}
	return 0;
}

static int key_result(int r, char *err, size_t err_len)
{
	if (r == -EPERM) {
		snprintf(err, err_len, "the key does not open it");
		return r;
	}
	return r < 0 ? luks_fail(r, err, err_len, "cannot unlock it") : 0;
}

int vigil_luks_try_key(const char *backing, const struct vigil_volume_key *key, char *err,
		       size_t err_len)
{
	struct crypt_device *cd;
	int r;

	r = load_checked(backing, &cd, err, err_len);
	if (r < 0)
		return r;
	r = crypt_activate_by_passphrase(cd, NULL, 0, (const char *)key->bytes, key->len, 0);
	crypt_free(cd);
	return key_result(r, err, err_len);
}

int vigil_luks_activate(const char *backing, const char *name, const struct vigil_volume_key *key,
			bool no_workqueue, char *err, size_t err_len)
{
	const uint32_t perf = CRYPT_ACTIVATE_NO_READ_WORKQUEUE | CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE;
	struct crypt_device *cd;
	int r;

	r = load_checked(backing, &cd, err, err_len);
	if (r < 0)
		return r;
	r = crypt_activate_by_passphrase(cd, name, 0, (const char *)key->bytes, key->len,
					 no_workqueue ? perf : 0);
	/* dm-crypt before 1.22 (Linux 5.9) has no such options: go without them */
	if (r == -EINVAL && no_workqueue) {
		luks_reason[0] = '\0';
		r = crypt_activate_by_passphrase(cd, name, 0, (const char *)key->bytes, key->len,
						 0);
	}
	crypt_free(cd);
	if (r == -EEXIST) {
		snprintf(err, err_len, "/dev/mapper/%s exists already", name);
		return r;
	}
	return key_result(r, err, err_len);
}

bool vigil_luks_active(const char *name)
{
	crypt_status_info st;

	luks_quiet();
	st = crypt_status(NULL, name);
	return st == CRYPT_ACTIVE || st == CRYPT_BUSY;
}

int vigil_luks_deactivate(const char *name, char *err, size_t err_len)
{
	struct crypt_device *cd;
	int r;

	if (!vigil_luks_active(name))
		return 0;
	r = crypt_init_by_name(&cd, name);
	if (r < 0)
		return luks_fail(r, err, err_len, "cannot find /dev/mapper/%s", name);
	crypt_set_log_callback(cd, luks_log, NULL);
	r = crypt_deactivate(cd, name);
	crypt_free(cd);
	if (r == -EBUSY) {
		snprintf(err, err_len, "/dev/mapper/%s is in use (held open)", name);
		return r;
	}
	return r < 0 ? luks_fail(r, err, err_len, "cannot close /dev/mapper/%s", name) : 0;
}

int vigil_luks_relabel(const char *backing, const char *id, char *err, size_t err_len)
{
	struct crypt_device *cd;
	int r;

	r = load_checked(backing, &cd, err, err_len);
	if (r < 0)
		return r;
	r = crypt_set_label(cd, id, VIGIL_LUKS_SUBSYSTEM);
	crypt_free(cd);
	return r < 0 ? luks_fail(r, err, err_len, "cannot relabel its header") : 0;
}

static int zero_header_area(const char *backing, char *err, size_t err_len)
{
	static const char zeros[1 << 16];
	uint64_t done = 0;
	int fd, r = 0;

	fd = open(backing, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return luks_fail(-errno, err, err_len, "cannot open %s to wipe its header",
				 backing);
	while (done < VIGIL_VOLUME_HEADER_BYTES) {
		ssize_t n = pwrite(fd, zeros, sizeof(zeros), (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		done += (uint64_t)n;
	}
	if (!r && fdatasync(fd) < 0)
		r = -errno;
	close(fd);
	return r < 0 ? luks_fail(r, err, err_len, "cannot wipe the header of %s", backing) : 0;
}

int vigil_luks_erase(const char *backing, char *err, size_t err_len)
{
	struct crypt_device *cd;

	luks_quiet();
	/* a header libcryptsetup cannot read any more is wiped all the same */
	if (crypt_init(&cd, backing) == 0) {
		crypt_set_log_callback(cd, luks_log, NULL);
		if (crypt_load(cd, CRYPT_LUKS2, NULL) == 0) {
			int max = crypt_keyslot_max(CRYPT_LUKS2);

			for (int slot = 0; slot < max; slot++)
				if (crypt_keyslot_status(cd, slot) >= CRYPT_SLOT_ACTIVE)
					crypt_keyslot_destroy(cd, slot);
		}
		crypt_free(cd);
	}
	return zero_header_area(backing, err, err_len);
}
