/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_HOST_KEY_H
#define VIGIL_HOST_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

/* The host's Ed25519 key: a file holding the 32-byte seed, mode 0600. */
struct host_key {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/*
 * Loads the key at `path`, generating it first when there is none (written
 * to a temporary file, synced, then renamed, so a crash leaves no half key).
 * -EPERM when the file is open to group or others; `err` says what failed.
 */
int host_key_load(const char *path, struct host_key *ret, char *err, size_t err_len);
void host_key_wipe(struct host_key *k);

#endif
