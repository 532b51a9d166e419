/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The endpoints of http_server.c, one function each. Internal to the server. */
#ifndef VIGIL_HTTP_ROUTES_H
#define VIGIL_HTTP_ROUTES_H

#include <microhttpd.h>

#include "http_server.h"

enum MHD_Result vigil_http_metrics(struct MHD_Connection *c, const struct vigil_http_opts *o);
enum MHD_Result vigil_http_healthz(struct MHD_Connection *c, const struct vigil_http_opts *o);
enum MHD_Result vigil_http_records(struct MHD_Connection *c, const struct vigil_http_opts *o);

/* {"error": MESSAGE} with `status`. */
enum MHD_Result vigil_http_error(struct MHD_Connection *c, unsigned int status, const char *fmt,
				 ...) __attribute__((format(printf, 3, 4)));

/* 405 with `Allow: GET, HEAD`. */
enum MHD_Result vigil_http_not_allowed(struct MHD_Connection *c, const char *method,
				       const char *url);

#endif
