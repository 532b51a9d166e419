// SPDX-License-Identifier: GPL-2.0-or-later
#include "strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void vigil_strbuf_init(struct vigil_strbuf *b)
{
	*b = (struct vigil_strbuf){ 0 };
}

void vigil_strbuf_free(struct vigil_strbuf *b)
{
	free(b->data);
	vigil_strbuf_init(b);
}

char *vigil_strbuf_steal(struct vigil_strbuf *b, size_t *ret_len)
{
	char *data = b->data;

	if (ret_len)
		*ret_len = b->len;
	vigil_strbuf_init(b);
	return data;
}

void vigil_strbuf_reset(struct vigil_strbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data)
		b->data[0] = '\0';
}

void vigil_strbuf_truncate(struct vigil_strbuf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

int vigil_strbuf_reserve(struct vigil_strbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *data;

	if (b->err)
		return b->err;
	if (b->len + n < b->cap)
		return 0;
	while (cap <= b->len + n) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return b->err;
		}
		cap *= 2;
	}
	data = realloc(b->data, cap);
	if (!data) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = data;
	b->cap = cap;
	return 0;
}

void vigil_strbuf_add(struct vigil_strbuf *b, const void *p, size_t n)
{
	if (vigil_strbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void vigil_strbuf_printf(struct vigil_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || vigil_strbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *vigil_u64_digits(uint64_t v, char buf[VIGIL_U64_DIGITS])
{
	char *p = buf + VIGIL_U64_DIGITS;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void vigil_strbuf_u64(struct vigil_strbuf *b, uint64_t v)
{
	char tmp[VIGIL_U64_DIGITS], *p = vigil_u64_digits(v, tmp);

	vigil_strbuf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void vigil_strbuf_fixed(struct vigil_strbuf *b, uint64_t v, unsigned int decimals)
{
	char frac[20];
	uint64_t scale = 1;
	unsigned int n = decimals;

	for (unsigned int i = 0; i < decimals; i++)
		scale *= 10;
	vigil_strbuf_u64(b, v / scale);
	v %= scale;
	/* only the significant digits of the fraction */
	while (n && v % 10 == 0) {
		v /= 10;
		n--;
	}
	if (!n)
		return;
	for (unsigned int i = n; i-- > 0; v /= 10)
		frac[i] = (char)('0' + v % 10);
	vigil_strbuf_putc(b, '.');
	vigil_strbuf_add(b, frac, n);
}
