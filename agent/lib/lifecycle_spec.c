// SPDX-License-Identifier: GPL-2.0-or-later
#include "lifecycle_spec.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "errmsg.h"
#include "json_fields.h"

static const char *const stop_fields[] = { "method", "signal", "timeout_s", NULL };

/* What a jail's reaper forwards to the workload (jail_exec.c) and can end it. */
static const struct {
	int sig;
	const char *name;
} stop_signals[] = {
	{ SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" },	{ SIGHUP, "SIGHUP" },
	{ SIGQUIT, "SIGQUIT" }, { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
};

#define N_STOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

const char *vigil_stop_signal_name(int sig)
{
	for (size_t i = 0; i < N_STOP_SIGNALS; i++) {
		if (stop_signals[i].sig == sig)
			return stop_signals[i].name;
	}
	return NULL;
}

const char *vigil_stop_method_name(enum vigil_stop_method m)
{
	return m == VIGIL_STOP_QMP ? "qmp" : "signal";
}

const char *vigil_restart_policy_name(enum vigil_restart_policy p)
{
	return p == VIGIL_RESTART_ON_FAILURE ? "on-failure" : "no";
}

static const char *string_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int parse_method(struct json_object *stop, bool has_qmp, struct vigil_stop_spec *s,
			char *err, size_t len)
{
	const char *m = string_of(stop, "method");

	if (!json_object_object_get_ex(stop, "method", NULL))
		return 0;
	if (m && strcmp(m, "qmp") == 0)
		s->method = VIGIL_STOP_QMP;
	else if (m && strcmp(m, "signal") == 0)
		s->method = VIGIL_STOP_SIGNAL;
	else
		return vigil_invalid(err, len, "stop.method must be \"qmp\" or \"signal\"");
	if (s->method == VIGIL_STOP_QMP && !has_qmp)
		return vigil_invalid(err, len,
				     "stop.method \"qmp\" needs the QMP socket in the command: "
				     "\"-qmp\", \"unix:{qmp},server=on,wait=off\"");
	return 0;
}

static int parse_signal(struct json_object *stop, struct vigil_stop_spec *s, char *err, size_t len)
{
	const char *name = string_of(stop, "signal");

	if (!json_object_object_get_ex(stop, "signal", NULL))
		return 0;
	for (size_t i = 0; name && i < N_STOP_SIGNALS; i++) {
		if (strcmp(name, stop_signals[i].name) == 0) {
			s->signal = stop_signals[i].sig;
			return 0;
		}
	}
	return vigil_invalid(err, len,
			     "stop.signal must be one of SIGTERM, SIGINT, SIGHUP, SIGQUIT, "
			     "SIGUSR1, SIGUSR2");
}

static int parse_timeout(struct json_object *stop, struct vigil_stop_spec *s, char *err, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(stop, "timeout_s", &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
	    json_object_get_int64(v) > VIGIL_STOP_TIMEOUT_S_MAX)
		return vigil_invalid(err, len, "stop.timeout_s must be between 1 and %d",
				     VIGIL_STOP_TIMEOUT_S_MAX);
	s->timeout_s = (uint32_t)json_object_get_int64(v);
	return 0;
}

int vigil_stop_spec_parse(struct json_object *obj, bool has_qmp, struct vigil_stop_spec *ret,
			  char *err, size_t len)
{
	struct vigil_stop_spec s = {
		.method = has_qmp ? VIGIL_STOP_QMP : VIGIL_STOP_SIGNAL,
		.signal = SIGTERM,
	};
	struct json_object *stop;
	const char *key;
	int r;

	if (json_object_object_get_ex(obj, "stop", &stop)) {
		if (!json_object_is_type(stop, json_type_object))
			return vigil_invalid(err, len, "stop must be an object");
		key = vigil_json_unknown_field(stop, stop_fields);
		if (key)
			return vigil_invalid(err, len, "unknown field \"stop.%s\"", key);
		s.given = true;
		r = parse_method(stop, has_qmp, &s, err, len);
		if (!r)
			r = parse_signal(stop, &s, err, len);
		if (!r)
			r = parse_timeout(stop, &s, err, len);
		if (r < 0)
			return r;
	}
	*ret = s;
	return 0;
}

struct json_object *vigil_stop_spec_to_json(const struct vigil_stop_spec *s)
{
	struct json_object *o;

	if (!s->given || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(o, "method",
			       json_object_new_string(vigil_stop_method_name(s->method)));
	json_object_object_add(o, "signal",
			       json_object_new_string(vigil_stop_signal_name(s->signal)));
	if (s->timeout_s)
		json_object_object_add(o, "timeout_s", json_object_new_int64(s->timeout_s));
	return o;
}

int vigil_restart_parse(struct json_object *obj, enum vigil_restart_policy *ret, char *err,
			size_t len)
{
	const char *p = string_of(obj, "restart");

	if (!json_object_object_get_ex(obj, "restart", NULL) || (p && strcmp(p, "no") == 0)) {
		*ret = VIGIL_RESTART_NO;
		return 0;
	}
	if (p && strcmp(p, "on-failure") == 0) {
		*ret = VIGIL_RESTART_ON_FAILURE;
		return 0;
	}
	return vigil_invalid(err, len, "restart must be \"no\" or \"on-failure\"");
}
