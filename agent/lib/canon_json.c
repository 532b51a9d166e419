// SPDX-License-Identifier: GPL-2.0-or-later
#include "canon_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void cj_reset(struct cj_buf *b)
{
	b->len = 0;
	b->err = 0;
}

void cj_free(struct cj_buf *b)
{
	free(b->p);
	*b = (struct cj_buf){ 0 };
}

static bool cj_reserve(struct cj_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->err)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void cj_raw(struct cj_buf *b, const char *s, size_t len)
{
	if (!cj_reserve(b, len))
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void cj_lit(struct cj_buf *b, const char *s)
{
	cj_raw(b, s, strlen(s));
}

void cj_u64(struct cj_buf *b, uint64_t v)
{
	char tmp[VIGIL_U64_DIGITS], *p = vigil_u64_digits(v, tmp);

	cj_raw(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void cj_string(struct cj_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[6];

	cj_raw(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		cj_raw(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			n = 6;
		}
		cj_raw(b, esc, n);
	}
	cj_raw(b, run, (size_t)(s - run));
	cj_raw(b, "\"", 1);
}

void cj_hex(struct cj_buf *b, const uint8_t *bin, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (!cj_reserve(b, 2 * len + 2))
		return;
	b->p[b->len++] = '"';
	for (size_t i = 0; i < len; i++) {
		b->p[b->len++] = hex[bin[i] >> 4];
		b->p[b->len++] = hex[bin[i] & 0xf];
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

bool cj_valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int cp, n;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			n = 3;
		} else {
			return false;
		}
		for (unsigned int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates and beyond U+10FFFF have other spellings or none */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += n + 1;
	}
	return true;
}
