// SPDX-License-Identifier: GPL-2.0-or-later
#include "usage_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

static const struct vigil_check_source sources[VIGIL_CHECK__COUNT] = {
	[VIGIL_CHECK_CPU] = { "cpu_ns", "cpu.stat", "usage_usec" },
	[VIGIL_CHECK_MEM] = { "mem_bytes", "memory.current", NULL },
	[VIGIL_CHECK_MEM_PEAK] = { "mem_peak_bytes", "memory.peak", NULL },
	[VIGIL_CHECK_DISK_READ_BYTES] = { "disk_read_bytes", "io.stat", "rbytes" },
	[VIGIL_CHECK_DISK_WRITE_BYTES] = { "disk_write_bytes", "io.stat", "wbytes" },
	[VIGIL_CHECK_DISK_READ_OPS] = { "disk_read_ops", "io.stat", "rios" },
	[VIGIL_CHECK_DISK_WRITE_OPS] = { "disk_write_ops", "io.stat", "wios" },
};

const struct vigil_check_source *vigil_check_source(enum vigil_check_item item)
{
	return item < VIGIL_CHECK__COUNT ? &sources[item] : NULL;
}

static int find_below(int dir_fd, const char *path, uint64_t id, unsigned int depth, char *buf,
		      size_t len)
{
	DIR *dir = fdopendir(dir_fd);
	struct dirent *de;
	int err = -ENOENT;

	if (!dir) {
		close(dir_fd);
		return -errno;
	}
	while (err == -ENOENT && (de = readdir(dir))) {
		char child[PATH_MAX];
		uint64_t child_id;
		int fd, n;

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		if (vigil_cgroup_id(child, &child_id) == 0 && child_id == id) {
			n = snprintf(buf, len, "%s", child);
			err = n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
			break;
		}
		if (depth <= 1)
			continue;
		/* a cgroup may be removed while we walk: skip it */
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			err = find_below(fd, child, id, depth - 1, buf, len);
	}
	closedir(dir);
	return err;
}

int vigil_cgroup_find_by_id(const char *mount, uint64_t id, unsigned int max_depth, char *buf,
			    size_t len)
{
	uint64_t root_id;
	int fd, n;

	if (vigil_cgroup_id(mount, &root_id) == 0 && root_id == id) {
		n = snprintf(buf, len, "%s", mount);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	if (max_depth == 0)
		return -ENOENT;
	fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return find_below(fd, mount, id, max_depth, buf, len);
}

/* "key value" lines (cpu.stat): the value of `key`. */
static int keyed_value(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*ret = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." per device, summed. */
static uint64_t io_stat_sum(const char *text, const char *key)
{
	size_t klen = strlen(key);
	uint64_t sum = 0;

	for (const char *p = text; (p = strstr(p, key)); p += klen) {
		if ((p == text || p[-1] == ' ') && p[klen] == '=')
			sum += strtoull(p + klen + 1, NULL, 10);
	}
	return sum;
}

void vigil_usage_check_read(const char *dir, struct vigil_check_figure ret[VIGIL_CHECK__COUNT])
{
	char text[8192];

	for (int i = 0; i < VIGIL_CHECK__COUNT; i++) {
		const struct vigil_check_source *s = &sources[i];
		struct vigil_check_figure *f = &ret[i];

		f->value = 0;
		f->err = vigil_cgroup_read(dir, s->file, text, sizeof(text));
		if (f->err)
			continue;
		if (i == VIGIL_CHECK_CPU) {
			f->err = keyed_value(text, s->key, &f->value);
			f->value *= 1000;
		} else if (s->key) {
			f->value = io_stat_sum(text, s->key);
		} else {
			f->value = strtoull(text, NULL, 10);
		}
	}
}
