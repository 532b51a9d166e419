/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_STRBUF_H
#define VIGIL_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A growable, always NUL-terminated byte buffer for building responses. An
 * allocation failure is sticky: later appends do nothing and
 * vigil_strbuf_error() reports -ENOMEM, so callers check once at the end.
 */
struct vigil_strbuf {
	char *data;
	size_t len;
	size_t cap;
	int err;
};

void vigil_strbuf_init(struct vigil_strbuf *b);
void vigil_strbuf_free(struct vigil_strbuf *b);
/* Hands the bytes to the caller (free() them); the buffer is empty afterwards. */
char *vigil_strbuf_steal(struct vigil_strbuf *b, size_t *ret_len);
void vigil_strbuf_reset(struct vigil_strbuf *b);
/* Cuts the buffer back to its first len bytes (a length it had before). */
void vigil_strbuf_truncate(struct vigil_strbuf *b, size_t len);
/* Makes room for `n` more bytes; 0 or -ENOMEM. */
int vigil_strbuf_reserve(struct vigil_strbuf *b, size_t n);

void vigil_strbuf_add(struct vigil_strbuf *b, const void *p, size_t n);
void vigil_strbuf_printf(struct vigil_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vigil_strbuf_u64(struct vigil_strbuf *b, uint64_t v);
/* The decimal digits of v, written at the end of buf; returns where they begin. */
#define VIGIL_U64_DIGITS 20
char *vigil_u64_digits(uint64_t v, char buf[VIGIL_U64_DIGITS]);
/* `v` / 10^`decimals` as an exact decimal, trailing zeros of the fraction dropped. */
void vigil_strbuf_fixed(struct vigil_strbuf *b, uint64_t v, unsigned int decimals);

static inline void vigil_strbuf_puts(struct vigil_strbuf *b, const char *s)
{
	vigil_strbuf_add(b, s, strlen(s));
}

static inline void vigil_strbuf_putc(struct vigil_strbuf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return;
	}
	vigil_strbuf_add(b, &c, 1);
}

static inline int vigil_strbuf_error(const struct vigil_strbuf *b)
{
	return b->err;
}

#endif
