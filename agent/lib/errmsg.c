// SPDX-License-Identifier: GPL-2.0-or-later
#include "errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int vigil_invalid(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
