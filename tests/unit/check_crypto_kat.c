// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known answers for the cryptography the ledger relies on, so its tests do
 * not only compare vigil with itself: RFC 6962's reference Merkle tree
 * (the Certificate Transparency test data: roots of sizes 0 to 8 and two
 * audit paths) and RFC 8032 section 7.1's Ed25519 vectors 1 to 3, through
 * the host key loader and the signing call the ledger makes.
 */
#include <check.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_key.h"
#include "merkle.h"
#include "testutil.h"

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2;

	ck_assert_uint_le(n, max);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
	return n;
}

static void assert_hash(const uint8_t got[MERKLE_HASH], const char *want, const char *what)
{
	uint8_t w[MERKLE_HASH];

	unhex(want, w, sizeof(w));
	ck_assert_msg(memcmp(got, w, MERKLE_HASH) == 0, "%s differs from %s", what, want);
}

static const char *const ct_leaves[] = {
	"",
	"00",
	"10",
	"2021",
	"3031",
	"40414243",
	"5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *const ct_roots[] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static const struct {
	size_t index;
	const char *path[3];
} ct_paths[] = {
	{ 0,
	  { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5,
	  { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

START_TEST(test_merkle_rfc6962)
{
	uint8_t leaves[8][MERKLE_HASH], root[MERKLE_HASH], path[64][MERKLE_HASH], data[16];
	size_t len;

	for (size_t i = 0; i < 8; i++)
		merkle_leaf(data, unhex(ct_leaves[i], data, sizeof(data)), leaves[i]);
	for (size_t n = 1; n <= 8; n++) {
		char what[32];

		merkle_root((const uint8_t(*)[MERKLE_HASH])leaves, n, root);
		snprintf(what, sizeof(what), "root of %zu leaves", n);
		assert_hash(root, ct_roots[n - 1], what);
	}
	for (size_t p = 0; p < sizeof(ct_paths) / sizeof(ct_paths[0]); p++) {
		ck_assert_int_eq(merkle_path((const uint8_t(*)[MERKLE_HASH])leaves, 8,
					     ct_paths[p].index, path, &len),
				 0);
		ck_assert_uint_eq(len, 3);
		for (size_t i = 0; i < 3; i++)
			assert_hash(path[i], ct_paths[p].path[i], "audit path hash");
		ck_assert_int_eq(merkle_root_from_path(leaves[ct_paths[p].index], ct_paths[p].index,
						       8, (const uint8_t(*)[MERKLE_HASH])path, len,
						       root),
				 0);
		assert_hash(root, ct_roots[7], "root from the audit path");
	}
}
END_TEST

static const struct {
	const char *seed, *public, *message, *signature;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
	  "1cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613"
	  "d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760"
	  "984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

START_TEST(test_ed25519_rfc8032)
{
	uint8_t seed[32], pk[32], msg[8], sig[64], want[64];
	char path[] = "/tmp/vigil-test-kat-XXXXXX";
	char key_path[sizeof(path) + 8], err[256];
	struct host_key k;
	size_t msg_len;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(key_path, sizeof(key_path), "%s/key", path);
	for (size_t i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
		unhex(rfc8032[i].seed, seed, sizeof(seed));
		unhex(rfc8032[i].public, pk, sizeof(pk));
		msg_len = unhex(rfc8032[i].message, msg, sizeof(msg));
		unhex(rfc8032[i].signature, want, sizeof(want));
		/* the host key file is the seed: as vigild would find it */
		fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, seed, sizeof(seed)), (ssize_t)sizeof(seed));
		close(fd);
		ck_assert_msg(host_key_load(key_path, &k, err, sizeof(err)) == 0, "%s", err);
		ck_assert_msg(memcmp(k.pk, pk, sizeof(pk)) == 0, "vector %zu: public key", i + 1);
		crypto_sign_detached(sig, NULL, msg, msg_len, k.sk);
		ck_assert_msg(memcmp(sig, want, sizeof(sig)) == 0, "vector %zu: signature", i + 1);
		ck_assert_int_eq(crypto_sign_verify_detached(want, msg, msg_len, pk), 0);
		want[63] ^= 0x01;
		ck_assert_int_ne(crypto_sign_verify_detached(want, msg, msg_len, pk), 0);
		host_key_wipe(&k);
	}
	unlink(key_path);
	rmdir(path);
}
END_TEST

static Suite *crypto_kat_suite(void)
{
	Suite *s = suite_create("crypto_kat");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, test_merkle_rfc6962);
	tcase_add_test(tc, test_ed25519_rfc8032);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return run_suite(crypto_kat_suite());
}
