// SPDX-License-Identifier: GPL-2.0-or-later
#include "jail_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errmsg.h"
#include "jail_spec.h"

static const char *const kernel_dirs[] = { "/proc", "/sys", "/dev" };

/* `path` with its symlinks resolved when it exists, else as given. */
static void resolved(const char *path, char buf[PATH_MAX])
{
	if (!realpath(path, buf))
		snprintf(buf, PATH_MAX, "%s", path);
}

int vigil_image_dir_check(const char *dir, const char *const *private, size_t n_private, char *err,
			  size_t len)
{
	char real[PATH_MAX], other[PATH_MAX];
	struct stat st;

	if (!vigil_path_normalized(dir))
		return vigil_invalid(err, len,
				     "--image-dir %s: must be an absolute, normalized path", dir);
	if (stat(dir, &st) < 0)
		return vigil_invalid(err, len, "--image-dir %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vigil_invalid(err, len, "--image-dir %s: not a directory", dir);
	resolved(dir, real);
	if (strcmp(real, "/") == 0)
		return vigil_invalid(err, len, "--image-dir %s: is the root directory", dir);
	for (size_t i = 0; i < sizeof(kernel_dirs) / sizeof(*kernel_dirs); i++) {
		if (vigil_path_within(real, kernel_dirs[i]))
			return vigil_invalid(err, len, "--image-dir %s: is in %s", dir,
					     kernel_dirs[i]);
	}
	for (size_t i = 0; i < n_private; i++) {
		resolved(private[i], other);
		if (vigil_paths_overlap(real, other))
			return vigil_invalid(err, len,
					     "--image-dir %s: overlaps vigil's own %s, which no "
					     "workload may see",
					     dir, private[i]);
	}
	return 0;
}

int vigil_jail_path_open(const char *const *dirs, size_t n_dirs, const char *path, int *ret_fd)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	for (size_t i = 0; i < n_dirs; i++) {
		const char *rel;
		int dfd, fd;

		if (!vigil_path_within(path, dirs[i]))
			continue;
		rel = path + strlen(dirs[i]);
		rel += strspn(rel, "/");
		dfd = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		fd = *rel ? (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how)) : dfd;
		if (fd < 0) {
			int err = -errno;

			close(dfd);
			return err;
		}
		if (fd != dfd)
			close(dfd);
		*ret_fd = fd;
		return 0;
	}
	return -EACCES;
}
