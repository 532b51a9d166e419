// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event loop: control connections (control_conns.c), exits of workload processes, QMP
 * exchanges of stops, restarts, the ledger's epochs, changes of the host's addresses, and
 * SIGTERM/SIGINT,
 * which end the loop and leave workloads running and every BPF object pinned.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t loop_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Returns 1 when a stop signal arrived. */
static int read_signal(struct vigild *d)
{
	struct signalfd_siginfo si;

	if (read(d->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	vlog(LOG_INFO, "%s received, stopping (workloads keep running)",
	     strsignal((int)si.ssi_signo));
	return 1;
}

int run_loop(struct vigild *d)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.ptr = &d->listen_fd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev) < 0)
		return -errno;
	ev.data.ptr = &d->sigfd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev) < 0)
		return -errno;
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(d->epfd, evs, 16, conns_timeout_ms(d));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &d->sigfd) {
				if (read_signal(d))
					return 0;
			} else if (evs[i].data.ptr == &d->listen_fd) {
				conns_accept(d);
			} else if (conns_own(d, evs[i].data.ptr)) {
				conns_event(d, evs[i].data.ptr, evs[i].events);
			} else if (evs[i].data.ptr == &d->epoch_fd) {
				accounting_epoch(d);
			} else if (evs[i].data.ptr == &d->addr_fd) {
				isolation_addresses_changed(d);
			} else if (evs[i].data.ptr == &d->teardown_fd) {
				net_teardown_collect(d);
			} else if (wl_qmp_own(d, evs[i].data.ptr)) {
				wl_qmp_event(d, evs[i].data.ptr, evs[i].events);
			} else {
				wl_exited(d, evs[i].data.ptr);
			}
		}
		request_stops_progress(d);
		wl_restarts_due(d);
		conns_expire(d);
	}
}
