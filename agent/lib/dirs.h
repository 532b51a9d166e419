/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DIRS_H
#define VIGIL_DIRS_H

/* Creates the directory that holds `path` (mode 0755), one level; 0 if it exists. */
int vigil_mkdir_parent(const char *path);

#endif
