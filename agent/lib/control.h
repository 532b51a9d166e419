/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * vigild's control socket: a unix stream socket, one JSON request per
 * connection ({"cmd": "create", "spec": {...}}, {"cmd": "start", "id": ...}),
 * sent whole and ended by shutting down the write side, then one JSON
 * response ({"ok": true, ...} or {"error": "...", "hint": "..."}) before
 * the daemon closes the connection. A request may carry one file descriptor
 * (SCM_RIGHTS, with its first bytes): a volume key comes as the read end of
 * a pipe, never inside the JSON.
 */
#define VIGIL_CONTROL_MAX_MSG (1024 * 1024)

/*
 * Listens on `path` (its parent created 0755 when missing, a stale socket
 * replaced, the socket itself 0600). Returns the listening fd.
 */
int vigil_control_listen(const char *path, int *ret_fd);

/*
 * The daemon's side of one connection, driven by its event loop: nothing
 * here blocks. The request is read as it arrives (complete when the client
 * shuts down its write side) and the reply written as the client takes it.
 */
struct vigil_control_conn {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_done;
	/* the loop's: when the connection must be done (CLOCK_MONOTONIC ms), and
	 * whether its request waits for something other than the client */
	uint64_t deadline_ms;
	bool parked;
	/* the descriptor the request carried, or -1; closed with the connection */
	int passed_fd;
	/* the request carried more than one (all closed): it is refused */
	bool too_many_fds;
};

/*
 * Accepts one pending connection, non-blocking. -EAGAIN when none is
 * pending; -EPERM when the peer is not uid 0 (the connection is closed).
 */
int vigil_control_accept(int listen_fd, struct vigil_control_conn **ret);
/* Reads what has arrived: 1 when the request is complete, 0 for more, -EMSGSIZE, -errno. */
int vigil_control_read(struct vigil_control_conn *c);
/*
 * The request read, as one JSON object (vigil_json_parse_len's rules);
 * -EBADMSG with `err` saying why.
 */
int vigil_control_request(struct vigil_control_conn *c, struct json_object **ret, char *err,
			  size_t err_len);
/* Queues `resp` and writes what the socket takes: 1 when all is written, 0 for more. */
int vigil_control_reply(struct vigil_control_conn *c, struct json_object *resp);
/* Writes more of the reply: 1 when all is written, 0 for more, -errno. */
int vigil_control_flush(struct vigil_control_conn *c);
void vigil_control_close(struct vigil_control_conn *c);
/* The descriptor the request carried (the caller closes it), or -1. */
int vigil_control_take_fd(struct vigil_control_conn *c);

/*
 * Client: sends `req`, returns the daemon's response (which may be an
 * error). -ETIMEDOUT when connecting, sending or the answer takes longer
 * than `timeout_sec` (each of them).
 */
int vigil_control_call(const char *path, struct json_object *req, unsigned int timeout_sec,
		       struct json_object **ret_resp);
/* The same, `fd` passed along with the request (the caller keeps its own). */
int vigil_control_call_fd(const char *path, struct json_object *req, int fd,
			  unsigned int timeout_sec, struct json_object **ret_resp);

#endif
