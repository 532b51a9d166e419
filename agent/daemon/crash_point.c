// SPDX-License-Identifier: GPL-2.0-or-later
#include "crash_point.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[CRASH_POINTS] = {
	[CRASH_CREATE_CGROUP] = "create.cgroup",
	[CRASH_CREATE_NETWORK] = "create.network",
	[CRASH_CREATE_SLOT] = "create.slot",
	[CRASH_CREATE_RECORD] = "create.record",
	[CRASH_START_SPAWNED] = "start.spawned",
	[CRASH_START_RECORD] = "start.record",
	[CRASH_STOP_PENDING] = "stop.pending",
	[CRASH_STOP_SIGNALLED] = "stop.signalled",
	[CRASH_DELETE_PENDING] = "delete.pending",
	[CRASH_DELETE_CGROUP] = "delete.cgroup",
	[CRASH_DELETE_INTERFACE] = "delete.interface",
	[CRASH_DELETE_RULES] = "delete.rules",
	[CRASH_DELETE_RECORD] = "delete.record",
	[CRASH_EPOCH_APPENDED] = "epoch.appended",
	[CRASH_SUBNETS_DENIED] = "subnets.denied",
	[CRASH_RESTART_SCHEDULED] = "restart.scheduled",
	[CRASH_RESTART_CANCELLED] = "restart.cancelled",
	[CRASH_VOLUME_OPENED] = "volume.opened",
	[CRASH_VOLUME_CLOSED] = "volume.closed",
	[CRASH_DELETE_VOLUME] = "delete.volume",
};

static enum crash_point armed = CRASH_NONE;

int crash_point_init(const char **known)
{
	static char list[CRASH_POINTS * 24];
	const char *want = getenv("VIGILD_CRASH_AT");

	*known = list;
	if (!want || !*want)
		return 0;
	for (int p = CRASH_NONE + 1; p < CRASH_POINTS; p++) {
		if (strcmp(want, names[p]) == 0) {
			armed = p;
			return 0;
		}
	}
	for (int p = CRASH_NONE + 1; p < CRASH_POINTS; p++) {
		size_t used = strlen(list);

		snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", names[p]);
	}
	return -EINVAL;
}

void crash_point(enum crash_point p)
{
	if (p == armed)
		raise(SIGKILL);
}
