/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_UTF8_H
#define VIGIL_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at `s` (RFC 3629), 0 if malformed. */
size_t vigil_utf8_len(const unsigned char *s, size_t avail);

#endif
