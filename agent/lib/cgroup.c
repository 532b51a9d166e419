// SPDX-License-Identifier: GPL-2.0-or-later
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mountinfo.h"

struct cgroup_scan {
	bool have_v1;
	bool have_v2;
	char v2_mount[PATH_MAX];
};

static int scan_cgroup_mounts(const struct vigil_mount *m, void *arg)
{
	struct cgroup_scan *scan = arg;

	if (strcmp(m->fstype, "cgroup") == 0) {
		scan->have_v1 = true;
	} else if (strcmp(m->fstype, "cgroup2") == 0 && !scan->have_v2) {
		scan->have_v2 = true;
		snprintf(scan->v2_mount, sizeof(scan->v2_mount), "%s", m->target);
	}
	return 0;
}

int vigil_cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int vigil_cgroup_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int read_controllers(const char *mount, char *buf, size_t len)
{
	int err = vigil_cgroup_read(mount, "cgroup.controllers", buf, len);

	if (!err)
		buf[strcspn(buf, "\n")] = '\0';
	return err;
}

int vigil_cgroup2_detect(struct vigil_cgroup2 *ret)
{
	struct cgroup_scan scan = { 0 };
	int err;

	err = vigil_mountinfo_foreach(scan_cgroup_mounts, &scan);
	if (err < 0)
		return err;
	if (!scan.have_v2) {
		ret->mode = scan.have_v1 ? VIGIL_CGROUP_LEGACY : VIGIL_CGROUP_NONE;
		ret->mount[0] = '\0';
		ret->controllers[0] = '\0';
		return -ENOENT;
	}
	err = read_controllers(scan.v2_mount, ret->controllers, sizeof(ret->controllers));
	if (err < 0)
		return err;
	ret->mode = scan.have_v1 ? VIGIL_CGROUP_HYBRID : VIGIL_CGROUP_UNIFIED;
	snprintf(ret->mount, sizeof(ret->mount), "%s", scan.v2_mount);
	return 0;
}

const char *vigil_cgroup_mode_name(enum vigil_cgroup_mode mode)
{
	switch (mode) {
	case VIGIL_CGROUP_LEGACY:
		return "legacy";
	case VIGIL_CGROUP_HYBRID:
		return "hybrid";
	case VIGIL_CGROUP_UNIFIED:
		return "unified";
	case VIGIL_CGROUP_NONE:
		break;
	}
	return "none";
}

int vigil_cgroup_id(const char *path, uint64_t *ret)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} handle = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	/* cgroupfs file handles are the cgroup id */
	if (name_to_handle_at(AT_FDCWD, path, &handle.fh, &mount_id, 0) < 0)
		return -errno;
	if (handle.fh.handle_bytes != sizeof(uint64_t))
		return -EOPNOTSUPP;
	memcpy(ret, handle.fh.f_handle, sizeof(*ret));
	return 0;
}

int vigil_cgroup_level(const char *mount, const char *path, unsigned int *ret)
{
	size_t len = strlen(mount);
	unsigned int level = 0;
	const char *p;

	while (len > 1 && mount[len - 1] == '/')
		len--;
	if (strncmp(path, mount, len) != 0 || (path[len] != '/' && path[len] != '\0'))
		return -EINVAL;
	for (p = path + len; *p; p++) {
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	}
	*ret = level;
	return 0;
}
