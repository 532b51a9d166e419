/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Named points in vigild's multi-step operations where the fault tests
 * (tests/priv/check_vigild_torture.c) kill it, as a power cut or an OOM
 * kill would: VIGILD_CRASH_AT=<point> in vigild's environment makes it
 * SIGKILL itself on reaching that point, and the next start must repair
 * what it left. Without the variable a point costs one comparison.
 */
#ifndef VIGIL_CRASH_POINT_H
#define VIGIL_CRASH_POINT_H

enum crash_point {
	CRASH_NONE,
	CRASH_CREATE_CGROUP,
	CRASH_CREATE_NETWORK,
	CRASH_CREATE_SLOT,
	CRASH_CREATE_RECORD,
	CRASH_START_SPAWNED,
	CRASH_START_RECORD,
	CRASH_STOP_PENDING,
	CRASH_STOP_SIGNALLED,
	CRASH_DELETE_PENDING,
	CRASH_DELETE_CGROUP,
	CRASH_DELETE_INTERFACE,
	CRASH_DELETE_RULES,
	CRASH_DELETE_RECORD,
	CRASH_EPOCH_APPENDED,
	CRASH_SUBNETS_DENIED,
	CRASH_RESTART_SCHEDULED,
	CRASH_RESTART_CANCELLED,
	CRASH_VOLUME_OPENED,
	CRASH_VOLUME_CLOSED,
	CRASH_DELETE_VOLUME,
	CRASH_POINTS,
};

/* Reads VIGILD_CRASH_AT; -EINVAL (and the names in *known) when it names no point. */
int crash_point_init(const char **known);
void crash_point(enum crash_point p);

#endif
