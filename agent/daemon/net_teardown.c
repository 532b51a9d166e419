// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A deleted workload's interface goes on a thread of its own: the kernel
 * takes 11 to 45 ms to unregister a veth or a tap (RTM_DELLINK waits for
 * RCU grace periods), and the event loop keeps answering meanwhile. The
 * thread touches no daemon state: a job holds copies of what it needs, and
 * the loop picks up finished jobs from an eventfd (net_teardown_collect).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "net_meter.h"

struct net_teardown_job {
	struct wl *w;
	/* copies: the thread reads nothing of the daemon's */
	struct vigil_workload rec;
	char pin_dir[PATH_MAX];
	int ret;
	const char *failed;
	struct net_teardown_job *next;
};

struct net_teardown {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct net_teardown_job *todo, *done;
	bool stop;
};

/* The meter's filters and interface->slot entry first: the index may be given to another. */
static void run_job(struct net_teardown_job *j)
{
	if (j->rec.ifindex > 0) {
		j->ret = vigil_net_detach(j->pin_dir, j->rec.ifindex);
		if (j->ret < 0) {
			j->failed = "unmetering interface";
			return;
		}
	}
	if (j->rec.host_ifname[0]) {
		j->ret = net_link_delete(&j->rec);
		if (j->ret == -ENODEV)
			j->ret = 0;
		if (j->ret < 0)
			j->failed = "deleting interface";
	}
}

static void push(struct net_teardown_job **list, struct net_teardown_job *j)
{
	struct net_teardown_job **tail = list;

	while (*tail)
		tail = &(*tail)->next;
	j->next = NULL;
	*tail = j;
}

static void *thread_main(void *arg)
{
	struct vigild *d = arg;
	struct net_teardown *t = d->teardown;
	uint64_t one = 1;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		struct net_teardown_job *j;

		while (!t->todo && !t->stop)
			pthread_cond_wait(&t->wake, &t->lock);
		if (t->stop)
			break;
		j = t->todo;
		t->todo = j->next;
		pthread_mutex_unlock(&t->lock);
		run_job(j);
		pthread_mutex_lock(&t->lock);
		push(&t->done, j);
		if (write(d->teardown_fd, &one, sizeof(one)) < 0)
			vlog(LOG_ERR, "waking the loop for a finished interface: %s",
			     strerror(errno));
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int net_teardown_start(struct vigild *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->teardown_fd };
	struct net_teardown *t;
	int ret;

	d->teardown_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->teardown_fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->teardown_fd, &ev) < 0)
		return -errno;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	/* before the thread, which reads it */
	d->teardown = t;
	ret = -pthread_create(&t->thread, NULL, thread_main, d);
	if (ret < 0) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->wake);
		free(t);
		d->teardown = NULL;
	}
	return ret;
}

/*
 * Jobs not begun are dropped, one under way is waited for: their workloads
 * stay pending "delete" in their records, which the next start finishes.
 */
void net_teardown_stop(struct vigild *d)
{
	struct net_teardown *t = d->teardown;
	struct net_teardown_job *lists[2];

	if (t) {
		pthread_mutex_lock(&t->lock);
		t->stop = true;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
	}
	/* after the thread: it writes to the fd until it has ended */
	if (d->teardown_fd >= 0)
		close(d->teardown_fd);
	d->teardown_fd = -1;
	if (!t)
		return;
	lists[0] = t->todo;
	lists[1] = t->done;
	for (int i = 0; i < 2; i++) {
		while (lists[i]) {
			struct net_teardown_job *next = lists[i]->next;

			free(lists[i]);
			lists[i] = next;
		}
	}
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
	free(t);
	d->teardown = NULL;
}

int net_teardown_submit(struct vigild *d, struct wl *w)
{
	struct net_teardown *t = d->teardown;
	struct net_teardown_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->w = w;
	j->rec = w->rec;
	/* the spec's pointers are not the thread's to follow */
	memset(&j->rec.spec, 0, sizeof(j->rec.spec));
	j->rec.spec.net_mode = w->rec.spec.net_mode;
	snprintf(j->pin_dir, sizeof(j->pin_dir), "%s", d->pin_dir);
	w->tearing_down = true;
	pthread_mutex_lock(&t->lock);
	push(&t->todo, j);
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void net_teardown_collect(struct vigild *d)
{
	struct net_teardown *t = d->teardown;
	struct net_teardown_job *done;
	uint64_t n;

	if (read(d->teardown_fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	pthread_mutex_lock(&t->lock);
	done = t->done;
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	while (done) {
		struct net_teardown_job *next = done->next;

		done->w->tearing_down = false;
		request_delete_continue(d, done->w, done->ret, done->failed);
		free(done);
		done = next;
	}
}
