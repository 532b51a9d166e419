/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_VOLUME_H
#define VIGIL_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "volume_key.h"

/*
 * A tenant's encrypted volume: LUKS2 (aes-xts-plain64, a 512-bit volume
 * key, 4096-byte sectors, one keyslot, no token) on a backing store, opened
 * as /dev/mapper/vigil-<id>. The backing store is a file in
 * <state>/volumes/ (sparse unless preallocated) or a block device the admin
 * names under an allowed directory. What vigil keeps of a volume is
 * <state>/volumes/<id>.json (where its backing is, its size, its KDF); the
 * key is the tenant's and is never kept.
 *
 * Every function fills `err` with a message naming the volume and the
 * reason when it fails, and changes nothing then.
 */

/* LUKS2's own header and keyslot area in front of the data */
#define VIGIL_VOLUME_HEADER_BYTES (16ull << 20)
#define VIGIL_VOLUME_SIZE_MIB_MIN 1
#define VIGIL_VOLUME_SIZE_MIB_MAX 16777216
#define VIGIL_VOLUME_MAPPER_DIR	  "/dev/mapper"
/* "/dev/mapper/vigil-" + an id + NUL */
#define VIGIL_VOLUME_MAPPER_SIZE 64

struct vigil_volume_store {
	const char *state_dir;
	/* directories a block device or backing file given by the admin may be
	 * under (NULL-terminated; NULL: none, only <state>/volumes/) */
	const char *const *backing_dirs;
};

enum vigil_volume_kdf {
	VIGIL_VOLUME_KDF_PBKDF2,   /* a high-entropy key: PBKDF2-SHA256, 1000 iterations */
	VIGIL_VOLUME_KDF_ARGON2ID, /* a passphrase: argon2id, memory bounded */
};

struct vigil_volume_create_opts {
	const char *id;
	uint64_t size_mib; /* of data; the backing holds the header too */
	/* a block device or a file to use instead of <state>/volumes/<id>.img */
	const char *backing;
	bool preallocate; /* allocate a backing file's blocks (fallocate) */
};

/* What `vigil volume show` says of one volume. */
struct vigil_volume_info {
	char id[33];
	char backing[4096];
	bool backing_is_device;
	uint64_t size_bytes;	/* data */
	uint64_t backing_bytes; /* header + data */
	uint64_t created_unix_ns;
	enum vigil_volume_kdf kdf;
	bool open; /* its mapping exists */
	char mapper[VIGIL_VOLUME_MAPPER_SIZE];
	/* the mapping's device when open */
	unsigned int dev_major, dev_minor;
	/* the header as vigil wrote it (else `header_problem` says what is not) */
	bool header_ok;
	char header_problem[256];
};

/* Flags for open. */
#define VIGIL_VOLUME_OPEN_NO_WORKQUEUE (1u << 0) /* dm-crypt's no_read/no_write_workqueue */

const char *vigil_volume_kdf_name(enum vigil_volume_kdf kdf);
/* "/dev/mapper/vigil-<id>" */
void vigil_volume_mapper_path(const char *id, char *buf, size_t len);

int vigil_volume_create(const struct vigil_volume_store *st,
			const struct vigil_volume_create_opts *opts,
			const struct vigil_volume_key *key, char *err, size_t err_len);
/*
 * Checks the header, then activates /dev/mapper/vigil-<id> with `key`.
 * -ENOTSUP: this kernel has no device-mapper (the message names it);
 * -EPERM: wrong key; -EEXIST: already open; -EBADMSG: the header is not the
 * one vigil wrote.
 */
int vigil_volume_open(const struct vigil_volume_store *st, const char *id,
		      const struct vigil_volume_key *key, unsigned int flags, char *err,
		      size_t err_len);
/* Checks the header and the key without activating anything. */
int vigil_volume_check_key(const struct vigil_volume_store *st, const char *id,
			   const struct vigil_volume_key *key, char *err, size_t err_len);
/* Deactivates the mapping; -EBUSY while something holds it open; 0 if closed. */
int vigil_volume_close(const struct vigil_volume_store *st, const char *id, char *err,
		       size_t err_len);
/*
 * Crypto-erase: closes it, destroys every keyslot, wipes the header area
 * (both LUKS2 headers and the keyslots) and removes vigil's record and a
 * backing file it made. Data blocks are not overwritten.
 */
int vigil_volume_erase(const struct vigil_volume_store *st, const char *id, char *err,
		       size_t err_len);
int vigil_volume_info(const struct vigil_volume_store *st, const char *id,
		      struct vigil_volume_info *ret, char *err, size_t err_len);
/* Every volume, sorted by id; free with free(). */
int vigil_volume_list(const struct vigil_volume_store *st, struct vigil_volume_info **ret,
		      size_t *ret_n, char *err, size_t err_len);

/* a stream's checksum in hex, and its NUL */
#define VIGIL_VOLUME_SHA256_HEX 65

/* Progress of an export or import: bytes done of `total`. */
typedef void (*vigil_volume_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Writes a closed volume as one stream to `fd`: a header naming the
 * stream's format and the volume's size, the backing's bytes (LUKS2 header
 * and ciphertext), and a SHA-256 of all that before it (`ret_sha256`, for
 * the tenant to compare with the import's). No key.
 */
int vigil_volume_export(const struct vigil_volume_store *st, const char *id, int fd,
			vigil_volume_progress_fn progress, void *arg,
			char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len);
/*
 * Recreates a volume from an export stream read from `fd` as `id` (NULL:
 * the id it was exported as). The backing file is written aside and only
 * becomes the volume once the checksum and the header check pass:
 * a truncated, corrupted or foreign stream leaves nothing behind.
 */
int vigil_volume_import(const struct vigil_volume_store *st, const char *id, int fd,
			vigil_volume_progress_fn progress, void *arg,
			char ret_sha256[VIGIL_VOLUME_SHA256_HEX], char *err, size_t err_len);

#endif
