// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ledger and the exporter in the real vigild (1 s epochs, a private
 * boot id file): records and metrics served over HTTP and scraped by a real
 * Prometheus; kill -9 during epochs; a simulated host reboot; a database
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
#include "prom.h"
#include "testutil.h"
#include "vigild_fixture.h"

static char boot_id_path[64];

static void write_boot_id(const char *id)
{
	FILE *f = fopen(boot_id_path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", id);
	fclose(f);
}

static void make_env(void)
{
	FILE *f;

	snprintf(boot_id_path, sizeof(boot_id_path), "/tmp/vigil-test-boot-id-%d", getpid());
	f = fopen(boot_id_path, "w");
	if (!f)
		abort();
	fputs("11111111-2222-3333-4444-555555555555\n", f);
	fclose(f);
	vf.extra_args[0] = "--epoch";
	vf.extra_args[1] = "1";
	vf.extra_args[2] = "--boot-id-file";
	vf.extra_args[3] = boot_id_path;
	vf_make_env();
}

/* the boot id file first: vf_remove_env aborts when vigild's tables stay */
static void remove_env(void)
{
	unlink(boot_id_path);
	vf_remove_env();
}

static struct reply http_get(const char *path)
{
	char url[128];
	struct reply r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", vf_http_port(), path);
	curl(&r, url, NULL, NULL, NULL, NULL, NULL, NULL);
	return r;
}

static uint64_t ledger_sequence(void)
{
	struct reply r = http_get("/healthz");
	struct json_object *o = parse_json(r.body), *l;
	uint64_t seq = 0;

	if (o && json_object_object_get_ex(o, "ledger", &l))
		seq = (uint64_t)vf_jint(l, "sequence");
	json_object_put(o);
	free(r.body);
	return seq;
}

static void wait_sequence_above(uint64_t seq)
{
	for (int i = 0; i < 100 && ledger_sequence() <= seq; i++)
		usleep(100 * 1000);
	ck_assert_uint_gt(ledger_sequence(), seq);
}

static void ledger_verifies(void)
{
	char db[PATH_MAX + 16];
	struct cmd_result r;

	snprintf(db, sizeof(db), "%s/ledger.db", vf.state);
	run_vigil(&r, "ledger", "verify", "--db", db, NULL);
	printf("%s", r.out);
	ck_assert_msg(r.status == 0, "ledger verify: %s%s", r.out, r.err);
	cmd_result_free(&r);
}

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

static void start_burner(const char *id, int ms)
{
	char self[PATH_MAX] = { 0 }, cmd[PATH_MAX + 64];
	struct json_object *o;
	int status;

	ck_assert_int_gt(readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
	snprintf(cmd, sizeof(cmd), "[\"%s\",\"--burn\",\"%d\"]", self, ms);
	vf_create_ok(id, cmd);
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
}

static void wait_stopped(const char *id)
{
	bool stopped = false;

	for (int i = 0; i < 300 && !stopped; i++) {
		struct json_object *o = vf_show(id);

		stopped = strcmp(vf_state_of(o), "stopped") == 0;
		json_object_put(o);
		if (!stopped)
			usleep(50 * 1000);
	}
	ck_assert_msg(stopped, "%s did not stop", id);
}

START_TEST(test_served_and_scraped)
{
	char id[64], path[PATH_MAX + 32], dir[PATH_MAX + 16], query[128], sample[128];
	unsigned int web_port = free_port();
	struct cmd_result r;
	struct reply rep;
	double cpu = -1;
	pid_t prom;
	int status;
	FILE *f;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "srv");
	start_burner(id, 1500);
	wait_sequence_above(2);

	rep = http_get("/metrics");
	ck_assert_int_eq(rep.status, 200);
	snprintf(sample, sizeof(sample), "vigil_workload_cpu_seconds_total{workload=\"%s\"} ", id);
	ck_assert_msg(strstr(rep.body, sample), "no %s in /metrics", sample);
	snprintf(path, sizeof(path), "%s/metrics.txt", vf.scratch);
	vf_write_file(path, rep.body);
	free(rep.body);
	snprintf(dir, sizeof(dir), "promtool check metrics < %s", path);
	ck_assert_int_eq(run_cmd((char *[]){ "sh", "-c", dir, NULL }, &r), 0);
	ck_assert_msg(r.status == 0 && !r.out[0] && !r.err[0], "promtool: %s%s", r.out, r.err);
	cmd_result_free(&r);

	rep = http_get("/v1/records?after=0&limit=2");
	ck_assert_int_eq(rep.status, 200);
	ck_assert_ptr_nonnull(strstr(rep.body, "\"seq\":1,"));
	ck_assert_ptr_nonnull(strstr(rep.body, "\"seq\":2,"));
	ck_assert_ptr_null(strstr(rep.body, "\"seq\":3,"));
	free(rep.body);
	rep = http_get("/v1/records?after=x");
	ck_assert_int_eq(rep.status, 400);
	free(rep.body);

	/* a real Prometheus scrapes vigild itself */
	snprintf(dir, sizeof(dir), "%s/prom", vf.scratch);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/prometheus.yml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"global:\n  scrape_interval: 1s\n"
		"scrape_configs:\n  - job_name: vigil\n    static_configs:\n"
		"      - targets: [\"127.0.0.1:%u\"]\n",
		vf_http_port());
	fclose(f);
	prom = start_prometheus(dir, web_port);
	snprintf(query, sizeof(query), "vigil_workload_cpu_seconds_total{workload=\"%s\"}", id);
	for (int i = 0; i < 300 && cpu <= 0; i++) {
		usleep(100 * 1000);
		ck_assert_msg(waitpid(prom, &status, WNOHANG) == 0, "prometheus exited (0x%x)",
			      status);
		cpu = prom_query(web_port, query);
	}
	printf("ledger: Prometheus scraped vigild: %s = %.3f s\n", query, cpu);
	ck_assert_msg(cpu > 0, "Prometheus has no %s after 30 s", query);
	ck_assert(prom_query(web_port, "vigil_ledger_sequence") >= 2);
	kill(prom, SIGTERM);
	waitpid(prom, NULL, 0);
	ledger_verifies();
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
	start_burner(id, 5000);
	for (int i = 0; i < 6; i++) {
		/* anywhere in an epoch, sometimes in the middle of its write */
		usleep((useconds_t)(200 + rand() % 900) * 1000);
		vf_stop_vigild_hard();
		vf_spawn_vigild();
		ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	}
	wait_stopped(id);
	/* an epoch after the burn: its record holds the final figures */
	wait_sequence_above(ledger_sequence() + 1);
	ledger_verifies();
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

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "reboot");
	start_burner(id, 7000);
	wait_sequence_above(2);
	vf_stop_vigild();
	before = last_counter(id, "cpu_ns");
	/* what a reboot does to vigil: empty maps, a new boot id */
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", vf.bpffs);
	ck_assert_int_eq(vigil_meter_unpin(pin_dir), 0);
	write_boot_id("66666666-7777-8888-9999-000000000000");
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back");
	wait_stopped(id);
	wait_sequence_above(ledger_sequence() + 1);
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
	ledger_verifies();
}
END_TEST

static struct json_object *healthz(int *status)
{
	struct reply r = http_get("/healthz");
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
	wait_sequence_above(1);
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
	rep = http_get("/metrics");
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
	ledger_verifies();
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
	wait_sequence_above(2);
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
	require_root("vigild_ledger");
	if (vigil_cgroup2_detect(&vf.cg2) < 0) {
		printf("vigild_ledger: skipped: cgroup v2 is not mounted\n");
		return EXIT_SKIP;
	}
	if (access("/usr/bin/prometheus", X_OK) < 0 || access("/usr/bin/curl", X_OK) < 0) {
		printf("vigild_ledger: skipped: needs prometheus and curl "
		       "(scripts/install-deps.sh installs them)\n");
		return EXIT_SKIP;
	}
	vf_add_case(s, "served", test_served_and_scraped, make_env, remove_env);
	vf_add_case(s, "kill9", test_kill9_during_epochs, make_env, remove_env);
	vf_add_case(s, "reboot", test_reboot_keeps_counters_increasing, make_env, remove_env);
	vf_add_case(s, "busy", test_busy_database_queues_and_recovers, make_env, remove_env);
	vf_add_case(s, "tamper", test_broken_chain_refused, make_env, remove_env);
	return run_suite(s);
}
