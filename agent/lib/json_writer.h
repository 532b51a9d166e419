/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JSON_WRITER_H
#define VIGIL_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A streaming JSON writer. Strings are escaped so that the output is always
 * valid JSON: control characters become \uXXXX escapes and bytes that are not
 * well-formed UTF-8 become U+FFFD. Misuse (a value where a name is due,
 * unbalanced nesting) is recorded and reported by jw_finish() instead of
 * producing a broken document.
 */
struct json_writer;

#define JW_MAX_DEPTH 64

struct json_writer *jw_new(FILE *out, bool pretty);
/* Checks the document is complete; returns 0 or a negative errno. */
int jw_finish(struct json_writer *jw);
void jw_free(struct json_writer *jw);

void jw_start_object(struct json_writer *jw);
void jw_end_object(struct json_writer *jw);
void jw_start_array(struct json_writer *jw);
void jw_end_array(struct json_writer *jw);

void jw_name(struct json_writer *jw, const char *name);
void jw_string(struct json_writer *jw, const char *value);
void jw_string_len(struct json_writer *jw, const char *value, size_t len);
void jw_u64(struct json_writer *jw, uint64_t value);
void jw_s64(struct json_writer *jw, int64_t value);
/* finite values with `decimals` digits after the point; null otherwise (JSON has no NaN) */
void jw_double(struct json_writer *jw, double value, int decimals);
void jw_bool(struct json_writer *jw, bool value);
void jw_null(struct json_writer *jw);

/* name + value in one call */
void jw_string_field(struct json_writer *jw, const char *name, const char *value);
void jw_u64_field(struct json_writer *jw, const char *name, uint64_t value);
void jw_s64_field(struct json_writer *jw, const char *name, int64_t value);
void jw_bool_field(struct json_writer *jw, const char *name, bool value);

/* Writes `in` as the body of a JSON string (no quotes) to `out`. */
void jw_escape(FILE *out, const char *in, size_t len);

#endif
