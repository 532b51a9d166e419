/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGILD_LOG_H
#define VIGILD_LOG_H

#include <syslog.h>

/*
 * vigild's log: stderr, each line "<PRIORITY>vigild: MESSAGE" with the
 * syslog priority journald reads from a service's stderr (LOG_ERR 3 to
 * LOG_DEBUG 7). A workload's lines begin `workload "ID":`. Run by systemd
 * with stderr to the journal, vigild sends each entry to journald's native
 * socket instead, with PRIORITY, SYSLOG_IDENTIFIER=vigild and, for a
 * workload's, VIGIL_WORKLOAD=ID (`journalctl VIGIL_WORKLOAD=relay-1`).
 */
extern int vigild_log_level;

/* Parses err|warning|notice|info|debug; -EINVAL otherwise. */
int vigild_log_level_parse(const char *name, int *ret);
/* Connects to journald when stderr is its stream (JOURNAL_STREAM); stderr otherwise. */
void vigild_log_open(void);
/* Logs `fmt` at `priority` unless vigild_log_level is below it; each line of it prefixed. */
void vlog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for workload `id` (a valid id): `workload "ID": ` first, and the journal field. */
void vlog_wl(int priority, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* With the field only, for a message that names the workload itself; `id` may be NULL. */
void vlog_about(int priority, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
