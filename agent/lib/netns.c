// SPDX-License-Identifier: GPL-2.0-or-later
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirs.h"

int vigil_netns_create(const char *path)
{
	int orig, fd, ret;

	ret = vigil_mkdir_parent(path);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		ret = -errno;
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		ret = -errno;
		close(orig);
		goto fail;
	}
	ret = mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
	/* back to the host namespace whatever happened: nothing else may run in the new one */
	if (setns(orig, CLONE_NEWNET) < 0 && !ret)
		ret = -errno;
	close(orig);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	umount2(path, MNT_DETACH);
	unlink(path);
	return ret;
}

int vigil_netns_remove(const char *path)
{
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

int vigil_netns_run(const char *path, int (*fn)(void *arg), void *arg)
{
	int orig, target, ret;

	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		ret = -errno;
		close(target);
		return ret;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		ret = -errno;
	} else {
		ret = fn(arg);
		if (setns(orig, CLONE_NEWNET) < 0 && !ret)
			ret = -errno;
	}
	close(orig);
	close(target);
	return ret;
}
