/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DURABLE_FILE_H
#define VIGIL_DURABLE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replaces `path` with `len` bytes of `data` so that a crash leaves the old
 * file or the new one, never a mix: they are written to `tmp` (created with
 * `mode`; a stale one from an earlier crash is replaced), synced, renamed
 * over `path`, and the directory is synced. On failure `tmp` is removed.
 */
int vigil_file_replace(const char *path, const char *tmp, const void *data, size_t len,
		       mode_t mode);

/* Writes all `len` bytes of `buf` to `fd`, through short writes and EINTR. */
int vigil_write_all(int fd, const void *buf, size_t len);
/* Syncs the directory `dir`, making renames and unlinks in it durable. */
int vigil_fsync_dir(const char *dir);

#endif
