/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LUKS_H
#define VIGIL_LUKS_H

#include <stdbool.h>
#include <stddef.h>

#include "volume.h"

/*
 * LUKS2 through libcryptsetup, exactly as vigil uses it: one way to write a
 * header, and a check that refuses any header other than that before a key
 * is tried on it. libcryptsetup's own messages are kept, not printed: a
 * failure's `err` ends with the library's reason where it gave one.
 */

/* Argon2id for passphrases: a fixed cost, never benchmarked (README, Volumes) */
#define VIGIL_LUKS_ARGON2_MEMORY_KIB 131072
#define VIGIL_LUKS_ARGON2_TIME	     4
#define VIGIL_LUKS_ARGON2_THREADS    2
/* PBKDF2 for high-entropy keys: the key is the strength, not the KDF */
#define VIGIL_LUKS_PBKDF2_ITERATIONS 1000
#define VIGIL_LUKS_SUBSYSTEM	     "vigil"
#define VIGIL_LUKS_UUID_SIZE	     40

/*
 * Writes a LUKS2 header on `backing` (a file or block device of at least
 * VIGIL_VOLUME_HEADER_BYTES + data): a new random volume key in keyslot 0
 * wrapped by `key`, labelled `id`. Returns the header's UUID.
 */
int vigil_luks_format(const char *backing, const char *id, const struct vigil_volume_key *key,
		      enum vigil_volume_kdf kdf, char ret_uuid[VIGIL_LUKS_UUID_SIZE], char *err,
		      size_t err_len);
/*
 * Checks that `backing` holds the header vigil writes and nothing else:
 * -EBADMSG with `problem` saying what differs. `ret_kdf`, `ret_uuid`,
 * `ret_label` may be NULL.
 */
int vigil_luks_check(const char *backing, enum vigil_volume_kdf *ret_kdf,
		     char ret_uuid[VIGIL_LUKS_UUID_SIZE], char ret_label[64], char *problem,
		     size_t problem_len);
/* Tries `key` on keyslot 0 without activating: -EPERM when it is not the key. */
int vigil_luks_try_key(const char *backing, const struct vigil_volume_key *key, char *err,
		       size_t err_len);
/* Maps `backing` as /dev/mapper/`name`; dm-crypt's workqueues bypassed where supported. */
int vigil_luks_activate(const char *backing, const char *name, const struct vigil_volume_key *key,
			bool no_workqueue, char *err, size_t err_len);
/* Removes the mapping: -EBUSY while it is held open; 0 when there is none. */
int vigil_luks_deactivate(const char *name, char *err, size_t err_len);
/* Whether /dev/mapper/`name` is active (false where there is no device-mapper). */
bool vigil_luks_active(const char *name);
/* Gives the header the label `id` (an imported volume's new name). */
int vigil_luks_relabel(const char *backing, const char *id, char *err, size_t err_len);
/*
 * Destroys every keyslot libcryptsetup can still read, then overwrites the
 * whole header area (both headers and the keyslots) with zeros and syncs.
 */
int vigil_luks_erase(const char *backing, char *err, size_t err_len);

#endif
