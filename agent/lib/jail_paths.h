/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JAIL_PATHS_H
#define VIGIL_JAIL_PATHS_H

#include <stddef.h>

/*
 * The host paths a jail may see beyond its standard root: only files and
 * directories under the directories the admin allowed (vigild --image-dir),
 * resolved with openat2(RESOLVE_BENEATH), so a symlink that leads out of
 * its directory is refused rather than followed.
 */

#define VIGIL_MAX_IMAGE_DIRS 16

/*
 * Whether `dir` may be an image directory: absolute and normalized, an
 * existing directory, not "/", not in /proc, /sys or /dev, and neither
 * inside nor above any of `private` (vigil's own directories: its state,
 * its socket's, its pins), compared after resolving symlinks. -EINVAL with
 * err saying why.
 */
int vigil_image_dir_check(const char *dir, const char *const *private, size_t n_private, char *err,
			  size_t len);

/*
 * Opens `path` (absolute, normalized) as an O_PATH descriptor, resolved
 * beneath the image directory of `dirs` that holds it. -EACCES when no
 * directory holds it, -EXDEV when a symlink leads out of it, another
 * negative errno from the open (-ENOENT: it does not exist).
 */
int vigil_jail_path_open(const char *const *dirs, size_t n_dirs, const char *path, int *ret_fd);

#endif
