// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deleting a workload: everything on the host goes, but the record and the
 * slot's counters stay (state deleted) until the usage is exported. The
 * intent is recorded first (pending "delete"), and each step tolerates
 * finding its object already gone: a delete interrupted by an error is
 * repeated by the admin, one interrupted by vigild's death by its next start.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crash_point.h"
#include "daemon.h"
#include "log.h"
#include "netns.h"

static int remove_cgroup(const char *path)
{
	for (int i = 0; i < 50; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		/* the last processes are still being torn down */
		usleep(20 * 1000);
	}
	return -errno;
}

int wl_delete(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_workload *r = &w->rec;
	int ret;

	if (r->state == VIGIL_WL_DELETED)
		return req_fail(e, -EINVAL, "workload \"%s\" is already deleted", r->spec.id);
	if (w->tearing_down)
		return req_fail(e, -EBUSY, "workload \"%s\" is being deleted", r->spec.id);
	/* a running one is stopped first, by the loop (requests.c) */
	if (r->state == VIGIL_WL_RUNNING || w->stopping)
		return req_fail(e, -EBUSY, "workload \"%s\" is still running", r->spec.id);
	ret = wl_record_pending(d, w, VIGIL_PENDING_DELETE);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": recording its delete: %s", r->spec.id,
				strerror(-ret));
	crash_point(CRASH_DELETE_PENDING);
	ret = vigil_meter_remove_cgroup(d->meter, r->cgroup_id);
	if (ret < 0 && ret != -ENOENT)
		return req_fail(e, ret, "workload \"%s\": unmetering cgroup %s: %s", r->spec.id,
				r->cgroup, strerror(-ret));
	ret = remove_cgroup(r->cgroup);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": removing cgroup %s: %s", r->spec.id,
				r->cgroup, strerror(-ret));
	crash_point(CRASH_DELETE_CGROUP);
	if (r->ifindex > 0 || r->host_ifname[0]) {
		ret = net_teardown_submit(d, w);
		if (ret < 0)
			return req_fail(e, ret, "workload \"%s\": removing interface %s: %s",
					r->spec.id, r->host_ifname, strerror(-ret));
		return WL_DELETE_WAITS;
	}
	return wl_delete_finish(d, w, 0, NULL, e);
}

int wl_delete_finish(struct vigild *d, struct wl *w, int ret, const char *failed, struct req_err *e)
{
	struct vigil_workload *r = &w->rec, deleted;
	struct vigil_slot slot;

	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": %s %s: %s", r->spec.id, failed,
				r->host_ifname, strerror(-ret));
	if (r->host_ifname[0])
		crash_point(CRASH_DELETE_INTERFACE);
	if (r->spec.net_mode != VIGIL_NET_NONE) {
		/* after the interface: it never exists without its rules */
		ret = isolation_remove(d, w, e);
		if (ret < 0)
			return ret;
		crash_point(CRASH_DELETE_RULES);
	}
	if (r->netns[0]) {
		ret = vigil_netns_remove(r->netns);
		if (ret < 0 && ret != -ENOENT)
			return req_fail(e, ret, "workload \"%s\": network namespace %s: %s",
					r->spec.id, r->netns, strerror(-ret));
	}
	ret = wl_volume_delete(d, w, e);
	if (ret < 0)
		return ret;
	/*
	 * The record first: when it cannot be written (a full disk), the daemon,
	 * the record and the slot all still say what they said, and the delete
	 * can be repeated; a deleted slot under a live record would come back
	 * as the record after a restart.
	 */
	deleted = *r;
	deleted.state = VIGIL_WL_DELETED;
	deleted.pending = VIGIL_PENDING_NONE;
	deleted.restart_due_unix_ns = 0;
	deleted.volume_wants_key = false;
	ret = wl_save(d, &deleted);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": writing its record: %s", r->spec.id,
				strerror(-ret));
	*r = deleted;
	crash_point(CRASH_DELETE_RECORD);
	ret = vigil_meter_slot_get(d->meter, r->slot, &slot);
	if (!ret) {
		slot.state = VIGIL_SLOT_DELETED;
		ret = vigil_meter_slot_set(d->meter, r->slot, &slot);
	}
	/* the record says deleted: the next start marks the slot as it does for any record */
	if (ret < 0)
		vlog_wl(LOG_WARNING, r->spec.id, "marking slot %u deleted: %s", r->slot,
			strerror(-ret));
	return 0;
}
