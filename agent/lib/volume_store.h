/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_VOLUME_STORE_H
#define VIGIL_VOLUME_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* The id as a volume may be named; -EINVAL with `err` set. */
int volume_id_check(const char *id, char *err, size_t err_len);

#endif
