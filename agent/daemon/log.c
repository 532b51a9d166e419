// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int vigild_log_level = LOG_INFO;

static const struct {
	const char *name;
	int priority;
} levels[] = {
	{ "err", LOG_ERR },   { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
	{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
};

int vigild_log_level_parse(const char *name, int *ret)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*ret = levels[i].priority;
			return 0;
		}
	}
	return -EINVAL;
}

void vlog(int priority, const char *fmt, ...)
{
	char msg[4096], line[4200];
	const char *p = msg;
	va_list ap;
	int n;

	if (priority > vigild_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one write per line: lines of the HTTP threads and the loop never interleave */
	do {
		size_t len = strcspn(p, "\n");

		n = snprintf(line, sizeof(line), "<%d>vigild: %.*s\n", priority, (int)len, p);
		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
			return;
		p += len;
		if (*p == '\n')
			p++;
	} while (*p);
}
