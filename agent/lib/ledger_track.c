// SPDX-License-Identifier: GPL-2.0-or-later
#include "ledger_track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static struct track_entry *slot(struct track_entry *e, size_t cap, const char *workload)
{
	size_t i = hash(workload) & (cap - 1);

	while (e[i].workload[0] && strcmp(e[i].workload, workload) != 0)
		i = (i + 1) & (cap - 1);
	return &e[i];
}

/* keeps the table at most half full so probes stay short */
static int grow(struct track *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	struct track_entry *e = calloc(cap, sizeof(*e));

	if (!e)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->e[i].workload[0])
			*slot(e, cap, t->e[i].workload) = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

struct track_entry *track_get(struct track *t, const char *workload)
{
	struct track_entry *e;

	if (2 * (t->n + 1) > t->cap && grow(t))
		return NULL;
	e = slot(t->e, t->cap, workload);
	if (!e->workload[0]) {
		snprintf(e->workload, sizeof(e->workload), "%s", workload);
		t->n++;
	}
	return e;
}

void track_free(struct track *t)
{
	free(t->e);
	*t = (struct track){ 0 };
}
