// SPDX-License-Identifier: GPL-2.0-or-later
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_file.h"

#define RECORD_VERSION 1

static const char *const state_names[] = {
	[VIGIL_WL_CREATED] = "created",
	[VIGIL_WL_RUNNING] = "running",
	[VIGIL_WL_STOPPED] = "stopped",
	[VIGIL_WL_DELETED] = "deleted",
};

const char *vigil_workload_record_state(const struct vigil_workload *r)
{
	if (r->pending == VIGIL_PENDING_STOP)
		return "stopping";
	if (r->pending == VIGIL_PENDING_DELETE)
		return "deleting";
	if (r->state == VIGIL_WL_STOPPED && r->restart_due_unix_ns)
		return "restarting";
	if (r->state == VIGIL_WL_STOPPED && r->volume_wants_key)
		return "waiting";
	return vigil_workload_state_name(r->state);
}

const char *vigil_workload_state_name(enum vigil_workload_state s)
{
	return s <= VIGIL_WL_DELETED ? state_names[s] : "unknown";
}

static int state_from_name(const char *name, enum vigil_workload_state *ret)
{
	for (int i = 0; i <= VIGIL_WL_DELETED; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const pending_names[] = {
	[VIGIL_PENDING_STOP] = "stop",
	[VIGIL_PENDING_DELETE] = "delete",
};

const char *vigil_workload_pending_name(enum vigil_workload_pending p)
{
	return p >= VIGIL_PENDING_STOP && p <= VIGIL_PENDING_DELETE ? pending_names[p] : NULL;
}

static int pending_from_name(const char *name, enum vigil_workload_pending *ret)
{
	for (int i = VIGIL_PENDING_STOP; i <= VIGIL_PENDING_DELETE; i++) {
		if (strcmp(name, pending_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

struct json_object *vigil_workload_to_json(const struct vigil_workload *w)
{
	struct json_object *o = json_object_new_object();
	struct json_object *spec = vigil_workload_spec_to_json(&w->spec);

	if (!o || !spec) {
		json_object_put(o);
		json_object_put(spec);
		return NULL;
	}
	json_object_object_add(o, "version", json_object_new_int(RECORD_VERSION));
	json_object_object_add(o, "spec", spec);
	json_object_object_add(o, "slot", json_object_new_int64(w->slot));
	json_object_object_add(o, "state",
			       json_object_new_string(vigil_workload_state_name(w->state)));
	if (w->pending != VIGIL_PENDING_NONE)
		json_object_object_add(
			o, "pending",
			json_object_new_string(vigil_workload_pending_name(w->pending)));
	json_object_object_add(o, "pid", json_object_new_int(w->pid));
	json_object_object_add(o, "exit_status",
			       w->has_exit ? json_object_new_int(w->exit_status) : NULL);
	json_object_object_add(o, "exit_signal",
			       w->exit_signal ? json_object_new_int(w->exit_signal) : NULL);
	json_object_object_add(o, "uid",
			       w->spec.jail.enabled ? json_object_new_int64(w->uid) : NULL);
	json_object_object_add(o, "started_unix_ns", json_object_new_uint64(w->started_unix_ns));
	json_object_object_add(o, "restarts", json_object_new_int64(w->restarts));
	json_object_object_add(o, "restart_delay_ms", json_object_new_int64(w->restart_delay_ms));
	if (w->restart_due_unix_ns)
		json_object_object_add(o, "restart_due_unix_ns",
				       json_object_new_uint64(w->restart_due_unix_ns));
	if (w->volume_wants_key)
		json_object_object_add(o, "volume_wants_key", json_object_new_boolean(1));
	if (w->keep_volume)
		json_object_object_add(o, "keep_volume", json_object_new_boolean(1));
	json_object_object_add(o, "cgroup", json_object_new_string(w->cgroup));
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(w->cgroup_id));
	json_object_object_add(o, "created_unix_ns", json_object_new_uint64(w->created_unix_ns));
	json_object_object_add(o, "host_ifname", json_object_new_string(w->host_ifname));
	json_object_object_add(o, "ifindex", json_object_new_int(w->ifindex));
	json_object_object_add(o, "netns", json_object_new_string(w->netns));
	return o;
}

static struct json_object *legacy_jail(void)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "enabled", json_object_new_boolean(0));
	return j;
}

const char *vigil_workload_exit_reason(const struct vigil_workload *w)
{
	static char buf[64];
	const char *name;

	if (!w->has_exit)
		return "";
	/* a shell reports a signal that ended its child as 128 + its number */
	if (!w->exit_signal && w->exit_status > 128 && w->exit_status - 128 < NSIG &&
	    (name = sigabbrev_np(w->exit_status - 128))) {
		snprintf(buf, sizeof(buf), "exited with status %d (128 + SIG%s)", w->exit_status,
			 name);
		return buf;
	}
	if (!w->exit_signal) {
		snprintf(buf, sizeof(buf), "exited with status %d", w->exit_status);
		return buf;
	}
	name = sigabbrev_np(w->exit_signal);
	snprintf(buf, sizeof(buf), "killed by SIG%s%s", name ? name : "?",
		 w->exit_signal == SIGSYS ? " (seccomp)" : "");
	return buf;
}

static int get_field(struct json_object *o, const char *key, enum json_type type,
		     struct json_object **ret, char *err, size_t len)
{
	if (!json_object_object_get_ex(o, key, ret) || !json_object_is_type(*ret, type)) {
		snprintf(err, len, "field \"%s\" missing or of the wrong type", key);
		return -EINVAL;
	}
	return 0;
}

static int copy_string(struct json_object *o, const char *key, char *dst, size_t dst_len, char *err,
		       size_t len)
{
	struct json_object *v;
	int ret = get_field(o, key, json_type_string, &v, err, len);

	if (ret < 0)
		return ret;
	if (strlen(json_object_get_string(v)) >= dst_len) {
		snprintf(err, len, "field \"%s\" too long", key);
		return -EINVAL;
	}
	snprintf(dst, dst_len, "%s", json_object_get_string(v));
	return 0;
}

/* A field a record may lack: 0 then, and for anything but a non-negative integer. */
static uint64_t optional_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return 0;
	return json_object_get_uint64(v);
}

int vigil_workload_from_json(struct json_object *obj, struct vigil_workload *ret, char *err,
			     size_t err_len)
{
	struct vigil_workload w = { 0 };
	struct json_object *v;
	int r;

	r = get_field(obj, "spec", json_type_object, &v, err, err_len);
	/* a record from before the jail: its workload was made unjailed and stays so */
	if (!r && !json_object_object_get_ex(v, "jail", NULL))
		json_object_object_add(v, "jail", legacy_jail());
	if (!r)
		r = vigil_workload_spec_from_json(v, &w.spec, err, err_len);
	if (r < 0)
		return r;
	if ((r = get_field(obj, "slot", json_type_int, &v, err, err_len)) < 0)
		goto fail;
	w.slot = (uint32_t)json_object_get_int64(v);
	if ((r = get_field(obj, "state", json_type_string, &v, err, err_len)) < 0)
		goto fail;
	r = state_from_name(json_object_get_string(v), &w.state);
	if (r < 0) {
		snprintf(err, err_len, "unknown state \"%s\"", json_object_get_string(v));
		goto fail;
	}
	/* optional: only a stop or delete under way writes it */
	if (json_object_object_get_ex(obj, "pending", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     pending_from_name(json_object_get_string(v), &w.pending) < 0)) {
		snprintf(err, err_len, "unknown pending operation \"%s\"",
			 json_object_get_string(v));
		r = -EINVAL;
		goto fail;
	}
	if ((r = get_field(obj, "pid", json_type_int, &v, err, err_len)) < 0)
		goto fail;
	w.pid = json_object_get_int(v);
	if (json_object_object_get_ex(obj, "exit_status", &v) &&
	    json_object_is_type(v, json_type_int)) {
		w.has_exit = true;
		w.exit_status = json_object_get_int(v);
	}
	if (w.spec.jail.enabled) {
		if ((r = get_field(obj, "uid", json_type_int, &v, err, err_len)) < 0)
			goto fail;
		w.uid = (uint32_t)json_object_get_int64(v);
	}
	if (json_object_object_get_ex(obj, "exit_signal", &v) &&
	    json_object_is_type(v, json_type_int))
		w.exit_signal = json_object_get_int(v);
	/* optional: records from before restarts have none */
	w.started_unix_ns = optional_u64(obj, "started_unix_ns");
	w.restarts = (uint32_t)optional_u64(obj, "restarts");
	w.restart_delay_ms = (uint32_t)optional_u64(obj, "restart_delay_ms");
	w.restart_due_unix_ns = optional_u64(obj, "restart_due_unix_ns");
	/* optional: only a workload with a volume has them, and only while they hold */
	w.volume_wants_key = json_object_object_get_ex(obj, "volume_wants_key", &v) &&
			     json_object_get_boolean(v);
	w.keep_volume =
		json_object_object_get_ex(obj, "keep_volume", &v) && json_object_get_boolean(v);
	if ((r = copy_string(obj, "cgroup", w.cgroup, sizeof(w.cgroup), err, err_len)) < 0 ||
	    (r = copy_string(obj, "host_ifname", w.host_ifname, sizeof(w.host_ifname), err,
			     err_len)) < 0 ||
	    (r = copy_string(obj, "netns", w.netns, sizeof(w.netns), err, err_len)) < 0)
		goto fail;
	if ((r = get_field(obj, "cgroup_id", json_type_int, &v, err, err_len)) < 0)
		goto fail;
	w.cgroup_id = json_object_get_uint64(v);
	if ((r = get_field(obj, "created_unix_ns", json_type_int, &v, err, err_len)) < 0)
		goto fail;
	w.created_unix_ns = json_object_get_uint64(v);
	if ((r = get_field(obj, "ifindex", json_type_int, &v, err, err_len)) < 0)
		goto fail;
	w.ifindex = json_object_get_int(v);
	*ret = w;
	return 0;
fail:
	vigil_workload_spec_free(&w.spec);
	return r;
}

static int records_dir(const char *state_dir, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/workloads", state_dir) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int vigil_registry_init(const char *state_dir)
{
	char dir[PATH_MAX];
	int ret = records_dir(state_dir, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int vigil_registry_save(const char *state_dir, const struct vigil_workload *w)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], tmp[PATH_MAX + 64];
	struct json_object *o;
	const char *text;
	char *line;
	int ret;

	ret = records_dir(state_dir, dir, sizeof(dir));
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/%s.json", dir, w->spec.id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", dir, w->spec.id);
	o = vigil_workload_to_json(w);
	if (!o)
		return -ENOMEM;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (asprintf(&line, "%s\n", text) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vigil_file_replace(path, tmp, line, strlen(line), 0600);
	free(line);
out:
	json_object_put(o);
	return ret;
}

int vigil_registry_remove(const char *state_dir, const char *id)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int ret = records_dir(state_dir, dir, sizeof(dir));

	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	if (unlink(path) < 0)
		return -errno;
	return vigil_fsync_dir(dir);
}

static void set_aside(int dirfd, const char *name)
{
	char broken[NAME_MAX + 16];

	snprintf(broken, sizeof(broken), "%s.broken", name);
	(void)renameat(dirfd, name, dirfd, broken);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads one record file; `reason` says why it cannot be used. */
static int load_one(int dirfd, const char *name, struct vigil_workload *ret, char *reason,
		    size_t len)
{
	char text[65536], id[NAME_MAX + 1];
	struct json_object *obj = NULL;
	ssize_t n;
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(reason, len, "%s", strerror(errno));
		return -errno;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0 || n == sizeof(text) - 1) {
		snprintf(reason, len, "%s", n < 0 ? strerror(errno) : "too large");
		return -EINVAL;
	}
	text[n] = '\0';
	r = vigil_json_parse(text, &obj, reason, len);
	if (r < 0)
		return r;
	r = vigil_workload_from_json(obj, ret, reason, len);
	json_object_put(obj);
	if (r < 0)
		return r;
	snprintf(id, sizeof(id), "%.*s", (int)(strlen(name) - 5), name);
	if (strcmp(id, ret->spec.id) != 0) {
		snprintf(reason, len, "holds workload \"%s\"", ret->spec.id);
		vigil_workload_spec_free(&ret->spec);
		return -EINVAL;
	}
	return 0;
}

int vigil_registry_load(const char *state_dir, vigil_registry_fn fn, vigil_registry_bad_fn bad,
			void *ctx)
{
	char dir[PATH_MAX], reason[256];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = records_dir(state_dir, dir, sizeof(dir));
	if (ret < 0)
		return ret;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		struct vigil_workload *w;

		if (has_suffix(de->d_name, ".json.tmp")) {
			bad(de->d_name, "left by an interrupted write; the previous record stays",
			    ctx);
			unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".json"))
			continue;
		w = calloc(1, sizeof(*w));
		if (!w) {
			ret = -ENOMEM;
			break;
		}
		if (load_one(dirfd(d), de->d_name, w, reason, sizeof(reason)) < 0) {
			bad(de->d_name, reason, ctx);
			set_aside(dirfd(d), de->d_name);
			free(w);
			continue;
		}
		ret = fn(w, ctx);
	}
	closedir(d);
	return ret;
}
