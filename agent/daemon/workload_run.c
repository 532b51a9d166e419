// SPDX-License-Identifier: GPL-2.0-or-later
/* Starting a workload's command, stopping it, and noticing when it ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash_point.h"
#include "daemon.h"
#include "log.h"
#include "spawn.h"

#define KILL_WAIT_MS 5000

static int open_log(struct vigild *d, const char *id)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s.log", d->logs_dir, id);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

int wl_watch(struct vigild *d, struct wl *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->pidfd, &ev) < 0)
		return -errno;
	return 0;
}

static int spawn_command(struct vigild *d, struct wl *w, pid_t *pid, int *pidfd, struct req_err *e)
{
	struct vigil_spawn_opts o = { .cgroup_fd = -1, .netns_fd = -1, .output_fd = -1 };
	const char *id = w->rec.spec.id;
	char **argv = NULL;
	int ret;

	/* before its first instruction, jailed or not */
	ret = jail_write_limits(d, w, e);
	if (ret < 0)
		return ret;
	ret = vigil_workload_spec_argv(&w->rec.spec, &argv);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": %s", id, strerror(-ret));
	o.cgroup_fd = open(w->rec.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o.cgroup_fd < 0) {
		ret = req_fail(e, -errno, "workload \"%s\": cgroup %s: %s", id, w->rec.cgroup,
			       strerror(errno));
		goto out;
	}
	if (w->rec.netns[0]) {
		o.netns_fd = open(w->rec.netns, O_RDONLY | O_CLOEXEC);
		if (o.netns_fd < 0) {
			ret = req_fail(e, -errno, "workload \"%s\": network namespace %s: %s", id,
				       w->rec.netns, strerror(errno));
			goto out;
		}
	}
	o.output_fd = open_log(d, id);
	if (o.output_fd < 0) {
		ret = req_fail(e, -errno, "workload \"%s\": log file in %s: %s", id, d->logs_dir,
			       strerror(errno));
		goto out;
	}
	if (w->rec.spec.jail.enabled) {
		ret = jail_spawn(d, w, &o, argv, pid, pidfd, e);
		goto out;
	}
	ret = vigil_spawn(&o, argv, pid, pidfd, NULL);
	if (ret < 0)
		req_fail(e, ret, "workload \"%s\": cannot execute \"%s\": %s", id, argv[0],
			 strerror(-ret));
out:
	if (o.output_fd >= 0)
		close(o.output_fd);
	if (o.netns_fd >= 0)
		close(o.netns_fd);
	if (o.cgroup_fd >= 0)
		close(o.cgroup_fd);
	vigil_argv_free(argv);
	return ret;
}

int wl_run(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_workload old = w->rec;
	pid_t pid;
	int pidfd, ret;

	ret = spawn_command(d, w, &pid, &pidfd, e);
	if (ret < 0)
		return ret;
	crash_point(CRASH_START_SPAWNED);
	w->rec.state = VIGIL_WL_RUNNING;
	w->rec.pid = pid;
	w->rec.started_unix_ns = loop_unix_ns();
	w->pidfd = pidfd;
	w->child = true;
	ret = wl_watch(d, w);
	if (!ret)
		ret = wl_save(d, &w->rec);
	if (ret < 0) {
		/* not recorded as running, so it must not run */
		req_fail(e, ret, "workload \"%s\": recording its start: %s", w->rec.spec.id,
			 strerror(-ret));
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		waitpid(pid, NULL, 0);
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, pidfd, NULL);
		close(pidfd);
		w->pidfd = -1;
		if (w->status_fd >= 0)
			close(w->status_fd);
		w->status_fd = -1;
		w->rec = old;
		return ret;
	}
	crash_point(CRASH_START_RECORD);
	return 0;
}

int wl_start(struct vigild *d, struct wl *w, const struct vigil_volume_key *key, struct req_err *e)
{
	struct vigil_workload before = w->rec;
	bool opened, created;
	int ret;

	if (w->rec.state == VIGIL_WL_RUNNING || w->rec.state == VIGIL_WL_DELETED)
		return req_fail(e, -EINVAL, "workload \"%s\" is %s", w->rec.spec.id,
				vigil_workload_state_name(w->rec.state));
	if (w->rec.pending == VIGIL_PENDING_DELETE)
		return req_fail(e, -EBUSY,
				"workload \"%s\" is being deleted (a delete that failed midway: "
				"repeat it)",
				w->rec.spec.id);
	/* the admin's start: the policy's count starts over, and a restart that was due is this */
	w->rec.has_exit = false;
	w->rec.exit_signal = 0;
	w->rec.restarts = 0;
	w->rec.restart_delay_ms = 0;
	w->rec.restart_due_unix_ns = 0;
	ret = wl_volume_attach(d, w, key, &opened, &created, e);
	if (ret < 0) {
		w->rec = before;
		return ret;
	}
	w->rec.volume_wants_key = false;
	ret = wl_run(d, w, e);
	if (ret < 0) {
		w->rec = before;
		wl_volume_detach(d, w, opened, created);
		return ret;
	}
	wl_restart_forget(d, w);
	return 0;
}

/* exit code, or 128 + signal as shells report it, and the signal */
static void set_exit(struct vigil_workload *r, bool exited, int code_or_signal)
{
	r->has_exit = true;
	r->exit_status = exited ? code_or_signal : 128 + code_or_signal;
	r->exit_signal = exited ? 0 : code_or_signal;
}

/*
 * The daemon's child is a jailed workload's reaper; the workload's own wait
 * status is what the reaper reported, when it lived to.
 */
static void collect_exit(struct wl *w)
{
	siginfo_t si = { 0 };
	int status;

	if (w->child && waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid)
		set_exit(&w->rec, si.si_code == CLD_EXITED, si.si_status);
	if (w->status_fd < 0)
		return;
	if (read(w->status_fd, &status, sizeof(status)) == sizeof(status))
		set_exit(&w->rec, WIFEXITED(status),
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	close(w->status_fd);
	w->status_fd = -1;
}

/*
 * The main process is gone: its exit recorded, and with `may_restart` (no
 * stop or delete ended it) the restart policy's next start scheduled.
 */
static void record_exit(struct vigild *d, struct wl *w, bool may_restart)
{
	char restart[64] = "";
	uint32_t delay;
	int ret;

	if (w->pidfd < 0)
		return;
	/* the last run's exit goes: this one's is known, or unknown */
	w->rec.has_exit = false;
	w->rec.exit_status = 0;
	w->rec.exit_signal = 0;
	collect_exit(w);
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
	close(w->pidfd);
	w->pidfd = -1;
	w->child = false;
	if (w->rec.state == VIGIL_WL_RUNNING)
		w->rec.state = VIGIL_WL_STOPPED;
	if (may_restart && wl_restart_wanted(w)) {
		delay = wl_restart_schedule(d, w);
		snprintf(restart, sizeof(restart), "; restart %u in %u ms", w->rec.restarts + 1,
			 delay);
	}
	ret = wl_save(d, &w->rec);
	vlog_wl(restart[0] ? LOG_NOTICE : LOG_INFO, w->rec.spec.id, "process %d %s%s", w->rec.pid,
		w->rec.has_exit ? vigil_workload_exit_reason(&w->rec) : "exited (status unknown)",
		restart);
	if (ret < 0)
		vlog_wl(LOG_ERR, w->rec.spec.id, "recording its exit: %s", strerror(-ret));
	if (restart[0])
		crash_point(CRASH_RESTART_SCHEDULED);
}

void wl_exited(struct vigild *d, struct wl *w)
{
	record_exit(d, w, !w->stopping && w->rec.pending == VIGIL_PENDING_NONE);
	/* a restart keeps its volume open; a stop closes it once the stop is over */
	if (!w->stopping && !w->restart_due_ms)
		wl_volume_close(d, w);
}

static void set_stopping(struct vigild *d, struct wl *w, bool stopping)
{
	if (w->stopping != stopping)
		d->n_stopping += stopping ? 1 : -1;
	w->stopping = stopping;
}

static uint32_t stop_timeout_ms(const struct vigild *d, const struct wl *w)
{
	return w->rec.spec.stop.timeout_s ? w->rec.spec.stop.timeout_s * 1000 : d->stop_timeout_ms;
}

void wl_stop_fallback(struct vigild *d, struct wl *w, const char *why)
{
	int sig = w->rec.spec.stop.signal;

	/* it powered off while the exchange ended: nothing to fall back for */
	if (wl_cgroup_empty(w))
		return;
	vlog_wl(LOG_WARNING, w->rec.spec.id, "QMP: %s; stopping it with %s instead", why,
		vigil_stop_signal_name(sig));
	wl_cgroup_signal(d, w, sig);
	w->stop_sent = vigil_stop_signal_name(sig);
}

/*
 * The stop begins: through QMP when the spec says so and the VMM can be
 * reached (the signal at once when not), else with the spec's signal; the
 * loop kills what is left at the deadline.
 */
static void stop_now(struct vigild *d, struct wl *w, uint32_t timeout_ms)
{
	char why[256];

	set_stopping(d, w, true);
	w->killed = false;
	w->stop_deadline_ms = loop_now_ms() + timeout_ms;
	w->stop_sent = vigil_stop_signal_name(w->rec.spec.stop.signal);
	if (w->rec.spec.stop.method != VIGIL_STOP_QMP || w->pidfd < 0)
		wl_cgroup_signal(d, w, w->rec.spec.stop.signal);
	else if (wl_qmp_begin(d, w, timeout_ms, why, sizeof(why)) == 0)
		w->stop_sent = "QMP system_powerdown";
	else
		wl_stop_fallback(d, w, why);
	crash_point(CRASH_STOP_SIGNALLED);
}

int wl_stop_begin(struct vigild *d, struct wl *w, enum vigil_workload_pending why,
		  struct req_err *e)
{
	int ret;

	if (w->rec.state != VIGIL_WL_RUNNING)
		return req_fail(e, -EINVAL, "workload \"%s\" is not running (state %s)",
				w->rec.spec.id, vigil_workload_state_name(w->rec.state));
	if (w->stopping)
		return req_fail(e, -EBUSY, "workload \"%s\" is stopping already", w->rec.spec.id);
	ret = wl_record_pending(d, w, why);
	/*
	 * A delete that cannot be recorded is refused, as it would be later; a
	 * stop goes on: it is how an admin ends a runaway workload, and its
	 * record catches up when the disk has room again (or at the next start).
	 */
	if (ret < 0 && why == VIGIL_PENDING_DELETE)
		return req_fail(e, ret, "workload \"%s\": recording its delete: %s", w->rec.spec.id,
				strerror(-ret));
	if (ret < 0)
		vlog_wl(LOG_WARNING, w->rec.spec.id, "recording its stop: %s", strerror(-ret));
	w->rec.pending = why;
	crash_point(CRASH_STOP_PENDING);
	stop_now(d, w, stop_timeout_ms(d, w));
	return 0;
}

void wl_resume_pending(struct vigild *d, struct wl *w)
{
	if (w->rec.pending == VIGIL_PENDING_NONE || w->rec.state == VIGIL_WL_DELETED)
		return;
	vlog_wl(LOG_NOTICE, w->rec.spec.id, "finishing the %s that was under way",
		w->rec.pending == VIGIL_PENDING_DELETE ? "delete" : "stop");
	w->waiting = NULL;
	w->waiting_cmd = w->rec.pending == VIGIL_PENDING_DELETE ? "delete" : "stop";
	/* nothing left to stop: the loop goes straight on to what comes after */
	stop_now(d, w, w->rec.state == VIGIL_WL_RUNNING ? stop_timeout_ms(d, w) : 0);
}

int wl_stop_progress(struct vigild *d, struct wl *w, int *ret_err, struct req_err *e)
{
	*ret_err = 0;
	wl_qmp_expire(d, w);
	if (!wl_cgroup_empty(w)) {
		/* what forked while it was being killed */
		if (w->killed && loop_now_ms() < w->stop_deadline_ms)
			wl_cgroup_kill(d, w);
		if (loop_now_ms() < w->stop_deadline_ms)
			return 0;
		if (!w->killed) {
			wl_qmp_close(d, w);
			vlog_wl(LOG_WARNING, w->rec.spec.id,
				"still running %u ms after %s, killing it", stop_timeout_ms(d, w),
				w->stop_sent);
			wl_cgroup_kill(d, w);
			w->killed = true;
			w->stop_deadline_ms = loop_now_ms() + KILL_WAIT_MS;
			return 0;
		}
		wl_qmp_close(d, w);
		set_stopping(d, w, false);
		w->rec.pending = VIGIL_PENDING_NONE;
		*ret_err =
			req_fail(e, -EBUSY, "workload \"%s\": processes left in %s after SIGKILL",
				 w->rec.spec.id, w->rec.cgroup);
		if (wl_save(d, &w->rec) < 0)
			vlog_wl(LOG_ERR, w->rec.spec.id, "recording its failed stop");
		return 1;
	}
	wl_qmp_close(d, w);
	set_stopping(d, w, false);
	/* a delete's intent stays until the delete is done (wl_delete) */
	if (w->rec.pending == VIGIL_PENDING_STOP)
		w->rec.pending = VIGIL_PENDING_NONE;
	if (w->pidfd >= 0) {
		record_exit(d, w, false);
		wl_volume_close(d, w);
		return 1;
	}
	w->rec.state = VIGIL_WL_STOPPED;
	if (wl_save(d, &w->rec) < 0)
		*ret_err = req_fail(e, -EIO, "workload \"%s\": recording its stop failed",
				    w->rec.spec.id);
	wl_volume_close(d, w);
	return 1;
}

int wl_stop_timeout_ms(const struct vigild *d)
{
	/* how often an emptying cgroup is looked at */
	return d->n_stopping ? 20 : -1;
}
