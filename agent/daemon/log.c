// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

int vigild_log_level = LOG_INFO;

/* journald's native socket, when stderr is a journal stream; -1 otherwise */
static int journal_fd = -1;

static const struct {
	const char *name;
	int priority;
} levels[] = {
	{ "err", LOG_ERR },   { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
	{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
};

int vigild_log_level_parse(const char *name, int *ret)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*ret = levels[i].priority;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connects to a service's stdout and stderr; a program whose stderr is
 * still that stream may speak the native protocol instead (systemd.exec(5)).
 */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void vigild_log_open(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int fd;

	if (!stderr_is_journal())
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return;
	}
	journal_fd = fd;
}

/* A field in the native protocol's binary form: NAME\n, its length (64-bit LE), the bytes, \n. */
static void binary_field(struct iovec *iov, const char *name, uint64_t *le_len, const char *value)
{
	uint64_t len = strlen(value);

	*le_len = htole64(len);
	iov[0] = (struct iovec){ (void *)name, strlen(name) };
	iov[1] = (struct iovec){ le_len, sizeof(*le_len) };
	iov[2] = (struct iovec){ (void *)value, len };
	iov[3] = (struct iovec){ "\n", 1 };
}

/* One journal entry; false when journald did not take it (the line goes to stderr then). */
static bool journal_send(int priority, const char *workload, const char *msg)
{
	char head[64];
	uint64_t len_msg, len_wl;
	struct iovec iov[9];
	size_t n = 1;

	snprintf(head, sizeof(head), "PRIORITY=%d\nSYSLOG_IDENTIFIER=vigild\n", priority);
	iov[0] = (struct iovec){ head, strlen(head) };
	binary_field(&iov[n], "MESSAGE\n", &len_msg, msg);
	n += 4;
	if (workload) {
		binary_field(&iov[n], "VIGIL_WORKLOAD\n", &len_wl, workload);
		n += 4;
	}
	return writev(journal_fd, iov, (int)n) >= 0;
}

static void stderr_lines(int priority, const char *msg)
{
	char line[4200];
	const char *p = msg;
	int n;

	/* one write per line: lines of the HTTP threads and the loop never interleave */
	do {
		size_t len = strcspn(p, "\n");

		n = snprintf(line, sizeof(line), "<%d>vigild: %.*s\n", priority, (int)len, p);
		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
			return;
		p += len;
		if (*p == '\n')
			p++;
	} while (*p);
}

static void log_message(int priority, const char *workload, bool prefix, const char *fmt,
			va_list ap)
{
	char msg[4096];
	int used = 0;

	if (workload && prefix)
		used = snprintf(msg, sizeof(msg), "workload \"%s\": ", workload);
	vsnprintf(msg + used, sizeof(msg) - (size_t)used, fmt, ap);
	if (journal_fd >= 0 && journal_send(priority, workload, msg))
		return;
	stderr_lines(priority, msg);
}

void vlog(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority > vigild_log_level)
		return;
	va_start(ap, fmt);
	log_message(priority, NULL, false, fmt, ap);
	va_end(ap);
}

void vlog_wl(int priority, const char *id, const char *fmt, ...)
{
	va_list ap;

	if (priority > vigild_log_level)
		return;
	va_start(ap, fmt);
	log_message(priority, id, true, fmt, ap);
	va_end(ap);
}

void vlog_about(int priority, const char *id, const char *fmt, ...)
{
	va_list ap;

	if (priority > vigild_log_level)
		return;
	va_start(ap, fmt);
	log_message(priority, id, false, fmt, ap);
	va_end(ap);
}
