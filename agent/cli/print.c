// SPDX-License-Identifier: GPL-2.0-or-later
#include "print.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool json_output;

static struct {
	bool pretty;
	FILE *buf;
	char *mem;
	size_t len;
	struct json_writer *jw;
	char *error;
	char *hint;
} out;

int output_init(bool json, bool pretty)
{
	json_output = json;
	out.pretty = pretty;
	if (!json)
		return 0;
	out.buf = open_memstream(&out.mem, &out.len);
	if (!out.buf)
		return -errno;
	out.jw = jw_new(out.buf, pretty);
	if (!out.jw) {
		fclose(out.buf);
		out.buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void write_error_document(void)
{
	struct json_writer *jw = jw_new(stdout, out.pretty);

	if (!jw)
		return;
	jw_start_object(jw);
	jw_string_field(jw, "error", out.error);
	if (out.hint)
		jw_string_field(jw, "hint", out.hint);
	jw_end_object(jw);
	if (jw_finish(jw) == 0 && !out.pretty)
		fputc('\n', stdout);
	jw_free(jw);
}

int output_finish(int status)
{
	if (json_output) {
		int err = 0;

		if (!out.error) {
			err = jw_finish(out.jw);
			if (err == -EPROTO && status == CLI_OK)
				p_err("internal error: command produced incomplete JSON");
			else if (err == -EPROTO)
				p_err("command failed without producing a result");
		}
		fclose(out.buf);
		out.buf = NULL;
		if (out.error) {
			write_error_document();
			if (status == CLI_OK)
				status = CLI_FAIL;
		} else {
			fwrite(out.mem, 1, out.len, stdout);
			if (!out.pretty)
				fputc('\n', stdout);
		}
		jw_free(out.jw);
		out.jw = NULL;
		free(out.mem);
		out.mem = NULL;
	} else if (out.error && status == CLI_OK) {
		status = CLI_FAIL;
	}
	free(out.error);
	free(out.hint);
	out.error = out.hint = NULL;
	if (fflush(stdout) && status == CLI_OK)
		status = CLI_FAIL;
	return status;
}

static bool emit_json(enum print_kind kind)
{
	return json_output && kind != PRINT_TEXT;
}

static bool emit_text(enum print_kind kind)
{
	return !json_output && kind != PRINT_JSON;
}

/* Format strings come from the callers' literals, never from data. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void print_string(enum print_kind kind, const char *key, const char *fmt, const char *value)
{
	if (emit_json(kind)) {
		if (key)
			jw_name(out.jw, key);
		jw_string(out.jw, value);
	} else if (emit_text(kind) && fmt) {
		printf(fmt, value ? value : "");
	}
}

void print_u64(enum print_kind kind, const char *key, const char *fmt, uint64_t value)
{
	if (emit_json(kind)) {
		if (key)
			jw_name(out.jw, key);
		jw_u64(out.jw, value);
	} else if (emit_text(kind) && fmt) {
		printf(fmt, value);
	}
}

void print_double(enum print_kind kind, const char *key, const char *fmt, double value,
		  int decimals)
{
	if (emit_json(kind)) {
		if (key)
			jw_name(out.jw, key);
		jw_double(out.jw, value, decimals);
	} else if (emit_text(kind) && fmt) {
		printf(fmt, value);
	}
}

void print_s64(enum print_kind kind, const char *key, const char *fmt, int64_t value)
{
	if (emit_json(kind)) {
		if (key)
			jw_name(out.jw, key);
		jw_s64(out.jw, value);
	} else if (emit_text(kind) && fmt) {
		printf(fmt, value);
	}
}

void print_bool(enum print_kind kind, const char *key, const char *fmt, bool value,
		const char *text_true, const char *text_false)
{
	if (emit_json(kind)) {
		if (key)
			jw_name(out.jw, key);
		jw_bool(out.jw, value);
	} else if (emit_text(kind) && fmt) {
		printf(fmt, value ? text_true : text_false);
	}
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (json_output)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

#pragma GCC diagnostic pop

void print_null(const char *key)
{
	if (!json_output)
		return;
	if (key)
		jw_name(out.jw, key);
	jw_null(out.jw);
}

struct json_writer *print_json_writer(void)
{
	return json_output ? out.jw : NULL;
}

void open_json_object(const char *key)
{
	if (!json_output)
		return;
	if (key)
		jw_name(out.jw, key);
	jw_start_object(out.jw);
}

void close_json_object(void)
{
	if (json_output)
		jw_end_object(out.jw);
}

void open_json_array(const char *key)
{
	if (!json_output)
		return;
	if (key)
		jw_name(out.jw, key);
	jw_start_array(out.jw);
}

void close_json_array(void)
{
	if (json_output)
		jw_end_array(out.jw);
}

void print_help(const char *text)
{
	if (json_output) {
		jw_start_object(out.jw);
		jw_string_field(out.jw, "help", text);
		jw_end_object(out.jw);
	} else {
		fputs(text, stdout);
	}
}

static void record_error(const char *hint, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!json_output) {
		fprintf(stderr, "Error: %s\n", msg ? msg : fmt);
		if (hint)
			fprintf(stderr, "Try '%s'.\n", hint);
	}
	/* The first error is the cause; later ones are consequences. */
	if (out.error) {
		free(msg);
		return;
	}
	out.error = msg ? msg : strdup(fmt);
	out.hint = hint ? strdup(hint) : NULL;
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_error(NULL, fmt, ap);
	va_end(ap);
}

void p_err_hint(const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_error(hint, fmt, ap);
	va_end(ap);
}

int p_usage(const char *help_cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_error(help_cmd, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
