/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <json-c/json.h>

/*
 * vigild's control socket: a unix stream socket, one JSON request per
 * connection ({"cmd": "create", "spec": {...}}, {"cmd": "start", "id": ...}),
 * sent whole and ended by shutting down the write side, then one JSON
 * response ({"ok": true, ...} or {"error": "...", "hint": "..."}) before
 * the daemon closes the connection.
 */
#define VIGIL_CONTROL_MAX_MSG (1024 * 1024)

/*
 * Listens on `path` (its parent created 0755 when missing, a stale socket
 * replaced, the socket itself 0600). Returns the listening fd.
 */
int vigil_control_listen(const char *path, int *ret_fd);

/*
 * Accepts one connection and reads its request. -EPERM when the peer is not
 * uid 0 (the connection is closed). On success the caller answers with
 * vigil_control_reply, which closes the connection. A request that is not
 * one JSON object (vigil_json_parse_len's rules) or is too large returns
 * -EBADMSG or -EMSGSIZE with the connection still open and `err` saying
 * why, so the caller can answer with that error.
 */
int vigil_control_accept(int listen_fd, int *ret_conn, struct json_object **ret_req, char *err,
			 size_t err_len);
int vigil_control_reply(int conn, struct json_object *resp);

/* Client: sends `req`, returns the daemon's response (which may be an error). */
int vigil_control_call(const char *path, struct json_object *req, struct json_object **ret_resp);

#endif
