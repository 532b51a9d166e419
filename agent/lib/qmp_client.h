/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of QEMU's machine protocol (QMP), as much of it as asking
 * a VMM to power its guest down takes: the greeting, "qmp_capabilities",
 * one command, each answer awaited in turn; events in between are skipped.
 * No I/O here (the daemon does it without blocking): what the VMM sends goes
 * in, what to send it comes out.
 *
 * The VMM is untrusted, so what it sends is hostile input: one JSON object
 * per line (QEMU's framing, "\r\n" or "\n"), each line valid UTF-8 without a
 * NUL and at most VIGIL_QMP_LINE_MAX bytes, at most VIGIL_QMP_BYTES_MAX bytes
 * and VIGIL_QMP_MESSAGES_MAX messages in all; anything else ends the
 * exchange with a reason that quotes nothing raw.
 */
#ifndef VIGIL_QMP_CLIENT_H
#define VIGIL_QMP_CLIENT_H

#include <stddef.h>

#define VIGIL_QMP_LINE_MAX     4096
#define VIGIL_QMP_BYTES_MAX    65536
#define VIGIL_QMP_MESSAGES_MAX 64

enum vigil_qmp_step {
	VIGIL_QMP_GREETING,	/* waiting for {"QMP": {...}} */
	VIGIL_QMP_CAPABILITIES, /* qmp_capabilities sent, waiting for its return */
	VIGIL_QMP_COMMAND,	/* the command sent, waiting for its return */
	VIGIL_QMP_DONE,		/* the VMM accepted the command */
	VIGIL_QMP_FAILED,
};

struct vigil_qmp {
	enum vigil_qmp_step step;
	/* e.g. "system_powerdown": a QMP command without arguments */
	const char *command;
	char line[VIGIL_QMP_LINE_MAX];
	size_t line_len;
	char out[96];
	size_t out_len, out_sent;
	size_t bytes, messages;
	/* why it failed, escaped: safe to log */
	char err[192];
};

/* Starts an exchange that sends `command` (a static string) once QMP is ready. */
void vigil_qmp_init(struct vigil_qmp *q, const char *command);
/*
 * Takes `n` bytes the VMM sent: 1 once the command was accepted (the rest is
 * ignored), 0 while more is awaited, -EPROTO when the VMM broke the protocol
 * or a bound, with q->err saying how.
 */
int vigil_qmp_feed(struct vigil_qmp *q, const void *buf, size_t n);
/* What to send the VMM now (*n is 0 when nothing); vigil_qmp_sent() says how much went. */
const char *vigil_qmp_output(const struct vigil_qmp *q, size_t *n);
void vigil_qmp_sent(struct vigil_qmp *q, size_t n);
/* Ends it as failed for a reason of the caller's (the socket, a deadline); -EPROTO. */
int vigil_qmp_fail(struct vigil_qmp *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
