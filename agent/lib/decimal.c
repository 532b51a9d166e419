// SPDX-License-Identifier: GPL-2.0-or-later
#include "decimal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

int vigil_parse_fixed(const char *text, unsigned int decimals, unsigned long min, unsigned long max,
		      unsigned long *ret)
{
	unsigned long v = 0;
	unsigned int frac = 0;
	bool point = false;
	const char *p = text;

	/* digits, and at most `decimals` of them after one point: no sign, space or suffix */
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p; p++) {
		if (*p == '.' && !point && decimals && p[1] >= '0' && p[1] <= '9') {
			point = true;
			continue;
		}
		if (*p < '0' || *p > '9' || (point && frac == decimals))
			return -EINVAL;
		if (v > (ULONG_MAX - (unsigned long)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*p - '0');
		frac += point;
	}
	for (; frac < decimals; frac++) {
		if (v > ULONG_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int vigil_parse_decimal(const char *text, unsigned long min, unsigned long max, unsigned long *ret)
{
	return vigil_parse_fixed(text, 0, min, max, ret);
}
