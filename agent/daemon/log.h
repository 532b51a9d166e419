/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGILD_LOG_H
#define VIGILD_LOG_H

#include <syslog.h>

/*
 * vigild's log: stderr, each line "<PRIORITY>vigild: MESSAGE" with the
 * syslog priority journald reads from a service's stderr (LOG_ERR 3 to
 * LOG_DEBUG 7). A workload's lines begin `workload "ID":`.
 */
extern int vigild_log_level;

/* Parses err|warning|notice|info|debug; -EINVAL otherwise. */
int vigild_log_level_parse(const char *name, int *ret);
/* Logs `fmt` at `priority` unless vigild_log_level is below it; each line of it prefixed. */
void vlog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
