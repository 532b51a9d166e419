// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The usage ledger in vigild: every epoch one record per workload, and a
 * final record as soon as a workload is deleted. A write that fails (disk
 * full, database busy) loses nothing: the records are cumulative, so the
 * workloads stay pending and the next attempt covers the whole window since
 * the last durable record; /healthz and the ledger metrics show the failure
 * meanwhile. Only once a deleted workload's final record is durable are its
 * slot (and counters) and its registry record released.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_limits.h"
#include "crash_point.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

static int read_boot_id(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret < 0 ? ret : (buf[0] ? 0 : -EIO);
}

static void note_flags(struct vigild *d)
{
	struct vigil_ledger_status *st = &d->ledger_status;
	const char *names[VIGIL_LEDGER_MAX_FLAGS];
	uint64_t counts[VIGIL_LEDGER_MAX_FLAGS];

	st->n_flags = vigil_ledger_flags_raised(d->ledger, names, counts, VIGIL_LEDGER_MAX_FLAGS);
	for (size_t i = 0; i < st->n_flags; i++) {
		snprintf(st->flags[i].name, sizeof(st->flags[i].name), "%s", names[i]);
		st->flags[i].count = counts[i];
	}
}

/* The inputs of one epoch, by slot, for the snapshot to fill in. */
struct epoch_usage {
	struct vigil_ledger_input *in;
	/* index into `in` + 1 of each slot's workload; 0: none */
	uint32_t *input_of_slot;
};

static int take_usage(uint32_t slot, const struct vigil_slot *s,
		      const struct vigil_workload_usage *u, void *ctx)
{
	struct epoch_usage *e = ctx;

	if (e->input_of_slot[slot])
		e->in[e->input_of_slot[slot] - 1].usage = *u;
	return 0;
}

/*
 * Appends the records of the workloads in `only` (or of every workload when
 * NULL): one epoch, one transaction, every workload's figures from one
 * snapshot of the meter. Called with d->ledger_lock held.
 */
static int append_locked(struct vigild *d, const struct wl *only, uint64_t end_ns)
{
	struct vigil_ledger_input *in = calloc(d->n_wls ? d->n_wls : 1, sizeof(*in));
	uint32_t *input_of_slot = calloc(VIGIL_MAX_WORKLOADS, sizeof(*input_of_slot));
	struct epoch_usage e = { in, input_of_slot };
	size_t n = 0;
	int ret = 0;

	if (!in || !input_of_slot) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < d->n_wls; i++) {
		const struct wl *w = d->wls[i];
		struct vigil_ledger_input *x = &in[n];

		if ((only && w != only) || w->final_recorded)
			continue;
		x->workload = w->rec.spec.id;
		x->owner = w->rec.spec.owner;
		x->alloc.vcpus = w->rec.spec.vcpus;
		x->alloc.memory_mib = w->rec.spec.memory_mib;
		x->alloc.volume_mib = w->rec.spec.volume_size_mib;
		x->alloc.egress_mbit = w->rec.spec.policy.egress_mbit;
		x->memory_allowed_bytes = vigil_limit_memory_bytes(
			w->rec.spec.memory_mib, w->rec.spec.net_mode == VIGIL_NET_TAP);
		x->boot_id = d->boot_id;
		x->final = w->rec.state == VIGIL_WL_DELETED;
		input_of_slot[w->rec.slot] = (uint32_t)++n;
	}
	/* one workload's final record reads its slot alone */
	if (n && only)
		ret = vigil_meter_read(d->meter, only->rec.slot, &in[0].usage);
	else if (n)
		ret = vigil_meter_read_all(d->meter, take_usage, &e);
	if (ret < 0)
		goto out;
	ret = n ? vigil_ledger_append_epoch(d->ledger, d->window_start_ns, end_ns, in, n) : 0;
	if (ret < 0) {
		d->ledger_status.failing = true;
		d->ledger_status.write_errors++;
		d->ledger_status.pending_records = n;
		snprintf(d->ledger_status.last_error, sizeof(d->ledger_status.last_error), "%s",
			 vigil_ledger_error(d->ledger));
		goto out;
	}
	crash_point(CRASH_EPOCH_APPENDED);
	d->ledger_status.failing = false;
	d->ledger_status.pending_records = 0;
	d->ledger_status.sequence = vigil_ledger_last_seq(d->ledger);
	note_flags(d);
	if (!only)
		d->window_start_ns = end_ns;
out:
	free(input_of_slot);
	free(in);
	return ret;
}

/* Releases the slots and records of deleted workloads whose final record is durable. */
static void purge_finals(struct vigild *d)
{
	size_t kept = 0;

	for (size_t i = 0; i < d->n_wls; i++) {
		struct wl *w = d->wls[i];
		bool final = false;

		if (w->rec.state == VIGIL_WL_DELETED && !w->final_recorded &&
		    vigil_ledger_workload_final(d->ledger, w->rec.spec.id, &final) == 0 && final)
			w->final_recorded = true;
		if (!w->final_recorded) {
			d->wls[kept++] = w;
			continue;
		}
		if (vigil_meter_slot_reset(d->meter, w->rec.slot) < 0 ||
		    vigil_registry_remove(d->state_dir, w->rec.spec.id) < 0) {
			/* tried again after the next epoch */
			d->wls[kept++] = w;
			continue;
		}
		vigil_workload_spec_free(&w->rec.spec);
		free(w);
	}
	d->n_wls = kept;
}

/* Writes the records of `only` (NULL: every workload), then releases what became final. */
static void record(struct vigild *d, const struct wl *only, const char *what)
{
	int ret;

	pthread_mutex_lock(&d->ledger_lock);
	ret = append_locked(d, only, loop_unix_ns());
	if (ret == 0)
		purge_finals(d);
	pthread_mutex_unlock(&d->ledger_lock);
	if (ret < 0)
		vlog(LOG_ERR, "ledger: %s failed (%s: %s); %llu records stay pending\n", what,
		     strerror(-ret), d->ledger_status.last_error,
		     (unsigned long long)d->ledger_status.pending_records);
	exporter_refresh(d);
}

void accounting_epoch(struct vigild *d)
{
	uint64_t expirations;

	if (read(d->epoch_fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	record(d, NULL, "writing an epoch");
}

void accounting_final(struct vigild *d, struct wl *w)
{
	record(d, w, "writing a final record");
}

int accounting_start(struct vigild *d)
{
	struct vigil_ledger_opts lo = { .state_dir = d->state_dir };
	struct itimerspec every = { .it_interval = { .tv_sec = d->epoch_sec },
				    .it_value = { .tv_sec = d->epoch_sec } };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->epoch_fd };
	char err[512];
	int ret;

	ret = read_boot_id(d->boot_id_file ? d->boot_id_file : BOOT_ID_PATH, d->boot_id,
			   sizeof(d->boot_id));
	if (ret < 0) {
		vlog(LOG_ERR, "boot id from %s: %s",
		     d->boot_id_file ? d->boot_id_file : BOOT_ID_PATH, strerror(-ret));
		return ret;
	}
	ret = vigil_ledger_open(&lo, &d->ledger, err, sizeof(err));
	if (ret == -EBADMSG) {
		vlog(LOG_ERR,
		     "the ledger in %s does not verify: %s\n"
		     "refusing to extend it. Keep it for inspection ('vigil ledger verify "
		     "--db %s/" VIGIL_LEDGER_DB_NAME "') and move it aside to start a new "
		     "chain; no usage is lost, the counters live in the pinned maps",
		     d->state_dir, err, d->state_dir);
		return ret;
	}
	if (ret < 0) {
		vlog(LOG_ERR, "ledger in %s: %s", d->state_dir, err);
		return ret;
	}
	d->ledger_status.sequence = vigil_ledger_last_seq(d->ledger);
	note_flags(d);
	d->window_start_ns = vigil_ledger_last_window_end(d->ledger);
	if (!d->window_start_ns)
		d->window_start_ns = loop_unix_ns();
	/* deleted workloads whose final record made it before a crash */
	purge_finals(d);
	d->epoch_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->epoch_fd < 0 || timerfd_settime(d->epoch_fd, 0, &every, NULL) < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->epoch_fd, &ev) < 0) {
		ret = -errno;
		vlog(LOG_ERR, "epoch timer: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

void accounting_stop(struct vigild *d)
{
	if (d->epoch_fd >= 0)
		close(d->epoch_fd);
	vigil_ledger_close(d->ledger);
}
