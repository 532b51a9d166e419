/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CANON_JSON_H
#define VIGIL_CANON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Canonical JSON text, built in a growable buffer: no whitespace, integers
 * only, strings escaped the one way RFC 8785 does (\" \\ \b \f \n \r \t,
 * \u00xx for other control characters, everything else as is). The caller
 * writes keys in sorted order. An allocation failure is remembered and
 * reported once by cj_error(), so building needs no check per call.
 */
struct cj_buf {
	char *p;
	size_t len;
	size_t cap;
	int err;
};

void cj_reset(struct cj_buf *b);
void cj_free(struct cj_buf *b);
/* 0, or -ENOMEM when an append failed */
static inline int cj_error(const struct cj_buf *b)
{
	return b->err;
}

void cj_raw(struct cj_buf *b, const char *s, size_t len);
void cj_lit(struct cj_buf *b, const char *s);
void cj_u64(struct cj_buf *b, uint64_t v);
void cj_string(struct cj_buf *b, const char *s);
void cj_hex(struct cj_buf *b, const uint8_t *bin, size_t len);

/* true when `s` is well-formed UTF-8 */
bool cj_valid_utf8(const char *s);

#endif
