// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's table of workloads and what it asks the host about them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "errmsg.h"

/* Messages name what a client sent: escaped once here for the log and the reply. */
int req_fail(struct req_err *e, int err, const char *fmt, ...)
{
	char raw[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	vigil_escape(raw, e->msg, sizeof(e->msg));
	return err;
}

struct wl *wl_find(struct vigild *d, const char *id)
{
	for (size_t i = 0; i < d->n_wls; i++) {
		if (strcmp(d->wls[i]->rec.spec.id, id) == 0)
			return d->wls[i];
	}
	return NULL;
}

int wl_add(struct vigild *d, struct wl *w)
{
	if (d->n_wls == d->cap_wls) {
		size_t cap = d->cap_wls ? 2 * d->cap_wls : 64;
		struct wl **n = realloc(d->wls, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		d->wls = n;
		d->cap_wls = cap;
	}
	d->wls[d->n_wls++] = w;
	return 0;
}

int wl_record_pending(struct vigild *d, struct wl *w, enum vigil_workload_pending why)
{
	struct vigil_workload rec = w->rec;
	int ret;

	if (w->rec.pending == why)
		return 0;
	rec.pending = why;
	ret = vigil_registry_save(d->state_dir, &rec);
	if (!ret)
		w->rec.pending = why;
	return ret;
}

int wl_cgroup_procs(const struct wl *w, int *pids, size_t max, size_t *ret_n)
{
	char path[PATH_MAX + 32];
	size_t n = 0;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", w->rec.cgroup);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		if (n < max)
			pids[n] = pid;
		n++;
	}
	fclose(f);
	*ret_n = n;
	return 0;
}
