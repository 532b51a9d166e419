/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_PRINT_H
#define VIGIL_CLI_PRINT_H

#include <stdbool.h>
#include <stdint.h>

#include "json_writer.h"

/*
 * One printer serves text and JSON (after iproute2's json_print): each call
 * names the JSON key and the text format of a value; PRINT_ANY emits it in
 * whichever mode is active. In JSON mode the document is buffered and only
 * written when the command finishes without error, so stdout always holds
 * exactly one valid JSON document: the result, or {"error": ...}.
 */
enum print_kind {
	PRINT_ANY,
	PRINT_JSON,
	PRINT_TEXT,
};

/* Exit statuses of the CLI. */
enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
};

extern bool json_output;

int output_init(bool json, bool pretty);
/* Flushes the document (or the error) and returns the final exit status. */
int output_finish(int status);

void print_string(enum print_kind kind, const char *key, const char *fmt, const char *value);
void print_u64(enum print_kind kind, const char *key, const char *fmt, uint64_t value);
/* JSON gets the number with `decimals` digits; text formats it with fmt. */
void print_double(enum print_kind kind, const char *key, const char *fmt, double value,
		  int decimals);
void print_s64(enum print_kind kind, const char *key, const char *fmt, int64_t value);
/* Text mode prints `text_true` or `text_false` through fmt. */
void print_bool(enum print_kind kind, const char *key, const char *fmt, bool value,
		const char *text_true, const char *text_false);
void print_null(const char *key);
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The writer of the JSON document in JSON mode (NULL in text mode), for nested values. */
struct json_writer *print_json_writer(void);

void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);

/* Help text: stdout in text mode, {"help": "..."} in JSON mode. */
void print_help(const char *text);

/* Records an error: "Error: ..." on stderr, or the JSON error document. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error with a hint: "Try '...'" in text, "hint" in JSON. */
void p_err_hint(const char *hint, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error with a hint naming the help command; returns CLI_USAGE. */
int p_usage(const char *help_cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Diagnostics that are not the result: stderr in both modes. */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
