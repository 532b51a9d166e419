/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_ERRMSG_H
#define VIGIL_ERRMSG_H

#include <stddef.h>

/* Writes why an input is refused into err, for the caller to show; returns -EINVAL. */
int vigil_invalid(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same for any failure: writes why into err and returns `ret` (a negative errno). */
int vigil_fail(int ret, char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * `in`, safe to print as one log line and to send as a JSON string: control
 * characters, backslashes and bytes that are not UTF-8 become \xNN (a
 * backslash \\), cut at a character boundary to fit `len`. Returns `out`.
 */
char *vigil_escape(const char *in, char *out, size_t len);

#endif
