// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tenant's key in memory of its own: an anonymous mapping locked in RAM,
 * excluded from core dumps and from a fork's copy, wiped before unmapping.
 * It is read straight into that mapping, so no stdio buffer or heap block
 * ever holds a byte of it.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "volume_key.h"

/* one page holds the largest key and the header in front of it */
struct key_page {
	struct vigil_volume_key key;
	size_t map_len;
	unsigned char bytes[];
};

static size_t page_size(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz > 0 ? (size_t)sz : 4096;
}

static int key_alloc(struct key_page **ret)
{
	size_t len = page_size();
	struct key_page *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	if (mlock(p, len) < 0) {
		munmap(p, len);
		return -ENOMEM;
	}
	/* advisory: a kernel without them still has the key locked */
	(void)madvise(p, len, MADV_DONTDUMP);
	(void)madvise(p, len, MADV_WIPEONFORK);
	p->map_len = len;
	p->key.bytes = p->bytes;
	*ret = p;
	return 0;
}

static void key_page_free(struct key_page *p)
{
	size_t len = p->map_len;

	explicit_bzero(p, len);
	munlock(p, len);
	munmap(p, len);
}

void vigil_volume_key_free(struct vigil_volume_key *key)
{
	if (key)
		key_page_free((struct key_page *)((char *)key - offsetof(struct key_page, key)));
}

static int key_length_ok(size_t len)
{
	if (len == 0)
		return -ENODATA;
	if (len < VIGIL_VOLUME_KEY_MIN)
		return -EINVAL;
	return 0;
}

int vigil_volume_key_read_fd(int fd, struct vigil_volume_key **ret)
{
	/* one byte more than allowed tells a long key from one of the maximum */
	const size_t room = VIGIL_VOLUME_KEY_MAX + 1;
	struct key_page *p;
	size_t len = 0;
	int err;

	err = key_alloc(&p);
	if (err < 0)
		return err;
	while (len < room) {
		ssize_t n = read(fd, p->bytes + len, room - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > VIGIL_VOLUME_KEY_MAX) {
		err = -EMSGSIZE;
		goto fail;
	}
	err = key_length_ok(len);
	if (err < 0)
		goto fail;
	p->key.len = len;
	*ret = &p->key;
	return 0;
fail:
	key_page_free(p);
	return err;
}

int vigil_volume_key_read_file(const char *path, struct vigil_volume_key **ret)
{
	int fd, err;

	if (strcmp(path, "-") == 0)
		return vigil_volume_key_read_fd(STDIN_FILENO, ret);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	err = vigil_volume_key_read_fd(fd, ret);
	close(fd);
	return err;
}

int vigil_volume_key_from(const void *bytes, size_t len, struct vigil_volume_key **ret)
{
	struct key_page *p;
	int err;

	if (len > VIGIL_VOLUME_KEY_MAX)
		return -EMSGSIZE;
	err = key_length_ok(len);
	if (err < 0)
		return err;
	err = key_alloc(&p);
	if (err < 0)
		return err;
	memcpy(p->bytes, bytes, len);
	p->key.len = len;
	*ret = &p->key;
	return 0;
}
