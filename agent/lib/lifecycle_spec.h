/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How a workload is stopped and whether it is restarted: the spec's "stop"
 * object and "restart" field, both optional:
 *   "stop": {"method": "qmp", "signal": "SIGTERM", "timeout_s": 30},
 *   "restart": "on-failure"
 * "method" is "qmp" (QEMU's system_powerdown through the QMP socket the
 * command names with "{qmp}"; the signal is the fallback) or "signal"; its
 * default is "qmp" when the command has "{qmp}", else "signal". "timeout_s"
 * is how long the stop waits before it kills (default: vigild's
 * --stop-timeout). "restart" is "no" (the default) or "on-failure".
 */
#ifndef VIGIL_LIFECYCLE_SPEC_H
#define VIGIL_LIFECYCLE_SPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIGIL_STOP_TIMEOUT_S_MAX 3600

enum vigil_stop_method {
	VIGIL_STOP_SIGNAL,
	VIGIL_STOP_QMP,
};

enum vigil_restart_policy {
	VIGIL_RESTART_NO,
	VIGIL_RESTART_ON_FAILURE,
};

struct vigil_stop_spec {
	/* the spec had a "stop" object: written back as given */
	bool given;
	enum vigil_stop_method method;
	/* what a signal stop sends, and a QMP stop falls back to */
	int signal;
	/* 0: vigild's --stop-timeout */
	uint32_t timeout_s;
};

/*
 * Reads "stop" from the spec object `obj`; `has_qmp`: the command has a
 * "{qmp}" placeholder. -EINVAL with err naming the field (without the
 * workload's name: the caller adds it).
 */
int vigil_stop_spec_parse(struct json_object *obj, bool has_qmp, struct vigil_stop_spec *ret,
			  char *err, size_t len);
/* The object as given, every field explicit; NULL when none was given or without memory. */
struct json_object *vigil_stop_spec_to_json(const struct vigil_stop_spec *s);
/* The same for "restart" (absent: "no"). */
int vigil_restart_parse(struct json_object *obj, enum vigil_restart_policy *ret, char *err,
			size_t len);

const char *vigil_stop_method_name(enum vigil_stop_method m);
const char *vigil_restart_policy_name(enum vigil_restart_policy p);
/* "SIGTERM" for the signals a stop may send (those a jail's reaper forwards); NULL else. */
const char *vigil_stop_signal_name(int sig);

#endif
