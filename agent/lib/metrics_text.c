// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0.0. They
 * differ in how a counter family is named (OpenMetrics: without `_total` in
 * HELP and TYPE, `_total` on the sample), in info families, UNIT lines, and
 * the closing `# EOF`.
 */
#include <errno.h>
#include <stddef.h>

#include "metrics.h"
#include "utf8.h"

enum family_type {
	COUNTER,
	GAUGE,
	INFO,
};

struct writer {
	struct vigil_strbuf *b;
	bool om;
};

const char *vigil_metrics_content_type(enum vigil_metrics_format format)
{
	return format == VIGIL_METRICS_OPENMETRICS
		       ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * A label value as both formats escape it (backslash, double quote, line
 * feed). Label values are UTF-8: malformed bytes become U+FFFD, so one odd
 * owner string cannot make the whole scrape unparseable.
 */
static void put_label_value(struct vigil_strbuf *b, const char *value, size_t n)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t start = 0, i = 0;

	while (i < n) {
		const char *esc = NULL;
		size_t len = 1;

		if (s[i] == '\\')
			esc = "\\\\";
		else if (s[i] == '"')
			esc = "\\\"";
		else if (s[i] == '\n')
			esc = "\\n";
		else if (s[i] >= 0x80 && !(len = vigil_utf8_len(s + i, n - i)))
			esc = "\xef\xbf\xbd";
		if (!esc) {
			i += len;
			continue;
		}
		vigil_strbuf_add(b, s + start, i - start);
		vigil_strbuf_puts(b, esc);
		start = ++i;
	}
	vigil_strbuf_add(b, s + start, n - start);
}

static void put_label(struct vigil_strbuf *b, bool first, const char *name, const char *value,
		      size_t n)
{
	if (!first)
		vigil_strbuf_putc(b, ',');
	vigil_strbuf_puts(b, name);
	vigil_strbuf_add(b, "=\"", 2);
	put_label_value(b, value, n);
	vigil_strbuf_putc(b, '"');
}

static void put_cstr_label(struct vigil_strbuf *b, bool first, const char *name, const char *value)
{
	put_label(b, first, name, value, strlen(value));
}

static void put_u64_label(struct vigil_strbuf *b, const char *name, uint64_t value)
{
	vigil_strbuf_putc(b, ',');
	vigil_strbuf_puts(b, name);
	vigil_strbuf_add(b, "=\"", 2);
	vigil_strbuf_u64(b, value);
	vigil_strbuf_putc(b, '"');
}

/*
 * HELP and TYPE (and UNIT in OpenMetrics) of a family. `name` is the family
 * name without a type suffix: OpenMetrics names the family so, Prometheus
 * text names it after its samples.
 */
static void put_header(struct writer *w, const char *name, enum family_type type, const char *unit,
		       const char *help)
{
	static const char *const suffix[] = { "_total", "", "_info" };
	static const char *const om_type[] = { "counter", "gauge", "info" };
	static const char *const prom_type[] = { "counter", "gauge", "gauge" };
	const char *sfx = w->om ? "" : suffix[type];

	vigil_strbuf_add(w->b, "# HELP ", 7);
	vigil_strbuf_puts(w->b, name);
	vigil_strbuf_puts(w->b, sfx);
	vigil_strbuf_putc(w->b, ' ');
	vigil_strbuf_puts(w->b, help);
	vigil_strbuf_add(w->b, "\n# TYPE ", 8);
	vigil_strbuf_puts(w->b, name);
	vigil_strbuf_puts(w->b, sfx);
	vigil_strbuf_putc(w->b, ' ');
	vigil_strbuf_puts(w->b, w->om ? om_type[type] : prom_type[type]);
	vigil_strbuf_putc(w->b, '\n');
	if (w->om && unit) {
		vigil_strbuf_add(w->b, "# UNIT ", 7);
		vigil_strbuf_puts(w->b, name);
		vigil_strbuf_putc(w->b, ' ');
		vigil_strbuf_puts(w->b, unit);
		vigil_strbuf_putc(w->b, '\n');
	}
}

static void put_value(struct vigil_strbuf *b, uint64_t v, unsigned int decimals)
{
	vigil_strbuf_putc(b, ' ');
	vigil_strbuf_fixed(b, v, decimals);
	vigil_strbuf_putc(b, '\n');
}

/* A usage figure's family as exposed: nanoseconds become seconds. */
static const char *family_unit(enum vigil_unit unit)
{
	return unit == VIGIL_UNIT_NS ? "seconds" : unit == VIGIL_UNIT_BYTES ? "bytes" : NULL;
}

/* Rows [first, ret) are one family: the usage table keeps a family's rows together. */
static size_t family_end(size_t first)
{
	size_t end = first + 1;

	while (end < vigil_usage_n_fields && vigil_usage_fields[end].metric &&
	       strcmp(vigil_usage_fields[end].metric, vigil_usage_fields[first].metric) == 0)
		end++;
	return end;
}

/* The family of usage table rows [first, end): every workload's samples of each row. */
static void put_workload_family(struct writer *w, size_t first, size_t end,
				const struct vigil_metrics_snapshot *s)
{
	const struct vigil_usage_field *f = &vigil_usage_fields[first];
	enum family_type type = f->kind == VIGIL_USAGE_COUNTER ? COUNTER : GAUGE;
	unsigned int decimals = f->unit == VIGIL_UNIT_NS ? 9 : 0;
	size_t name_len = strlen(f->metric);

	put_header(w, f->metric, type, family_unit(f->unit), f->help);
	for (size_t i = 0; i < s->n_workloads; i++) {
		const struct vigil_metrics_workload *wl = &s->workloads[i];

		for (size_t row = first; row < end; row++) {
			const struct vigil_usage_field *r = &vigil_usage_fields[row];

			vigil_strbuf_add(w->b, f->metric, name_len);
			if (type == COUNTER)
				vigil_strbuf_add(w->b, "_total", 6);
			vigil_strbuf_putc(w->b, '{');
			put_label(w->b, true, "workload", wl->slot.workload,
				  strnlen(wl->slot.workload, sizeof(wl->slot.workload)));
			if (r->label) {
				vigil_strbuf_putc(w->b, ',');
				vigil_strbuf_puts(w->b, r->label);
			}
			vigil_strbuf_putc(w->b, '}');
			put_value(w->b, vigil_usage_field_get(&wl->usage, r), decimals);
		}
	}
}

static void put_workload_info(struct writer *w, const struct vigil_metrics_snapshot *s)
{
	put_header(w, "vigil_workload", INFO, NULL,
		   "A metered workload: its owner, slot state and allocation.");
	for (size_t i = 0; i < s->n_workloads; i++) {
		const struct vigil_metrics_workload *wl = &s->workloads[i];

		vigil_strbuf_puts(w->b, "vigil_workload_info{");
		put_label(w->b, true, "workload", wl->slot.workload,
			  strnlen(wl->slot.workload, sizeof(wl->slot.workload)));
		if (wl->has_alloc)
			put_label(w->b, false, "owner", wl->alloc.owner,
				  strnlen(wl->alloc.owner, sizeof(wl->alloc.owner)));
		put_cstr_label(w->b, false, "state", vigil_slot_state_name(&wl->slot));
		if (wl->has_alloc) {
			put_u64_label(w->b, "vcpus", wl->alloc.vcpus);
			put_u64_label(w->b, "memory_mib", wl->alloc.memory_mib);
		}
		vigil_strbuf_add(w->b, "} 1\n", 4);
	}
}

static void put_workload_limits(struct writer *w, const struct vigil_metrics_snapshot *s)
{
	put_header(w, "vigil_workload_limits_enforced", GAUGE, NULL,
		   "1 when the cgroup v2 limit of the workload's allocation is enforced, 0 when "
		   "the host cannot (vigil workload show says why).");
	for (size_t i = 0; i < s->n_workloads; i++) {
		const struct vigil_metrics_workload *wl = &s->workloads[i];

		for (size_t l = 0; wl->has_alloc && l < wl->alloc.n_limits; l++) {
			vigil_strbuf_puts(w->b, "vigil_workload_limits_enforced{");
			put_label(w->b, true, "workload", wl->slot.workload,
				  strnlen(wl->slot.workload, sizeof(wl->slot.workload)));
			put_cstr_label(w->b, false, "limit", wl->alloc.limits[l].name);
			vigil_strbuf_add(w->b, "} ", 2);
			vigil_strbuf_putc(w->b, wl->alloc.limits[l].enforced ? '1' : '0');
			vigil_strbuf_putc(w->b, '\n');
		}
	}
}

static void put_progs(struct writer *w, const struct vigil_metrics_snapshot *s)
{
	put_header(w, "vigil_bpf_stats_enabled", GAUGE, NULL,
		   "1 when kernel.bpf_stats_enabled is on, so BPF program run figures are kept.");
	vigil_strbuf_puts(w->b, "vigil_bpf_stats_enabled");
	put_value(w->b, s->bpf_stats == 1, 0);
	if (s->bpf_stats != 1 || !s->n_progs)
		return;
	put_header(w, "vigil_bpf_program_run_seconds", COUNTER, "seconds",
		   "Time spent running vigil's BPF program while bpf_stats was on.");
	for (size_t i = 0; i < s->n_progs; i++) {
		vigil_strbuf_puts(w->b, "vigil_bpf_program_run_seconds_total{");
		put_cstr_label(w->b, true, "program", s->progs[i].name);
		vigil_strbuf_putc(w->b, '}');
		put_value(w->b, s->progs[i].run_time_ns, 9);
	}
	put_header(w, "vigil_bpf_program_runs", COUNTER, NULL,
		   "Runs of vigil's BPF program while bpf_stats was on.");
	for (size_t i = 0; i < s->n_progs; i++) {
		vigil_strbuf_puts(w->b, "vigil_bpf_program_runs_total{");
		put_cstr_label(w->b, true, "program", s->progs[i].name);
		vigil_strbuf_putc(w->b, '}');
		put_value(w->b, s->progs[i].run_cnt, 0);
	}
}

static void put_ledger(struct writer *w, const struct vigil_ledger_status *l)
{
	put_header(w, "vigil_ledger_sequence", GAUGE, NULL,
		   "Sequence number of the last ledger record written.");
	vigil_strbuf_puts(w->b, "vigil_ledger_sequence");
	put_value(w->b, l->sequence, 0);
	put_header(w, "vigil_ledger_pending_records", GAUGE, NULL,
		   "Ledger records queued in memory, not yet durable.");
	vigil_strbuf_puts(w->b, "vigil_ledger_pending_records");
	put_value(w->b, l->pending_records, 0);
	put_header(w, "vigil_ledger_write_errors", COUNTER, NULL,
		   "Failed ledger writes since the agent started.");
	vigil_strbuf_puts(w->b, "vigil_ledger_write_errors_total");
	put_value(w->b, l->write_errors, 0);
	put_header(w, "vigil_ledger_flags", COUNTER, NULL,
		   "Plausibility flags raised in ledger records since the agent started.");
	for (size_t i = 0; i < l->n_flags && i < VIGIL_LEDGER_MAX_FLAGS; i++) {
		vigil_strbuf_puts(w->b, "vigil_ledger_flags_total{");
		put_label(w->b, true, "flag", l->flags[i].name,
			  strnlen(l->flags[i].name, sizeof(l->flags[i].name)));
		vigil_strbuf_putc(w->b, '}');
		put_value(w->b, l->flags[i].count, 0);
	}
}

static void put_self(struct writer *w, const struct vigil_metrics_snapshot *s)
{
	if (s->has_prev_scrape) {
		put_header(w, "vigil_scrape_duration_seconds", GAUGE, "seconds",
			   "How long the previous scrape took to gather and render.");
		vigil_strbuf_puts(w->b, "vigil_scrape_duration_seconds");
		put_value(w->b, s->prev_scrape_ns, 9);
	}
	put_header(w, "vigil_build", INFO, NULL, "The vigil agent's version and commit.");
	vigil_strbuf_puts(w->b, "vigil_build_info{");
	put_cstr_label(w->b, true, "version", s->version ? s->version : "");
	put_cstr_label(w->b, false, "commit", s->commit ? s->commit : "");
	vigil_strbuf_add(w->b, "} 1\n", 4);
}

int vigil_metrics_write(const struct vigil_metrics_snapshot *s, enum vigil_metrics_format format,
			struct vigil_strbuf *out)
{
	struct writer w = { .b = out, .om = format == VIGIL_METRICS_OPENMETRICS };

	/* about 1.2 kB per workload: grow once, not a dozen times */
	vigil_strbuf_reserve(out, 2048 + s->n_workloads * 1400);
	for (size_t i = 0, end; i < vigil_usage_n_fields; i = end) {
		end = vigil_usage_fields[i].metric ? family_end(i) : i + 1;
		if (vigil_usage_fields[i].metric)
			put_workload_family(&w, i, end, s);
	}
	put_workload_info(&w, s);
	put_workload_limits(&w, s);
	put_progs(&w, s);
	if (s->ledger)
		put_ledger(&w, s->ledger);
	put_self(&w, s);
	if (w.om)
		vigil_strbuf_add(out, "# EOF\n", 6);
	return vigil_strbuf_error(out);
}
