// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's table of workloads and what it asks the host about them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
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

int wl_save(struct vigild *d, const struct vigil_workload *r)
{
	int ret = vigil_registry_save(d->state_dir, r), err;

	if (ret < 0)
		return ret;
	err = vigil_meter_slot_set_run_state(d->meter, r->slot, vigil_workload_record_state(r));
	if (err)
		vlog_wl(LOG_WARNING, r->spec.id, "recording its state in slot %u: %s", r->slot,
			strerror(-err));
	return ret;
}

int wl_record_pending(struct vigild *d, struct wl *w, enum vigil_workload_pending why)
{
	struct vigil_workload rec = w->rec;
	int ret;

	if (w->rec.pending == why)
		return 0;
	rec.pending = why;
	ret = wl_save(d, &rec);
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

/*
 * Whether the process the pidfd `fd` holds, `pid`, is in the cgroup whose
 * path under the v2 mount is `rel`: /proc/PID is read and only then is the
 * pidfd asked whether its process still lives, so what was read was its.
 */
static bool in_cgroup(pid_t pid, int fd, const char *rel)
{
	char path[64], buf[PATH_MAX + 64], *line;
	bool found = false;
	ssize_t n;
	int cfd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	cfd = open(path, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		return false;
	n = read(cfd, buf, sizeof(buf) - 1);
	close(cfd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* the v2 hierarchy's line, "0::/PATH" */
	for (line = buf; line && !found; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		found = strncmp(line, "0::", 3) == 0 && strncmp(line + 3, rel, strlen(rel)) == 0 &&
			line[3 + strlen(rel)] == '\n';
	return found && syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
}

void wl_cgroup_signal(const struct vigild *d, const struct wl *w, int sig)
{
	const char *rel = w->rec.cgroup + strlen(d->cgroup_mount);
	int pids[1024], fd;
	size_t n;

	if (wl_cgroup_procs(w, pids, 1024, &n) < 0)
		return;
	/* a pid read from cgroup.procs may be another process's by now: signalled by pidfd */
	for (size_t i = 0; i < n && i < 1024; i++) {
		fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
		if (fd < 0)
			continue;
		if (in_cgroup(pids[i], fd, rel))
			syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
		close(fd);
	}
}

/*
 * Not cgroup.kill: on 6.18 (seen here) a cgroup killed through it once
 * kills every process cloned into it afterwards with CLONE_INTO_CGROUP,
 * which is how a workload starts, so the workload could never start again.
 * A process that forks while it is being killed leaves a child for the
 * next call: the stop calls it until the cgroup is empty.
 */
void wl_cgroup_kill(const struct vigild *d, const struct wl *w)
{
	wl_cgroup_signal(d, w, SIGKILL);
}

bool wl_cgroup_empty(const struct wl *w)
{
	int pids[1];
	size_t n;

	return wl_cgroup_procs(w, pids, 1, &n) < 0 || n == 0;
}
