// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * At start: load the registry and make the host match it. The record is the
 * truth: a missing cgroup or cgroup->slot entry is put back, a slot marked
 * in use without a record (a create interrupted before its record was
 * written) is freed along with its cgroup, interface and namespace, and a
 * workload is running exactly when its cgroup has processes. A stop or
 * delete recorded as under way is finished, not undone: a half-deleted
 * workload is not made again. A restart the record schedules goes on, and
 * one that ended unseen is restarted under its policy. Every repair is
 * logged.
 */
#include <dirent.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "daemon.h"
#include "log.h"
#include "net_meter.h"
#include "netns.h"

static void log_bad(const char *file, const char *reason, void *ctx)
{
	vlog(LOG_WARNING, "registry: discarding %s: %s", file, reason);
}

static int collect(struct vigil_workload *rec, void *ctx)
{
	struct vigild *d = ctx;
	struct wl *w = calloc(1, sizeof(*w));
	int ret;

	if (!w) {
		vigil_workload_spec_free(&rec->spec);
		free(rec);
		return -ENOMEM;
	}
	w->rec = *rec;
	w->pidfd = -1;
	w->status_fd = -1;
	free(rec);
	ret = wl_add(d, w);
	if (ret < 0) {
		vigil_workload_spec_free(&w->rec.spec);
		free(w);
	}
	return ret;
}

static void repair_cgroup(struct wl *w)
{
	const char *id = w->rec.spec.id;
	uint64_t cg_id;

	if (mkdir(w->rec.cgroup, 0755) == 0)
		vlog_wl(LOG_WARNING, id, "cgroup %s was missing, recreated", w->rec.cgroup);
	if (vigil_cgroup_id(w->rec.cgroup, &cg_id) == 0 && cg_id != w->rec.cgroup_id)
		w->rec.cgroup_id = cg_id;
}

/*
 * A missing interface (or veth namespace) is made again, as create makes it;
 * the rules are already in (isolation_start). Then meters, and the link up.
 */
static void repair_network(struct vigild *d, struct wl *w)
{
	struct vigil_workload *r = &w->rec;
	const char *failed;
	int ret;

	if (r->spec.net_mode == VIGIL_NET_NONE)
		return;
	if (net_present(r)) {
		ret = net_check_mac(r);
		if (ret)
			vlog_wl(LOG_ERR, r->spec.id, "the MAC of its interface %s",
				ret > 0 ? "was changed, set back" : strerror(-ret));
		goto meter;
	}
	vlog_wl(LOG_WARNING, r->spec.id, "network %s%s%s missing, recreating it", r->host_ifname,
		r->netns[0] ? "/" : "", r->netns);
	net_unmake(r);
	ret = net_make(r, &failed);
	if (ret < 0) {
		vlog_wl(LOG_ERR, r->spec.id, "recreating its network: %s: %s", failed,
			net_strerror(ret));
		return;
	}
meter:
	workload_subnet_private(d, r);
	/* replaces the filters in place when they are there already */
	ret = net_meter_attach(d, r);
	if (!ret)
		ret = net_link_up(r);
	if (ret < 0)
		vlog_wl(LOG_ERR, r->spec.id, "metering interface %s: %s", r->host_ifname,
			strerror(-ret));
}

/* A running workload's limits are written again, so they show as at its start. */
static void repair_limits(struct vigild *d, struct wl *w)
{
	struct req_err e;

	if (w->rec.state == VIGIL_WL_RUNNING && jail_write_limits(d, w, &e) < 0)
		vlog(LOG_WARNING, "%s", e.msg);
}

static void repair_slot(struct vigild *d, struct wl *w)
{
	struct vigil_workload *r = &w->rec;
	struct vigil_slot want = {
		.cgroup_id = r->cgroup_id,
		.created_unix_ns = r->created_unix_ns,
		.ifindex = (__u32)r->ifindex,
		.state = r->state == VIGIL_WL_DELETED ? VIGIL_SLOT_DELETED : VIGIL_SLOT_ACTIVE,
	}, have;
	int ret;

	snprintf(want.workload, sizeof(want.workload), "%s", r->spec.id);
	snprintf(want.run_state, sizeof(want.run_state), "%s", vigil_workload_record_state(r));
	if (vigil_meter_slot_get(d->meter, r->slot, &have) < 0 ||
	    memcmp(&have, &want, sizeof(want))) {
		vlog_wl(LOG_NOTICE, r->spec.id, "slot %u did not match its record, set", r->slot);
		vigil_meter_slot_set(d->meter, r->slot, &want);
	}
	if (r->state == VIGIL_WL_DELETED || r->pending == VIGIL_PENDING_DELETE)
		return;
	ret = vigil_meter_add_cgroup(d->meter, r->cgroup_id, r->slot);
	if (ret == 0)
		vlog_wl(LOG_NOTICE, r->spec.id, "cgroup was not metered, re-added");
	else if (ret != -EEXIST)
		vlog_wl(LOG_ERR, r->spec.id, "metering its cgroup: %s", strerror(-ret));
}

/*
 * Running exactly when the cgroup has processes; a live one is watched
 * again. true when it was recorded running and has ended meanwhile, how
 * is not known.
 */
static bool repair_run_state(struct vigild *d, struct wl *w)
{
	struct vigil_workload *r = &w->rec;
	enum vigil_workload_state was = r->state;
	int pids[256];
	size_t n = 0;
	bool main_alive = false;

	if (wl_cgroup_procs(w, pids, 256, &n) < 0)
		n = 0;
	for (size_t i = 0; i < n && i < 256; i++)
		main_alive |= pids[i] == r->pid;
	if (n == 0) {
		if (r->state == VIGIL_WL_RUNNING) {
			r->state = VIGIL_WL_STOPPED;
			r->has_exit = false;
			r->exit_status = 0;
			r->exit_signal = 0;
		}
	} else {
		r->state = VIGIL_WL_RUNNING;
		/* the main process is gone but others live on: follow one of them */
		if (!main_alive)
			r->pid = pids[0];
		w->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
		if (w->pidfd < 0 || wl_watch(d, w) < 0)
			vlog_wl(LOG_ERR, r->spec.id, "cannot watch process %d", r->pid);
	}
	if (r->state != was)
		vlog_wl(LOG_WARNING, r->spec.id, "was %s, is %s", vigil_workload_state_name(was),
			vigil_workload_state_name(r->state));
	return was == VIGIL_WL_RUNNING && r->state == VIGIL_WL_STOPPED;
}

struct orphans {
	struct vigild *d;
	uint32_t slots[64];
	size_t n;
};

static int find_orphan(uint32_t slot, const struct vigil_slot *s,
		       const struct vigil_workload_usage *u, void *ctx)
{
	struct orphans *o = ctx;

	for (size_t i = 0; i < o->d->n_wls; i++) {
		if (o->d->wls[i]->rec.slot == slot)
			return 0;
	}
	/* only a create interrupted before its record leaves an active slot behind */
	if (s->state == VIGIL_SLOT_ACTIVE && o->n < 64) {
		vlog(LOG_NOTICE, "slot %u (workload \"%.*s\") has no record, freeing it", slot,
		     VIGIL_ID_SIZE, s->workload);
		vigil_meter_remove_cgroup(o->d->meter, s->cgroup_id);
		o->slots[o->n++] = slot;
	}
	return 0;
}

/*
 * A create killed before its record may have made the interface (named
 * after the id, as create names it) and, for a veth, the namespace.
 */
static void remove_orphan_network(struct vigild *d, const char *id)
{
	struct vigil_workload r = { 0 };

	snprintf(r.spec.id, sizeof(r.spec.id), "%s", id);
	for (int mode = VIGIL_NET_VETH; mode <= VIGIL_NET_TAP; mode++) {
		r.spec.net_mode = mode;
		net_names(d, &r);
		if (if_nametoindex(r.host_ifname) && net_link_delete(&r) == 0)
			vlog(LOG_NOTICE, "interface %s has no record, removed", r.host_ifname);
	}
}

/* Leftovers of an interrupted create: an empty cgroup or a namespace with no record. */
static void remove_orphan_dirs(struct vigild *d, const char *dir, bool cgroups)
{
	struct dirent *de;
	DIR *dh = opendir(dir);
	char path[PATH_MAX + NAME_MAX + 2];

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		if (!vigil_workload_id_valid(de->d_name) || wl_find(d, de->d_name))
			continue;
		if (cgroups && de->d_type != DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (cgroups ? rmdir(path) == 0 : vigil_netns_remove(path) == 0)
			vlog(LOG_NOTICE, "%s has no record, removed", path);
		else
			vlog(LOG_ERR, "%s has no record, left alone: %s", path, strerror(errno));
		if (cgroups)
			remove_orphan_network(d, de->d_name);
	}
	closedir(dh);
}

/* The interface->slot entries of interfaces no record has (a create killed midway). */
static void forget_orphan_interfaces(struct vigild *d)
{
	int *keep = calloc(d->n_wls + 1, sizeof(*keep));
	size_t n = 0;
	int ret;

	if (!keep)
		return;
	for (size_t i = 0; i < d->n_wls; i++) {
		if (d->wls[i]->rec.state != VIGIL_WL_DELETED && d->wls[i]->rec.ifindex > 0)
			keep[n++] = d->wls[i]->rec.ifindex;
	}
	ret = vigil_net_forget_others(d->pin_dir, keep, n);
	if (ret > 0)
		vlog(LOG_NOTICE, "%d metered interfaces had no record, forgotten", ret);
	else if (ret < 0)
		vlog(LOG_ERR, "the metered interfaces: %s", strerror(-ret));
	free(keep);
}

/*
 * What a half-done delete left is not brought back; the delete is finished
 * (wl_resume_pending). true when it ended while vigild was down.
 */
static bool repair_workload(struct vigild *d, struct wl *w)
{
	bool ended;

	if (w->rec.pending == VIGIL_PENDING_DELETE)
		return repair_run_state(d, w);
	repair_cgroup(w);
	repair_network(d, w);
	ended = repair_run_state(d, w);
	repair_limits(d, w);
	return ended;
}

int repair_state(struct vigild *d)
{
	struct orphans o = { .d = d };
	int ret;

	ret = vigil_registry_load(d->state_dir, collect, log_bad, d);
	if (ret < 0)
		return ret;
	/* before any interface is brought up below */
	ret = isolation_start(d);
	if (ret < 0)
		return ret;
	ret = vigil_meter_read_all(d->meter, find_orphan, &o);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < o.n; i++)
		vigil_meter_slot_reset(d->meter, o.slots[i]);
	remove_orphan_dirs(d, d->cgroup_parent, true);
	remove_orphan_dirs(d, d->netns_dir, false);
	for (size_t i = 0; i < d->n_wls; i++) {
		struct wl *w = d->wls[i];
		struct vigil_workload before = w->rec;
		bool ended = false;

		if (w->rec.state != VIGIL_WL_DELETED)
			ended = repair_workload(d, w);
		repair_slot(d, w);
		if (memcmp(&before, &w->rec, sizeof(before)) && (ret = wl_save(d, &w->rec)) < 0)
			vlog_wl(LOG_ERR, w->rec.spec.id, "writing its record: %s", strerror(-ret));
		wl_resume_pending(d, w);
		wl_restart_resume(d, w, ended);
		wl_volume_repair(d, w, ended);
	}
	forget_orphan_interfaces(d);
	return 0;
}
