// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Creating a workload: its slot, its cgroup, its network, its record. Each
 * step is undone when a later one fails, so a rejected request leaves no
 * trace: no cgroup, no slot, no record, no interface, no namespace.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cidr.h"
#include "crash_point.h"
#include "daemon.h"
#include "log.h"
#include "net_meter.h"

static bool slot_taken(struct vigild *d, uint32_t slot)
{
	struct vigil_slot s;

	for (size_t i = 0; i < d->n_wls; i++) {
		if (d->wls[i]->rec.slot == slot)
			return true;
	}
	/* a slot some other agent run left in use stays untouched */
	return vigil_meter_slot_get(d->meter, slot, &s) < 0 || s.state != VIGIL_SLOT_FREE;
}

static int alloc_slot(struct vigild *d, const char *id, uint32_t *ret, struct req_err *e)
{
	for (uint32_t slot = 0; slot < d->max_workloads; slot++) {
		if (!slot_taken(d, slot)) {
			*ret = slot;
			return 0;
		}
	}
	snprintf(e->hint, sizeof(e->hint), "vigil workload delete ID");
	return req_fail(e, -ENOSPC,
			"workload \"%s\": no free slot: all %u slots are in use (deleted "
			"workloads keep theirs until their usage is exported)",
			id, d->max_workloads);
}

static int executable_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

/*
 * The command's program must exist and be executable now, so a workload
 * that could never start is refused before anything is made for it.
 * "{...}" placeholders are filled in later and cannot be checked yet.
 */
static int check_command(const struct vigil_workload_spec *s, struct req_err *e)
{
	const char *prog = s->argv[0], *path = getenv("PATH");
	char candidate[PATH_MAX];
	int ret = -ENOENT;

	if (strchr(prog, '{'))
		return 0;
	if (strchr(prog, '/'))
		ret = executable_file(prog);
	else
		for (const char *dir = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
		     ret && *dir;) {
			size_t n = strcspn(dir, ":");

			if (n && snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)n, dir,
					  prog) < (int)sizeof(candidate))
				ret = executable_file(candidate);
			dir += n + (dir[n] == ':');
		}
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": cannot execute \"%s\": %s%s", s->id, prog,
				strerror(-ret), strchr(prog, '/') ? "" : " (searched PATH)");
	return 0;
}

/* Whether the subnets of two host side addresses of a family ("": none) overlap. */
static bool subnets_overlap(const char *a, const char *b)
{
	struct vigil_cidr ca, cb;

	return a[0] && b[0] && !vigil_cidr_parse(a, &ca) && !vigil_cidr_parse(b, &cb) &&
	       vigil_cidr_overlap(&ca, &cb);
}

/* Two workloads' point-to-point subnets, IPv4 or IPv6, must not overlap: their routes would. */
static int check_overlap(struct vigild *d, const struct vigil_workload_spec *s, struct req_err *e)
{
	const char *const mine[] = { s->host_ipv4, s->host_ipv6 };

	if (s->net_mode == VIGIL_NET_NONE)
		return 0;
	for (size_t i = 0; i < d->n_wls; i++) {
		const struct vigil_workload *o = &d->wls[i]->rec;
		const char *const theirs[] = { o->spec.host_ipv4, o->spec.host_ipv6 };

		if (o->state == VIGIL_WL_DELETED || o->spec.net_mode == VIGIL_NET_NONE)
			continue;
		for (size_t f = 0; f < 2; f++) {
			if (subnets_overlap(mine[f], theirs[f]))
				return req_fail(e, -EEXIST,
						"workload \"%s\": network %s overlaps workload "
						"\"%s\"'s %s",
						s->id, mine[f], o->spec.id, theirs[f]);
		}
	}
	return 0;
}

static int check_new(struct vigild *d, const struct vigil_workload_spec *s, struct req_err *e)
{
	struct wl *old = wl_find(d, s->id);

	if (old && old->rec.state == VIGIL_WL_DELETED)
		return req_fail(e, -EEXIST,
				"workload \"%s\": the id belongs to a deleted workload whose usage "
				"is kept until it is exported; choose another id",
				s->id);
	if (old)
		return req_fail(e, -EEXIST, "workload \"%s\" already exists (state %s)", s->id,
				vigil_workload_state_name(old->rec.state));
	return check_overlap(d, s, e);
}

/*
 * The tc programs go on the host side (the veth's end, or the tap) while it
 * is still down, so they count the workload's traffic from its first frame;
 * then the link comes up.
 */
static int workload_meter_interface(struct vigild *d, struct wl *w, struct vigil_slot *slot)
{
	int ret;

	slot->ifindex = (__u32)w->rec.ifindex;
	if (w->rec.ifindex <= 0)
		return 0;
	ret = net_meter_attach(d, &w->rec);
	return ret ? ret : net_link_up(&w->rec);
}

/* The subnet of a host side address joins the private destinations. */
static int subnet_private(struct vigild *d, const char *host_cidr)
{
	struct vigil_prefix_key key;
	char network[VIGIL_CIDR6_SIZE];
	struct vigil_cidr c;

	if (vigil_cidr_parse(host_cidr, &c))
		return -EINVAL;
	vigil_cidr_subnet(&c);
	vigil_cidr_format(&c, network);
	if (vigil_prefix_parse(network, &key) < 0)
		return -EINVAL;
	return vigil_private_prefix_add(d->pin_dir, &key);
}

/*
 * The workload's subnets join the private destinations, as the host's own
 * subnets do: what the workload sends to the host side is not public.
 */
int workload_subnet_private(struct vigild *d, const struct vigil_workload *r)
{
	int ret;

	if (r->spec.net_mode == VIGIL_NET_NONE)
		return -EINVAL;
	ret = subnet_private(d, r->spec.host_ipv4);
	if (!ret && r->spec.host_ipv6[0])
		ret = subnet_private(d, r->spec.host_ipv6);
	return ret;
}

static void workload_unmeter_interface(struct vigild *d, struct wl *w)
{
	if (w->rec.ifindex > 0)
		vigil_net_detach(d->pin_dir, w->rec.ifindex);
}

/*
 * Its interface (a tap owned by its VMM's user, or a veth pair into a
 * namespace of its own), and its rules before the link can come up.
 */
static int create_network(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_workload *r = &w->rec;
	const char *failed;
	int ret;

	net_names(d, r);
	ret = net_make(r, &failed);
	if (ret == -EEXIST)
		return req_fail(e, ret,
				"workload \"%s\": %s %s exists already and is not this "
				"workload's: remove it, or choose another id",
				r->spec.id, vigil_net_mode_name(r->spec.net_mode), failed);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": %s %s: %s", r->spec.id,
				vigil_net_mode_name(r->spec.net_mode), failed, net_strerror(ret));
	/* the link is still down: no frame crosses it before its rules are in */
	ret = isolation_apply(d, w, e);
	if (ret < 0)
		net_unmake(r);
	return ret;
}

static void remove_network(struct vigild *d, struct wl *w)
{
	struct req_err ignored;

	net_unmake(&w->rec);
	if (w->rec.spec.net_mode != VIGIL_NET_NONE)
		isolation_remove(d, w, &ignored);
}

static int create_cgroup(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_workload *r = &w->rec;
	int ret;

	snprintf(r->cgroup, sizeof(r->cgroup), "%s/%s", d->cgroup_parent, r->spec.id);
	if (mkdir(r->cgroup, 0755) < 0) {
		ret = -errno;
		return req_fail(e, ret, "workload \"%s\": cgroup %s: %s", r->spec.id, r->cgroup,
				strerror(-ret));
	}
	ret = vigil_cgroup_id(r->cgroup, &r->cgroup_id);
	if (ret < 0) {
		rmdir(r->cgroup);
		return req_fail(e, ret, "workload \"%s\": cgroup id of %s: %s", r->spec.id,
				r->cgroup, strerror(-ret));
	}
	return 0;
}

/* The steps after the cgroup and the network; undoes its own on failure. */
static int register_workload(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_workload *r = &w->rec;
	struct vigil_slot slot = {
		.cgroup_id = r->cgroup_id,
		.created_unix_ns = r->created_unix_ns,
		.state = VIGIL_SLOT_ACTIVE,
	};
	int ret;

	snprintf(slot.workload, sizeof(slot.workload), "%s", r->spec.id);
	snprintf(slot.run_state, sizeof(slot.run_state), "%s",
		 vigil_workload_state_name(VIGIL_WL_CREATED));
	ret = workload_meter_interface(d, w, &slot);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": metering %s: %s", r->spec.id,
				r->host_ifname, strerror(-ret));
	ret = vigil_meter_slot_reset(d->meter, r->slot);
	if (!ret)
		ret = vigil_meter_slot_set(d->meter, r->slot, &slot);
	if (ret < 0) {
		req_fail(e, ret, "workload \"%s\": slot %u: %s", r->spec.id, r->slot,
			 strerror(-ret));
		goto fail_slot;
	}
	ret = vigil_meter_add_cgroup(d->meter, r->cgroup_id, r->slot);
	if (ret < 0) {
		req_fail(e, ret, "workload \"%s\": metering cgroup %s: %s", r->spec.id, r->cgroup,
			 strerror(-ret));
		goto fail_slot;
	}
	crash_point(CRASH_CREATE_SLOT);
	ret = wl_save(d, r);
	if (ret < 0) {
		req_fail(e, ret, "workload \"%s\": writing its record in %s: %s", r->spec.id,
			 d->state_dir, strerror(-ret));
		/* the rename may have happened before the failure; no record existed before */
		vigil_registry_remove(d->state_dir, r->spec.id);
		goto fail_cgroup;
	}
	return 0;
fail_cgroup:
	vigil_meter_remove_cgroup(d->meter, r->cgroup_id);
fail_slot:
	vigil_meter_slot_reset(d->meter, r->slot);
	workload_unmeter_interface(d, w);
	return ret;
}

int wl_create(struct vigild *d, struct json_object *spec, struct wl **ret, struct req_err *e)
{
	struct wl *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return req_fail(e, -ENOMEM, "creating a workload: %s", strerror(ENOMEM));
	w->pidfd = -1;
	w->status_fd = -1;
	r = vigil_workload_spec_from_json(spec, &w->rec.spec, e->msg, sizeof(e->msg));
	if (r < 0) {
		free(w);
		return r;
	}
	r = check_new(d, &w->rec.spec, e);
	if (!r)
		r = jail_check_spec(d, &w->rec.spec, e);
	if (!r && !w->rec.spec.jail.enabled)
		r = check_command(&w->rec.spec, e);
	if (!r)
		r = alloc_slot(d, w->rec.spec.id, &w->rec.slot, e);
	if (r < 0)
		goto fail;
	/* its own uid: no other workload's, no account of the host's (jail_setup) */
	if (w->rec.spec.jail.enabled)
		w->rec.uid = d->uid_base + w->rec.slot;
	w->rec.created_unix_ns = loop_unix_ns();
	w->rec.state = VIGIL_WL_CREATED;
	r = create_cgroup(d, w, e);
	if (r < 0)
		goto fail;
	crash_point(CRASH_CREATE_CGROUP);
	if (w->rec.spec.net_mode != VIGIL_NET_NONE) {
		r = create_network(d, w, e);
		if (r < 0)
			goto fail_cgroup;
		crash_point(CRASH_CREATE_NETWORK);
	}
	r = register_workload(d, w, e);
	if (r < 0)
		goto fail_network;
	crash_point(CRASH_CREATE_RECORD);
	r = wl_add(d, w);
	if (r < 0) {
		req_fail(e, r, "workload \"%s\": %s", w->rec.spec.id, strerror(-r));
		vigil_registry_remove(d->state_dir, w->rec.spec.id);
		vigil_meter_remove_cgroup(d->meter, w->rec.cgroup_id);
		vigil_meter_slot_reset(d->meter, w->rec.slot);
		workload_unmeter_interface(d, w);
		goto fail_network;
	}
	r = w->rec.spec.net_mode != VIGIL_NET_NONE ? workload_subnet_private(d, &w->rec) : 0;
	if (r < 0)
		vlog_wl(LOG_ERR, w->rec.spec.id, "its subnets as private destinations: %s",
			strerror(-r));
	*ret = w;
	return 0;
fail_network:
	remove_network(d, w);
fail_cgroup:
	rmdir(w->rec.cgroup);
fail:
	vigil_workload_spec_free(&w->rec.spec);
	free(w);
	return r;
}
