// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The restart policy ("restart": "on-failure"): a workload whose process
 * ended with a non-zero status or a signal, or ended unseen while vigild
 * was down, without an admin's stop or delete, is started again after a
 * back-off that doubles from RESTART_FIRST_MS to RESTART_MAX_MS and starts
 * over once a run lasted RESTART_STABLE_MS. It is a start of the same
 * workload: same slot, uid, cgroup, interface and counters. The schedule is
 * in the record (restart_due_unix_ns, wall clock, as it must outlive vigild
 * and the host's boot), so a vigild killed during the back-off resumes it;
 * a stop, delete or start by the admin cancels it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crash_point.h"
#include "daemon.h"
#include "log.h"

#define RESTART_FIRST_MS  1000
#define RESTART_MAX_MS	  60000
#define RESTART_STABLE_MS 10000
/* a restart that finds processes left in the cgroup kills them and looks again after this */
#define RESTART_RETRY_MS 100

static void set_due(struct vigild *d, struct wl *w, uint64_t due_ms)
{
	if (!w->restart_due_ms != !due_ms)
		d->n_restarting += due_ms ? 1 : -1;
	w->restart_due_ms = due_ms;
}

bool wl_restart_wanted(const struct wl *w)
{
	const struct vigil_workload *r = &w->rec;

	if (r->spec.restart != VIGIL_RESTART_ON_FAILURE || r->state == VIGIL_WL_DELETED ||
	    r->pending != VIGIL_PENDING_NONE || r->volume_wants_key)
		return false;
	/* an exit nobody saw (vigild was down) counts as a failure: it was meant to run */
	return !r->has_exit || r->exit_status != 0 || r->exit_signal;
}

uint32_t wl_restart_schedule(struct vigild *d, struct wl *w)
{
	struct vigil_workload *r = &w->rec;
	uint64_t now = loop_unix_ns();
	bool stable =
		r->started_unix_ns && now - r->started_unix_ns >= RESTART_STABLE_MS * 1000000ull;
	uint32_t delay = RESTART_FIRST_MS;

	if (!stable && r->restart_delay_ms)
		delay = r->restart_delay_ms >= RESTART_MAX_MS / 2 ? RESTART_MAX_MS
								  : 2 * r->restart_delay_ms;
	r->restart_delay_ms = delay;
	r->restart_due_unix_ns = now + delay * 1000000ull;
	set_due(d, w, loop_now_ms() + delay);
	return delay;
}

int wl_restart_cancel(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_workload rec = w->rec;
	int ret;

	if (!w->restart_due_ms)
		return 0;
	rec.restart_due_unix_ns = 0;
	ret = wl_save(d, &rec);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": recording the cancel of its restart: %s",
				rec.spec.id, strerror(-ret));
	w->rec.restart_due_unix_ns = 0;
	set_due(d, w, 0);
	crash_point(CRASH_RESTART_CANCELLED);
	vlog_wl(LOG_INFO, rec.spec.id, "its restart is cancelled");
	return 0;
}

void wl_restart_forget(struct vigild *d, struct wl *w)
{
	set_due(d, w, 0);
	w->rec.restart_due_unix_ns = 0;
}

void wl_restart_resume(struct vigild *d, struct wl *w, bool ended_unseen)
{
	struct vigil_workload *r = &w->rec;
	uint64_t now = loop_unix_ns(), left_ms;
	int ret;

	/* a running one was restarted already; a stop or delete under way wins */
	if (r->state == VIGIL_WL_RUNNING || !wl_restart_wanted(w)) {
		if (!r->restart_due_unix_ns)
			return;
		r->restart_due_unix_ns = 0;
	} else if (r->restart_due_unix_ns) {
		/* bounded by the back-off itself: the wall clock may have been set back */
		left_ms =
			r->restart_due_unix_ns > now ? (r->restart_due_unix_ns - now) / 1000000 : 0;
		if (left_ms > r->restart_delay_ms)
			left_ms = r->restart_delay_ms;
		set_due(d, w, loop_now_ms() + left_ms);
		vlog_wl(LOG_NOTICE, r->spec.id, "its restart %u is due in %llu ms, as scheduled",
			r->restarts + 1, (unsigned long long)left_ms);
		return;
	} else if (ended_unseen) {
		vlog_wl(LOG_NOTICE, r->spec.id,
			"ended while vigild was not watching (status unknown); restart %u in %u ms",
			r->restarts + 1, wl_restart_schedule(d, w));
	} else {
		return;
	}
	ret = wl_save(d, r);
	if (ret < 0)
		vlog_wl(LOG_ERR, r->spec.id, "recording its restart schedule: %s", strerror(-ret));
}

int wl_restart_timeout_ms(const struct vigild *d)
{
	uint64_t now = loop_now_ms(), next = UINT64_MAX;

	if (!d->n_restarting)
		return -1;
	for (size_t i = 0; i < d->n_wls; i++) {
		if (d->wls[i]->restart_due_ms && d->wls[i]->restart_due_ms < next)
			next = d->wls[i]->restart_due_ms;
	}
	return next <= now ? 0 : next - now > 60000 ? 60000 : (int)(next - now);
}

static void restart(struct vigild *d, struct wl *w)
{
	const char *id = w->rec.spec.id;
	struct req_err e = { 0 };
	int ret;

	/* processes of the last run that outlived its main one: the new run starts alone */
	if (!wl_cgroup_empty(w)) {
		wl_cgroup_kill(d, w);
		set_due(d, w, loop_now_ms() + RESTART_RETRY_MS);
		return;
	}
	/* vigild has no key: a volume closed meanwhile waits for the tenant's */
	if (w->rec.spec.volume_size_mib && !wl_volume_is_open(d, w)) {
		wl_volume_wait_key(d, w, "its restart found its volume closed");
		return;
	}
	set_due(d, w, 0);
	w->rec.restart_due_unix_ns = 0;
	w->rec.restarts++;
	ret = wl_run(d, w, &e);
	if (!ret) {
		vlog_wl(LOG_NOTICE, id, "restarted (restart %u), process %d", w->rec.restarts,
			w->rec.pid);
		return;
	}
	/* a start that fails is a failure too: the back-off goes on */
	vlog_wl(LOG_ERR, id, "restart %u failed: %s; restart %u in %u ms", w->rec.restarts, e.msg,
		w->rec.restarts + 1, wl_restart_schedule(d, w));
	ret = wl_save(d, &w->rec);
	if (ret < 0)
		vlog_wl(LOG_ERR, id, "recording its restart schedule: %s", strerror(-ret));
}

void wl_restarts_due(struct vigild *d)
{
	uint64_t now;

	if (!d->n_restarting)
		return;
	now = loop_now_ms();
	for (size_t i = 0; i < d->n_wls; i++) {
		struct wl *w = d->wls[i];

		if (w->restart_due_ms && w->restart_due_ms <= now) {
			restart(d, w);
			exporter_refresh(d);
		}
	}
}
