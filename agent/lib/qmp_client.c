// SPDX-License-Identifier: GPL-2.0-or-later
#include "qmp_client.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "json_doc.h"

int vigil_qmp_fail(struct vigil_qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	q->step = VIGIL_QMP_FAILED;
	return -EPROTO;
}

static void queue(struct vigil_qmp *q, const char *command)
{
	q->out_len = (size_t)snprintf(q->out, sizeof(q->out), "{\"execute\":\"%s\"}\r\n", command);
	q->out_sent = 0;
}

void vigil_qmp_init(struct vigil_qmp *q, const char *command)
{
	memset(q, 0, sizeof(*q));
	q->step = VIGIL_QMP_GREETING;
	q->command = command;
}

const char *vigil_qmp_output(const struct vigil_qmp *q, size_t *n)
{
	*n = q->step == VIGIL_QMP_FAILED ? 0 : q->out_len - q->out_sent;
	return q->out + q->out_sent;
}

void vigil_qmp_sent(struct vigil_qmp *q, size_t n)
{
	q->out_sent += n <= q->out_len - q->out_sent ? n : q->out_len - q->out_sent;
}

static bool has_object(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object);
}

/* {"error": {"class": ..., "desc": ...}}: the VMM's words, escaped and cut short. */
static int refused(struct vigil_qmp *q, struct json_object *msg, const char *what)
{
	struct json_object *e, *v;
	char class[48] = "", desc[96] = "";

	if (json_object_object_get_ex(msg, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		if (json_object_object_get_ex(e, "class", &v) &&
		    json_object_is_type(v, json_type_string))
			vigil_escape(json_object_get_string(v), class, sizeof(class));
		if (json_object_object_get_ex(e, "desc", &v) &&
		    json_object_is_type(v, json_type_string))
			vigil_escape(json_object_get_string(v), desc, sizeof(desc));
	}
	return vigil_qmp_fail(q, "%s refused: %s%s%s", what, class[0] ? class : "an error",
			      desc[0] ? ": " : "", desc);
}

/* One line, without its end: 1 once the command is accepted, 0 for more, -EPROTO. */
static int take_line(struct vigil_qmp *q, const char *text, size_t len)
{
	const char *what = q->step == VIGIL_QMP_CAPABILITIES ? "qmp_capabilities" : q->command;
	struct json_object *msg;
	char why[128], safe[128];
	int ret = 0;

	if (++q->messages > VIGIL_QMP_MESSAGES_MAX)
		return vigil_qmp_fail(q, "more than %d messages", VIGIL_QMP_MESSAGES_MAX);
	if (vigil_json_parse_len(text, len, &msg, why, sizeof(why)) < 0)
		return vigil_qmp_fail(q, "message %zu: %s", q->messages,
				      vigil_escape(why, safe, sizeof(safe)));
	if (!json_object_is_type(msg, json_type_object)) {
		ret = vigil_qmp_fail(q, "message %zu is not a JSON object", q->messages);
	} else if (q->step == VIGIL_QMP_GREETING) {
		if (has_object(msg, "QMP")) {
			queue(q, "qmp_capabilities");
			q->step = VIGIL_QMP_CAPABILITIES;
		} else {
			ret = vigil_qmp_fail(q, "message %zu is not QMP's greeting", q->messages);
		}
	} else if (json_object_object_get_ex(msg, "error", NULL)) {
		ret = refused(q, msg, what);
	} else if (json_object_object_get_ex(msg, "return", NULL)) {
		if (q->out_sent < q->out_len)
			ret = vigil_qmp_fail(q, "an answer to %s before it was sent", what);
		else if (q->step == VIGIL_QMP_CAPABILITIES) {
			queue(q, q->command);
			q->step = VIGIL_QMP_COMMAND;
		} else {
			q->step = VIGIL_QMP_DONE;
			ret = 1;
		}
	} else if (!json_object_object_get_ex(msg, "event", NULL)) {
		ret = vigil_qmp_fail(q, "message %zu is neither an answer nor an event",
				     q->messages);
	}
	json_object_put(msg);
	return ret;
}

int vigil_qmp_feed(struct vigil_qmp *q, const void *buf, size_t n)
{
	const char *p = buf, *end = p + n;

	if (q->step == VIGIL_QMP_DONE)
		return 1;
	if (q->step == VIGIL_QMP_FAILED)
		return -EPROTO;
	q->bytes += n;
	if (q->bytes > VIGIL_QMP_BYTES_MAX)
		return vigil_qmp_fail(q, "more than %d bytes", VIGIL_QMP_BYTES_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t take = (size_t)((nl ? nl : end) - p), len;
		int ret;

		if (q->line_len + take > sizeof(q->line) - 1)
			return vigil_qmp_fail(q, "a line longer than %d bytes",
					      VIGIL_QMP_LINE_MAX - 1);
		memcpy(q->line + q->line_len, p, take);
		q->line_len += take;
		p += take;
		if (!nl)
			break;
		p++;
		len = q->line_len;
		if (len && q->line[len - 1] == '\r')
			len--;
		q->line_len = 0;
		ret = take_line(q, q->line, len);
		if (ret)
			return ret;
	}
	return 0;
}
