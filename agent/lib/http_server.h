/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_HTTP_SERVER_H
#define VIGIL_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "listen_addr.h"
#include "metrics.h"

/*
 * vigild's HTTP endpoint (libmicrohttpd, its own threads):
 *   GET /metrics                    Prometheus text, or OpenMetrics per Accept
 *   GET /healthz                    200 {"status": "ok", ...}; 503 while the ledger fails to write
 *   GET /v1/records?after=SEQ&limit=N   ledger records after SEQ as JSON lines
 *                                   (limit 1 to 10000, default 1000)
 * Anything else: 404, or 405 for another method on a known path. Errors
 * are JSON: {"error": "..."}. Optionally HTTPS, and with a client CA,
 * mutual TLS: a client without a certificate that CA signed gets 403.
 */

#define VIGIL_RECORDS_LIMIT_DEFAULT 1000
#define VIGIL_RECORDS_LIMIT_MAX	    10000

/* Hands one record (one JSON document, no newline needed) to the response. */
typedef int (*vigil_records_emit_fn)(const char *line, size_t len, void *emit_ctx);

/*
 * Emits up to `limit` records with sequence numbers above `after`, in
 * order. 0 or a negative errno (the response is then a 500 naming it).
 */
typedef int (*vigil_records_fn)(uint64_t after, unsigned int limit, vigil_records_emit_fn emit,
				void *emit_ctx, void *ctx);

/* Callbacks run on the server's threads, possibly several at once. */
/*
 * What clients can hold: all of them together VIGIL_HTTP_MAX_CONNECTIONS,
 * one address VIGIL_HTTP_PER_IP_CONNECTIONS (so a client holding
 * connections open cannot take the accounting service's share), an idle
 * connection VIGIL_HTTP_IDLE_TIMEOUT seconds.
 */
#define VIGIL_HTTP_MAX_CONNECTIONS    256
#define VIGIL_HTTP_PER_IP_CONNECTIONS 16
#define VIGIL_HTTP_IDLE_TIMEOUT	      10

struct vigil_http_opts {
	const char *listen;		      /* NULL: VIGIL_DEFAULT_LISTEN */
	struct vigil_metrics *metrics;	      /* NULL: /metrics answers 503 */
	vigil_ledger_status_fn ledger_status; /* NULL: /healthz reports no ledger */
	void *ledger_ctx;
	vigil_records_fn records; /* NULL: /v1/records answers 503 */
	void *records_ctx;
	/* PEM files: both for HTTPS */
	const char *tls_cert_file;
	const char *tls_key_file;
	/* PEM CA bundle: client certificates are required and verified against it */
	const char *tls_client_ca_file;
};

struct vigil_http_server;

/*
 * Binds and starts serving. On failure a negative errno with `err` naming
 * what failed (the address, a file, libmicrohttpd) and why.
 */
int vigil_http_start(const struct vigil_http_opts *opts, struct vigil_http_server **ret, char *err,
		     size_t err_len);
/* The bound port (useful with port 0). */
unsigned int vigil_http_port(const struct vigil_http_server *s);
/* Stops serving and frees `s`; waits for requests in progress. */
void vigil_http_stop(struct vigil_http_server *s);

#endif
