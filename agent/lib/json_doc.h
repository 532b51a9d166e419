/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JSON_DOC_H
#define VIGIL_JSON_DOC_H

#include <json-c/json.h>
#include <stddef.h>

/*
 * Parses exactly one JSON document of `len` bytes, as every input from a
 * client (requests, specs) is taken: valid UTF-8 throughout, no NUL byte,
 * nothing but blanks after the document, and no string or key holding a
 * NUL character (\u0000), which C strings would silently cut short.
 * On failure `err` says what and where (line, column, offset, or the
 * field's path) and the return is -EINVAL.
 */
int vigil_json_parse_len(const char *text, size_t len, struct json_object **ret, char *err,
			 size_t err_len);
/* The same for a NUL-terminated text. */
int vigil_json_parse(const char *text, struct json_object **ret, char *err, size_t err_len);

#endif
