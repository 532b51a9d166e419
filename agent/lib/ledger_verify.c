// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verifying a ledger. Records are checked in order (form, chain, key,
 * windows, counters, Merkle roots) as they are read. In an export every
 * record's signature, the costly part, is checked by a few threads at a time
 * over chunks of records. In a database an epoch's signed Merkle root
 * authenticates its records, so their own signatures are only checked when
 * something fails, to name the record that was altered: the records read
 * since the last epoch whose root verified are the ones it could be. The
 * first bad record wins, whichever check finds it.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "ledger_record.h"
#include "ledger_track.h"
#include "merkle.h"

#define CHUNK	    2048
#define MAX_THREADS 16
/* below this, starting threads costs more than it saves */
#define MIN_PARALLEL 64

struct sig_job {
	size_t off;
	size_t len;
	size_t sig_start;
	size_t sig_end;
	uint64_t seq;
	uint64_t line;
	uint8_t sig[VIGIL_LEDGER_SIG_BYTES];
};

struct verifier {
	struct vigil_ledger_check *res;
	/* the database, NULL for an export */
	sqlite3 *db;
	bool have_key;
	uint8_t key[VIGIL_LEDGER_KEY_BYTES];
	uint64_t count;
	/* there is a record before the next one: last_seq, whose line hashes to last_hash */
	bool linked;
	uint64_t last_seq;
	uint8_t last_hash[VIGIL_LEDGER_HASH_BYTES];
	bool from_start;
	struct track track;
	/* the records whose signatures are still to check */
	struct cj_buf lines;
	struct sig_job *jobs;
	size_t njobs;
	/* databases: the first record no verified epoch root authenticates yet */
	uint64_t unauth_from;
	/* leaf hashes since the last epoch's end (databases) */
	uint8_t (*leaves)[MERKLE_HASH];
	size_t nleaves;
	size_t cap_leaves;
	struct ledger_record rec;
};

struct worker {
	pthread_t thread;
	bool started;
	const struct verifier *v;
	size_t first;
	size_t step;
	/* index of the first bad signature of this worker's share, or njobs */
	size_t bad;
	int err;
};

static int fail(struct verifier *v, uint64_t seq, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct verifier *v, uint64_t seq, uint64_t line, const char *fmt, ...)
{
	struct vigil_ledger_check *r = v->res;
	char why[VIGIL_LEDGER_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->bad_seq = seq;
	r->bad_line = line;
	if (line && seq)
		snprintf(r->reason, sizeof(r->reason), "record %llu (line %llu): %s",
			 (unsigned long long)seq, (unsigned long long)line, why);
	else if (line)
		snprintf(r->reason, sizeof(r->reason), "line %llu: %s", (unsigned long long)line,
			 why);
	else if (seq)
		snprintf(r->reason, sizeof(r->reason), "record %llu: %s", (unsigned long long)seq,
			 why);
	else
		snprintf(r->reason, sizeof(r->reason), "%s", why);
	return -EBADMSG;
}

static void *check_sigs(void *arg)
{
	struct worker *w = arg;
	const struct verifier *v = w->v;
	struct cj_buf msg = { 0 };

	w->bad = v->njobs;
	for (size_t i = w->first; i < v->njobs; i += w->step) {
		const struct sig_job *j = &v->jobs[i];

		cj_reset(&msg);
		w->err = ledger_record_strip_sig(v->lines.p + j->off, j->len, j->sig_start,
						 j->sig_end, &msg);
		if (w->err)
			break;
		if (crypto_sign_verify_detached(j->sig, (const uint8_t *)msg.p, msg.len, v->key)) {
			w->bad = i;
			break;
		}
	}
	cj_free(&msg);
	return NULL;
}

static size_t n_threads(size_t jobs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (jobs < MIN_PARALLEL || cpus < 2)
		return 1;
	return cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus;
}

/* Checks the signatures of the records read so far; -EBADMSG at the first bad one. */
static int flush(struct verifier *v)
{
	struct worker w[MAX_THREADS];
	size_t n = n_threads(v->njobs), bad = v->njobs;
	int err = 0;

	for (size_t t = 1; t < n; t++) {
		w[t] = (struct worker){ .v = v, .first = t, .step = n };
		w[t].started = !pthread_create(&w[t].thread, NULL, check_sigs, &w[t]);
	}
	/* the calling thread takes the first share, and any a thread could not start for */
	w[0] = (struct worker){ .v = v, .first = 0, .step = n };
	check_sigs(&w[0]);
	for (size_t t = 1; t < n; t++) {
		if (w[t].started)
			pthread_join(w[t].thread, NULL);
		else
			check_sigs(&w[t]);
	}
	for (size_t t = 0; t < n; t++) {
		if (w[t].err)
			err = w[t].err;
		if (w[t].bad < bad)
			bad = w[t].bad;
	}
	if (bad < v->njobs)
		return fail(v, v->jobs[bad].seq, v->jobs[bad].line, "bad signature");
	v->njobs = 0;
	cj_reset(&v->lines);
	return err;
}

static int queue_sig(struct verifier *v, const char *line, size_t len, size_t ss, size_t se,
		     uint64_t lineno)
{
	struct sig_job *j = &v->jobs[v->njobs];

	j->off = v->lines.len;
	j->len = len;
	j->sig_start = ss;
	j->sig_end = se;
	j->seq = v->rec.seq;
	j->line = lineno;
	memcpy(j->sig, v->rec.sig, sizeof(j->sig));
	cj_raw(&v->lines, line, len);
	if (cj_error(&v->lines))
		return cj_error(&v->lines);
	v->njobs++;
	return v->njobs == CHUNK ? flush(v) : 0;
}

/*
 * Checks the signatures of the records read since the last verified epoch
 * root, which nothing else authenticates yet: -EBADMSG at the first bad one.
 * They are read again (they parsed once) rather than kept, as an epoch has
 * no bound on its size.
 */
static int check_unauthenticated(struct verifier *v)
{
	char perr[128];
	sqlite3_stmt *st = NULL;
	size_t ss, se;
	int rc, ret = 0;

	if (!v->linked || v->last_seq < v->unauth_from)
		return 0;
	rc = sqlite3_prepare_v2(
		v->db, "SELECT seq, line FROM records WHERE seq BETWEEN ? AND ? ORDER BY seq", -1,
		&st, NULL);
	if (rc != SQLITE_OK)
		return ledger_sqlite_errno(v->db, rc);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v->unauth_from);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)v->last_seq);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		if (ledger_record_parse(line, len, &v->rec, &ss, &se, perr, sizeof(perr)))
			ret = fail(v, (uint64_t)sqlite3_column_int64(st, 0), 0, "%s", perr);
		else
			ret = queue_sig(v, line, len, ss, se, 0);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = ledger_sqlite_errno(v->db, rc);
	sqlite3_finalize(st);
	return ret ? ret : flush(v);
}

/* A failure found in order: bad signatures of earlier records come first. */
static int fail_after_sigs(struct verifier *v, uint64_t seq, uint64_t line, const char *why)
{
	int ret = v->db ? check_unauthenticated(v) : flush(v);

	if (ret)
		return ret;
	return fail(v, seq, line, "%s", why);
}

static int check_chain(struct verifier *v, const struct ledger_record *r, char *why, size_t len)
{
	static const uint8_t zero[VIGIL_LEDGER_HASH_BYTES];
	char hex[VIGIL_LEDGER_KEY_HEX + 1], want[VIGIL_LEDGER_KEY_HEX + 1];

	if (v->linked && r->seq != v->last_seq + 1) {
		snprintf(why, len,
			 "found seq %llu after record %llu (a record is missing, or out of order)",
			 (unsigned long long)r->seq, (unsigned long long)v->last_seq);
		return -EBADMSG;
	}
	if (!v->linked && r->seq != 1 && (v->db || !memcmp(r->prev_hash, zero, sizeof(zero)))) {
		snprintf(why, len, "the chain starts at seq %llu, not 1",
			 (unsigned long long)r->seq);
		return -EBADMSG;
	}
	if (v->linked && memcmp(r->prev_hash, v->last_hash, sizeof(v->last_hash)) != 0) {
		snprintf(why, len, "prev_hash does not match record %llu",
			 (unsigned long long)v->last_seq);
		return -EBADMSG;
	}
	if (!v->linked && r->seq == 1 && memcmp(r->prev_hash, zero, sizeof(zero)) != 0) {
		snprintf(why, len, "prev_hash of the first record is not all zero");
		return -EBADMSG;
	}
	if (!v->have_key) {
		memcpy(v->key, r->host_key, sizeof(v->key));
		v->have_key = true;
	}
	if (memcmp(r->host_key, v->key, sizeof(v->key)) != 0) {
		sodium_bin2hex(hex, sizeof(hex), r->host_key, sizeof(r->host_key));
		sodium_bin2hex(want, sizeof(want), v->key, sizeof(v->key));
		snprintf(why, len, "signed by host key %.16s..., expected %.16s...", hex, want);
		return -EBADMSG;
	}
	return 0;
}

static int check_workload(struct verifier *v, const struct ledger_record *r, char *why, size_t len)
{
	struct track_entry *t;
	bool continues;

	if (!r->workload[0]) {
		snprintf(why, len, "no workload id");
		return -EBADMSG;
	}
	if (r->window_end <= r->window_start) {
		snprintf(why, len, "window ends (%llu) before it starts (%llu)",
			 (unsigned long long)r->window_end, (unsigned long long)r->window_start);
		return -EBADMSG;
	}
	t = track_get(&v->track, r->workload);
	if (!t)
		return -ENOMEM;
	continues = t->used && !t->final;
	if (continues && r->window_start != t->window_end) {
		snprintf(why, len,
			 "window starts at %llu, but record %llu of workload %s ended at %llu",
			 (unsigned long long)r->window_start, (unsigned long long)t->seq,
			 r->workload, (unsigned long long)t->window_end);
		return -EBADMSG;
	}
	for (int i = 0; i < LEDGER_N_COUNTERS; i++) {
		uint64_t prev = continues ? t->counters[i] : 0;

		if (continues && r->counters[i] < prev) {
			snprintf(why, len,
				 "counters went backwards (%s: %llu after %llu in record %llu)",
				 ledger_counter((size_t)i)->name,
				 (unsigned long long)r->counters[i], (unsigned long long)prev,
				 (unsigned long long)t->seq);
			return -EBADMSG;
		}
		/* a workload first seen in a partial export has an unknown past */
		if ((continues || t->used || v->from_start) &&
		    r->delta[i] != r->counters[i] - prev) {
			snprintf(why, len, "delta does not match the counters (%s)",
				 ledger_counter((size_t)i)->name);
			return -EBADMSG;
		}
	}
	t->used = true;
	t->final = r->final;
	t->seq = r->seq;
	t->window_end = r->window_end;
	memcpy(t->counters, r->counters, sizeof(t->counters));
	return 0;
}

static int add_leaf(struct verifier *v, const char *line, size_t len)
{
	if (v->nleaves == v->cap_leaves) {
		size_t cap = v->cap_leaves ? 2 * v->cap_leaves : 1024;
		void *p = realloc(v->leaves, cap * sizeof(*v->leaves));

		if (!p)
			return -ENOMEM;
		v->leaves = p;
		v->cap_leaves = cap;
	}
	merkle_leaf(line, len, v->leaves[v->nleaves++]);
	return 0;
}

/*
 * One record, in order. `stored_seq` is the database's own seq for it (0
 * for a file), `lineno` its line in a file (0 for a database).
 */
static int verifier_add(struct verifier *v, const char *line, size_t len, uint64_t stored_seq,
			uint64_t lineno)
{
	struct ledger_record *r = &v->rec;
	char why[VIGIL_LEDGER_REASON_MAX - 32], perr[128];
	uint64_t name = stored_seq ? stored_seq : v->linked ? v->last_seq + 1 : 0;
	size_t ss, se;
	int ret;

	ret = ledger_record_parse(line, len, r, &ss, &se, perr, sizeof(perr));
	if (ret)
		return fail_after_sigs(v, name, lineno, perr);
	if (!name)
		name = r->seq;
	if (stored_seq && r->seq != stored_seq) {
		snprintf(why, sizeof(why), "its JSON says seq %llu", (unsigned long long)r->seq);
		return fail_after_sigs(v, name, lineno, why);
	}
	ret = check_chain(v, r, why, sizeof(why));
	if (!ret) {
		if (!v->count)
			v->from_start = r->seq == 1;
		ret = check_workload(v, r, why, sizeof(why));
	}
	if (ret == -EBADMSG)
		return fail_after_sigs(v, name, lineno, why);
	if (ret)
		return ret;
	if (!v->count)
		v->res->first_seq = r->seq;
	v->count++;
	v->linked = true;
	v->last_seq = r->seq;
	crypto_hash_sha256(v->last_hash, (const uint8_t *)line, len);
	/* a database's records are authenticated by their epoch's root */
	if (v->db)
		return add_leaf(v, line, len);
	return queue_sig(v, line, len, ss, se, lineno);
}

static void verifier_init(struct verifier *v, struct vigil_ledger_check *res, const uint8_t *pubkey)
{
	memset(res, 0, sizeof(*res));
	memset(v, 0, sizeof(*v));
	v->res = res;
	if (pubkey) {
		memcpy(v->key, pubkey, sizeof(v->key));
		v->have_key = true;
	}
}

/* Checks the last signatures and fills in what was covered. */
static int verifier_finish(struct verifier *v, int ret)
{
	if (!ret)
		ret = flush(v);
	if (ret && ret != -EBADMSG && !v->res->reason[0])
		snprintf(v->res->reason, sizeof(v->res->reason), "%s", strerror(-ret));
	v->res->records = v->count;
	v->res->last_seq = v->last_seq;
	if (v->have_key)
		sodium_bin2hex(v->res->host_key, sizeof(v->res->host_key), v->key, sizeof(v->key));
	track_free(&v->track);
	cj_free(&v->lines);
	free(v->jobs);
	free(v->leaves);
	return ret;
}

static int alloc_jobs(struct verifier *v)
{
	if (sodium_init() < 0)
		return -EIO;
	v->jobs = malloc(CHUNK * sizeof(*v->jobs));
	return v->jobs ? 0 : -ENOMEM;
}

int vigil_ledger_verify_lines(FILE *in, const uint8_t *pubkey, struct vigil_ledger_check *ret)
{
	struct verifier v;
	uint64_t lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r;

	verifier_init(&v, ret, pubkey);
	r = alloc_jobs(&v);
	while (!r && (n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		r = verifier_add(&v, line, (size_t)n, 0, lineno);
	}
	if (!r && ferror(in))
		r = -EIO;
	if (!r && !lineno)
		r = fail(&v, 0, 0, "no records");
	free(line);
	return verifier_finish(&v, r);
}

static int epoch_fail(struct verifier *v, const struct vigil_ledger_epoch *e, const char *why)
{
	int ret = check_unauthenticated(v);

	if (ret)
		return ret;
	return fail(v, 0, 0, "epoch %llu (records %llu..%llu): %s", (unsigned long long)e->epoch,
		    (unsigned long long)e->first_seq, (unsigned long long)e->last_seq, why);
}

/* Steps to the next epoch and checks it follows the one before. 1: none left. */
static int next_epoch(struct verifier *v, sqlite3_stmt *st, struct vigil_ledger_epoch *e,
		      sqlite3 *db)
{
	uint64_t want_epoch = e->epoch + 1, want_first = e->epoch ? e->last_seq + 1 : 1;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return ledger_sqlite_errno(db, rc);
	if (ledger_epoch_from_row(st, v->key, e))
		return epoch_fail(v, e, "root or signature of the wrong size");
	if (e->epoch != want_epoch || e->first_seq != want_first || e->last_seq < e->first_seq)
		return epoch_fail(v, e, "does not follow the epoch before");
	return 0;
}

/* The records and epochs after epoch `e` (zero: all of them), in order. */
static int verify_records(struct verifier *v, sqlite3 *db, sqlite3_stmt *recs, sqlite3_stmt *eps,
			  struct vigil_ledger_epoch e)
{
	uint8_t root[MERKLE_HASH];
	int rc, ret, more;

	more = next_epoch(v, eps, &e, db);
	while ((rc = sqlite3_step(recs)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(recs, 0);

		if (more < 0)
			return more;
		if (more)
			return fail_after_sigs(v, seq, 0, "not covered by any epoch's Merkle root");
		ret = verifier_add(v, sqlite3_column_blob(recs, 1),
				   (size_t)sqlite3_column_bytes(recs, 1), seq, 0);
		if (ret)
			return ret;
		if (seq != e.last_seq)
			continue;
		/* all of the epoch's records are in: its root, signed with the ledger's key */
		merkle_root((const uint8_t(*)[MERKLE_HASH])v->leaves, v->nleaves, root);
		v->nleaves = 0;
		if (memcmp(root, e.root, sizeof(root)) != 0)
			return epoch_fail(v, &e, "its Merkle root does not match its records");
		memcpy(e.host_key, v->key, sizeof(e.host_key));
		if (ledger_epoch_check_sig(&e))
			return epoch_fail(v, &e, "bad signature on its Merkle root");
		v->res->epochs++;
		v->unauth_from = e.last_seq + 1;
		more = next_epoch(v, eps, &e, db);
	}
	if (rc != SQLITE_DONE)
		return ledger_sqlite_errno(db, rc);
	if (more < 0)
		return more;
	if (!more)
		return epoch_fail(v, &e, "the ledger ends before this epoch's last record");
	return 0;
}

/*
 * Record `seq`, which the next one must chain to. Only its hash is taken: it
 * belongs to an epoch not verified here, so its signature is checked only
 * if that link fails.
 */
static int link_to(struct verifier *v, sqlite3 *db, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(db, "SELECT line FROM records WHERE seq = ?", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		crypto_hash_sha256(v->last_hash, sqlite3_column_blob(st, 0),
				   (unsigned long long)sqlite3_column_bytes(st, 0));
		v->linked = true;
		v->last_seq = seq;
	} else if (rc == SQLITE_DONE) {
		ret = fail(v, seq, 0, "missing (the epochs say it ends one)");
	} else {
		ret = ledger_sqlite_errno(db, rc);
	}
	sqlite3_finalize(st);
	return ret;
}

static int verify_from(struct verifier *v, sqlite3 *db, const struct vigil_ledger_epoch *from)
{
	/* a whole ledger: every row, whatever its seq */
	sqlite3_int64 after_seq = from->epoch ? (sqlite3_int64)from->last_seq : INT64_MIN;
	sqlite3_int64 after_epoch = from->epoch ? (sqlite3_int64)from->epoch : INT64_MIN;
	sqlite3_stmt *recs = NULL, *eps = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(db, "SELECT seq, line FROM records WHERE seq > ? ORDER BY seq", -1,
				&recs, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"SELECT " LEDGER_EPOCH_COLUMNS
					" FROM epochs WHERE epoch > ? ORDER BY epoch",
					-1, &eps, NULL);
	if (rc != SQLITE_OK) {
		ret = ledger_sqlite_errno(db, rc);
		snprintf(v->res->reason, sizeof(v->res->reason), "%s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(recs, 1, after_seq);
	sqlite3_bind_int64(eps, 1, after_epoch);
	v->unauth_from = from->epoch ? from->last_seq : 1;
	if (from->epoch)
		ret = link_to(v, db, from->last_seq);
	if (!ret)
		ret = verify_records(v, db, recs, eps, *from);
out:
	sqlite3_finalize(recs);
	sqlite3_finalize(eps);
	return ret;
}

/* The epoch before the last one, where a check of the last one starts; zero when none. */
static int epoch_before_last(sqlite3 *db, struct vigil_ledger_epoch *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db,
				"SELECT epoch, last_seq FROM epochs ORDER BY epoch DESC LIMIT 1 "
				"OFFSET 1",
				-1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		e->epoch = (uint64_t)sqlite3_column_int64(st, 0);
		e->last_seq = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ledger_sqlite_errno(db, rc);
}

static bool state_matches(sqlite3_stmt *st, const struct track_entry *t)
{
	const size_t n = LEDGER_N_COUNTERS * sizeof(uint64_t);

	return (uint64_t)sqlite3_column_int64(st, 0) == t->window_end &&
	       (sqlite3_column_int(st, 1) != 0) == t->final &&
	       (size_t)sqlite3_column_bytes(st, 2) == n &&
	       !memcmp(sqlite3_column_blob(st, 2), t->counters, n);
}

/*
 * The state each workload's next record continues from (table workloads,
 * not signed: written with its last record) must match the last record
 * verified of it. The first mismatch by seq is reported.
 */
static int check_states(struct verifier *v, sqlite3 *db)
{
	const struct track_entry *bad = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(
		db, "SELECT window_end, final, counters FROM workloads WHERE workload = ?", -1, &st,
		NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < v->track.cap; i++) {
		const struct track_entry *t = &v->track.e[i];

		if (!t->used)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, t->workload, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		if ((rc == SQLITE_DONE || !state_matches(st, t)) && (!bad || t->seq < bad->seq))
			bad = t;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return ledger_sqlite_errno(db, rc);
	if (bad)
		return fail(v, bad->seq, 0,
			    "the stored state workload %s continues from does not match it",
			    bad->workload);
	return 0;
}

/* Records of another format than this vigil's cannot be read as such, let alone extended. */
static int check_format(struct verifier *v, sqlite3 *db)
{
	char format[16];
	int r = ledger_db_format(db, format, sizeof(format));

	if (r == -ENOENT || (!r && strcmp(format, LEDGER_FORMAT) == 0))
		return 0;
	if (r)
		return r;
	return fail(
		v, 0, 0,
		"its records are of format %s; this vigil reads and writes format " LEDGER_FORMAT
		" (net_tx_dropped_*, alloc.egress_mbit): keep it with the vigil that wrote it",
		format);
}

int ledger_verify_conn(sqlite3 *db, const uint8_t *pubkey, bool last_epoch,
		       struct vigil_ledger_check *ret)
{
	struct vigil_ledger_epoch from = { 0 };
	uint8_t stored[VIGIL_LEDGER_KEY_BYTES];
	struct verifier v;
	int r;

	verifier_init(&v, ret, pubkey);
	v.db = db;
	r = alloc_jobs(&v);
	if (!r) {
		r = ledger_db_host_key(db, stored);
		if (r == -ENOENT) {
			r = 0;
		} else if (!r && pubkey && memcmp(stored, pubkey, sizeof(stored)) != 0) {
			r = fail(&v, 0, 0, "the ledger names another host key than the one given");
		} else if (!r && !pubkey) {
			memcpy(v.key, stored, sizeof(v.key));
			v.have_key = true;
		}
	}
	if (!r)
		r = check_format(&v, db);
	if (!r && last_epoch)
		r = epoch_before_last(db, &from);
	if (!r)
		r = verify_from(&v, db, &from);
	if (!r && last_epoch)
		r = check_states(&v, db);
	if (r && r != -EBADMSG && !ret->reason[0])
		snprintf(ret->reason, sizeof(ret->reason), "%s",
			 r == -EIO || r == -EBUSY ? sqlite3_errmsg(db) : strerror(-r));
	return verifier_finish(&v, r);
}

int vigil_ledger_verify_db(const char *db_path, const uint8_t *pubkey,
			   struct vigil_ledger_check *ret)
{
	sqlite3 *db = NULL;
	int rc, r;

	rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		memset(ret, 0, sizeof(*ret));
		r = ledger_sqlite_errno(db, rc);
		snprintf(ret->reason, sizeof(ret->reason), "opening %s: %s", db_path,
			 db ? sqlite3_errmsg(db) : strerror(-r));
		sqlite3_close_v2(db);
		return r;
	}
	/* one read transaction: a consistent snapshot while vigild appends */
	r = ledger_verify_conn(db, pubkey, false, ret);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close_v2(db);
	return r;
}
