/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_VOLUME_STORE_H
#define VIGIL_VOLUME_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "luks.h"
#include "volume.h"

/*
 * What vigil keeps of a volume, <state>/volumes/<id>.json, shared by the
 * volume's operations (volume.c) and its export and import (volume_stream.c).
 */
struct volume_record {
	char id[33];
	char backing[PATH_MAX];
	bool backing_is_device;
	uint64_t size_bytes;
	uint64_t created_unix_ns;
	enum vigil_volume_kdf kdf;
	char uuid[VIGIL_LUKS_UUID_SIZE];
};

/* A string member of `o` that fits `len`, or an unsigned integer one; -EBADMSG otherwise. */
int volume_json_str(struct json_object *o, const char *key, char *buf, size_t len);
int volume_json_u64(struct json_object *o, const char *key, uint64_t *ret);

/* "<state>/volumes" */
int volume_dir(const struct vigil_volume_store *st, char buf[PATH_MAX]);
/* "<state>/volumes/<id><suffix>" */
int volume_path(const struct vigil_volume_store *st, const char *id, const char *suffix,
		char buf[PATH_MAX]);
/* Creates <state>/volumes (0700) when missing. */
int volume_dir_make(const struct vigil_volume_store *st);
/* -ENOENT when there is no such volume. */
int volume_record_read(const struct vigil_volume_store *st, const char *id,
		       struct volume_record *ret);
int volume_record_write(const struct vigil_volume_store *st, const struct volume_record *rec);
/*
 * Holds `id` for one operation that changes it (create, open, close, erase,
 * export, import), across processes: vigild and the CLI. -EBUSY at once
 * when another holds it: nothing waits on a long export. Released by
 * volume_unlock, which removes the lock file when there is no such volume
 * (any more).
 */
int volume_lock(const struct vigil_volume_store *st, const char *id, int *ret_fd);
void volume_unlock(const struct vigil_volume_store *st, const char *id, int fd);

/*
 * volume_lock for an operation, with its messages: -EBUSY "busy"; when
 * `must_exist`, the volume's absence is refused before a lock file is made.
 */
int volume_hold(const struct vigil_volume_store *st, const char *id, bool must_exist, int *ret_fd,
		char *err, size_t err_len);
/* volume_record_read with the messages every operation gives: no such volume, damaged. */
int volume_record_get(const struct vigil_volume_store *st, const char *id,
		      struct volume_record *rec, char *err, size_t err_len);

/* The id as a volume may be named; -EINVAL with `err` set. */
int volume_id_check(const char *id, char *err, size_t err_len);

#endif
