/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_MERKLE_H
#define VIGIL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * RFC 6962 (RFC 9162 section 2.1) Merkle trees over SHA-256: a leaf is
 * SHA-256(0x00 || data), a node SHA-256(0x01 || left || right), and a tree of
 * n > 1 leaves splits at the largest power of two below n.
 */
#define MERKLE_HASH 32

void merkle_leaf(const void *data, size_t len, uint8_t out[MERKLE_HASH]);
/* The root of n >= 1 leaf hashes. */
void merkle_root(const uint8_t (*leaves)[MERKLE_HASH], size_t n, uint8_t out[MERKLE_HASH]);
/*
 * The audit path of leaf m among n: *ret_len hashes into `path`, which has
 * room for 64. -EINVAL when m >= n.
 */
int merkle_path(const uint8_t (*leaves)[MERKLE_HASH], size_t n, size_t m,
		uint8_t (*path)[MERKLE_HASH], size_t *ret_len);
/* The root that `path` leads to from `leaf` (index m of n); -EINVAL when it cannot. */
int merkle_root_from_path(const uint8_t leaf[MERKLE_HASH], uint64_t m, uint64_t n,
			  const uint8_t (*path)[MERKLE_HASH], size_t len, uint8_t out[MERKLE_HASH]);

#endif
