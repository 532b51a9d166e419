/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_VOLUME_KEY_H
#define VIGIL_VOLUME_KEY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A tenant's volume key, as the tenant supplied it (a key file's bytes, or
 * stdin's). vigil never writes it to disk and never logs it: it lives in
 * its own anonymous mapping, locked in RAM (never swapped), left out of
 * core dumps and not inherited by a fork, and is wiped before it is
 * unmapped.
 */
#define VIGIL_VOLUME_KEY_MIN 32
#define VIGIL_VOLUME_KEY_MAX 512

struct vigil_volume_key {
	unsigned char *bytes;
	size_t len;
	/* a passphrase (argon2id at create) rather than a high-entropy key */
	bool passphrase;
};

/*
 * Reads a key of VIGIL_VOLUME_KEY_MIN..MAX bytes from `fd` to its end.
 * -ENODATA: empty; -EINVAL: shorter than the minimum; -EMSGSIZE: longer
 * than the maximum; -ENOMEM: no lockable memory. Nothing of the key is left
 * anywhere on failure. `fd` is left open.
 */
int vigil_volume_key_read_fd(int fd, struct vigil_volume_key **ret);
/* The same from a file; "-" is stdin. */
int vigil_volume_key_read_file(const char *path, struct vigil_volume_key **ret);
/* A copy of `len` bytes (tests and the import path); same limits. */
int vigil_volume_key_from(const void *bytes, size_t len, struct vigil_volume_key **ret);
/* Wipes and unmaps; NULL is fine. */
void vigil_volume_key_free(struct vigil_volume_key *key);

#endif
