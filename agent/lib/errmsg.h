/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_ERRMSG_H
#define VIGIL_ERRMSG_H

#include <stddef.h>

/* Writes why an input is refused into err, for the caller to show; returns -EINVAL. */
int vigil_invalid(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
