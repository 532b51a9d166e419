// SPDX-License-Identifier: GPL-2.0-or-later
/* Appending an epoch: cumulative counters, deltas, flags, signatures, Merkle root. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "ledger_record.h"
#include "merkle.h"

#define MIB (1024ull * 1024ull)

/* Where a workload's next record continues from. */
struct wl_state {
	bool exists;
	bool final;
	char boot_id[VIGIL_LEDGER_NAME_MAX];
	uint64_t window_end;
	uint64_t mem_peak;
	/* the BPF figures last seen, what was added to them, and the sum recorded */
	uint64_t raw[LEDGER_N_COUNTERS];
	uint64_t base[LEDGER_N_COUNTERS];
	uint64_t counters[LEDGER_N_COUNTERS];
};

struct append {
	struct vigil_ledger *l;
	sqlite3_stmt *load;
	sqlite3_stmt *save;
	sqlite3_stmt *insert;
	uint64_t seq;
	uint8_t hash[VIGIL_LEDGER_HASH_BYTES];
	uint8_t (*leaves)[MERKLE_HASH];
	uint64_t flags_raised[LEDGER_N_FLAGS];
};

static int sql_fail(struct append *a, int rc, const char *what)
{
	ledger_set_err(a->l, "ledger %s: %s: %s", a->l->db_path, what, sqlite3_errmsg(a->l->db));
	return ledger_sqlite_errno(a->l->db, rc);
}

static int get_array(sqlite3_stmt *st, int col, uint64_t *out)
{
	if (sqlite3_column_bytes(st, col) != LEDGER_N_COUNTERS * sizeof(uint64_t))
		return -EUCLEAN;
	memcpy(out, sqlite3_column_blob(st, col), LEDGER_N_COUNTERS * sizeof(uint64_t));
	return 0;
}

static int load_state(struct append *a, const char *workload, struct wl_state *s)
{
	sqlite3_stmt *st = a->load;
	int rc, ret = 0;

	memset(s, 0, sizeof(*s));
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, workload, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return sql_fail(a, rc, "reading a workload's state");
	s->exists = true;
	snprintf(s->boot_id, sizeof(s->boot_id), "%s", (const char *)sqlite3_column_text(st, 0));
	s->window_end = (uint64_t)sqlite3_column_int64(st, 1);
	s->final = sqlite3_column_int(st, 2);
	s->mem_peak = (uint64_t)sqlite3_column_int64(st, 3);
	if (get_array(st, 4, s->raw) || get_array(st, 5, s->base) ||
	    get_array(st, 6, s->counters)) {
		ledger_set_err(a->l, "ledger %s: the state of workload %s is damaged",
			       a->l->db_path, workload);
		ret = -EUCLEAN;
	}
	sqlite3_reset(st);
	return ret;
}

static int save_state(struct append *a, const char *workload, const struct wl_state *s)
{
	sqlite3_stmt *st = a->save;
	const size_t n = LEDGER_N_COUNTERS * sizeof(uint64_t);
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, workload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->boot_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->window_end);
	sqlite3_bind_int(st, 4, s->final);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->mem_peak);
	sqlite3_bind_blob(st, 6, s->raw, (int)n, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, s->base, (int)n, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, s->counters, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(a, rc, "saving a workload's state");
}

static uint64_t delta_of(const struct ledger_record *r, const char *name)
{
	return r->delta[ledger_counter_index(name)];
}

/*
 * The network figures' own plausibility: what was let through and what was
 * dropped add up to what was sent, and no more reached public destinations
 * than the egress limit lets through. The limit polices what the forward
 * chain sees (IP packets): it allows its rate over the window and its burst
 * (nft_wl.c: 100 ms of the rate and 64 KiB), and the meter counts each
 * frame's Ethernet header as well.
 */
static unsigned int network_flags(const struct ledger_record *r,
				  const struct vigil_ledger_alloc *alloc, uint64_t window_ns)
{
	uint64_t sent = delta_of(r, "net_tx_bytes"), frames = delta_of(r, "net_tx_packets");
	uint64_t public = delta_of(r, "net_tx_public_bytes");
	unsigned __int128 allowed;
	unsigned int flags = 0;

	if (public + delta_of(r, "net_tx_private_bytes") + delta_of(r, "net_tx_dropped_bytes") !=
	    sent)
		flags |= VIGIL_LEDGER_NET_TX_UNBALANCED;
	if (alloc->egress_mbit) {
		allowed =
			(unsigned __int128)alloc->egress_mbit * 125000u * window_ns / 1000000000u +
			alloc->egress_mbit * 12500u + 65536u + (unsigned __int128)frames * 18u;
		if (public > allowed)
			flags |= VIGIL_LEDGER_NET_OVER_EGRESS_LIMIT;
	}
	return flags;
}

/*
 * The figures of one record from the workload's state and the BPF figures.
 * After a reboot (new boot_id) the BPF figures restarted at zero, so they
 * are added to what was recorded; a figure that fell without one is taken
 * the same way (flagged) rather than giving a negative delta.
 */
static int figures(struct vigil_ledger *l, const struct vigil_ledger_input *in, uint64_t ws,
		   uint64_t we, struct wl_state *s, struct ledger_record *r)
{
	bool continues = s->exists && !s->final;
	bool same_boot = continues && strcmp(s->boot_id, in->boot_id) == 0;
	uint64_t prev[LEDGER_N_COUNTERS] = { 0 };
	uint64_t window, allowed;

	r->window_start = continues ? s->window_end : ws;
	r->window_end = we;
	if (r->window_end <= r->window_start) {
		ledger_set_err(l,
			       "workload %s: the window would end at %llu, not after it starts "
			       "(%llu, where its previous record ended)",
			       in->workload, (unsigned long long)we,
			       (unsigned long long)r->window_start);
		return -EINVAL;
	}
	if (continues)
		memcpy(prev, s->counters, sizeof(prev));
	else
		memset(s->base, 0, sizeof(s->base));
	r->flags = 0;
	for (int i = 0; i < LEDGER_N_COUNTERS; i++) {
		uint64_t raw;

		raw = vigil_usage_field_get(&in->usage, ledger_counter((size_t)i));
		if (continues && !same_boot) {
			s->base[i] = prev[i];
		} else if (same_boot && raw < s->raw[i]) {
			s->base[i] = prev[i];
			r->flags |= VIGIL_LEDGER_COUNTER_REGRESSED;
		}
		s->raw[i] = raw;
		r->counters[i] = s->base[i] + raw;
		r->delta[i] = r->counters[i] - prev[i];
	}
	window = r->window_end - r->window_start;
	if ((unsigned __int128)delta_of(r, "cpu_ns") > (unsigned __int128)in->alloc.vcpus * window)
		r->flags |= VIGIL_LEDGER_CPU_OVER_ALLOC;
	r->flags |= network_flags(r, &in->alloc, window);
	/* a peak above the limit is flagged in the window it was reached, not ever after */
	allowed = in->memory_allowed_bytes ? in->memory_allowed_bytes : in->alloc.memory_mib * MIB;
	if (in->alloc.memory_mib && in->usage.mem_peak_bytes > allowed &&
	    (!same_boot || in->usage.mem_peak_bytes > s->mem_peak))
		r->flags |= VIGIL_LEDGER_MEMORY_OVER_ALLOC;
	memcpy(s->counters, r->counters, sizeof(s->counters));
	snprintf(s->boot_id, sizeof(s->boot_id), "%s", in->boot_id);
	s->window_end = r->window_end;
	s->mem_peak = in->usage.mem_peak_bytes;
	s->final = in->final;
	s->exists = true;
	return 0;
}

static int append_one(struct append *a, const struct vigil_ledger_input *in, uint64_t ws,
		      uint64_t we, size_t idx)
{
	struct vigil_ledger *l = a->l;
	struct ledger_record r = { 0 };
	struct wl_state s;
	size_t sig_at;
	int rc, ret;

	ret = load_state(a, in->workload, &s);
	if (!ret)
		ret = figures(l, in, ws, we, &s, &r);
	if (ret)
		return ret;
	r.seq = ++a->seq;
	memcpy(r.prev_hash, a->hash, sizeof(r.prev_hash));
	memcpy(r.host_key, l->key.pk, sizeof(r.host_key));
	snprintf(r.boot_id, sizeof(r.boot_id), "%s", in->boot_id);
	snprintf(r.workload, sizeof(r.workload), "%s", in->workload);
	snprintf(r.owner, sizeof(r.owner), "%s", in->owner);
	snprintf(r.agent_version, sizeof(r.agent_version), "%s", l->agent_version);
	r.alloc = in->alloc;
	for (size_t i = 0; i < LEDGER_N_GAUGES; i++)
		r.gauges[i] = vigil_usage_field_get(&in->usage, ledger_gauge(i));
	r.final = in->final;

	cj_reset(&l->msg);
	cj_reset(&l->line);
	ret = ledger_record_message(&r, &l->msg, &sig_at);
	if (ret)
		return ret;
	crypto_sign_detached(r.sig, NULL, (const uint8_t *)l->msg.p, l->msg.len, l->key.sk);
	ret = ledger_record_line(l->msg.p, l->msg.len, sig_at, r.sig, &l->line);
	if (ret)
		return ret;
	crypto_hash_sha256(a->hash, (const uint8_t *)l->line.p, l->line.len);
	for (unsigned int i = 0; i < LEDGER_N_FLAGS; i++)
		a->flags_raised[i] += !!(r.flags & (1u << i));
	merkle_leaf(l->line.p, l->line.len, a->leaves[idx]);

	sqlite3_reset(a->insert);
	sqlite3_bind_int64(a->insert, 1, (sqlite3_int64)r.seq);
	sqlite3_bind_blob(a->insert, 2, l->line.p, (int)l->line.len, SQLITE_STATIC);
	rc = sqlite3_step(a->insert);
	sqlite3_reset(a->insert);
	if (rc != SQLITE_DONE)
		return sql_fail(a, rc, "inserting a record");
	return save_state(a, in->workload, &s);
}

static int insert_epoch(struct append *a, const struct vigil_ledger_epoch *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(
		a->l->db, "INSERT INTO epochs(" LEDGER_EPOCH_COLUMNS ") VALUES(?,?,?,?,?,?,?)", -1,
		&st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->epoch);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)e->first_seq);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)e->last_seq);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)e->window_start);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)e->window_end);
		sqlite3_bind_blob(st, 6, e->root, sizeof(e->root), SQLITE_STATIC);
		sqlite3_bind_blob(st, 7, e->sig, sizeof(e->sig), SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(a, rc, "inserting the epoch's Merkle root");
}

static int cmp_workload(const void *x, const void *y)
{
	const struct vigil_ledger_input *const *a = x, *const *b = y;

	return strcmp((*a)->workload, (*b)->workload);
}

static bool valid_name(const char *s, size_t max)
{
	return s && *s && strlen(s) < max && cj_valid_utf8(s);
}

static int check_inputs(struct vigil_ledger *l, const struct vigil_ledger_input *in, size_t n)
{
	const struct vigil_ledger_input **sorted;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		if (!valid_name(in[i].workload, VIGIL_LEDGER_NAME_MAX) ||
		    !valid_name(in[i].boot_id, VIGIL_LEDGER_NAME_MAX) || !in[i].owner ||
		    strlen(in[i].owner) >= VIGIL_LEDGER_OWNER_MAX || !cj_valid_utf8(in[i].owner)) {
			ledger_set_err(l,
				       "input %zu (workload %s): workload and boot_id must be "
				       "UTF-8 of 1 to %d bytes, owner UTF-8 below %d bytes",
				       i, in[i].workload ? in[i].workload : "(none)",
				       VIGIL_LEDGER_NAME_MAX - 1, VIGIL_LEDGER_OWNER_MAX);
			return -EINVAL;
		}
	}
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &in[i];
	qsort(sorted, n, sizeof(*sorted), cmp_workload);
	for (size_t i = 1; i < n && !ret; i++) {
		if (strcmp(sorted[i - 1]->workload, sorted[i]->workload) == 0) {
			ledger_set_err(l, "workload %s appears twice in one epoch",
				       sorted[i]->workload);
			ret = -EINVAL;
		}
	}
	free(sorted);
	return ret;
}

static int prepare(struct append *a)
{
	sqlite3 *db = a->l->db;
	int rc;

	rc = sqlite3_prepare_v2(db,
				"SELECT boot_id, window_end, final, mem_peak, raw, base, counters "
				"FROM workloads WHERE workload = ?",
				-1, &a->load, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"INSERT OR REPLACE INTO workloads(workload, boot_id, "
					"window_end, final, mem_peak, raw, base, counters) "
					"VALUES(?,?,?,?,?,?,?,?)",
					-1, &a->save, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO records(seq, line) VALUES(?,?)", -1,
					&a->insert, NULL);
	return rc == SQLITE_OK ? 0 : sql_fail(a, rc, "preparing the epoch's statements");
}

static int write_epoch(struct append *a, uint64_t ws, uint64_t we,
		       const struct vigil_ledger_input *in, size_t n, struct vigil_ledger_epoch *e)
{
	struct vigil_ledger *l = a->l;
	int rc, ret;

	rc = sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(a, rc, "starting the epoch's transaction");
	for (size_t i = 0; i < n; i++) {
		ret = append_one(a, &in[i], ws, we, i);
		if (ret)
			goto rollback;
	}
	*e = (struct vigil_ledger_epoch){
		.epoch = l->last_epoch + 1,
		.first_seq = l->last_seq + 1,
		.last_seq = a->seq,
		.window_start = ws,
		.window_end = we,
	};
	memcpy(e->host_key, l->key.pk, sizeof(e->host_key));
	merkle_root((const uint8_t(*)[MERKLE_HASH])a->leaves, n, e->root);
	ledger_epoch_sign(e, l->key.sk);
	ret = insert_epoch(a, e);
	if (ret)
		goto rollback;
	rc = sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	ret = sql_fail(a, rc, "committing the epoch");
rollback:
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int vigil_ledger_append_epoch(struct vigil_ledger *l, uint64_t window_start_ns,
			      uint64_t window_end_ns, const struct vigil_ledger_input *in, size_t n)
{
	struct append a = { .l = l, .seq = l->last_seq };
	struct vigil_ledger_epoch e;
	int ret;

	if (l->read_only) {
		ledger_set_err(l, "ledger %s is open read-only", l->db_path);
		return -EROFS;
	}
	if (n == 0)
		return 0;
	ret = check_inputs(l, in, n);
	if (ret)
		return ret;
	memcpy(a.hash, l->last_hash, sizeof(a.hash));
	a.leaves = malloc(n * sizeof(*a.leaves));
	if (!a.leaves)
		return -ENOMEM;
	ret = prepare(&a);
	if (!ret)
		ret = write_epoch(&a, window_start_ns, window_end_ns, in, n, &e);
	if (!ret) {
		l->last_seq = a.seq;
		memcpy(l->last_hash, a.hash, sizeof(l->last_hash));
		l->last_epoch = e.epoch;
		l->last_window_end = e.window_end;
		for (unsigned int i = 0; i < LEDGER_N_FLAGS; i++)
			l->flags_raised[i] += a.flags_raised[i];
	}
	sqlite3_finalize(a.load);
	sqlite3_finalize(a.save);
	sqlite3_finalize(a.insert);
	free(a.leaves);
	return ret;
}

size_t vigil_ledger_flags_raised(const struct vigil_ledger *l, const char **names, uint64_t *counts,
				 size_t max)
{
	size_t n = max < LEDGER_N_FLAGS ? max : LEDGER_N_FLAGS;

	for (size_t i = 0; i < n; i++) {
		names[i] = ledger_flag_names[i];
		counts[i] = l->flags_raised[i];
	}
	return n;
}
