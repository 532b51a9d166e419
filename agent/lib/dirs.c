// SPDX-License-Identifier: GPL-2.0-or-later
#include "dirs.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

int vigil_mkdir_parent(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	if (mkdir(dirname(buf), 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
