// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket requests: one JSON request in, one JSON response out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "usage_fields.h"
#include "volume_key.h"

static struct json_object *network_view(const struct vigil_workload *r)
{
	struct json_object *net;

	if (r->spec.net_mode == VIGIL_NET_NONE)
		return NULL;
	net = json_object_new_object();
	json_object_object_add(net, "mode",
			       json_object_new_string(vigil_net_mode_name(r->spec.net_mode)));
	vigil_workload_spec_addrs_json(&r->spec, net);
	json_object_object_add(net, "host_ifname", json_object_new_string(r->host_ifname));
	json_object_object_add(net, "ifindex", json_object_new_int(r->ifindex));
	json_object_object_add(net, "netns", r->netns[0] ? json_object_new_string(r->netns) : NULL);
	json_object_object_add(net, "mac",
			       r->spec.mac[0] ? json_object_new_string(r->spec.mac) : NULL);
	if (r->spec.net_mode == VIGIL_NET_TAP && !r->spec.jail.enabled) {
		json_object_object_add(net, "vmm_uid", json_object_new_int64(r->spec.vmm_uid));
		json_object_object_add(net, "vmm_gid", json_object_new_int64(r->spec.vmm_gid));
	}
	return net;
}

static struct json_object *limits_view(const struct wl *w)
{
	struct json_object *arr;

	if (!w->has_limits)
		return NULL;
	arr = json_object_new_array();
	for (int i = 0; i < VIGIL_LIMIT__COUNT; i++) {
		const struct vigil_limit_status *l = &w->limits.l[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "limit", json_object_new_string(vigil_limit_name(i)));
		json_object_object_add(o, "file", json_object_new_string(vigil_limit_file(i)));
		json_object_object_add(o, "value", json_object_new_string(l->value));
		json_object_object_add(o, "enforced", json_object_new_boolean(l->enforced));
		json_object_object_add(o, "reason",
				       l->enforced ? NULL : json_object_new_string(l->reason));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The spec's jail, with what vigild gave it: its uid and the filter it runs under. */
static struct json_object *jail_view(const struct vigild *d, const struct wl *w)
{
	const struct vigil_workload *r = &w->rec;
	struct json_object *o = vigil_jail_spec_to_json(&r->spec.jail);
	const struct vigil_seccomp_filter *f;

	if (!o || !r->spec.jail.enabled)
		return o;
	json_object_object_add(o, "uid", json_object_new_int64(r->uid));
	json_object_object_add(o, "gid", json_object_new_int64(r->uid));
	f = &d->filters[r->spec.jail.seccomp][r->spec.jail.seccomp_mode];
	json_object_object_add(o, "seccomp_sha256",
			       f->insns ? json_object_new_string(f->sha256) : NULL);
	return o;
}

/* How it is stopped, with the timeout vigild applies. */
static struct json_object *stop_view(const struct vigild *d, const struct wl *w)
{
	const struct vigil_stop_spec *s = &w->rec.spec.stop;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "method",
			       json_object_new_string(vigil_stop_method_name(s->method)));
	json_object_object_add(o, "signal",
			       json_object_new_string(vigil_stop_signal_name(s->signal)));
	json_object_object_add(
		o, "timeout_s",
		json_object_new_int64(s->timeout_s ? s->timeout_s : d->stop_timeout_ms / 1000));
	return o;
}

/* The restart policy, its count, and when the next start is due while one is. */
static void restart_view(const struct wl *w, struct json_object *o)
{
	const struct vigil_workload *r = &w->rec;
	uint64_t now = loop_now_ms();

	json_object_object_add(o, "restart",
			       json_object_new_string(vigil_restart_policy_name(r->spec.restart)));
	json_object_object_add(o, "restarts", json_object_new_int64(r->restarts));
	json_object_object_add(o, "next_start_unix_ns",
			       w->restart_due_ms ? json_object_new_uint64(r->restart_due_unix_ns)
						 : NULL);
	json_object_object_add(
		o, "next_start_in_ms",
		w->restart_due_ms
			? json_object_new_int64(
				  w->restart_due_ms > now ? (int64_t)(w->restart_due_ms - now) : 0)
			: NULL);
}

static const char *state_view(const struct wl *w)
{
	if (w->stopping)
		return "stopping";
	if (w->tearing_down)
		return "deleting";
	if (w->restart_due_ms)
		return "restarting";
	if (w->rec.state == VIGIL_WL_STOPPED && w->rec.volume_wants_key)
		return "waiting";
	return vigil_workload_state_name(w->rec.state);
}

static struct json_object *workload_view(const struct vigild *d, const struct wl *w)
{
	const struct vigil_workload *r = &w->rec;
	struct json_object *o = json_object_new_object(), *cmd = json_object_new_array();

	json_object_object_add(o, "id", json_object_new_string(r->spec.id));
	json_object_object_add(o, "owner", json_object_new_string(r->spec.owner));
	json_object_object_add(o, "state", json_object_new_string(state_view(w)));
	if (r->volume_wants_key && !w->stopping && !w->tearing_down) {
		char why[128];

		snprintf(why, sizeof(why),
			 "volume key: vigil workload start %s --volume-key-file F", r->spec.id);
		json_object_object_add(o, "waiting_for", json_object_new_string(why));
	}
	json_object_object_add(
		o, "pending",
		r->pending ? json_object_new_string(vigil_workload_pending_name(r->pending))
			   : NULL);
	json_object_object_add(o, "pid", r->pid ? json_object_new_int(r->pid) : NULL);
	json_object_object_add(o, "exit_status",
			       r->has_exit ? json_object_new_int(r->exit_status) : NULL);
	json_object_object_add(o, "exit_signal",
			       r->exit_signal ? json_object_new_int(r->exit_signal) : NULL);
	json_object_object_add(o, "exit_reason",
			       r->has_exit ? json_object_new_string(vigil_workload_exit_reason(r))
					   : NULL);
	json_object_object_add(o, "started_unix_ns",
			       r->started_unix_ns ? json_object_new_uint64(r->started_unix_ns)
						  : NULL);
	restart_view(w, o);
	json_object_object_add(o, "slot", json_object_new_int64(r->slot));
	json_object_object_add(o, "cgroup", json_object_new_string(r->cgroup));
	{
		char log[PATH_MAX + 64];

		snprintf(log, sizeof(log), "%s/%s.log", d->logs_dir, r->spec.id);
		json_object_object_add(o, "log", json_object_new_string(log));
	}
	json_object_object_add(o, "vcpus", json_object_new_int64(r->spec.vcpus));
	json_object_object_add(o, "memory_mib", json_object_new_int64(r->spec.memory_mib));
	for (size_t i = 0; i < r->spec.argc; i++)
		json_object_array_add(cmd, json_object_new_string(r->spec.argv[i]));
	json_object_object_add(o, "command", cmd);
	json_object_object_add(o, "network", network_view(r));
	json_object_object_add(o, "jail", jail_view(d, w));
	json_object_object_add(o, "stop", stop_view(d, w));
	json_object_object_add(o, "limits", limits_view(w));
	json_object_object_add(o, "volume", wl_volume_view(d, w));
	json_object_object_add(o, "created_unix_ns", json_object_new_uint64(r->created_unix_ns));
	return o;
}

static int usage_view(struct vigild *d, const struct wl *w, struct json_object **ret,
		      struct req_err *e)
{
	struct vigil_workload_usage u;
	struct json_object *o;
	int r = vigil_meter_read(d->meter, w->rec.slot, &u);

	if (r < 0)
		return req_fail(e, r, "workload \"%s\": reading slot %u: %s", w->rec.spec.id,
				w->rec.slot, strerror(-r));
	o = json_object_new_object();
	json_object_object_add(o, "workload", json_object_new_string(w->rec.spec.id));
	for (size_t i = 0; i < vigil_usage_n_fields; i++)
		json_object_object_add(
			o, vigil_usage_fields[i].name,
			json_object_new_uint64(vigil_usage_field_get(&u, &vigil_usage_fields[i])));
	*ret = o;
	return 0;
}

/* The filter a jailed workload runs under, as libseccomp's pseudo filter code. */
static int seccomp_view(const struct wl *w, struct json_object *resp, struct req_err *e)
{
	const struct vigil_jail_spec *j = &w->rec.spec.jail;
	char *pfc = NULL;
	int r;

	if (!j->enabled)
		return req_fail(e, -ENOENT, "workload \"%s\" runs unjailed: it has no filter",
				w->rec.spec.id);
	r = vigil_seccomp_pfc(j->seccomp, j->seccomp_mode, &pfc);
	if (r < 0)
		return req_fail(e, r, "workload \"%s\": seccomp profile \"%s\": %s", w->rec.spec.id,
				vigil_seccomp_profile_name(j->seccomp), strerror(-r));
	json_object_object_add(resp, "seccomp_pfc", json_object_new_string(pfc));
	free(pfc);
	return 0;
}

static int find_target(struct vigild *d, struct json_object *req, const char *cmd, struct wl **ret,
		       struct req_err *e)
{
	struct json_object *id;

	if (!json_object_object_get_ex(req, "id", &id) ||
	    !json_object_is_type(id, json_type_string))
		return req_fail(e, -EINVAL, "request \"%s\": \"id\" (a string) is required", cmd);
	*ret = wl_find(d, json_object_get_string(id));
	if (!*ret) {
		snprintf(e->hint, sizeof(e->hint), "vigil workload list");
		return req_fail(e, -ENOENT, "workload \"%.64s\" does not exist",
				json_object_get_string(id));
	}
	return 0;
}

static int do_list(struct vigild *d, struct json_object *resp)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < d->n_wls; i++)
		json_object_array_add(arr, workload_view(d, d->wls[i]));
	json_object_object_add(resp, "workloads", arr);
	return 0;
}

/* The request has to wait for the workload's stop or its interface: answered by the loop. */
#define REQ_WAITS 1

/*
 * The answer shows the workload as deleted; then its final ledger record is
 * written, after which its slot and record may already be gone, and `w`
 * with them.
 */
static void deleted_answer(struct vigild *d, struct wl *w, struct json_object *resp)
{
	json_object_object_add(resp, "workload", workload_view(d, w));
	accounting_final(d, w);
}

/* A delete whose interface goes on the teardown thread waits for it, as for a stop. */
static int delete_and_record(struct vigild *d, struct wl *w, struct vigil_control_conn *conn,
			     struct json_object *resp, struct req_err *e)
{
	int r = wl_delete(d, w, e);

	if (r == WL_DELETE_WAITS) {
		w->waiting = conn;
		w->waiting_cmd = "delete";
		return REQ_WAITS;
	}
	if (r < 0)
		return r;
	deleted_answer(d, w, resp);
	return 0;
}

static const char *const known_cmds[] = {
	"list", "create", "start", "stop", "delete", "show", NULL
};

static bool cmd_known(const char *cmd)
{
	for (size_t i = 0; known_cmds[i]; i++) {
		if (strcmp(cmd, known_cmds[i]) == 0)
			return true;
	}
	return false;
}

/*
 * "stop", and "delete" of a running workload: the stop is begun here and
 * finished by the loop, which answers then. A delete of a stopping one
 * would race the request that stops it.
 */
static int begin_stop(struct vigild *d, struct wl *w, const char *cmd,
		      struct vigil_control_conn *conn, struct req_err *e)
{
	int r;

	if (w->stopping)
		return req_fail(e, -EBUSY,
				"workload \"%s\" is stopping; try again when it has stopped",
				w->rec.spec.id);
	r = wl_stop_begin(d, w,
			  strcmp(cmd, "stop") == 0 ? VIGIL_PENDING_STOP : VIGIL_PENDING_DELETE, e);
	if (r < 0)
		return r;
	w->waiting = conn;
	w->waiting_cmd = strcmp(cmd, "stop") == 0 ? "stop" : "delete";
	return REQ_WAITS;
}

/*
 * A stop of a workload that was not running but meant to (a restart due, or
 * waiting for its volume key): it no longer waits, and its volume closes.
 */
static int stop_waiting(struct vigild *d, struct wl *w, struct req_err *e)
{
	int r;

	if (w->rec.volume_wants_key) {
		w->rec.volume_wants_key = false;
		r = wl_save(d, &w->rec);
		if (r < 0) {
			w->rec.volume_wants_key = true;
			return req_fail(e, r, "workload \"%s\": recording its stop: %s",
					w->rec.spec.id, strerror(-r));
		}
	}
	wl_volume_close(d, w);
	return 0;
}

/*
 * A delete's "keep_volume": true keeps the volume for `vigil volume`; it is
 * in the record with the pending delete, so a delete finished after a crash
 * keeps it too.
 */
static int delete_keeps_volume(struct wl *w, struct json_object *req, struct req_err *e)
{
	struct json_object *v;
	bool keep = json_object_object_get_ex(req, "keep_volume", &v);

	if (keep && !json_object_is_type(v, json_type_boolean))
		return req_fail(e, -EINVAL,
				"request \"delete\": \"keep_volume\" must be a boolean");
	keep = keep && json_object_get_boolean(v);
	if (keep && !w->rec.spec.volume_size_mib)
		return req_fail(e, -EINVAL,
				"workload \"%s\" has no volume: there is no volume to keep",
				w->rec.spec.id);
	if (w->rec.pending != VIGIL_PENDING_DELETE)
		w->rec.keep_volume = keep;
	else if (keep != w->rec.keep_volume)
		return req_fail(e, -EINVAL,
				"workload \"%s\": a delete that %s its volume is under way; repeat "
				"it as it was",
				w->rec.spec.id, w->rec.keep_volume ? "keeps" : "erases");
	return 0;
}

/*
 * "stop" or "delete": a restart waiting for its back-off is cancelled first
 * (for a stop, that is all of it); a running workload is stopped by the
 * loop, which answers then.
 */
static int stop_or_delete(struct vigild *d, const char *cmd, struct json_object *req, struct wl *w,
			  struct vigil_control_conn *conn, struct json_object *resp,
			  struct req_err *e)
{
	bool was_restarting = w->restart_due_ms;
	int r = wl_restart_cancel(d, w, e);

	if (r < 0)
		return r;
	if (strcmp(cmd, "stop") == 0 && (was_restarting || w->rec.volume_wants_key)) {
		r = stop_waiting(d, w, e);
		if (r < 0)
			return r;
		json_object_object_add(resp, "workload", workload_view(d, w));
		return 0;
	}
	if (strcmp(cmd, "delete") == 0) {
		r = delete_keeps_volume(w, req, e);
		if (r < 0)
			return r;
	}
	if (strcmp(cmd, "stop") == 0 || w->rec.state == VIGIL_WL_RUNNING || w->stopping)
		return begin_stop(d, w, cmd, conn, e);
	return delete_and_record(d, w, conn, resp, e);
}

/* A start, with the volume key its request's pipe brings (wiped once used). */
static int start(struct vigild *d, struct wl *w, struct vigil_control_conn *conn, struct req_err *e)
{
	struct vigil_volume_key *key = NULL;
	int fd = conn ? vigil_control_take_fd(conn) : -1, r = 0;

	if (fd >= 0) {
		r = wl_volume_key_read(w, fd, &key, e);
		close(fd);
	}
	if (!r)
		r = wl_start(d, w, key, e);
	vigil_volume_key_free(key);
	return r;
}

static int dispatch(struct vigild *d, const char *cmd, struct json_object *req,
		    struct vigil_control_conn *conn, struct json_object *resp, struct req_err *e)
{
	struct json_object *spec, *usage = NULL;
	struct wl *w = NULL;
	int r;

	if (!cmd_known(cmd))
		return req_fail(e, -EINVAL,
				"unknown request \"%.32s\" (known: list, create, start, stop, "
				"delete, show)",
				cmd);
	vlog(LOG_DEBUG, "request \"%s\"", cmd);
	if (conn && conn->passed_fd >= 0 && strcmp(cmd, "start") != 0)
		return req_fail(e, -EINVAL,
				"request \"%s\" takes no file descriptor (only a start does: its "
				"volume key's pipe)",
				cmd);
	if (strcmp(cmd, "list") == 0)
		return do_list(d, resp);
	if (strcmp(cmd, "create") == 0) {
		if (!json_object_object_get_ex(req, "spec", &spec))
			return req_fail(e, -EINVAL, "request \"create\": \"spec\" is required");
		r = wl_create(d, spec, &w, e);
	} else {
		r = find_target(d, req, cmd, &w, e);
		if (r < 0)
			return r;
		if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "delete") == 0)
			return stop_or_delete(d, cmd, req, w, conn, resp, e);
		r = strcmp(cmd, "start") == 0 ? start(d, w, conn, e) : 0; /* or show */
	}
	if (r < 0)
		return r;
	json_object_object_add(resp, "workload", workload_view(d, w));
	if (strcmp(cmd, "show") == 0) {
		r = usage_view(d, w, &usage, e);
		if (r < 0)
			return r;
		json_object_object_add(resp, "usage", usage);
		if (json_object_object_get_ex(req, "seccomp", &spec) &&
		    json_object_get_boolean(spec))
			return seccomp_view(w, resp, e);
	}
	return 0;
}

/* The workload a request names ("id", or the spec's), when it is a valid id; else NULL. */
static const char *request_workload(struct json_object *req)
{
	struct json_object *v, *spec;
	const char *id = NULL;

	if (json_object_object_get_ex(req, "id", &v))
		id = json_object_get_string(v);
	else if (json_object_object_get_ex(req, "spec", &spec) &&
		 json_object_is_type(spec, json_type_object) &&
		 json_object_object_get_ex(spec, "id", &v))
		id = json_object_get_string(v);
	return id && json_object_is_type(v, json_type_string) && vigil_workload_id_valid(id) ? id
											     : NULL;
}

/* A refusal is logged as a notice, a workload's with its id as a journal field. */
static struct json_object *answer(struct json_object *resp, int r, const struct req_err *e,
				  const char *workload)
{
	if (r < 0) {
		json_object_put(resp);
		resp = json_object_new_object();
		json_object_object_add(resp, "error", json_object_new_string(e->msg));
		if (e->hint[0])
			json_object_object_add(resp, "hint", json_object_new_string(e->hint));
		vlog_about(LOG_NOTICE, workload, "%s", e->msg);
		return resp;
	}
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	return resp;
}

struct json_object *handle_request(struct vigild *d, struct json_object *req,
				   struct vigil_control_conn *conn)
{
	struct json_object *resp = json_object_new_object(), *cmd;
	struct req_err e = { 0 };
	int r;

	if (conn && conn->too_many_fds)
		r = req_fail(&e, -EINVAL,
			     "request: carries more than one file descriptor (a start takes one: "
			     "its volume key's pipe)");
	else if (!json_object_object_get_ex(req, "cmd", &cmd) ||
		 !json_object_is_type(cmd, json_type_string))
		r = req_fail(&e, -EINVAL, "request: \"cmd\" (a string) is required");
	else
		r = dispatch(d, json_object_get_string(cmd), req, conn, resp, &e);
	if (r == REQ_WAITS) {
		json_object_put(resp);
		return NULL;
	}
	return answer(resp, r, &e, request_workload(req));
}

/* To the request that waited, unless it came from a start that finished what a crash left. */
static void answer_waiting(struct vigild *d, struct vigil_control_conn *conn,
			   struct json_object *resp)
{
	if (conn)
		conns_answer(d, conn, resp);
	else
		json_object_put(resp);
	exporter_refresh(d);
}

void request_stops_progress(struct vigild *d)
{
	struct json_object *resp;
	struct req_err e = { 0 };
	int r;

	for (size_t i = 0; i < d->n_wls && d->n_stopping; i++) {
		struct wl *w = d->wls[i];
		struct vigil_control_conn *conn = w->waiting;
		char id[VIGIL_ID_SIZE];

		if (!w->stopping || !wl_stop_progress(d, w, &r, &e))
			continue;
		/* a delete's final record may release `w` */
		snprintf(id, sizeof(id), "%s", w->rec.spec.id);
		w->waiting = NULL;
		resp = json_object_new_object();
		if (!r && strcmp(w->waiting_cmd, "delete") == 0)
			r = delete_and_record(d, w, conn, resp, &e);
		else if (!r)
			json_object_object_add(resp, "workload", workload_view(d, w));
		if (r == REQ_WAITS) {
			json_object_put(resp);
			continue;
		}
		answer_waiting(d, conn, answer(resp, r, &e, id));
	}
}

void request_delete_continue(struct vigild *d, struct wl *w, int ret, const char *failed)
{
	struct vigil_control_conn *conn = w->waiting;
	struct json_object *resp = json_object_new_object();
	struct req_err e = { 0 };
	char id[VIGIL_ID_SIZE];
	int r;

	snprintf(id, sizeof(id), "%s", w->rec.spec.id);
	w->waiting = NULL;
	r = wl_delete_finish(d, w, ret, failed, &e);
	if (!r)
		deleted_answer(d, w, resp);
	answer_waiting(d, conn, answer(resp, r, &e, id));
}
