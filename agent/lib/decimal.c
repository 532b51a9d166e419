// SPDX-License-Identifier: GPL-2.0-or-later
#include "decimal.h"

#include <errno.h>
#include <stdlib.h>

int vigil_parse_decimal(const char *text, unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	/* strtoul takes leading space and a sign, and wraps "-1" around */
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}
