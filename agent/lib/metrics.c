// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Gathering one scrape: the workloads in a single pass over the accounting
 * maps, the meter's programs from its pins, the ledger's status, then the
 * rendering (metrics_text.c).
 */
#include "metrics.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bpf_prog.h"
#include "pin.h"

#define MAX_PINS 64

/* Full program names come from BTF, which is costly to load: kept by program id. */
struct prog_name {
	__u32 id;
	char name[64];
};

struct vigil_metrics {
	struct vigil_metrics_opts opts;
	pthread_mutex_t lock;
	struct vigil_metrics_workload *workloads;
	size_t n_workloads, cap_workloads;
	struct prog_name names[MAX_PINS];
	size_t n_names;
	bool has_prev_scrape;
	uint64_t prev_scrape_ns;
};

int vigil_metrics_new(const struct vigil_metrics_opts *opts, struct vigil_metrics **ret)
{
	struct vigil_metrics *m;

	if (!opts->meter)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->opts = *opts;
	pthread_mutex_init(&m->lock, NULL);
	*ret = m;
	return 0;
}

void vigil_metrics_free(struct vigil_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->workloads);
	free(m);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int add_workload(uint32_t slot, const struct vigil_slot *s,
			const struct vigil_workload_usage *u, void *ctx)
{
	struct vigil_metrics *m = ctx;
	struct vigil_metrics_workload *w;

	if (m->n_workloads == m->cap_workloads) {
		size_t cap = m->cap_workloads ? 2 * m->cap_workloads : 256;

		w = reallocarray(m->workloads, cap, sizeof(*w));
		if (!w)
			return -ENOMEM;
		m->workloads = w;
		m->cap_workloads = cap;
	}
	w = &m->workloads[m->n_workloads++];
	w->slot = *s;
	w->slot.workload[sizeof(w->slot.workload) - 1] = '\0';
	w->usage = *u;
	w->has_alloc = false;
	return 0;
}

/* By id; of two slots with one id, the one to show (active, else the newest) first. */
static int cmp_workload(const void *pa, const void *pb)
{
	const struct vigil_metrics_workload *a = pa, *b = pb;
	int c = strcmp(a->slot.workload, b->slot.workload);

	if (c)
		return c;
	if ((a->slot.state == VIGIL_SLOT_ACTIVE) != (b->slot.state == VIGIL_SLOT_ACTIVE))
		return a->slot.state == VIGIL_SLOT_ACTIVE ? -1 : 1;
	return a->slot.created_unix_ns > b->slot.created_unix_ns
		       ? -1
		       : a->slot.created_unix_ns < b->slot.created_unix_ns;
}

/*
 * An id is one series: a deleted workload's slot, still awaiting export,
 * and a new one of the same id would otherwise be two samples of one series.
 */
static void sort_unique(struct vigil_metrics *m)
{
	size_t n = 0;

	/* with no workload the array may be NULL, which qsort must not be given */
	if (!m->n_workloads)
		return;
	qsort(m->workloads, m->n_workloads, sizeof(m->workloads[0]), cmp_workload);
	for (size_t i = 0; i < m->n_workloads; i++) {
		if (n &&
		    strcmp(m->workloads[n - 1].slot.workload, m->workloads[i].slot.workload) == 0)
			continue;
		if (n != i)
			m->workloads[n] = m->workloads[i];
		n++;
	}
	m->n_workloads = n;
}

static int gather_workloads(struct vigil_metrics *m)
{
	int err;

	m->n_workloads = 0;
	err = vigil_meter_read_all(m->opts.meter, add_workload, m);
	if (err)
		return err;
	sort_unique(m);
	for (size_t i = 0; m->opts.alloc && i < m->n_workloads; i++) {
		struct vigil_metrics_workload *w = &m->workloads[i];

		/* what the callback leaves out is unknown, not whatever was there */
		w->alloc = (struct vigil_workload_alloc){ 0 };
		w->has_alloc = m->opts.alloc(w->slot.workload, &w->alloc, m->opts.alloc_ctx) == 0;
		w->alloc.owner[sizeof(w->alloc.owner) - 1] = '\0';
		if (w->alloc.n_limits > VIGIL_METRICS_LIMITS)
			w->alloc.n_limits = VIGIL_METRICS_LIMITS;
	}
	return 0;
}

static const char *prog_name(struct vigil_metrics *m, int fd, const struct bpf_prog_info *info)
{
	struct prog_name *p;

	for (size_t i = 0; i < m->n_names; i++) {
		if (m->names[i].id == info->id)
			return m->names[i].name;
	}
	/* a reloaded meter has new ids: start over rather than grow */
	if (m->n_names == MAX_PINS)
		m->n_names = 0;
	p = &m->names[m->n_names++];
	p->id = info->id;
	vigil_prog_full_name(fd, info, p->name, sizeof(p->name));
	return p->name;
}

static void add_prog(struct vigil_metrics_prog *progs, size_t *n, const char *name,
		     const struct bpf_prog_info *info)
{
	size_t i;

	for (i = 0; i < *n && strcmp(progs[i].name, name) != 0; i++)
		;
	if (i == *n) {
		progs[i] = (struct vigil_metrics_prog){ 0 };
		snprintf(progs[i].name, sizeof(progs[i].name), "%s", name);
		(*n)++;
	}
	progs[i].run_cnt += info->run_cnt;
	progs[i].run_time_ns += info->run_time_ns;
}

static int cmp_prog(const void *a, const void *b)
{
	return strcmp(((const struct vigil_metrics_prog *)a)->name,
		      ((const struct vigil_metrics_prog *)b)->name);
}

/*
 * The programs pinned in the meter's directory, directly or through their
 * links: those of this meter only, though other meters' programs share
 * their names.
 */
static size_t gather_progs(struct vigil_metrics *m, struct vigil_metrics_prog *progs)
{
	struct vigil_pin pins[MAX_PINS];
	__u32 seen[MAX_PINS];
	size_t n = 0, n_seen = 0;
	int n_pins;

	if (!m->opts.pin_dir)
		return 0;
	n_pins = vigil_pins_scan(m->opts.pin_dir, pins, MAX_PINS);
	for (int i = 0; i < n_pins; i++) {
		__u32 id = pins[i].kind == VIGIL_PIN_LINK   ? pins[i].prog_id
			   : pins[i].kind == VIGIL_PIN_PROG ? pins[i].id
							    : 0;
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		bool dup = false;
		int fd;

		for (size_t k = 0; k < n_seen; k++)
			dup = dup || seen[k] == id;
		if (!id || dup)
			continue;
		seen[n_seen++] = id;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			add_prog(progs, &n, prog_name(m, fd, &info), &info);
		close(fd);
	}
	qsort(progs, n, sizeof(progs[0]), cmp_prog);
	return n;
}

int vigil_metrics_render(struct vigil_metrics *m, enum vigil_metrics_format format,
			 struct vigil_strbuf *out)
{
	struct vigil_metrics_prog progs[MAX_PINS];
	struct vigil_ledger_status ledger = { 0 };
	struct vigil_metrics_snapshot s = {
		.version = VIGIL_VERSION,
		.commit = VIGIL_GIT_COMMIT,
	};
	uint64_t start = now_ns();
	int err;

	pthread_mutex_lock(&m->lock);
	err = gather_workloads(m);
	if (err)
		goto out;
	s.workloads = m->workloads;
	s.n_workloads = m->n_workloads;
	s.bpf_stats = vigil_bpf_stats_enabled();
	if (s.bpf_stats == 1) {
		s.progs = progs;
		s.n_progs = gather_progs(m, progs);
	}
	if (m->opts.ledger_status && m->opts.ledger_status(&ledger, m->opts.ledger_ctx) == 0)
		s.ledger = &ledger;
	s.has_prev_scrape = m->has_prev_scrape;
	s.prev_scrape_ns = m->prev_scrape_ns;
	err = vigil_metrics_write(&s, format, out);
	m->has_prev_scrape = true;
	m->prev_scrape_ns = now_ns() - start;
out:
	pthread_mutex_unlock(&m->lock);
	return err;
}
