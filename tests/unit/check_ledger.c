// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The usage ledger: chain, signatures, cumulative counters across reboots,
 * flags, Merkle proofs, tampering of any byte, crashes mid-epoch, and the
 * `vigil ledger` commands. No privileges: everything lives in a temp dir.
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json_writer.h"
#include "ledger.h"
#include "merkle.h"
#include "testutil.h"

#define SEC	   1000000000ull
#define BOOT_A	   "8d3e1c6a-0000-4000-8000-00000000000a"
#define BOOT_B	   "8d3e1c6a-0000-4000-8000-00000000000b"
#define T0	   (1700000000ull * SEC)
#define MAX_INPUTS 16

static char dir[64];
static char db_path[128];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-ledger-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", dir);
}

static void teardown(void)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static struct vigil_ledger *open_ledger(void)
{
	struct vigil_ledger_opts opts = { .state_dir = dir, .agent_version = "0.1.0-test" };
	struct vigil_ledger *l = NULL;
	char err[512] = "";

	ck_assert_msg(vigil_ledger_open(&opts, &l, err, sizeof(err)) == 0, "open: %s", err);
	return l;
}

static struct vigil_ledger_input input(const char *id, const char *boot, uint64_t cpu_ns)
{
	struct vigil_ledger_input in = {
		.workload = id,
		.owner = "alice",
		.alloc = { .vcpus = 2, .memory_mib = 512, .volume_mib = 100 },
		.boot_id = boot,
	};

	in.usage.cpu_ns = cpu_ns;
	in.usage.net_tx_bytes = cpu_ns / 1000;
	in.usage.net_tx_public_bytes = cpu_ns / 1000;
	in.usage.disk_write_bytes = cpu_ns / 10;
	in.usage.mem_bytes = 64ull << 20;
	in.usage.mem_peak_bytes = 100ull << 20;
	in.usage.mem_byte_seconds = cpu_ns * 3;
	return in;
}

/* epochs 1..n of one second each, workloads w0..w(k-1), cpu growing by 0.1 s each epoch */
static void append_epochs(struct vigil_ledger *l, int first, int n, int k)
{
	struct vigil_ledger_input in[MAX_INPUTS];
	char ids[MAX_INPUTS][16];

	for (int e = first; e < first + n; e++) {
		for (int w = 0; w < k; w++) {
			snprintf(ids[w], sizeof(ids[w]), "w%d", w);
			in[w] = input(ids[w], BOOT_A, (uint64_t)(e + 1) * SEC / 10 + (uint64_t)w);
		}
		ck_assert_msg(vigil_ledger_append_epoch(l, T0 + (uint64_t)e * SEC,
							T0 + (uint64_t)(e + 1) * SEC, in,
							(size_t)k) == 0,
			      "append: %s", vigil_ledger_error(l));
	}
}

static int collect(const char *line, size_t len, void *ctx)
{
	fwrite(line, 1, len, ctx);
	fputc('\n', ctx);
	return 0;
}

/* the export: JSON lines */
static char *export_lines(struct vigil_ledger *l, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(vigil_ledger_records(l, 0, 0, collect, f), 0);
	fclose(f);
	*ret_len = len;
	return text;
}

static int verify_text(const char *text, size_t len, const uint8_t *key,
		       struct vigil_ledger_check *c)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int r;

	ck_assert_ptr_nonnull(f);
	r = vigil_ledger_verify_lines(f, key, c);
	fclose(f);
	return r;
}

static struct json_object *record_json(struct vigil_ledger *l, uint64_t seq)
{
	size_t len;
	char *text = export_lines(l, &len), *line = text;
	struct json_object *o;

	for (uint64_t i = 1; i < seq; i++)
		line = strchr(line, '\n') + 1;
	*strchr(line, '\n') = '\0';
	o = parse_json(line);
	free(text);
	ck_assert_ptr_nonnull(o);
	return o;
}

static uint64_t field(struct json_object *rec, const char *obj, const char *key)
{
	struct json_object *o = rec, *v;

	if (obj)
		ck_assert(json_object_object_get_ex(rec, obj, &o));
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_uint64(v);
}

static bool has_flag(struct json_object *rec, const char *flag)
{
	struct json_object *flags = json_object_object_get(rec, "flags");

	for (size_t i = 0; i < json_object_array_length(flags); i++) {
		if (!strcmp(json_object_get_string(json_object_array_get_idx(flags, i)), flag))
			return true;
	}
	return false;
}

static sqlite3 *db_open(void)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql, err);
}

static void db_set_line(sqlite3 *db, uint64_t seq, const char *line, size_t len)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(
		sqlite3_prepare_v2(db, "UPDATE records SET line = ? WHERE seq = ?", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_blob(st, 1, line, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

START_TEST(test_chain_verifies)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	size_t len;
	char *text;

	append_epochs(l, 0, 4, 3);
	ck_assert_uint_eq(vigil_ledger_last_seq(l), 12);
	ck_assert_uint_eq(vigil_ledger_last_window_end(l), T0 + 4 * SEC);
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), 0);
	ck_assert_uint_eq(c.records, 12);
	ck_assert_uint_eq(c.epochs, 4);
	ck_assert_str_eq(c.host_key, vigil_ledger_host_key(l));
	text = export_lines(l, &len);
	ck_assert_msg(verify_text(text, len, NULL, &c) == 0, "%s", c.reason);
	ck_assert_uint_eq(c.last_seq, 12);
	/* a partial export verifies from where it starts */
	ck_assert_msg(verify_text(strchr(text, '\n') + 1,
				  len - (size_t)(strchr(text, '\n') + 1 - text), NULL, &c) == 0,
		      "%s", c.reason);
	ck_assert_uint_eq(c.first_seq, 2);
	free(text);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_record_format)
{
	struct vigil_ledger *l = open_ledger();
	struct json_object *rec;
	size_t len;
	char *text, *p;
	const char *prev = NULL;

	append_epochs(l, 0, 1, 1);
	text = export_lines(l, &len);
	/* canonical: no whitespace, keys sorted */
	ck_assert_ptr_null(strpbrk(text, " \t\r"));
	ck_assert_ptr_eq(strchr(text, '\n'), text + len - 1);
	rec = parse_json(text);
	ck_assert_ptr_nonnull(rec);
	json_object_object_foreach(rec, key, val)
	{
		(void)val;
		ck_assert_msg(!prev || strcmp(prev, key) < 0, "%s after %s", key, prev);
		prev = key;
	}
	ck_assert_str_eq(prev, "workload");
	ck_assert_uint_eq(field(rec, NULL, "seq"), 1);
	ck_assert_uint_eq(field(rec, "counters", "cpu_ns"), SEC / 10);
	ck_assert_uint_eq(field(rec, "alloc", "memory_mib"), 512);
	ck_assert_uint_eq(field(rec, "gauges", "mem_peak_bytes"), 100ull << 20);
	p = strstr(text, "\"prev_hash\":\"");
	ck_assert_int_eq(
		strncmp(p + 13,
			"0000000000000000000000000000000000000000000000000000000000000000\"", 65),
		0);
	json_object_put(rec);
	free(text);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_owner_escapes_round_trip)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_input in = input("w0", BOOT_A, 5);
	struct vigil_ledger_check c;
	struct json_object *rec;

	in.owner = "a \"quoted\" \\ name\twith\x01 control, é";
	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, &in, 1), 0);
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), 0);
	rec = record_json(l, 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(rec, "owner")), in.owner);
	json_object_put(rec);
	/* not UTF-8: refused, nothing written */
	in.owner = "\xff";
	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0 + SEC, T0 + 2 * SEC, &in, 1), -EINVAL);
	ck_assert_uint_eq(vigil_ledger_last_seq(l), 1);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_flip_any_byte_of_export)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	size_t len, line = 1;
	char *text, *copy;

	append_epochs(l, 0, 2, 2);
	text = export_lines(l, &len);
	copy = malloc(len);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			line++;
			continue;
		}
		memcpy(copy, text, len);
		copy[i] ^= 0x01;
		ck_assert_msg(verify_text(copy, len, NULL, &c) == -EBADMSG,
			      "byte %zu of line %zu changed: still verifies", i, line);
		ck_assert_msg(c.bad_line == line, "byte %zu of line %zu: failed at line %llu: %s",
			      i, line, (unsigned long long)c.bad_line, c.reason);
	}
	free(copy);
	free(text);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_flip_any_byte_in_db)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	size_t len, seq = 1;
	char *text, *line, *copy;
	sqlite3 *db;

	append_epochs(l, 0, 2, 2);
	text = export_lines(l, &len);
	vigil_ledger_close(l);
	db = db_open();
	db_exec(db, "PRAGMA synchronous=OFF");
	for (line = text; *line; line = strchr(line, '\n') + 1, seq++) {
		size_t n = (size_t)(strchr(line, '\n') - line);

		copy = strndup(line, n);
		for (size_t i = 0; i < n; i++) {
			copy[i] ^= 0x01;
			db_set_line(db, seq, copy, n);
			ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == -EBADMSG,
				      "byte %zu of record %zu changed: still verifies", i, seq);
			ck_assert_msg(c.bad_seq == seq, "byte %zu of record %zu: %s", i, seq,
				      c.reason);
			copy[i] ^= 0x01;
		}
		db_set_line(db, seq, copy, n);
		free(copy);
	}
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	sqlite3_close(db);
	free(text);
}
END_TEST

START_TEST(test_delete_and_reorder_in_db)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	sqlite3 *db;

	append_epochs(l, 0, 3, 3);
	vigil_ledger_close(l);
	db = db_open();
	/* swap the contents of records 4 and 5 */
	db_exec(db, "UPDATE records SET seq = -1 WHERE seq = 4; UPDATE records SET seq = 4 "
		    "WHERE seq = 5; UPDATE records SET seq = 5 WHERE seq = -1");
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(c.bad_seq == 4 && strstr(c.reason, "seq"), "%s", c.reason);
	db_exec(db, "UPDATE records SET seq = -1 WHERE seq = 4; UPDATE records SET seq = 4 "
		    "WHERE seq = 5; UPDATE records SET seq = 5 WHERE seq = -1");
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), 0);
	/* a record in the middle, then the last one */
	db_exec(db, "CREATE TABLE saved AS SELECT * FROM records");
	db_exec(db, "DELETE FROM records WHERE seq = 5");
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(c.bad_seq == 6 && strstr(c.reason, "missing"), "%s", c.reason);
	db_exec(db, "INSERT INTO records SELECT * FROM saved WHERE seq = 5");
	db_exec(db, "DELETE FROM records WHERE seq = 9");
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(strstr(c.reason, "epoch 3"), "%s", c.reason);
	/* an epoch's root */
	db_exec(db, "INSERT INTO records SELECT * FROM saved WHERE seq = 9");
	db_exec(db, "UPDATE epochs SET root = zeroblob(32) WHERE epoch = 2");
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(strstr(c.reason, "epoch 2") && strstr(c.reason, "Merkle root"), "%s",
		      c.reason);
	sqlite3_close(db);
}
END_TEST

/* the export without line `drop` (1-based), or with lines a and a+1 swapped */
static char *edit_lines(const char *text, size_t *len, int drop, int swap)
{
	char *lines[64], *copy = strdup(text), *out = NULL;
	size_t n = 0, outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	for (char *s = strtok(copy, "\n"); s; s = strtok(NULL, "\n"))
		lines[n++] = s;
	if (swap) {
		char *t = lines[swap - 1];

		lines[swap - 1] = lines[swap];
		lines[swap] = t;
	}
	for (size_t i = 0; i < n; i++) {
		if ((int)i + 1 != drop)
			fprintf(f, "%s\n", lines[i]);
	}
	fclose(f);
	free(copy);
	*len = outlen;
	return out;
}

START_TEST(test_delete_and_reorder_in_export)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	size_t len, elen;
	char *text, *e;

	append_epochs(l, 0, 3, 2);
	text = export_lines(l, &len);
	e = edit_lines(text, &elen, 3, 0);
	ck_assert_int_eq(verify_text(e, elen, NULL, &c), -EBADMSG);
	ck_assert_msg(c.bad_line == 3 && strstr(c.reason, "missing"), "%s", c.reason);
	free(e);
	e = edit_lines(text, &elen, 0, 4);
	ck_assert_int_eq(verify_text(e, elen, NULL, &c), -EBADMSG);
	ck_assert_msg(c.bad_line == 4, "%s", c.reason);
	free(e);
	free(text);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_other_key_fails)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	uint8_t other[VIGIL_LEDGER_KEY_BYTES], mine[VIGIL_LEDGER_KEY_BYTES];
	size_t len;
	char *text;

	append_epochs(l, 0, 2, 2);
	randombytes_buf(other, sizeof(other));
	ck_assert_int_eq(vigil_ledger_parse_key(vigil_ledger_host_key(l), mine), 0);
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, mine, &c), 0);
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, other, &c), -EBADMSG);
	text = export_lines(l, &len);
	ck_assert_int_eq(verify_text(text, len, mine, &c), 0);
	ck_assert_int_eq(verify_text(text, len, other, &c), -EBADMSG);
	ck_assert_msg(c.bad_seq == 1 && strstr(c.reason, "host key"), "%s", c.reason);
	free(text);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_other_key_file_refused)
{
	struct vigil_ledger_opts opts = { .state_dir = dir };
	struct vigil_ledger *l = open_ledger();
	char path[160], err[512];

	append_epochs(l, 0, 1, 1);
	vigil_ledger_close(l);
	snprintf(path, sizeof(path), "%s/host.key", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(vigil_ledger_open(&opts, &l, err, sizeof(err)), -EKEYREJECTED);
	ck_assert_msg(strstr(err, "host key"), "%s", err);
}
END_TEST

static struct vigil_ledger_input *one(struct vigil_ledger_input *in, const char *boot, uint64_t cpu)
{
	*in = input("relay", boot, cpu);
	return in;
}

START_TEST(test_counters_across_reboot)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_input in;
	struct vigil_ledger_check c;
	struct json_object *r;

	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, one(&in, BOOT_A, 100), 1), 0);
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 2 * SEC, one(&in, BOOT_A, 300), 1),
			 0);
	/* reboot: the BPF figures restart at zero */
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 3 * SEC, one(&in, BOOT_B, 50), 1), 0);
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 4 * SEC, one(&in, BOOT_B, 80), 1), 0);
	r = record_json(l, 3);
	ck_assert_uint_eq(field(r, "counters", "cpu_ns"), 350);
	ck_assert_uint_eq(field(r, "delta", "cpu_ns"), 50);
	ck_assert_uint_eq(field(r, "counters", "mem_byte_seconds"), 900 + 150);
	ck_assert_uint_eq(field(r, NULL, "window_start"), T0 + 2 * SEC);
	ck_assert(!has_flag(r, "counter_regressed"));
	json_object_put(r);
	r = record_json(l, 4);
	ck_assert_uint_eq(field(r, "counters", "cpu_ns"), 380);
	ck_assert_uint_eq(field(r, "delta", "cpu_ns"), 30);
	json_object_put(r);
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_final_record_and_new_life)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_input in;
	struct vigil_ledger_check c;
	struct json_object *r;

	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, one(&in, BOOT_A, 100), 1), 0);
	one(&in, BOOT_A, 150)->final = true;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 2 * SEC, &in, 1), 0);
	r = record_json(l, 2);
	ck_assert(json_object_get_boolean(json_object_object_get(r, "final")));
	ck_assert_uint_eq(field(r, "delta", "cpu_ns"), 50);
	json_object_put(r);
	/* the id is reused later: a new workload, counting from zero */
	ck_assert_int_eq(
		vigil_ledger_append_epoch(l, T0 + 5 * SEC, T0 + 6 * SEC, one(&in, BOOT_A, 20), 1),
		0);
	r = record_json(l, 3);
	ck_assert_uint_eq(field(r, "counters", "cpu_ns"), 20);
	ck_assert_uint_eq(field(r, NULL, "window_start"), T0 + 5 * SEC);
	json_object_put(r);
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_plausibility_flags)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_input in;
	struct vigil_ledger_check c;
	struct json_object *r;

	/* 2 vCPUs for 1 s: 2 s of CPU is the most */
	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, one(&in, BOOT_A, 2 * SEC), 1),
			 0);
	ck_assert_int_eq(
		vigil_ledger_append_epoch(l, 0, T0 + 2 * SEC, one(&in, BOOT_A, 4 * SEC + 1), 1), 0);
	/* memory_mib 512; the peak rises above it once */
	one(&in, BOOT_A, 4 * SEC + 2)->usage.mem_peak_bytes = 600ull << 20;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 3 * SEC, &in, 1), 0);
	one(&in, BOOT_A, 4 * SEC + 3)->usage.mem_peak_bytes = 600ull << 20;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 4 * SEC, &in, 1), 0);
	/* a BPF figure falls without a reboot */
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 5 * SEC, one(&in, BOOT_A, 1000), 1),
			 0);

	r = record_json(l, 1);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(r, "flags")), 0);
	json_object_put(r);
	r = record_json(l, 2);
	ck_assert(has_flag(r, "cpu_over_alloc"));
	json_object_put(r);
	r = record_json(l, 3);
	ck_assert(has_flag(r, "memory_over_alloc") && !has_flag(r, "cpu_over_alloc"));
	json_object_put(r);
	r = record_json(l, 4);
	ck_assert(!has_flag(r, "memory_over_alloc"));
	json_object_put(r);
	r = record_json(l, 5);
	ck_assert(has_flag(r, "counter_regressed"));
	ck_assert_uint_eq(field(r, "counters", "cpu_ns"), 4 * SEC + 3 + 1000);
	ck_assert_uint_eq(field(r, "delta", "cpu_ns"), 1000);
	json_object_put(r);
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	vigil_ledger_close(l);
}
END_TEST

/*
 * What was let through and what was dropped add up to what was sent, or the
 * record says so; no more reaches public destinations than the egress limit
 * lets through in the window (its rate, its burst, link headers).
 */
START_TEST(test_network_flags)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_input in;
	struct vigil_ledger_check c;
	struct json_object *r;
	/* 8 Mbit/s for 1 s: 1 MB, a burst of 100 ms (100 kB) and 64 KiB */
	const uint64_t allowed = 1000000 + 100000 + 65536;

	one(&in, BOOT_A, SEC / 10);
	in.alloc.egress_mbit = 8;
	in.usage.net_tx_packets = 100;
	in.usage.net_tx_bytes = allowed + 100 * 18;
	in.usage.net_tx_public_bytes = allowed + 100 * 18;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, &in, 1), 0);
	/* one byte more than that in the next second */
	in.usage.net_tx_packets = 200;
	in.usage.net_tx_bytes += allowed + 100 * 18 + 1;
	in.usage.net_tx_public_bytes = in.usage.net_tx_bytes;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 2 * SEC, &in, 1), 0);
	/* dropped bytes that were never sent */
	in.usage.net_tx_dropped_bytes = 5;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 3 * SEC, &in, 1), 0);
	/* a window whose own figures add up is not flagged; no limit */
	in.alloc.egress_mbit = 0;
	in.usage.net_tx_bytes += 5;
	in.usage.net_tx_private_bytes += 5;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 4 * SEC, &in, 1), 0);

	r = record_json(l, 1);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(r, "flags")), 0);
	ck_assert_uint_eq(field(r, "alloc", "egress_mbit"), 8);
	json_object_put(r);
	r = record_json(l, 2);
	ck_assert(has_flag(r, "net_over_egress_limit") && !has_flag(r, "net_tx_unbalanced"));
	json_object_put(r);
	r = record_json(l, 3);
	ck_assert(has_flag(r, "net_tx_unbalanced"));
	json_object_put(r);
	r = record_json(l, 4);
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(r, "flags")), 0);
	ck_assert_uint_eq(field(r, "counters", "net_tx_dropped_bytes"), 5);
	json_object_put(r);
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	vigil_ledger_close(l);
}
END_TEST

/* A microVM's VMM is allowed its overhead beside the guest's memory: no flag within it. */
START_TEST(test_vmm_memory_allowance)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_input in;
	struct json_object *r;

	one(&in, BOOT_A, SEC / 10)->usage.mem_peak_bytes = 600ull << 20;
	in.memory_allowed_bytes = (512ull + 256) << 20;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, &in, 1), 0);
	one(&in, BOOT_A, SEC / 5)->usage.mem_peak_bytes = 800ull << 20;
	in.memory_allowed_bytes = (512ull + 256) << 20;
	ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 2 * SEC, &in, 1), 0);
	r = record_json(l, 1);
	ck_assert(!has_flag(r, "memory_over_alloc"));
	ck_assert_uint_eq(field(r, "alloc", "memory_mib"), 512);
	json_object_put(r);
	r = record_json(l, 2);
	ck_assert(has_flag(r, "memory_over_alloc"));
	json_object_put(r);
	vigil_ledger_close(l);
}
END_TEST

/* A ledger of another record format is refused by name, by verify and by a writer. */
START_TEST(test_other_format_refused)
{
	struct vigil_ledger_opts opts = { .state_dir = dir, .agent_version = "0.1.0-test" };
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	char err[512] = "";
	sqlite3 *db;

	append_epochs(l, 0, 1, 1);
	vigil_ledger_close(l);
	db = db_open();
	db_exec(db, "UPDATE meta SET value = '1' WHERE key = 'format'");
	sqlite3_close(db);
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(strstr(c.reason, "records are of format 1"), "%s", c.reason);
	l = NULL;
	ck_assert_int_ne(vigil_ledger_open(&opts, &l, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "records are of format 1"), "%s", err);
	ck_assert_ptr_null(l);
}
END_TEST

static struct vigil_ledger_proof *proof_round_trip(const struct vigil_ledger_proof *p)
{
	struct vigil_ledger_proof *q;
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json_writer *jw = jw_new(f, false);

	vigil_ledger_proof_to_json(p, jw);
	ck_assert_int_eq(jw_finish(jw), 0);
	jw_free(jw);
	fclose(f);
	ck_assert_msg(vigil_ledger_proof_parse(text, &q, err, sizeof(err)) == 0, "%s", err);
	free(text);
	return q;
}

START_TEST(test_merkle_proofs_odd_epoch)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_proof *p, *q;
	char err[256];

	append_epochs(l, 0, 1, 3);
	append_epochs(l, 1, 1, 7);
	for (uint64_t seq = 1; seq <= 10; seq++) {
		ck_assert_int_eq(vigil_ledger_proof(l, seq, &p), 0);
		ck_assert_uint_eq(p->tree_size, seq <= 3 ? 3 : 7);
		q = proof_round_trip(p);
		ck_assert_msg(vigil_ledger_proof_check(q, NULL, err, sizeof(err)) == 0,
			      "seq %llu: %s", (unsigned long long)seq, err);
		/* each part tampered with */
		q->path[0][5] ^= 1;
		ck_assert_int_eq(vigil_ledger_proof_check(q, NULL, err, sizeof(err)), -EBADMSG);
		q->path[0][5] ^= 1;
		q->leaf_index ^= 1;
		ck_assert_int_eq(vigil_ledger_proof_check(q, NULL, err, sizeof(err)), -EBADMSG);
		q->leaf_index ^= 1;
		q->record[strlen(q->record) / 2] ^= 1;
		ck_assert_int_eq(vigil_ledger_proof_check(q, NULL, err, sizeof(err)), -EBADMSG);
		q->record[strlen(q->record) / 2] ^= 1;
		q->epoch.window_end++;
		ck_assert_int_eq(vigil_ledger_proof_check(q, NULL, err, sizeof(err)), -EBADMSG);
		q->epoch.window_end--;
		ck_assert_int_eq(vigil_ledger_proof_check(q, NULL, err, sizeof(err)), 0);
		vigil_ledger_proof_free(q);
		vigil_ledger_proof_free(p);
	}
	ck_assert_int_eq(vigil_ledger_proof(l, 11, &p), -ENOENT);
	vigil_ledger_close(l);
}
END_TEST

/* every leaf of every tree of 1 to 33 leaves proves its way to the root */
START_TEST(test_merkle_paths_all_sizes)
{
	uint8_t leaves[33][MERKLE_HASH], path[64][MERKLE_HASH], root[MERKLE_HASH], got[MERKLE_HASH];
	size_t len;

	for (int i = 0; i < 33; i++)
		merkle_leaf(&i, sizeof(i), leaves[i]);
	for (size_t n = 1; n <= 33; n++) {
		merkle_root((const uint8_t(*)[MERKLE_HASH])leaves, n, root);
		for (size_t m = 0; m < n; m++) {
			ck_assert_int_eq(merkle_path((const uint8_t(*)[MERKLE_HASH])leaves, n, m,
						     path, &len),
					 0);
			ck_assert_int_eq(merkle_root_from_path(leaves[m], m, n,
							       (const uint8_t(*)[MERKLE_HASH])path,
							       len, got),
					 0);
			ck_assert_mem_eq(got, root, MERKLE_HASH);
			if (n > 1) {
				merkle_root_from_path(leaves[(m + 1) % n], m, n,
						      (const uint8_t(*)[MERKLE_HASH])path, len,
						      got);
				ck_assert(memcmp(got, root, MERKLE_HASH) != 0);
			}
		}
	}
}
END_TEST

START_TEST(test_key_file_permissions)
{
	struct vigil_ledger_opts opts = { .state_dir = dir };
	struct vigil_ledger *l = open_ledger();
	char path[160], err[512];
	struct stat st;

	vigil_ledger_close(l);
	snprintf(path, sizeof(path), "%s/host.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(vigil_ledger_open(&opts, &l, err, sizeof(err)), -EPERM);
	ck_assert_msg(strstr(err, path) && strstr(err, "0640"), "%s", err);
	ck_assert_int_eq(chmod(path, 0600), 0);
	l = open_ledger();
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_reopen_continues_chain)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	const char *key;
	char saved[VIGIL_LEDGER_KEY_HEX + 1];

	append_epochs(l, 0, 2, 2);
	snprintf(saved, sizeof(saved), "%s", vigil_ledger_host_key(l));
	vigil_ledger_close(l);
	l = open_ledger();
	key = vigil_ledger_host_key(l);
	ck_assert_str_eq(key, saved);
	ck_assert_uint_eq(vigil_ledger_last_seq(l), 4);
	append_epochs(l, 2, 2, 3);
	ck_assert_uint_eq(vigil_ledger_last_seq(l), 10);
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	ck_assert_uint_eq(c.epochs, 4);
	vigil_ledger_close(l);
}
END_TEST

START_TEST(test_broken_chain_refused_at_open)
{
	struct vigil_ledger_opts opts = { .state_dir = dir };
	struct vigil_ledger *l = open_ledger();
	char err[512];
	sqlite3 *db;

	append_epochs(l, 0, 2, 2);
	vigil_ledger_close(l);
	db = db_open();
	db_exec(db, "UPDATE records SET line = replace(line, '\"owner\":\"alice\"', "
		    "'\"owner\":\"alicf\"') WHERE seq = 3");
	sqlite3_close(db);
	ck_assert_int_eq(vigil_ledger_open(&opts, &l, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, "record 3: bad signature"), "%s", err);
	/* readers still open it, to show and export what is there */
	opts.read_only = true;
	ck_assert_int_eq(vigil_ledger_open(&opts, &l, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_ledger_append_epoch(l, T0, T0 + SEC, NULL, 1), -EROFS);
	vigil_ledger_close(l);
}
END_TEST

static void tamper_owner(sqlite3 *db, uint64_t seq, const char *from, const char *to)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "UPDATE records SET line = replace(line, '\"owner\":\"%s\"', '\"owner\":\"%s\"') "
		 "WHERE seq = %llu",
		 from, to, (unsigned long long)seq);
	db_exec(db, sql);
}

static void open_refused(const char *want)
{
	struct vigil_ledger_opts opts = { .state_dir = dir };
	struct vigil_ledger *l = NULL;
	char err[512] = "";

	ck_assert_int_eq(vigil_ledger_open(&opts, &l, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, want), "want \"%s\": %s", want, err);
}

/* open checks the last epoch (records 5 and 6 here); the rest is verify's job */
START_TEST(test_open_checks_last_epoch)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	sqlite3 *db;

	append_epochs(l, 0, 3, 2);
	vigil_ledger_close(l);
	db = db_open();
	/* an old record: open still succeeds, a full verification names it */
	tamper_owner(db, 1, "alice", "alicf");
	l = open_ledger();
	vigil_ledger_close(l);
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(c.bad_seq == 1 && strstr(c.reason, "bad signature"), "%s", c.reason);
	tamper_owner(db, 1, "alicf", "alice");

	/* each record of the last epoch, and the one it chains to */
	for (uint64_t seq = 4; seq <= 6; seq++) {
		char want[64];

		tamper_owner(db, seq, "alice", "alicf");
		snprintf(want, sizeof(want), "record %llu: bad signature", (unsigned long long)seq);
		open_refused(want);
		ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
		ck_assert_msg(c.bad_seq == seq, "%s", c.reason);
		tamper_owner(db, seq, "alicf", "alice");
	}
	/* the state the next records continue from */
	db_exec(db, "UPDATE workloads SET window_end = window_end + 1 WHERE workload = 'w1'");
	open_refused("record 6: the stored state workload w1 continues from");
	db_exec(db, "UPDATE workloads SET window_end = window_end - 1 WHERE workload = 'w1'");
	/* records outside any epoch */
	db_exec(db, "CREATE TABLE saved AS SELECT * FROM epochs WHERE epoch = 3");
	db_exec(db, "DELETE FROM epochs WHERE epoch = 3");
	open_refused("record 5: not covered by any epoch's Merkle root");
	ck_assert_int_eq(vigil_ledger_verify_db(db_path, NULL, &c), -EBADMSG);
	ck_assert_msg(c.bad_seq == 5 && strstr(c.reason, "not covered"), "%s", c.reason);
	db_exec(db, "INSERT INTO epochs SELECT * FROM saved");
	sqlite3_close(db);
	l = open_ledger();
	ck_assert_uint_eq(vigil_ledger_last_seq(l), 6);
	vigil_ledger_close(l);
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	ck_assert_uint_eq(c.epochs, 3);
}
END_TEST

START_TEST(test_busy_and_failed_epoch_change_nothing)
{
	struct vigil_ledger *l = open_ledger();
	struct vigil_ledger_check c;
	sqlite3 *db;

	append_epochs(l, 0, 2, 3);
	db = db_open();
	sqlite3_busy_timeout(db, 0);
	db_exec(db, "BEGIN IMMEDIATE");
	{
		struct vigil_ledger_input in[3] = { input("w0", BOOT_A, SEC),
						    input("w1", BOOT_A, SEC),
						    input("w2", BOOT_A, SEC) };

		ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 3 * SEC, in, 3), -EBUSY);
		ck_assert_uint_eq(vigil_ledger_last_seq(l), 6);
		db_exec(db, "COMMIT");
		/* fails half-way through the epoch, like a full disk */
		db_exec(db, "CREATE TRIGGER full BEFORE INSERT ON records WHEN NEW.seq = 8 BEGIN "
			    "SELECT RAISE(ABORT, 'disk full'); END");
		ck_assert_int_lt(vigil_ledger_append_epoch(l, 0, T0 + 3 * SEC, in, 3), 0);
		ck_assert_msg(strstr(vigil_ledger_error(l), "disk full"), "%s",
			      vigil_ledger_error(l));
		ck_assert_uint_eq(vigil_ledger_last_seq(l), 6);
		ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
		ck_assert_uint_eq(c.records, 6);
		db_exec(db, "DROP TRIGGER full");
		/* the retry writes the epoch once, continuing the same windows */
		ck_assert_int_eq(vigil_ledger_append_epoch(l, 0, T0 + 3 * SEC, in, 3), 0);
	}
	ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "%s", c.reason);
	ck_assert_uint_eq(c.records, 9);
	sqlite3_close(db);
	vigil_ledger_close(l);
}
END_TEST

static void child_appends_forever(void)
{
	struct vigil_ledger *l = open_ledger();
	uint64_t end = vigil_ledger_last_window_end(l);

	for (int e = (int)(end ? (end - T0) / SEC : 0);; e++)
		append_epochs(l, e, 1, 5);
}

START_TEST(test_kill_during_epochs)
{
	struct vigil_ledger_check c;
	uint64_t last = 0;

	srand((unsigned int)getpid());
	for (int round = 0; round < 6; round++) {
		struct vigil_ledger *l;
		pid_t pid = fork();
		int status;

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			child_appends_forever();
			_exit(0);
		}
		usleep(30000 + (useconds_t)(rand() % 60000));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status));
		/* reopening verifies the last epoch, verify_db the whole chain and windows */
		l = open_ledger();
		ck_assert_msg(vigil_ledger_verify_db(db_path, NULL, &c) == 0, "round %d: %s", round,
			      c.reason);
		ck_assert_uint_eq(c.records % 5, 0);
		ck_assert_uint_eq(c.records, 5 * c.epochs);
		ck_assert_uint_eq(vigil_ledger_last_window_end(l), T0 + c.epochs * SEC);
		ck_assert_uint_ge(c.records, last);
		last = c.records;
		vigil_ledger_close(l);
	}
	ck_assert_uint_gt(last, 0);
}
END_TEST

static void run_ok(struct cmd_result *r, const char *what)
{
	ck_assert_msg(r->status == 0, "%s: status %d, %s%s", what, r->status, r->out, r->err);
}

START_TEST(test_cli)
{
	struct vigil_ledger *l = open_ledger();
	struct cmd_result r;
	struct json_object *o;
	char file[160], proof[160];
	size_t len;
	char *text;
	FILE *f;

	append_epochs(l, 0, 3, 3);
	text = export_lines(l, &len);
	vigil_ledger_close(l);

	ck_assert_int_eq(run_vigil(&r, "ledger", "verify", "--db", db_path, NULL), 0);
	run_ok(&r, "verify --db");
	ck_assert_msg(strstr(r.out, "valid: 9 records") && strstr(r.out, "records/s"), "%s", r.out);
	cmd_result_free(&r);

	ck_assert_int_eq(run_vigil(&r, "ledger", "export", "--db", db_path, NULL), 0);
	run_ok(&r, "export");
	ck_assert_str_eq(r.out, text);
	cmd_result_free(&r);

	snprintf(file, sizeof(file), "%s/export.jsonl", dir);
	f = fopen(file, "w");
	strstr(strchr(text, '\n'), "\"owner\":\"alice\"")[10] = 'X';
	fputs(strchr(text, '\n') + 1, f);
	fclose(f);
	/* record 2 (the first line of this file) was changed */
	ck_assert_int_eq(run_vigil(&r, "-j", "ledger", "verify", file, NULL), 0);
	ck_assert_int_eq(r.status, 1);
	o = parse_json(r.out);
	ck_assert_ptr_nonnull(o);
	ck_assert_msg(strstr(json_object_get_string(json_object_object_get(o, "error")),
			     "record 2 (line 1): bad signature"),
		      "%s", r.out);
	json_object_put(o);
	cmd_result_free(&r);

	ck_assert_int_eq(
		run_vigil(&r, "-j", "ledger", "show", "--db", db_path, "--limit", "2", NULL), 0);
	run_ok(&r, "show");
	o = parse_json(r.out);
	ck_assert_int_eq(json_object_array_length(o), 2);
	ck_assert_uint_eq(field(json_object_array_get_idx(o, 1), NULL, "seq"), 9);
	json_object_put(o);
	cmd_result_free(&r);

	ck_assert_int_eq(run_vigil(&r, "-j", "ledger", "proof", "5", "--db", db_path, NULL), 0);
	run_ok(&r, "proof");
	snprintf(proof, sizeof(proof), "%s/proof.json", dir);
	f = fopen(proof, "w");
	fputs(r.out, f);
	fclose(f);
	cmd_result_free(&r);
	ck_assert_int_eq(run_vigil(&r, "ledger", "proof", "--check", proof, NULL), 0);
	run_ok(&r, "proof --check");
	ck_assert_msg(strstr(r.out, "valid: record 5 is in epoch 2"), "%s", r.out);
	cmd_result_free(&r);

	ck_assert_int_eq(run_vigil(&r, "ledger", "verify", NULL), 0);
	ck_assert_int_eq(r.status, 2);
	cmd_result_free(&r);
	free(text);
}
END_TEST

static Suite *ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("ledger");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_chain_verifies);
	tcase_add_test(tc, test_record_format);
	tcase_add_test(tc, test_owner_escapes_round_trip);
	tcase_add_test(tc, test_flip_any_byte_of_export);
	tcase_add_test(tc, test_flip_any_byte_in_db);
	tcase_add_test(tc, test_delete_and_reorder_in_db);
	tcase_add_test(tc, test_delete_and_reorder_in_export);
	tcase_add_test(tc, test_other_key_fails);
	tcase_add_test(tc, test_other_key_file_refused);
	tcase_add_test(tc, test_counters_across_reboot);
	tcase_add_test(tc, test_final_record_and_new_life);
	tcase_add_test(tc, test_plausibility_flags);
	tcase_add_test(tc, test_network_flags);
	tcase_add_test(tc, test_other_format_refused);
	tcase_add_test(tc, test_vmm_memory_allowance);
	tcase_add_test(tc, test_merkle_proofs_odd_epoch);
	tcase_add_test(tc, test_merkle_paths_all_sizes);
	tcase_add_test(tc, test_key_file_permissions);
	tcase_add_test(tc, test_reopen_continues_chain);
	tcase_add_test(tc, test_broken_chain_refused_at_open);
	tcase_add_test(tc, test_open_checks_last_epoch);
	tcase_add_test(tc, test_busy_and_failed_epoch_change_nothing);
	tcase_add_test(tc, test_kill_during_epochs);
	tcase_add_test(tc, test_cli);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(ledger_suite());
}
