// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's HTTP endpoint: /metrics, /healthz and /v1/records, served on
 * libmicrohttpd's own thread. That thread never touches the workload table
 * the event loop changes: it reads a copy of what /metrics needs (owner and
 * allocation per workload), refreshed by the loop after every change, and
 * reaches the ledger under the ledger lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

_Static_assert(VIGIL_LIMIT__COUNT <= VIGIL_METRICS_LIMITS, "every limit has a place in /metrics");
#include "paths.h"

static int alloc_of(const char *id, struct vigil_workload_alloc *ret, void *ctx)
{
	struct vigild *d = ctx;
	int found = -ENOENT;

	pthread_mutex_lock(&d->alloc_lock);
	for (size_t i = 0; i < d->n_allocs && found; i++) {
		if (strcmp(d->allocs[i].id, id) == 0) {
			*ret = d->allocs[i].alloc;
			found = 0;
		}
	}
	pthread_mutex_unlock(&d->alloc_lock);
	return found;
}

void exporter_refresh(struct vigild *d)
{
	struct alloc_entry *e = calloc(d->n_wls ? d->n_wls : 1, sizeof(*e)), *old;

	if (!e)
		return;
	for (size_t i = 0; i < d->n_wls; i++) {
		const struct vigil_workload_spec *s = &d->wls[i]->rec.spec;

		snprintf(e[i].id, sizeof(e[i].id), "%s", s->id);
		snprintf(e[i].alloc.owner, sizeof(e[i].alloc.owner), "%s", s->owner);
		e[i].alloc.vcpus = s->vcpus;
		e[i].alloc.memory_mib = s->memory_mib;
		for (int l = 0; d->wls[i]->has_limits && l < VIGIL_LIMIT__COUNT; l++) {
			snprintf(e[i].alloc.limits[l].name, sizeof(e[i].alloc.limits[l].name), "%s",
				 vigil_limit_name(l));
			e[i].alloc.limits[l].enforced = d->wls[i]->limits.l[l].enforced;
			e[i].alloc.n_limits++;
		}
	}
	pthread_mutex_lock(&d->alloc_lock);
	old = d->allocs;
	d->allocs = e;
	d->n_allocs = d->n_wls;
	pthread_mutex_unlock(&d->alloc_lock);
	free(old);
}

static int ledger_status(struct vigil_ledger_status *ret, void *ctx)
{
	struct vigild *d = ctx;

	pthread_mutex_lock(&d->ledger_lock);
	*ret = d->ledger_status;
	pthread_mutex_unlock(&d->ledger_lock);
	return 0;
}

static int records(uint64_t after, unsigned int limit, vigil_records_emit_fn emit, void *emit_ctx,
		   void *ctx)
{
	struct vigild *d = ctx;
	int ret;

	pthread_mutex_lock(&d->ledger_lock);
	/* the server's emitter has the ledger walker's signature: no adapter */
	ret = vigil_ledger_records(d->ledger, after, limit, emit, emit_ctx);
	pthread_mutex_unlock(&d->ledger_lock);
	return ret;
}

int exporter_start(struct vigild *d)
{
	struct vigil_metrics_opts mo = {
		.meter = d->meter,
		.pin_dir = d->pin_dir,
		.alloc = alloc_of,
		.alloc_ctx = d,
		.ledger_status = ledger_status,
		.ledger_ctx = d,
	};
	struct vigil_http_opts ho = {
		.listen = d->listen,
		.ledger_status = ledger_status,
		.ledger_ctx = d,
		.records = records,
		.records_ctx = d,
		.tls_cert_file = d->tls_cert_file,
		.tls_key_file = d->tls_key_file,
		.tls_client_ca_file = d->tls_client_ca_file,
	};
	char err[512];
	int ret;

	exporter_refresh(d);
	ret = vigil_metrics_new(&mo, &d->metrics);
	if (ret < 0) {
		vlog(LOG_ERR, "metrics: %s", strerror(-ret));
		return ret;
	}
	ho.metrics = d->metrics;
	ret = vigil_http_start(&ho, &d->http, err, sizeof(err));
	if (ret < 0) {
		vlog(LOG_ERR, "HTTP endpoint: %s", err);
		return ret;
	}
	vlog(LOG_INFO, "serving /metrics, /healthz and /v1/records on %s (port %u)%s",
	     d->listen ? d->listen : VIGIL_DEFAULT_LISTEN, vigil_http_port(d->http),
	     d->tls_cert_file ? (d->tls_client_ca_file ? " (TLS, client certificates)" : " (TLS)")
			      : "");
	return 0;
}

void exporter_stop(struct vigild *d)
{
	/* waits for requests in progress: nothing below is used after */
	vigil_http_stop(d->http);
	vigil_metrics_free(d->metrics);
	free(d->allocs);
}
