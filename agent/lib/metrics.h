/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter_loader.h"
#include "strbuf.h"

/*
 * Prometheus metrics of every metered workload and of vigil itself, from one
 * consistent snapshot per scrape: the accounting maps are read in a single
 * vigil_meter_read_all() pass, then rendered as Prometheus text 0.0.4 or
 * OpenMetrics 1.0.0. Labels are `workload`, `class`, `program`, `flag` and
 * the info labels; never addresses or pids.
 */

enum vigil_metrics_format {
	VIGIL_METRICS_PROMETHEUS,  /* text/plain; version=0.0.4 */
	VIGIL_METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* Content-Type of a rendering in `format`. */
const char *vigil_metrics_content_type(enum vigil_metrics_format format);

/* What a workload was given, from its spec: the slot in the BPF map has only its id. */
#define VIGIL_METRICS_LIMITS 4

struct vigil_workload_alloc {
	char owner[65];
	uint32_t vcpus;
	uint32_t memory_mib;
	/* its cgroup limits as written at its last start ("cpu", ...), none before */
	size_t n_limits;
	struct {
		char name[8];
		bool enforced;
	} limits[VIGIL_METRICS_LIMITS];
};

/* Fills `ret` for workload `id`; -ENOENT when unknown (its info then has no such labels). */
typedef int (*vigil_alloc_fn)(const char *id, struct vigil_workload_alloc *ret, void *ctx);

#define VIGIL_LEDGER_MAX_FLAGS	   8
#define VIGIL_LEDGER_FLAG_NAME_MAX 32

/* Plausibility flags raised in ledger records since the agent started, by flag. */
struct vigil_ledger_flag_count {
	char name[VIGIL_LEDGER_FLAG_NAME_MAX];
	uint64_t count;
};

/* The ledger as /metrics and /healthz show it. */
struct vigil_ledger_status {
	uint64_t sequence;	  /* of the last record written */
	uint64_t pending_records; /* queued in memory, not yet durable */
	uint64_t write_errors;	  /* failed writes since the agent started */
	bool failing;		  /* the last write failed: /healthz answers 503 */
	char last_error[128];	  /* why, when failing */
	struct vigil_ledger_flag_count flags[VIGIL_LEDGER_MAX_FLAGS];
	size_t n_flags;
};

typedef int (*vigil_ledger_status_fn)(struct vigil_ledger_status *ret, void *ctx);

/*
 * Where a scrape's figures come from. The callbacks run on the HTTP server's
 * thread, so they must be safe to call concurrently with the caller's own.
 */
struct vigil_metrics_opts {
	struct vigil_meter *meter;
	/* the programs pinned here get run count and time; NULL: none */
	const char *pin_dir;
	vigil_alloc_fn alloc; /* optional */
	void *alloc_ctx;
	vigil_ledger_status_fn ledger_status; /* optional: no ledger metrics without it */
	void *ledger_ctx;
};

struct vigil_metrics;

int vigil_metrics_new(const struct vigil_metrics_opts *opts, struct vigil_metrics **ret);
void vigil_metrics_free(struct vigil_metrics *m);

/*
 * Appends one scrape to `out`. Safe to call from several threads; scrapes
 * are serialized. 0 or a negative errno (reading the maps, -ENOMEM).
 */
int vigil_metrics_render(struct vigil_metrics *m, enum vigil_metrics_format format,
			 struct vigil_strbuf *out);

/* One workload of a snapshot. */
struct vigil_metrics_workload {
	struct vigil_slot slot;
	struct vigil_workload_usage usage;
	struct vigil_workload_alloc alloc;
	bool has_alloc;
};

/* A BPF program of the meter, summed over programs of the same name. */
struct vigil_metrics_prog {
	char name[64];
	uint64_t run_cnt;
	uint64_t run_time_ns;
};

/* Everything one scrape shows, gathered before any of it is written. */
struct vigil_metrics_snapshot {
	/* sorted by id, one entry per id */
	const struct vigil_metrics_workload *workloads;
	size_t n_workloads;
	/* kernel.bpf_stats_enabled: 1, 0, negative when unreadable */
	int bpf_stats;
	const struct vigil_metrics_prog *progs;
	size_t n_progs;
	const struct vigil_ledger_status *ledger; /* NULL: no ledger metrics */
	bool has_prev_scrape;
	uint64_t prev_scrape_ns;
	const char *version;
	const char *commit;
};

/* Renders `s` (the pure half of vigil_metrics_render, for tests). */
int vigil_metrics_write(const struct vigil_metrics_snapshot *s, enum vigil_metrics_format format,
			struct vigil_strbuf *out);

#endif
