// SPDX-License-Identifier: GPL-2.0-or-later
#include "errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int vigil_invalid(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vigil_fail(int ret, char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

char *vigil_escape(const char *in, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t used = 0, n, avail = strlen(in);
	char esc[5];

	if (!len)
		return out;
	for (size_t i = 0; i < avail; i += n) {
		n = vigil_utf8_len(s + i, avail - i);
		if (n && s[i] >= 0x20 && s[i] != 0x7f && s[i] != '\\') {
			if (used + n >= len)
				break;
			memcpy(out + used, s + i, n);
			used += n;
			continue;
		}
		if (s[i] == '\\')
			snprintf(esc, sizeof(esc), "\\\\");
		else
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		if (used + strlen(esc) >= len)
			break;
		memcpy(out + used, esc, strlen(esc));
		used += strlen(esc);
		n = 1;
	}
	out[used] = '\0';
	return out;
}
