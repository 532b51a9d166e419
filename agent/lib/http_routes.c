// SPDX-License-Identifier: GPL-2.0-or-later
#include "http_routes.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

#define JSON_TYPE    "application/json"
#define RECORDS_TYPE "application/x-ndjson; charset=utf-8"

/*
 * Sends `body` (malloc'd; freed by libmicrohttpd, or here when it cannot take
 * it) with an optional extra header.
 */
static enum MHD_Result respond_with(struct MHD_Connection *c, unsigned int status, const char *type,
				    char *body, size_t len, const char *header, const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (header)
		MHD_add_response_header(r, header, value);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status, const char *type,
			       char *body, size_t len)
{
	return respond_with(c, status, type, body, len, NULL, NULL);
}

static enum MHD_Result respond_json_with(struct MHD_Connection *c, unsigned int status,
					 struct json_object *o, const char *header,
					 const char *value)
{
	size_t len;
	const char *text = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *body = text ? malloc(len + 1) : NULL;

	if (body) {
		memcpy(body, text, len);
		body[len++] = '\n';
	}
	json_object_put(o);
	return body ? respond_with(c, status, JSON_TYPE, body, len, header, value) : MHD_NO;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned int status,
				    struct json_object *o)
{
	return respond_json_with(c, status, o, NULL, NULL);
}

static struct json_object *error_json(const char *msg)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

enum MHD_Result vigil_http_error(struct MHD_Connection *c, unsigned int status, const char *fmt,
				 ...)
{
	struct json_object *o;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = error_json(msg);
	return o ? respond_json(c, status, o) : MHD_NO;
}

enum MHD_Result vigil_http_not_allowed(struct MHD_Connection *c, const char *method,
				       const char *url)
{
	struct json_object *o;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s %s: only GET and HEAD are served", method, url);
	o = error_json(msg);
	return o ? respond_json_with(c, MHD_HTTP_METHOD_NOT_ALLOWED, o, MHD_HTTP_HEADER_ALLOW,
				     "GET, HEAD")
		 : MHD_NO;
}

enum MHD_Result vigil_http_metrics(struct MHD_Connection *c, const struct vigil_http_opts *o)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	enum vigil_metrics_format format = vigil_http_metrics_format(accept);
	struct vigil_strbuf b;
	char *body;
	size_t len;
	int err;

	if (!o->metrics)
		return vigil_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
					"metrics are not available");
	vigil_strbuf_init(&b);
	err = vigil_metrics_render(o->metrics, format, &b);
	if (err) {
		vigil_strbuf_free(&b);
		return vigil_http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"reading the accounting maps: %s", strerror(-err));
	}
	body = vigil_strbuf_steal(&b, &len);
	return respond(c, MHD_HTTP_OK, vigil_metrics_content_type(format), body, len);
}

static struct json_object *ledger_json(const struct vigil_ledger_status *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "sequence", json_object_new_uint64(l->sequence));
	json_object_object_add(o, "pending_records", json_object_new_uint64(l->pending_records));
	json_object_object_add(o, "write_errors", json_object_new_uint64(l->write_errors));
	json_object_object_add(o, "failing", json_object_new_boolean(l->failing));
	if (l->failing)
		json_object_object_add(o, "last_error", json_object_new_string(l->last_error));
	return o;
}

enum MHD_Result vigil_http_healthz(struct MHD_Connection *c, const struct vigil_http_opts *o)
{
	struct vigil_ledger_status l = { 0 };
	struct json_object *body = json_object_new_object();
	bool failing = false;
	int err;

	if (!body)
		return MHD_NO;
	if (o->ledger_status) {
		err = o->ledger_status(&l, o->ledger_ctx);
		l.last_error[sizeof(l.last_error) - 1] = '\0';
		if (err) {
			failing = true;
			snprintf(l.last_error, sizeof(l.last_error),
				 "reading the ledger status: %s", strerror(-err));
			json_object_object_add(body, "error", json_object_new_string(l.last_error));
		} else {
			failing = l.failing;
			json_object_object_add(body, "ledger", ledger_json(&l));
		}
	}
	json_object_object_add(body, "status", json_object_new_string(failing ? "failing" : "ok"));
	return respond_json(c, failing ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, body);
}

struct params {
	const char *unknown;
};

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct params *p = cls;

	if (strcmp(key, "after") != 0 && strcmp(key, "limit") != 0) {
		p->unknown = key;
		return MHD_NO;
	}
	return MHD_YES;
}

static int emit_line(const char *line, size_t len, void *ctx)
{
	struct vigil_strbuf *b = ctx;

	vigil_strbuf_add(b, line, len);
	if (!len || line[len - 1] != '\n')
		vigil_strbuf_putc(b, '\n');
	return vigil_strbuf_error(b);
}

enum MHD_Result vigil_http_records(struct MHD_Connection *c, const struct vigil_http_opts *o)
{
	const char *limit_arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	uint64_t after, limit = VIGIL_RECORDS_LIMIT_DEFAULT;
	struct params p = { 0 };
	struct vigil_strbuf b;
	char why[256], *body;
	size_t len;
	int err;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_param, &p);
	if (p.unknown)
		return vigil_http_error(c, MHD_HTTP_BAD_REQUEST,
					"unknown parameter \"%s\" (known: after, limit)",
					p.unknown);
	err = vigil_http_parse_u64("after",
				   MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after"),
				   0, UINT64_MAX, &after, why, sizeof(why));
	if (!err && limit_arg)
		err = vigil_http_parse_u64("limit", limit_arg, 1, VIGIL_RECORDS_LIMIT_MAX, &limit,
					   why, sizeof(why));
	if (err)
		return vigil_http_error(c, MHD_HTTP_BAD_REQUEST, "%s", why);
	if (!o->records)
		return vigil_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
					"ledger records are not available");
	vigil_strbuf_init(&b);
	/* an empty answer is an empty body, not a NULL buffer */
	err = vigil_strbuf_reserve(&b, 1);
	if (!err)
		err = o->records(after, (unsigned int)limit, emit_line, &b, o->records_ctx);
	if (!err)
		err = vigil_strbuf_error(&b);
	if (err) {
		vigil_strbuf_free(&b);
		return vigil_http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"reading ledger records after %llu: %s",
					(unsigned long long)after, strerror(-err));
	}
	body = vigil_strbuf_steal(&b, &len);
	return respond(c, MHD_HTTP_OK, RECORDS_TYPE, body, len);
}
