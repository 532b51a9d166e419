// SPDX-License-Identifier: GPL-2.0-or-later
#include "bpf_log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Enough for the tail of a verifier log; older text is shifted out. */
static char captured[16384];
static size_t captured_len;
static vigil_bpf_log_sink log_sink;

static void append(const char *msg, size_t len)
{
	if (len >= sizeof(captured)) {
		msg += len - (sizeof(captured) - 1);
		len = sizeof(captured) - 1;
	}
	if (captured_len + len >= sizeof(captured)) {
		size_t drop = captured_len + len - (sizeof(captured) - 1);

		memmove(captured, captured + drop, captured_len - drop);
		captured_len -= drop;
	}
	memcpy(captured + captured_len, msg, len);
	captured_len += len;
	captured[captured_len] = '\0';
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[4096];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return n;
	if (log_sink)
		log_sink(msg);
	if (level != LIBBPF_DEBUG)
		append(msg, strlen(msg));
	return n;
}

void vigil_bpf_log_install(vigil_bpf_log_sink sink)
{
	log_sink = sink;
	libbpf_set_print(libbpf_print);
}

void vigil_bpf_log_clear(void)
{
	captured_len = 0;
	captured[0] = '\0';
}

const char *vigil_bpf_log_first(char *buf, size_t len)
{
	static const char prefix[] = "libbpf: ";
	const char *line = captured;

	if (strncmp(line, prefix, sizeof(prefix) - 1) == 0)
		line += sizeof(prefix) - 1;
	snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
	return buf;
}

const char *vigil_bpf_log_tail(char *buf, size_t len, unsigned int lines)
{
	size_t end = captured_len;
	size_t start;
	unsigned int seen = 0;

	if (!len)
		return buf;
	while (end > 0 && captured[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0) {
		if (captured[start - 1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	snprintf(buf, len, "%.*s", (int)(end - start), captured + start);
	return buf;
}
