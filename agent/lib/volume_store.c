// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "durable_file.h"
#include "errmsg.h"
#include "json_doc.h"
#include "volume_store.h"
#include "workload_spec.h"

#define RECORD_FORMAT 1

int volume_dir(const struct vigil_volume_store *st, char buf[PATH_MAX])
{
	int n = snprintf(buf, PATH_MAX, "%s/volumes", st->state_dir);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int volume_path(const struct vigil_volume_store *st, const char *id, const char *suffix,
		char buf[PATH_MAX])
{
	int n = snprintf(buf, PATH_MAX, "%s/volumes/%s%s", st->state_dir, id, suffix);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int volume_dir_make(const struct vigil_volume_store *st)
{
	char dir[PATH_MAX];
	int r = volume_dir(st, dir);

	if (r < 0)
		return r;
	if (mkdir(st->state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int lock_path(const struct vigil_volume_store *st, const char *id, char buf[PATH_MAX])
{
	int n = snprintf(buf, PATH_MAX, "%s/volumes/.locks/%s", st->state_dir, id);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int volume_lock(const struct vigil_volume_store *st, const char *id, int *ret_fd)
{
	struct stat held, now;
	char path[PATH_MAX];
	int fd, r;

	r = volume_dir_make(st);
	if (!r)
		r = lock_path(st, id, path);
	if (r < 0)
		return r;
	*strrchr(path, '/') = '\0';
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	lock_path(st, id, path);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return r;
	}
	/* a lock file its holder removed since we opened it locks nothing any more */
	if (fstat(fd, &held) < 0 || stat(path, &now) < 0 || held.st_ino != now.st_ino ||
	    held.st_dev != now.st_dev) {
		close(fd);
		return -EBUSY;
	}
	*ret_fd = fd;
	return 0;
}

void volume_unlock(const struct vigil_volume_store *st, const char *id, int fd)
{
	struct volume_record rec;
	char path[PATH_MAX];

	/* a lock file outlives its volume only while its last operation holds it */
	if (volume_record_read(st, id, &rec) == -ENOENT && lock_path(st, id, path) == 0)
		unlink(path);
	close(fd);
}

int volume_id_check(const char *id, char *err, size_t err_len)
{
	char shown[80];

	if (!id || !vigil_workload_id_valid(id))
		return vigil_invalid(err, err_len,
				     "volume \"%s\": not a valid name (like a workload id: "
				     "[a-z0-9][a-z0-9-]{0,31})",
				     vigil_escape(id ? id : "", shown, sizeof(shown)));
	return 0;
}

static const char *const kdf_names[] = {
	[VIGIL_VOLUME_KDF_PBKDF2] = "pbkdf2",
	[VIGIL_VOLUME_KDF_ARGON2ID] = "argon2id",
};

const char *vigil_volume_kdf_name(enum vigil_volume_kdf kdf)
{
	return kdf_names[kdf];
}

int volume_record_write(const struct vigil_volume_store *st, const struct volume_record *rec)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct json_object *o = json_object_new_object();
	const char *text;
	int r;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "format", json_object_new_int(RECORD_FORMAT));
	json_object_object_add(o, "id", json_object_new_string(rec->id));
	json_object_object_add(o, "backing", json_object_new_string(rec->backing));
	json_object_object_add(o, "backing_is_device",
			       json_object_new_boolean(rec->backing_is_device));
	json_object_object_add(o, "size_bytes", json_object_new_uint64(rec->size_bytes));
	json_object_object_add(o, "created_unix_ns", json_object_new_uint64(rec->created_unix_ns));
	json_object_object_add(o, "kdf", json_object_new_string(vigil_volume_kdf_name(rec->kdf)));
	json_object_object_add(o, "uuid", json_object_new_string(rec->uuid));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	r = volume_path(st, rec->id, ".json", path);
	if (!r)
		r = volume_path(st, rec->id, ".json.tmp", tmp);
	if (!r)
		r = vigil_file_replace(path, tmp, text, strlen(text), 0600);
	json_object_put(o);
	return r;
}

int volume_json_str(struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= len)
		return -EBADMSG;
	memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

int volume_json_u64(struct json_object *o, const char *key, uint64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	*ret = json_object_get_uint64(v);
	return 0;
}

static int record_from_json(struct json_object *o, const char *id, struct volume_record *rec)
{
	char kdf[16];
	struct json_object *v;
	uint64_t format;

	if (volume_json_u64(o, "format", &format) || format != RECORD_FORMAT ||
	    volume_json_str(o, "id", rec->id, sizeof(rec->id)) || strcmp(rec->id, id) ||
	    volume_json_str(o, "backing", rec->backing, sizeof(rec->backing)) ||
	    !json_object_object_get_ex(o, "backing_is_device", &v) ||
	    volume_json_u64(o, "size_bytes", &rec->size_bytes) ||
	    volume_json_u64(o, "created_unix_ns", &rec->created_unix_ns) ||
	    volume_json_str(o, "kdf", kdf, sizeof(kdf)) ||
	    volume_json_str(o, "uuid", rec->uuid, sizeof(rec->uuid)))
		return -EBADMSG;
	rec->backing_is_device = json_object_get_boolean(v);
	if (strcmp(kdf, "pbkdf2") == 0)
		rec->kdf = VIGIL_VOLUME_KDF_PBKDF2;
	else if (strcmp(kdf, "argon2id") == 0)
		rec->kdf = VIGIL_VOLUME_KDF_ARGON2ID;
	else
		return -EBADMSG;
	return 0;
}

int volume_record_read(const struct vigil_volume_store *st, const char *id,
		       struct volume_record *ret)
{
	char path[PATH_MAX], text[8192], why[128];
	struct json_object *o;
	size_t len;
	FILE *f;
	int r;

	r = volume_path(st, id, ".json", path);
	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	len = fread(text, 1, sizeof(text) - 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (r < 0)
		return r;
	text[len] = '\0';
	if (vigil_json_parse(text, &o, why, sizeof(why)) < 0)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	r = record_from_json(o, id, ret);
	json_object_put(o);
	return r;
}

int volume_record_get(const struct vigil_volume_store *st, const char *id,
		      struct volume_record *rec, char *err, size_t err_len)
{
	int r = volume_id_check(id, err, err_len);

	if (r < 0)
		return r;
	r = volume_record_read(st, id, rec);
	if (r == -ENOENT)
		return vigil_fail(r, err, err_len, "volume \"%s\": no such volume", id);
	if (r == -EBADMSG)
		return vigil_fail(r, err, err_len,
				  "volume \"%s\": its record %s/volumes/%s.json is damaged", id,
				  st->state_dir, id);
	if (r < 0)
		return vigil_fail(r, err, err_len, "volume \"%s\": cannot read its record: %s", id,
				  strerror(-r));
	return 0;
}

int volume_hold(const struct vigil_volume_store *st, const char *id, bool must_exist, int *ret_fd,
		char *err, size_t err_len)
{
	struct volume_record rec;
	int r;

	r = must_exist ? volume_record_get(st, id, &rec, err, err_len)
		       : volume_id_check(id, err, err_len);
	if (r < 0)
		return r;
	r = volume_lock(st, id, ret_fd);
	if (r == -EBUSY)
		return vigil_fail(r, err, err_len,
				  "volume \"%s\": busy: another vigil command or vigild is working "
				  "on it",
				  id);
	return r < 0 ? vigil_fail(r, err, err_len, "volume \"%s\": cannot lock it: %s", id,
				  strerror(-r))
		     : 0;
}
