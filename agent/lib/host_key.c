// SPDX-License-Identifier: GPL-2.0-or-later
#include "host_key.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_file.h"

#define SEED_BYTES crypto_sign_SEEDBYTES

static int generate(const char *path, char *err, size_t err_len)
{
	uint8_t seed[SEED_BYTES];
	char tmp[PATH_MAX];
	int ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	randombytes_buf(seed, sizeof(seed));
	ret = vigil_file_replace(path, tmp, seed, sizeof(seed), 0600);
	sodium_memzero(seed, sizeof(seed));
	if (ret)
		snprintf(err, err_len, "writing host key %s: %s", path, strerror(-ret));
	return ret;
}

static int read_seed(const char *path, uint8_t seed[SEED_BYTES], char *err, size_t err_len)
{
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "opening host key %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, err_len, "host key %s: %s", path, strerror(-ret));
	} else if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, err_len, "host key %s is not a regular file", path);
	} else if (st.st_mode & 077) {
		ret = -EPERM;
		snprintf(err, err_len,
			 "host key %s is open to other users (mode %04o): it must be 0600 "
			 "(chmod 600 %s, or replace the key if others may have read it)",
			 path, (unsigned int)(st.st_mode & 07777), path);
	} else if (st.st_size != SEED_BYTES) {
		ret = -EINVAL;
		snprintf(err, err_len, "host key %s: expected %d bytes, found %lld", path,
			 SEED_BYTES, (long long)st.st_size);
	} else {
		n = read(fd, seed, SEED_BYTES);
		if (n != SEED_BYTES) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, err_len, "reading host key %s: %s", path, strerror(-ret));
		}
	}
	close(fd);
	return ret;
}

int host_key_load(const char *path, struct host_key *ret, char *err, size_t err_len)
{
	uint8_t seed[SEED_BYTES];
	int r;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		r = generate(path, err, err_len);
		if (r)
			return r;
	}
	r = read_seed(path, seed, err, err_len);
	if (r)
		return r;
	crypto_sign_seed_keypair(ret->pk, ret->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

void host_key_wipe(struct host_key *k)
{
	sodium_memzero(k, sizeof(*k));
}
