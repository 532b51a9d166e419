// SPDX-License-Identifier: GPL-2.0-or-later
#include "mountinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

static int parse_line(char *line, struct vigil_mount *m)
{
	char *saveptr = NULL;
	char *field;
	int index = 0;
	bool after_separator = false;

	for (field = strtok_r(line, " \n", &saveptr); field;
	     field = strtok_r(NULL, " \n", &saveptr), index++) {
		if (index == 4) {
			unescape_octal(field);
			snprintf(m->target, sizeof(m->target), "%s", field);
		} else if (index > 5 && !after_separator && strcmp(field, "-") == 0) {
			after_separator = true;
		} else if (after_separator) {
			snprintf(m->fstype, sizeof(m->fstype), "%s", field);
			return 0;
		}
	}
	return -EINVAL;
}

int vigil_mountinfo_foreach(int (*fn)(const struct vigil_mount *m, void *arg), void *arg)
{
	struct vigil_mount *m;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int ret = 0;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	m = malloc(sizeof(*m));
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while (getline(&line, &cap, f) > 0) {
		if (parse_line(line, m) < 0)
			continue;
		ret = fn(m, arg);
		if (ret)
			break;
	}
	free(line);
	free(m);
	fclose(f);
	return ret;
}

struct find_args {
	const char *fstype;
	const char *target;
	char *ret_target;
	size_t len;
};

static int match_mount(const struct vigil_mount *m, void *arg)
{
	struct find_args *a = arg;

	if (strcmp(m->fstype, a->fstype) != 0)
		return 0;
	if (a->target && strcmp(m->target, a->target) != 0)
		return 0;
	if (a->ret_target)
		snprintf(a->ret_target, a->len, "%s", m->target);
	return 1;
}

int vigil_mount_find(const char *fstype, const char *target, char *ret_target, size_t len)
{
	struct find_args a = { fstype, target, ret_target, len };
	int ret = vigil_mountinfo_foreach(match_mount, &a);

	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -ENOENT;
}
