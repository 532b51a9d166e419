// SPDX-License-Identifier: GPL-2.0-or-later
#include "json_writer.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum jw_frame {
	FRAME_OBJECT,
	FRAME_ARRAY,
};

struct json_writer {
	FILE *out;
	bool pretty;
	int err;
	unsigned int depth;
	bool root_done;
	/* an object member name was written and its value is due */
	bool name_pending;
	enum jw_frame frame[JW_MAX_DEPTH];
	bool has_members[JW_MAX_DEPTH];
};

struct json_writer *jw_new(FILE *out, bool pretty)
{
	struct json_writer *jw = calloc(1, sizeof(*jw));

	if (!jw)
		return NULL;
	jw->out = out;
	jw->pretty = pretty;
	return jw;
}

void jw_free(struct json_writer *jw)
{
	free(jw);
}

int jw_finish(struct json_writer *jw)
{
	if (jw->err)
		return jw->err;
	if (jw->depth || !jw->root_done || jw->name_pending)
		return -EPROTO;
	if (jw->pretty)
		fputc('\n', jw->out);
	return ferror(jw->out) ? -EIO : 0;
}

static void fail(struct json_writer *jw, int err)
{
	if (!jw->err)
		jw->err = err;
}

static void newline_indent(struct json_writer *jw)
{
	if (!jw->pretty)
		return;
	fputc('\n', jw->out);
	for (unsigned int i = 0; i < jw->depth; i++)
		fputs("  ", jw->out);
}

/* Separators and checks before any value (scalar or container). */
static bool begin_value(struct json_writer *jw)
{
	if (jw->err)
		return false;
	if (jw->depth == 0) {
		if (jw->root_done) {
			fail(jw, -EPROTO);
			return false;
		}
		return true;
	}
	if (jw->frame[jw->depth - 1] == FRAME_OBJECT) {
		if (!jw->name_pending) {
			fail(jw, -EPROTO);
			return false;
		}
		jw->name_pending = false;
		return true;
	}
	if (jw->has_members[jw->depth - 1])
		fputc(',', jw->out);
	jw->has_members[jw->depth - 1] = true;
	newline_indent(jw);
	return true;
}

static void end_value(struct json_writer *jw)
{
	if (jw->depth == 0)
		jw->root_done = true;
}

static void start_container(struct json_writer *jw, enum jw_frame frame, char open)
{
	if (!begin_value(jw))
		return;
	if (jw->depth == JW_MAX_DEPTH) {
		fail(jw, -E2BIG);
		return;
	}
	fputc(open, jw->out);
	jw->frame[jw->depth] = frame;
	jw->has_members[jw->depth] = false;
	jw->depth++;
}

static void end_container(struct json_writer *jw, enum jw_frame frame, char close)
{
	if (jw->err)
		return;
	if (jw->depth == 0 || jw->frame[jw->depth - 1] != frame || jw->name_pending) {
		fail(jw, -EPROTO);
		return;
	}
	jw->depth--;
	if (jw->has_members[jw->depth])
		newline_indent(jw);
	fputc(close, jw->out);
	end_value(jw);
}

void jw_start_object(struct json_writer *jw)
{
	start_container(jw, FRAME_OBJECT, '{');
}

void jw_end_object(struct json_writer *jw)
{
	end_container(jw, FRAME_OBJECT, '}');
}

void jw_start_array(struct json_writer *jw)
{
	start_container(jw, FRAME_ARRAY, '[');
}

void jw_end_array(struct json_writer *jw)
{
	end_container(jw, FRAME_ARRAY, ']');
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f;
}

void jw_escape(FILE *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t run = i, seq;

		/* plain ASCII goes out in one write */
		while (run < len && !needs_escape(s[run]))
			run++;
		if (run > i) {
			fwrite_unlocked(s + i, 1, run - i, out);
			i = run;
			continue;
		}
		switch (c) {
		case '"':
			fputs_unlocked("\\\"", out);
			break;
		case '\\':
			fputs_unlocked("\\\\", out);
			break;
		case '\b':
			fputs_unlocked("\\b", out);
			break;
		case '\f':
			fputs_unlocked("\\f", out);
			break;
		case '\n':
			fputs_unlocked("\\n", out);
			break;
		case '\r':
			fputs_unlocked("\\r", out);
			break;
		case '\t':
			fputs_unlocked("\\t", out);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(out, "\\u%04x", c);
				break;
			}
			seq = vigil_utf8_len(s + i, len - i);
			if (seq == 0) {
				fputs_unlocked("\\ufffd", out);
				break;
			}
			fwrite_unlocked(s + i, 1, seq, out);
			i += seq;
			continue;
		}
		i++;
	}
}

/* Decimal digits of v, without printf's format parsing. */
static void write_u64(FILE *out, uint64_t v)
{
	char buf[20];
	size_t n = sizeof(buf);

	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(buf + n, 1, sizeof(buf) - n, out);
}

static void write_quoted(struct json_writer *jw, const char *s, size_t len)
{
	fputc('"', jw->out);
	jw_escape(jw->out, s, len);
	fputc('"', jw->out);
}

void jw_name(struct json_writer *jw, const char *name)
{
	if (jw->err)
		return;
	if (jw->depth == 0 || jw->frame[jw->depth - 1] != FRAME_OBJECT || jw->name_pending) {
		fail(jw, -EPROTO);
		return;
	}
	if (jw->has_members[jw->depth - 1])
		fputc(',', jw->out);
	jw->has_members[jw->depth - 1] = true;
	newline_indent(jw);
	write_quoted(jw, name, strlen(name));
	fputs(jw->pretty ? ": " : ":", jw->out);
	jw->name_pending = true;
}

void jw_string_len(struct json_writer *jw, const char *value, size_t len)
{
	if (!begin_value(jw))
		return;
	write_quoted(jw, value, len);
	end_value(jw);
}

void jw_string(struct json_writer *jw, const char *value)
{
	if (!value) {
		jw_null(jw);
		return;
	}
	jw_string_len(jw, value, strlen(value));
}

void jw_u64(struct json_writer *jw, uint64_t value)
{
	if (!begin_value(jw))
		return;
	write_u64(jw->out, value);
	end_value(jw);
}

void jw_double(struct json_writer *jw, double value, int decimals)
{
	if (!isfinite(value)) {
		jw_null(jw);
		return;
	}
	if (!begin_value(jw))
		return;
	fprintf(jw->out, "%.*f", decimals, value);
	end_value(jw);
}

void jw_s64(struct json_writer *jw, int64_t value)
{
	if (!begin_value(jw))
		return;
	if (value < 0) {
		fputc_unlocked('-', jw->out);
		write_u64(jw->out, -(uint64_t)value);
	} else {
		write_u64(jw->out, (uint64_t)value);
	}
	end_value(jw);
}

void jw_bool(struct json_writer *jw, bool value)
{
	if (!begin_value(jw))
		return;
	fputs(value ? "true" : "false", jw->out);
	end_value(jw);
}

void jw_null(struct json_writer *jw)
{
	if (!begin_value(jw))
		return;
	fputs("null", jw->out);
	end_value(jw);
}

void jw_string_field(struct json_writer *jw, const char *name, const char *value)
{
	jw_name(jw, name);
	jw_string(jw, value);
}

void jw_u64_field(struct json_writer *jw, const char *name, uint64_t value)
{
	jw_name(jw, name);
	jw_u64(jw, value);
}

void jw_s64_field(struct json_writer *jw, const char *name, int64_t value)
{
	jw_name(jw, name);
	jw_s64(jw, value);
}

void jw_bool_field(struct json_writer *jw, const char *name, bool value)
{
	jw_name(jw, name);
	jw_bool(jw, value);
}
