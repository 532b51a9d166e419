// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ledger and the exporter in the real vigild (1 s epochs, a private
 * boot id file): records and metrics served over HTTP (a real Prometheus
 * scrapes them in check_vigild_prometheus); kill -9 during epochs; a simulated host reboot; a database
 * held busy; a broken chain refused at start.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "meter_loader.h"
#include "ledger_fixture.h"
#include "testutil.h"
#include "vigild_fixture.h"

/* The counter `key` of the last record of `id` in the ledger. */
static uint64_t last_counter(const char *id, const char *key)
{
	struct json_object *o = vf_last_record(id), *c;
	uint64_t v;

	ck_assert(json_object_object_get_ex(o, "counters", &c));
	v = (uint64_t)vf_jint(c, key);
	json_object_put(o);
	return v;
}

/*
 * What the README tells the accounting service to do: fetch the records
 * over HTTP and verify them, pinned to the host's key; the same stream with
 * one byte changed does not verify.
 */
static void fetched_records_verify(const char *id)
{
	struct json_object *last = vf_last_record(id);
	char cmd[PATH_MAX * 2];
	struct cmd_result r;

	snprintf(
		cmd, sizeof(cmd),
		"curl -sf 'http://127.0.0.1:%u/v1/records?after=0' | %s ledger verify - --pubkey %s",
		vf_http_port(), vigil_bin(), vf_jstr(last, "host_key"));
	ck_assert_int_eq(run_cmd((char *[]){ "sh", "-c", cmd, NULL }, &r), 0);
	printf("%s", r.out);
	ck_assert_msg(r.status == 0 && strstr(r.out, "valid:"), "%s: %s%s", cmd, r.out, r.err);
	cmd_result_free(&r);
	snprintf(
		cmd, sizeof(cmd),
		"curl -sf 'http://127.0.0.1:%u/v1/records?after=0' | sed 's/\"tester\"/\"tEster\"/' | "
		"%s ledger verify - --pubkey %s",
		vf_http_port(), vigil_bin(), vf_jstr(last, "host_key"));
	ck_assert_int_eq(run_cmd((char *[]){ "sh", "-c", cmd, NULL }, &r), 0);
	ck_assert_msg(r.status == 1 && strstr(r.err, "does not verify"), "%s: %s%s", cmd, r.out,
		      r.err);
	cmd_result_free(&r);
	json_object_put(last);
}

START_TEST(test_served)
{
	char id[64], sample[128];
	struct reply rep;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	/* with no workload at all (the sanitized build once stopped here: qsort of NULL) */
	rep = lf_http_get("/metrics");
	ck_assert_int_eq(rep.status, 200);
	free(rep.body);
	vf_id_of(id, sizeof(id), "srv");
	lf_start_burner(id, 1500);
	lf_wait_sequence_above(2);

	rep = lf_http_get("/metrics");
	ck_assert_int_eq(rep.status, 200);
	snprintf(sample, sizeof(sample), "vigil_workload_cpu_seconds_total{workload=\"%s\"} ", id);
	ck_assert_msg(strstr(rep.body, sample), "no %s in /metrics", sample);
	free(rep.body);

	rep = lf_http_get("/v1/records?after=0&limit=2");
	ck_assert_int_eq(rep.status, 200);
	ck_assert_ptr_nonnull(strstr(rep.body, "\"seq\":1,"));
	ck_assert_ptr_nonnull(strstr(rep.body, "\"seq\":2,"));
	ck_assert_ptr_null(strstr(rep.body, "\"seq\":3,"));
	free(rep.body);
	rep = lf_http_get("/v1/records?after=x");
	ck_assert_int_eq(rep.status, 400);
	free(rep.body);
	lf_ledger_verifies();
	fetched_records_verify(id);
}
END_TEST

START_TEST(test_kill9_during_epochs)
{
	char id[64];
	uint64_t cpu, kernel;
	char cgroup[PATH_MAX + 80];
	struct timespec seed;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	clock_gettime(CLOCK_MONOTONIC, &seed);
	srand((unsigned int)seed.tv_nsec);
	vf_id_of(id, sizeof(id), "crash");
	lf_start_burner(id, 5000);
	for (int i = 0; i < 6; i++) {
		/* anywhere in an epoch, sometimes in the middle of its write */
		usleep((useconds_t)(200 + rand() % 900) * 1000);
		vf_stop_vigild_hard();
		vf_spawn_vigild();
		ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	}
	json_object_put(vf_wait_state(id, "stopped", 15));
	/* an epoch after the burn: its record holds the final figures */
	lf_wait_sequence_above(lf_ledger_sequence() + 1);
	lf_ledger_verifies();
	cpu = last_counter(id, "cpu_ns");
	snprintf(cgroup, sizeof(cgroup), "%s/%s", vf.parent, id);
	kernel = cgroup_cpu_stat_ns(cgroup);
	printf("ledger after 6 x kill -9: cpu_ns %llu, cpu.stat %llu\n", (unsigned long long)cpu,
	       (unsigned long long)kernel);
	ck_assert_msg(cpu * 100 >= kernel * 99 && cpu * 100 <= kernel * 101,
		      "ledger cpu_ns %llu vs cpu.stat %llu", (unsigned long long)cpu,
		      (unsigned long long)kernel);
}
END_TEST

START_TEST(test_reboot_keeps_counters_increasing)
{
	char id[64], pin_dir[PATH_MAX + 8], cgroup[PATH_MAX + 80];
	uint64_t before, after, kernel;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "reboot");
	/* it outlives the "reboot", however long vigild takes to come back (TCG) */
	lf_start_burner(id, 60000);
	lf_wait_sequence_above(2);
	vf_stop_vigild();
	before = last_counter(id, "cpu_ns");
	/* what a reboot does to vigil: empty maps, a new boot id */
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", vf.bpffs);
	ck_assert_int_eq(vigil_meter_unpin(pin_dir), 0);
	lf_write_boot_id("66666666-7777-8888-9999-000000000000");
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	/* records of the new boot, until one has charged more than the old boot's last */
	after = 0;
	for (int i = 0; i < 30 && after <= before; i++) {
		lf_wait_sequence_above(lf_ledger_sequence());
		after = last_counter(id, "cpu_ns");
	}
	json_object_put(vf_wl_cmd(&status, "stop", id));
	ck_assert_int_eq(status, 0);
	json_object_put(vf_wait_state(id, "stopped", 15));
	lf_wait_sequence_above(lf_ledger_sequence() + 1);
	after = last_counter(id, "cpu_ns");
	snprintf(cgroup, sizeof(cgroup), "%s/%s", vf.parent, id);
	kernel = cgroup_cpu_stat_ns(cgroup);
	printf("ledger across a reboot: cpu_ns %llu before, %llu after, cpu.stat %llu\n",
	       (unsigned long long)before, (unsigned long long)after, (unsigned long long)kernel);
	ck_assert_uint_gt(before, 0);
	ck_assert_uint_gt(after, before);
	/*
	 * The burner outlived the "reboot": what the first maps charged is not
	 * charged again by the new ones (the seconds nobody metered are lost).
	 */
	ck_assert_uint_le(after, kernel + kernel / 100);
	lf_ledger_verifies();
}
END_TEST

static struct json_object *healthz(int *status)
{
	struct reply r = lf_http_get("/healthz");
	struct json_object *o = parse_json(r.body);

	*status = r.status;
	free(r.body);
	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(test_busy_database_queues_and_recovers)
{
	char id[64], db_path[PATH_MAX + 16];
	struct json_object *o, *l;
	struct reply rep;
	sqlite3 *db;
	int status = 0;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "busy");
	vf_create_ok(id, "[\"sleep\",\"1000\"]");
	lf_wait_sequence_above(1);
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", vf.state);
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 50 && status != 503; i++) {
		usleep(100 * 1000);
		json_object_put(healthz(&status));
	}
	o = healthz(&status);
	ck_assert_int_eq(status, 503);
	ck_assert(json_object_object_get_ex(o, "ledger", &l));
	ck_assert_int_gt(vf_jint(l, "pending_records"), 0);
	json_object_put(o);
	rep = lf_http_get("/metrics");
	ck_assert_msg(!strstr(rep.body, "vigil_ledger_write_errors_total 0\n"), "%s",
		      strstr(rep.body, "vigil_ledger_write_errors_total"));
	free(rep.body);

	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	for (int i = 0; i < 50 && status != 200; i++) {
		usleep(100 * 1000);
		json_object_put(healthz(&status));
	}
	ck_assert_int_eq(status, 200);
	/* the windows follow each other: the busy seconds are in the next record */
	lf_ledger_verifies();
}
END_TEST

START_TEST(test_broken_chain_refused)
{
	char id[64], db_path[PATH_MAX + 16], *log;
	sqlite3 *db;
	int status;
	pid_t pid;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "tamper");
	vf_create_ok(id, "[\"sleep\",\"1000\"]");
	lf_wait_sequence_above(2);
	vf_stop_vigild();
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", vf.state);
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_exec(db,
			     "UPDATE records SET line = replace(line, '\"owner\":\"tester\"', "
			     "'\"owner\":\"tEster\"') WHERE seq = (SELECT max(seq) FROM "
			     "records)",
			     NULL, NULL, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_changes(db), 1);
	sqlite3_close(db);

	pid = vf_spawn_vigild();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	log = read_file(vf.log_path);
	ck_assert_msg(strstr(log, "does not verify") && strstr(log, "move it aside"), "%s", log);
	free(log);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("vigild_ledger");

	vf.suite = "ledger";
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	vf_require("vigild_ledger");
	if (access("/usr/bin/curl", X_OK) < 0) {
		printf("vigild_ledger: skipped: needs curl (scripts/install-deps.sh installs it)\n");
		return EXIT_SKIP;
	}
	vf_add_case(s, "served", test_served, lf_make_env, lf_remove_env);
	vf_add_case(s, "kill9", test_kill9_during_epochs, lf_make_env, lf_remove_env);
	vf_add_case(s, "reboot", test_reboot_keeps_counters_increasing, lf_make_env, lf_remove_env);
	vf_add_case(s, "busy", test_busy_database_queues_and_recovers, lf_make_env, lf_remove_env);
	vf_add_case(s, "tamper", test_broken_chain_refused, lf_make_env, lf_remove_env);
	return run_suite(s);
}
