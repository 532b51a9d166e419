// SPDX-License-Identifier: GPL-2.0-or-later
#include "json_doc.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "utf8.h"

static void line_and_column(const char *text, size_t offset, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int refuse_at(const char *text, size_t offset, const char *what, char *err, size_t err_len)
{
	size_t line, col;

	line_and_column(text, offset, &line, &col);
	snprintf(err, err_len, "%s at line %zu, column %zu (offset %zu)", what, line, col, offset);
	return -EINVAL;
}

static int check_bytes(const char *text, size_t len, char *err, size_t err_len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if (s[i] == '\0')
			return refuse_at(text, i, "a NUL byte", err, err_len);
		n = vigil_utf8_len(s + i, len - i);
		if (!n)
			return refuse_at(text, i, "invalid UTF-8", err, err_len);
	}
	return 0;
}

/*
 * Where the text spells a NUL character (\u0000) inside a string, or -1.
 * For keys: json-c keeps them as C strings, cut at the NUL, so only the
 * text shows it.
 */
static ssize_t escaped_nul_offset(const char *text, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = text[i] == '"';
		} else if (text[i] == '"') {
			in_string = false;
		} else if (text[i] == '\\') {
			if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
				return (ssize_t)i;
			i++; /* the escaped character */
		}
	}
	return -1;
}

/* The first string under `obj` that holds a NUL character; its path in `path`. */
static bool find_nul(struct json_object *obj, char *path, size_t len)
{
	size_t used = strlen(path);

	switch (json_object_get_type(obj)) {
	case json_type_string:
		return strlen(json_object_get_string(obj)) !=
		       (size_t)json_object_get_string_len(obj);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(obj); i++) {
			snprintf(path + used, len - used, "[%zu]", i);
			if (find_nul(json_object_array_get_idx(obj, i), path, len))
				return true;
		}
		break;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(obj);
		struct json_object_iterator end = json_object_iter_end(obj);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *key = json_object_iter_peek_name(&it);

			snprintf(path + used, len - used, "%s%s", used ? "." : "", key);
			if (find_nul(json_object_iter_peek_value(&it), path, len))
				return true;
		}
		break;
	}
	default:
		break;
	}
	path[used] = '\0';
	return false;
}

int vigil_json_parse_len(const char *text, size_t len, struct json_object **ret, char *err,
			 size_t err_len)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct json_object *obj;
	char path[256] = "";
	ssize_t nul;
	size_t end;
	int r;

	r = check_bytes(text, len, err, err_len);
	if (r < 0)
		return r;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* json-c stops after one value: anything but blanks after it is an error too */
	if (obj && jerr == json_tokener_success) {
		while (end < len && isspace((unsigned char)text[end]))
			end++;
		if (end < len)
			jerr = json_tokener_error_parse_unexpected;
	} else if (jerr == json_tokener_continue) {
		jerr = json_tokener_error_parse_eof;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		size_t line, col;

		json_object_put(obj);
		end = end < len ? end : len;
		line_and_column(text, end, &line, &col);
		snprintf(err, err_len, "malformed JSON at line %zu, column %zu (offset %zu): %s",
			 line, col, end, json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	if (find_nul(obj, path, sizeof(path))) {
		json_object_put(obj);
		snprintf(err, err_len, "%s holds a NUL character (U+0000)",
			 path[0] ? path : "the document");
		return -EINVAL;
	}
	nul = escaped_nul_offset(text, len);
	if (nul >= 0) {
		json_object_put(obj);
		return refuse_at(text, (size_t)nul, "a key holds a NUL character (U+0000)", err,
				 err_len);
	}
	*ret = obj;
	return 0;
}

int vigil_json_parse(const char *text, struct json_object **ret, char *err, size_t err_len)
{
	return vigil_json_parse_len(text, strlen(text), ret, err, err_len);
}
