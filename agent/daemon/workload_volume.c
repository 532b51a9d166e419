// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A workload's encrypted volume (spec volume.size_mib), named after it:
 * made and opened at its start with the key the start request carries,
 * open while it runs and across its restarts (on failure, or vigild's own:
 * the mapping lives in the kernel), closed when its run is over, erased
 * with it unless the delete keeps it. The key is read from the request's
 * pipe into the library's locked memory, used at once and wiped: it never
 * reaches the JSON, the log, the record or a message. A workload that was
 * to run when the host went down finds its volume closed and waits for
 * its key (state "waiting"): vigild cannot open it alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash_point.h"
#include "daemon.h"
#include "log.h"
#include "volume.h"

/* a volume still busy when its workload's run is over: tries, and the pause between */
#define CLOSE_TRIES    5
#define CLOSE_PAUSE_US 100000

void wl_volume_store(const struct vigild *d, struct vigil_volume_store *ret)
{
	ret->state_dir = d->state_dir;
	ret->backing_dirs = d->backing_dirs;
}

static bool has_volume(const struct wl *w)
{
	return w->rec.spec.volume_size_mib != 0;
}

/* What the library's refusal of a key means, for a message that names the workload. */
static int key_fail(struct req_err *e, int err, const char *id)
{
	switch (err) {
	case -ENODATA:
		return req_fail(e, err, "workload \"%s\": the volume key is empty", id);
	case -EINVAL:
		return req_fail(e, err, "workload \"%s\": the volume key is shorter than %d bytes",
				id, VIGIL_VOLUME_KEY_MIN);
	case -EMSGSIZE:
		return req_fail(e, err, "workload \"%s\": the volume key is longer than %d bytes",
				id, VIGIL_VOLUME_KEY_MAX);
	case -ENOMEM:
		return req_fail(e, err,
				"workload \"%s\": no lockable memory for the volume key "
				"(RLIMIT_MEMLOCK)",
				id);
	default:
		return req_fail(e, err, "workload \"%s\": reading the volume key: %s", id,
				strerror(-err));
	}
}

int wl_volume_key_read(const struct wl *w, int fd, struct vigil_volume_key **ret, struct req_err *e)
{
	const char *id = w->rec.spec.id;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct stat st;
	int r;

	if (!has_volume(w))
		return req_fail(e, -EINVAL,
				"workload \"%s\" has no volume: a volume key is for a workload "
				"with one",
				id);
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return req_fail(e, -EINVAL,
				"workload \"%s\": the volume key must come as a pipe's read end",
				id);
	/*
	 * Whole already, its writer gone: then no read can wait, and a client
	 * cannot hold the loop with a pipe it keeps open.
	 */
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLHUP) || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return req_fail(e, -EAGAIN,
				"workload \"%s\": the volume key's pipe is still open for writing "
				"(write the key whole and close it before the request)",
				id);
	r = vigil_volume_key_read_fd(fd, ret);
	return r < 0 ? key_fail(e, r, id) : 0;
}

static int volume_info(const struct vigild *d, const struct wl *w, struct vigil_volume_info *ret,
		       char *err, size_t len)
{
	struct vigil_volume_store st;

	wl_volume_store(d, &st);
	return vigil_volume_info(&st, w->rec.spec.id, ret, err, len);
}

bool wl_volume_is_open(const struct vigild *d, const struct wl *w)
{
	struct vigil_volume_info info;
	char err[256];

	return has_volume(w) && volume_info(d, w, &info, err, sizeof(err)) == 0 && info.open;
}

/* A volume made for this start goes again when the start fails: the start changed nothing. */
static void erase_made(struct vigild *d, struct wl *w)
{
	struct vigil_volume_store st;
	char err[512];
	int r;

	wl_volume_store(d, &st);
	r = vigil_volume_erase(&st, w->rec.spec.id, err, sizeof(err));
	if (r < 0)
		vlog_wl(LOG_ERR, w->rec.spec.id, "erasing the volume made for a failed start: %s",
			err);
}

static int create_volume(struct vigild *d, struct wl *w, const struct vigil_volume_key *key,
			 struct req_err *e)
{
	struct vigil_volume_create_opts o = {
		.id = w->rec.spec.id,
		.size_mib = w->rec.spec.volume_size_mib,
	};
	struct vigil_volume_store st;
	char err[512];
	int r;

	wl_volume_store(d, &st);
	r = vigil_volume_create(&st, &o, key, err, sizeof(err));
	if (r < 0)
		return req_fail(e, r, "workload \"%s\": making its volume: %s", o.id, err);
	vlog_wl(LOG_INFO, o.id, "volume of %llu MiB made",
		(unsigned long long)w->rec.spec.volume_size_mib);
	return 0;
}

/* A key given for a volume that is open already must still be its key: none is taken on trust. */
static int check_open_key(struct vigild *d, struct wl *w, const struct vigil_volume_key *key,
			  struct req_err *e)
{
	struct vigil_volume_store st;
	char err[512];
	int r;

	wl_volume_store(d, &st);
	r = vigil_volume_check_key(&st, w->rec.spec.id, key, err, sizeof(err));
	return r < 0 ? req_fail(e, r, "workload \"%s\": %s", w->rec.spec.id, err) : 0;
}

int wl_volume_attach(struct vigild *d, struct wl *w, const struct vigil_volume_key *key,
		     bool *ret_opened, bool *ret_created, struct req_err *e)
{
	const char *id = w->rec.spec.id;
	uint64_t want = w->rec.spec.volume_size_mib << 20;
	struct vigil_volume_store st;
	struct vigil_volume_info info;
	char err[512];
	int r;

	*ret_opened = *ret_created = false;
	if (!has_volume(w))
		return 0;
	r = volume_info(d, w, &info, err, sizeof(err));
	if (r < 0 && r != -ENOENT)
		return req_fail(e, r, "workload \"%s\": its volume: %s", id, err);
	if (!r && info.open)
		return key ? check_open_key(d, w, key, e) : 0;
	if (!key) {
		snprintf(e->hint, sizeof(e->hint), "vigil workload start %s --volume-key-file FILE",
			 id);
		return req_fail(e, -ENOKEY,
				"workload \"%s\": its volume is locked: start it with the volume "
				"key (vigil workload start %s --volume-key-file FILE, or - for "
				"stdin)",
				id, id);
	}
	if (!r && info.size_bytes != want)
		return req_fail(
			e, -EINVAL,
			"workload \"%s\": its volume holds %llu MiB, the spec says %llu MiB", id,
			(unsigned long long)(info.size_bytes >> 20),
			(unsigned long long)w->rec.spec.volume_size_mib);
	if (r == -ENOENT) {
		r = create_volume(d, w, key, e);
		if (r < 0)
			return r;
		*ret_created = true;
	}
	wl_volume_store(d, &st);
	/* as vigil volume open does by default: dm-crypt's work queues bypassed where it can */
	r = vigil_volume_open(&st, id, key, VIGIL_VOLUME_OPEN_NO_WORKQUEUE, err, sizeof(err));
	if (r < 0) {
		req_fail(e, r, "workload \"%s\": opening its volume: %s", id, err);
		if (*ret_created)
			erase_made(d, w);
		*ret_created = false;
		return r;
	}
	*ret_opened = true;
	w->volume_busy = false;
	crash_point(CRASH_VOLUME_OPENED);
	vlog_wl(LOG_INFO, id, "volume opened");
	return 0;
}

void wl_volume_detach(struct vigild *d, struct wl *w, bool opened, bool created)
{
	if (opened)
		wl_volume_close(d, w);
	if (created)
		erase_made(d, w);
}

void wl_volume_close(struct vigild *d, struct wl *w)
{
	const char *id = w->rec.spec.id;
	struct vigil_volume_store st;
	char err[512];
	int r = 0;

	if (!wl_volume_is_open(d, w))
		return;
	wl_volume_store(d, &st);
	for (int i = 0; i < CLOSE_TRIES; i++) {
		r = vigil_volume_close(&st, id, err, sizeof(err));
		if (r != -EBUSY)
			break;
		/* what the workload left holding it (its last writes) is still going */
		usleep(CLOSE_PAUSE_US);
	}
	w->volume_busy = r == -EBUSY;
	if (r == -EBUSY) {
		vlog_wl(LOG_ERR, id,
			"closing its volume: %s; left open: close it with vigil volume close %s "
			"once nothing holds it",
			err, id);
		return;
	}
	if (r < 0) {
		vlog_wl(LOG_ERR, id, "closing its volume: %s", err);
		return;
	}
	crash_point(CRASH_VOLUME_CLOSED);
	vlog_wl(LOG_INFO, id, "volume closed");
}

void wl_volume_wait_key(struct vigild *d, struct wl *w, const char *why)
{
	int r;

	w->rec.volume_wants_key = true;
	wl_restart_forget(d, w);
	r = wl_save(d, &w->rec);
	vlog_wl(LOG_NOTICE, w->rec.spec.id,
		"%s: waiting for its volume key (vigil workload start %s --volume-key-file FILE)",
		why, w->rec.spec.id);
	if (r < 0)
		vlog_wl(LOG_ERR, w->rec.spec.id, "recording that it waits: %s", strerror(-r));
}

int wl_volume_delete(struct vigild *d, struct wl *w, struct req_err *e)
{
	const char *id = w->rec.spec.id;
	struct vigil_volume_store st;
	char err[512];
	int r;

	if (!has_volume(w))
		return 0;
	if (w->rec.keep_volume) {
		wl_volume_close(d, w);
		if (w->volume_busy)
			return req_fail(
				e, -EBUSY,
				"workload \"%s\": its volume is still in use and stays open", id);
		vlog_wl(LOG_NOTICE, id, "its volume is kept (vigil volume show %s)", id);
		return 0;
	}
	wl_volume_store(d, &st);
	r = vigil_volume_erase(&st, id, err, sizeof(err));
	/* never made (it never started), or erased by a delete that was interrupted */
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return req_fail(e, r, "workload \"%s\": erasing its volume: %s", id, err);
	crash_point(CRASH_DELETE_VOLUME);
	vlog_wl(LOG_NOTICE, id, "its volume is erased");
	return 0;
}

void wl_volume_repair(struct vigild *d, struct wl *w, bool ended_unseen)
{
	struct vigil_workload *r = &w->rec;
	bool open;

	if (!has_volume(w) || r->state == VIGIL_WL_DELETED || r->state == VIGIL_WL_RUNNING ||
	    r->pending != VIGIL_PENDING_NONE)
		return;
	open = wl_volume_is_open(d, w);
	/* the host went down under it (a mapping outlives only vigild) */
	if (!open && (ended_unseen || w->restart_due_ms)) {
		wl_volume_wait_key(d, w, "it was running and its volume is closed");
		return;
	}
	/* a run that ended (or a start interrupted) while vigild was down */
	if (open && !w->restart_due_ms)
		wl_volume_close(d, w);
}

static const char *volume_state(const struct vigild *d, const struct wl *w,
				const struct vigil_volume_info *info, int info_ret)
{
	if (info_ret == -ENOENT)
		return "absent";
	if (info_ret == 0 && info->open)
		return "open";
	return w->rec.volume_wants_key ? "locked" : "closed";
}

struct json_object *wl_volume_view(const struct vigild *d, const struct wl *w)
{
	struct json_object *o;
	struct vigil_volume_info info;
	char err[512], device[VIGIL_VOLUME_MAPPER_SIZE];
	int r;

	if (!has_volume(w))
		return NULL;
	r = volume_info(d, w, &info, err, sizeof(err));
	o = json_object_new_object();
	vigil_volume_mapper_path(w->rec.spec.id, device, sizeof(device));
	json_object_object_add(o, "size_mib", json_object_new_uint64(w->rec.spec.volume_size_mib));
	json_object_object_add(o, "device", json_object_new_string(device));
	json_object_object_add(o, "state", json_object_new_string(volume_state(d, w, &info, r)));
	if (r < 0 && r != -ENOENT)
		json_object_object_add(o, "problem", json_object_new_string(err));
	else if (w->volume_busy && r == 0 && info.open)
		json_object_object_add(
			o, "problem",
			json_object_new_string("still in use when its run ended: left open"));
	return o;
}
