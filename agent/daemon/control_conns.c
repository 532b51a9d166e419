// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control connections, in the event loop: each request is read as it
 * arrives and its reply written as the client takes it, so a client that
 * sends slowly, stalls or never reads holds only its own connection. A
 * connection has CONN_DEADLINE_MS from its accept to its last reply byte;
 * more than VIGILD_MAX_CONNS at once are refused with an error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "errmsg.h"

#define CONN_DEADLINE_MS 5000

static void conn_drop(struct vigild *d, size_t i)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->conns[i]->fd, NULL);
	vigil_control_close(d->conns[i]);
	d->conns[i] = d->conns[--d->n_conns];
}

static size_t conn_index(const struct vigild *d, const struct vigil_control_conn *c)
{
	for (size_t i = 0; i < d->n_conns; i++) {
		if (d->conns[i] == c)
			return i;
	}
	return d->n_conns;
}

bool conns_own(const struct vigild *d, const void *ptr)
{
	return conn_index(d, ptr) < d->n_conns;
}

/* Answers with `resp` (consumed); the connection goes once the client has it all. */
static void conn_answer(struct vigild *d, size_t i, struct json_object *resp)
{
	struct vigil_control_conn *c = d->conns[i];
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int r = vigil_control_reply(c, resp);

	json_object_put(resp);
	if (r == 0 && epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		return;
	if (r < 0)
		vlog(LOG_ERR, "answering a control request: %s", strerror(-r));
	conn_drop(d, i);
}

static struct json_object *error_reply(const char *raw)
{
	struct json_object *resp = json_object_new_object();
	char msg[512];

	/* what the client sent, quoted in the message: escaped for log and reply */
	vigil_escape(raw, msg, sizeof(msg));
	vlog(LOG_NOTICE, "%s", msg);
	json_object_object_add(resp, "error", json_object_new_string(msg));
	return resp;
}

static void conn_request(struct vigild *d, size_t i)
{
	struct json_object *req, *resp;
	char err[256];

	if (vigil_control_request(d->conns[i], &req, err, sizeof(err)) < 0) {
		conn_answer(d, i, error_reply(err));
		return;
	}
	resp = handle_request(d, req, d->conns[i]);
	json_object_put(req);
	if (!resp) {
		conns_park(d, d->conns[i]);
		return;
	}
	conn_answer(d, i, resp);
	exporter_refresh(d);
}

void conns_park(struct vigild *d, struct vigil_control_conn *c)
{
	struct epoll_event ev = { .events = 0, .data.ptr = c };

	/* nothing to read any more; a hang-up is still reported, and ignored */
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->parked = true;
	c->deadline_ms = UINT64_MAX;
}

void conns_answer(struct vigild *d, struct vigil_control_conn *c, struct json_object *resp)
{
	size_t i = conn_index(d, c);

	if (i == d->n_conns) {
		json_object_put(resp);
		return;
	}
	c->parked = false;
	c->deadline_ms = loop_now_ms() + CONN_DEADLINE_MS;
	conn_answer(d, i, resp);
}

void conns_accept(struct vigild *d)
{
	struct vigil_control_conn *c;
	struct epoll_event ev = { .events = EPOLLIN };
	char msg[128];
	int r;

	/* a bounded batch: the loop's other events are not starved by a flood */
	for (int n = 0; n < VIGILD_MAX_CONNS; n++) {
		r = vigil_control_accept(d->listen_fd, &c);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			vlog(LOG_ERR, "control connection refused: %s",
			     r == -EPERM ? "peer is not root" : strerror(-r));
			continue;
		}
		if (d->n_conns == VIGILD_MAX_CONNS) {
			struct json_object *resp;

			snprintf(msg, sizeof(msg),
				 "vigild: too many control connections (%d open); try again",
				 VIGILD_MAX_CONNS);
			/* best effort: the socket takes a short reply whole, or it is lost */
			resp = error_reply(msg);
			vigil_control_reply(c, resp);
			json_object_put(resp);
			vigil_control_close(c);
			continue;
		}
		c->deadline_ms = loop_now_ms() + CONN_DEADLINE_MS;
		ev.data.ptr = c;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			vlog(LOG_ERR, "watching a control connection: %s", strerror(errno));
			vigil_control_close(c);
			continue;
		}
		d->conns[d->n_conns++] = c;
	}
}

void conns_event(struct vigild *d, void *ptr, uint32_t events)
{
	size_t i = conn_index(d, ptr);
	struct vigil_control_conn *c;
	char msg[128];
	int r;

	if (i == d->n_conns)
		return;
	c = d->conns[i];
	if (c->parked) {
		/* the client hung up while it waited: level-triggered, so stop hearing of it */
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		return;
	}
	if (c->out) {
		r = vigil_control_flush(c);
		if (r != 0)
			conn_drop(d, i);
		return;
	}
	r = vigil_control_read(c);
	if (r == 0 && !(events & (EPOLLHUP | EPOLLERR)))
		return;
	if (r == -EMSGSIZE) {
		snprintf(msg, sizeof(msg), "request: larger than %d bytes", VIGIL_CONTROL_MAX_MSG);
		conn_answer(d, i, error_reply(msg));
		return;
	}
	if (r < 0) {
		conn_drop(d, i);
		return;
	}
	conn_request(d, i);
}

int conns_timeout_ms(const struct vigild *d)
{
	uint64_t now = loop_now_ms(), next = UINT64_MAX;
	int others[] = { wl_stop_timeout_ms(d), wl_restart_timeout_ms(d) }, ms = -1;

	for (size_t i = 0; i < d->n_conns; i++) {
		if (d->conns[i]->deadline_ms < next)
			next = d->conns[i]->deadline_ms;
	}
	if (next != UINT64_MAX)
		ms = next <= now ? 0 : (int)(next - now);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (others[i] >= 0 && (ms < 0 || others[i] < ms))
			ms = others[i];
	}
	return ms;
}

void conns_expire(struct vigild *d)
{
	uint64_t now = loop_now_ms();
	char msg[128];

	for (size_t i = d->n_conns; i-- > 0;) {
		struct vigil_control_conn *c = d->conns[i];

		if (c->parked || c->deadline_ms > now)
			continue;
		if (c->out) {
			/* it does not take its reply: its loss */
			conn_drop(d, i);
			continue;
		}
		snprintf(msg, sizeof(msg), "request: not complete within %d ms", CONN_DEADLINE_MS);
		/* the error gets one more deadline to be taken */
		c->deadline_ms = now + CONN_DEADLINE_MS;
		conn_answer(d, i, error_reply(msg));
	}
}

void conns_close_all(struct vigild *d)
{
	while (d->n_conns)
		conn_drop(d, d->n_conns - 1);
}
