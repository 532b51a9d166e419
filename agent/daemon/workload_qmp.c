// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stop through the VMM's QMP socket: QEMU's system_powerdown presses the
 * guest's ACPI power button. The socket is in the jail's runtime directory,
 * which the workload owns, so everything about it is the VMM's to forge: it
 * is reached through the jail's root (/proc/PID/root of a process the
 * workload's pidfd vouches for) with openat2() refusing every symlink, it
 * must be a socket of the workload's uid, and it is connected to through the
 * descriptor that was checked. The exchange runs in the event loop without
 * blocking, bounded by qmp_client.h and by a deadline; whatever goes wrong
 * ends it, and the stop falls back to the signal (wl_stop_fallback).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "qmp_client.h"

/* How long the exchange may take, at most: the rest of the stop's time is the guest's. */
#define QMP_DEADLINE_MS 2000

struct wl_qmp {
	struct vigil_qmp proto;
	int fd;
	uint64_t began_ms, deadline_ms;
};

static int fail_with(char *why, size_t len, int err, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(-err));
	return err;
}

/* The jail's root, through a process of the workload's that its pidfd vouches for. */
static int open_jail_root(const struct wl *w, char *why, size_t len)
{
	char path[64];
	int proc, root, err;

	if (w->pidfd < 0 || w->rec.pid <= 0)
		return fail_with(why, len, -ESRCH, "its process");
	snprintf(path, sizeof(path), "/proc/%d", w->rec.pid);
	proc = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		return fail_with(why, len, -errno, "its process");
	/* still alive after the open: the /proc entry is its, not a recycled pid's */
	if (syscall(SYS_pidfd_send_signal, w->pidfd, 0, NULL, 0) < 0) {
		err = -errno;
		close(proc);
		return fail_with(why, len, err, "its process");
	}
	root = openat(proc, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	err = -errno;
	close(proc);
	return root < 0 ? fail_with(why, len, err, "the jail's root") : root;
}

/*
 * The socket, checked and connected to through the descriptor: no symlink
 * on the way (RESOLVE_NO_SYMLINKS), nothing above the jail's root, and a
 * socket the workload's own uid made (a hard link to another socket would
 * keep its owner's).
 */
static int connect_qmp(const struct wl *w, char *why, size_t len)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int root, path_fd, fd, err;
	struct stat st;

	root = open_jail_root(w, why, len);
	if (root < 0)
		return root;
	path_fd = (int)syscall(SYS_openat2, root, &VIGIL_JAIL_QMP_PATH[1], &how, sizeof(how));
	err = -errno;
	close(root);
	if (path_fd < 0)
		return fail_with(why, len, err, VIGIL_JAIL_QMP_PATH);
	if (fstat(path_fd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != w->rec.uid) {
		close(path_fd);
		snprintf(why, len, "%s is not a socket of the workload's", VIGIL_JAIL_QMP_PATH);
		return -EPERM;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", path_fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		close(path_fd);
		/* a full backlog: AF_UNIX says EAGAIN where TCP would wait */
		return fail_with(why, len, err, "connecting to " VIGIL_JAIL_QMP_PATH);
	}
	close(path_fd);
	return fd;
}

int wl_qmp_begin(struct vigild *d, struct wl *w, uint32_t timeout_ms, char *why, size_t len)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct wl_qmp *q;
	int fd = connect_qmp(w, why, len);

	if (fd < 0)
		return fd;
	q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return fail_with(why, len, -ENOMEM, "QMP");
	}
	vigil_qmp_init(&q->proto, "system_powerdown");
	q->fd = fd;
	q->began_ms = loop_now_ms();
	q->deadline_ms =
		q->began_ms + (timeout_ms / 2 < QMP_DEADLINE_MS ? timeout_ms / 2 : QMP_DEADLINE_MS);
	ev.data.ptr = q;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(q);
		return fail_with(why, len, -errno, "watching the QMP socket");
	}
	w->qmp = q;
	return 0;
}

void wl_qmp_close(struct vigild *d, struct wl *w)
{
	if (!w->qmp)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->qmp->fd, NULL);
	close(w->qmp->fd);
	free(w->qmp);
	w->qmp = NULL;
}

static struct wl *owner_of(const struct vigild *d, const void *ptr)
{
	for (size_t i = 0; i < d->n_wls; i++) {
		if (d->wls[i]->qmp && d->wls[i]->qmp == ptr)
			return d->wls[i];
	}
	return NULL;
}

bool wl_qmp_own(const struct vigild *d, const void *ptr)
{
	return owner_of(d, ptr) != NULL;
}

/* The exchange is over: the VMM accepted (ret 1) or it failed (why). */
static void finish(struct vigild *d, struct wl *w, int ret, const char *why)
{
	uint64_t took = loop_now_ms() - w->qmp->began_ms;
	char reason[256];

	snprintf(reason, sizeof(reason), "%s", why);
	wl_qmp_close(d, w);
	if (ret == 1)
		vlog_wl(LOG_INFO, w->rec.spec.id,
			"QMP: system_powerdown accepted after %llu ms; waiting for the guest to "
			"power off",
			(unsigned long long)took);
	else
		wl_stop_fallback(d, w, reason);
}

/* Writes what the protocol has to send; 0, or -errno. */
static int flush(struct vigild *d, struct wl_qmp *q)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = q };
	const char *out;
	size_t n;
	ssize_t sent;

	out = vigil_qmp_output(&q->proto, &n);
	if (n) {
		sent = send(q->fd, out, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0 && errno != EAGAIN)
			return -errno;
		if (sent > 0)
			vigil_qmp_sent(&q->proto, (size_t)sent);
		vigil_qmp_output(&q->proto, &n);
	}
	/* the rest when the VMM has read some: it cannot hold the loop */
	if (n)
		ev.events |= EPOLLOUT;
	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, q->fd, &ev) < 0 ? -errno : 0;
}

void wl_qmp_event(struct vigild *d, void *ptr, uint32_t events)
{
	struct wl *w = owner_of(d, ptr);
	struct wl_qmp *q = ptr;
	char buf[VIGIL_QMP_LINE_MAX];
	ssize_t n;
	int ret = 0, err;

	if (!w)
		return;
	if (events & EPOLLIN) {
		/* one read per event: a flooding VMM takes its turn like everyone else */
		n = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			ret = vigil_qmp_fail(&q->proto, "the VMM closed the QMP connection");
		else if (n < 0 && errno != EAGAIN)
			ret = vigil_qmp_fail(&q->proto, "reading: %s", strerror(errno));
		else if (n > 0)
			ret = vigil_qmp_feed(&q->proto, buf, (size_t)n);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		ret = vigil_qmp_fail(&q->proto, "the VMM closed the QMP connection");
	}
	if (!ret && (err = flush(d, q)) < 0)
		ret = vigil_qmp_fail(&q->proto, "writing: %s", strerror(-err));
	if (ret)
		finish(d, w, ret, q->proto.err);
}

void wl_qmp_expire(struct vigild *d, struct wl *w)
{
	struct wl_qmp *q = w->qmp;

	if (!q || loop_now_ms() < q->deadline_ms)
		return;
	vigil_qmp_fail(&q->proto, "no answer within %llu ms (%s)",
		       (unsigned long long)(q->deadline_ms - q->began_ms),
		       q->proto.step == VIGIL_QMP_GREETING	 ? "waiting for the greeting"
		       : q->proto.step == VIGIL_QMP_CAPABILITIES ? "qmp_capabilities"
								 : "system_powerdown");
	finish(d, w, -EPROTO, q->proto.err);
}
