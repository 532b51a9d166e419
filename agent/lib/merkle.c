// SPDX-License-Identifier: GPL-2.0-or-later
#include "merkle.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#define MERKLE_MAX_DEPTH 64

void merkle_leaf(const void *data, size_t len, uint8_t out[MERKLE_HASH])
{
	crypto_hash_sha256_state st;
	const uint8_t prefix = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

static void node(const uint8_t *l, const uint8_t *r, uint8_t out[MERKLE_HASH])
{
	uint8_t buf[1 + 2 * MERKLE_HASH];

	buf[0] = 0x01;
	memcpy(buf + 1, l, MERKLE_HASH);
	memcpy(buf + 1 + MERKLE_HASH, r, MERKLE_HASH);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

/* the largest power of two below n (n > 1) */
static size_t split(size_t n)
{
	size_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void merkle_root(const uint8_t (*leaves)[MERKLE_HASH], size_t n, uint8_t out[MERKLE_HASH])
{
	uint8_t l[MERKLE_HASH], r[MERKLE_HASH];
	size_t k;

	if (n == 1) {
		memcpy(out, leaves[0], MERKLE_HASH);
		return;
	}
	k = split(n);
	merkle_root(leaves, k, l);
	merkle_root(leaves + k, n - k, r);
	node(l, r, out);
}

/* RFC 6962 PATH(m, D[n]): the subtree's path, then the sibling subtree's root */
static void path_rec(const uint8_t (*leaves)[MERKLE_HASH], size_t n, size_t m,
		     uint8_t (*path)[MERKLE_HASH], size_t *len)
{
	size_t k;

	if (n == 1)
		return;
	k = split(n);
	if (m < k) {
		path_rec(leaves, k, m, path, len);
		merkle_root(leaves + k, n - k, path[(*len)++]);
	} else {
		path_rec(leaves + k, n - k, m - k, path, len);
		merkle_root(leaves, k, path[(*len)++]);
	}
}

int merkle_path(const uint8_t (*leaves)[MERKLE_HASH], size_t n, size_t m,
		uint8_t (*path)[MERKLE_HASH], size_t *ret_len)
{
	size_t len = 0;

	if (m >= n)
		return -EINVAL;
	path_rec(leaves, n, m, path, &len);
	*ret_len = len;
	return 0;
}

/* RFC 9162 section 2.1.3.2 */
int merkle_root_from_path(const uint8_t leaf[MERKLE_HASH], uint64_t m, uint64_t n,
			  const uint8_t (*path)[MERKLE_HASH], size_t len, uint8_t out[MERKLE_HASH])
{
	uint8_t r[MERKLE_HASH];
	uint64_t fn = m, sn;

	if (m >= n || len > MERKLE_MAX_DEPTH)
		return -EINVAL;
	sn = n - 1;
	memcpy(r, leaf, MERKLE_HASH);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return -EINVAL;
		if ((fn & 1) || fn == sn) {
			node(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			node(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return -EINVAL;
	memcpy(out, r, MERKLE_HASH);
	return 0;
}
