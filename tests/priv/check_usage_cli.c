// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The readers (`vigil usage show`, `prog show`, `map show|dump`) against a
 * real meter: loaded into a private bpffs, charging one workload cgroup whose
 * burners ran before the tests, so every test reads the same settled figures.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "meter_loader.h"
#include "spawn.h"
#include "testutil.h"

#define SLOT	3
#define SETPRIV "/usr/bin/setpriv"

static struct vigil_cgroup2 cg2;
static char scratch[PATH_MAX], bpffs[PATH_MAX], pin_dir[PATH_MAX], empty_dir[PATH_MAX];
static char parent[PATH_MAX], workload_cg[PATH_MAX], workload_id[VIGIL_ID_SIZE];
static char stats_before = '0';

static void fail_setup(const char *what)
{
	perror(what);
	abort();
}

/*
 * Host objects are made and removed by unchecked fixtures, in the parent
 * process: a failing test still leaves nothing behind.
 */
static void make_host_objects(void)
{
	struct vigil_meter_opts opts = { 0 };
	struct vigil_slot slot = { .state = VIGIL_SLOT_ACTIVE, .run_state = "running" };
	struct vigil_meter *m;
	uint64_t id;

	snprintf(scratch, sizeof(scratch), "/tmp/vigil-test-usage-cli-XXXXXX");
	if (!mkdtemp(scratch))
		fail_setup("usage_cli: mkdtemp");
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(pin_dir, sizeof(pin_dir), "%s/vigil", bpffs);
	snprintf(empty_dir, sizeof(empty_dir), "%s/empty", bpffs);
	snprintf(parent, sizeof(parent), "%s/vigil-test-usage-%d", cg2.mount, getpid());
	snprintf(workload_cg, sizeof(workload_cg), "%s/w1", parent);
	snprintf(workload_id, sizeof(workload_id), "ucli-%d", getpid());
	if (mkdir(bpffs, 0700) < 0 || mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0 ||
	    mkdir(empty_dir, 0700) < 0 || mkdir(parent, 0755) < 0 || mkdir(workload_cg, 0755) < 0)
		fail_setup("usage_cli: setting up bpffs and cgroups");

	stats_before = set_bpf_stats('1');

	opts.pin_dir = pin_dir;
	if (vigil_cgroup_level(cg2.mount, workload_cg, &opts.workload_cgroup_level) < 0 ||
	    vigil_cgroup_id(workload_cg, &id) < 0)
		fail_setup("usage_cli: the workload cgroup");
	errno = -vigil_meter_open(&opts, &m);
	if (errno)
		fail_setup("usage_cli: vigil_meter_open");
	snprintf(slot.workload, sizeof(slot.workload), "%s", workload_id);
	slot.cgroup_id = id;
	if (vigil_meter_slot_set(m, SLOT, &slot) < 0 || vigil_meter_add_cgroup(m, id, SLOT) < 0)
		fail_setup("usage_cli: registering the workload");
	vigil_meter_close(m);
	burn_in_cgroup(workload_cg, 2, "400");
}

static void remove_host_objects(void)
{
	set_bpf_stats(stats_before);
	vigil_meter_unpin(pin_dir);
	rmdir(empty_dir);
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(scratch);
	cgroup_kill_remove(workload_cg);
	rmdir(parent);
}

/* Runs `vigil -j --pin-dir PIN_DIR ARGS...` and parses its one JSON document. */
static struct json_object *vigil_json(const char *dir, int want_status, const char *a,
				      const char *b, const char *c, const char *d)
{
	const char *args[] = { "-j", "--pin-dir", dir, a, b, c, d, NULL };
	struct cmd_result r;
	struct json_object *doc;

	ck_assert_int_eq(run_vigil_args(&r, args, 7), 0);
	doc = parse_json(r.out);
	ck_assert_msg(doc, "not one JSON document: %s (stderr: %s)", r.out, r.err);
	ck_assert_msg(r.status == want_status, "exit %d, wanted %d: %s", r.status, want_status,
		      r.out);
	cmd_result_free(&r);
	return doc;
}

static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		      json_object_to_json_string(o));
	return v;
}

static const char *error_of(struct json_object *doc)
{
	return json_object_get_string(field(doc, "error"));
}

static const char *const usage_keys[] = {
	"workload",
	"cpu_ns",
	"mem_bytes",
	"mem_peak_bytes",
	"mem_byte_seconds",
	"disk_read_bytes",
	"disk_write_bytes",
	"disk_read_ops",
	"disk_write_ops",
	"net_rx_bytes",
	"net_tx_bytes",
	"net_rx_packets",
	"net_tx_packets",
	"net_tx_public_bytes",
	"net_tx_private_bytes",
	"net_tx_dropped_bytes",
	"net_tx_dropped_packets",
	"net_drop_packets",
};

static void assert_usage_object(struct json_object *o)
{
	uint64_t metered, kernel = cgroup_cpu_stat_ns(workload_cg);
	double diff;

	for (size_t i = 0; i < sizeof(usage_keys) / sizeof(usage_keys[0]); i++)
		field(o, usage_keys[i]);
	ck_assert_str_eq(json_object_get_string(field(o, "workload")), workload_id);
	/* what vigild recorded in the slot, as `vigil workload show` says it */
	ck_assert_str_eq(json_object_get_string(field(o, "state")), "running");
	ck_assert_int_eq(json_object_get_int(field(o, "slot")), SLOT);
	metered = (uint64_t)json_object_get_uint64(field(o, "cpu_ns"));
	diff = fabs((double)metered - (double)kernel);
	ck_assert_msg(kernel > 0 && diff <= (double)kernel / 100.0,
		      "cpu_ns %llu vs cpu.stat %llu ns: off by more than 1%%",
		      (unsigned long long)metered, (unsigned long long)kernel);
}

START_TEST(test_usage_show_all)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "usage", "show", NULL, NULL);
	size_t n, found = 0;

	ck_assert(json_object_is_type(doc, json_type_array));
	n = json_object_array_length(doc);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(doc, i);

		if (strcmp(json_object_get_string(field(o, "workload")), workload_id) == 0) {
			assert_usage_object(o);
			found++;
		}
	}
	ck_assert_uint_eq(found, 1);
	json_object_put(doc);
}
END_TEST

START_TEST(test_usage_show_id)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "usage", "show", workload_id, NULL);

	ck_assert(json_object_is_type(doc, json_type_object));
	assert_usage_object(doc);
	json_object_put(doc);
}
END_TEST

START_TEST(test_usage_show_unknown_id)
{
	struct json_object *doc = vigil_json(pin_dir, 1, "usage", "show", "no-such-wl", NULL);

	ck_assert_ptr_nonnull(strstr(error_of(doc), "\"no-such-wl\""));
	json_object_put(doc);
}
END_TEST

START_TEST(test_usage_show_nothing_pinned)
{
	const char *args[] = { "--pin-dir", empty_dir, "usage", "show", NULL };
	struct json_object *doc = vigil_json(empty_dir, 1, "usage", "show", NULL, NULL);
	struct cmd_result r;

	ck_assert_ptr_nonnull(strstr(error_of(doc), "not loaded"));
	ck_assert_ptr_nonnull(strstr(error_of(doc), empty_dir));
	json_object_put(doc);
	ck_assert_int_eq(run_vigil_args(&r, args, 4), 0);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, "the meter is not loaded"));
	cmd_result_free(&r);
}
END_TEST

START_TEST(test_usage_show_not_root)
{
	char *argv[] = { SETPRIV,
			 "--reuid",
			 "65534",
			 "--regid",
			 "65534",
			 "--clear-groups",
			 (char *)vigil_bin(),
			 "-j",
			 "--pin-dir",
			 pin_dir,
			 "usage",
			 "show",
			 NULL };
	struct json_object *doc;
	struct cmd_result r;

	/* util-linux setpriv drops to nobody; a host without it cannot run this check */
	if (access(SETPRIV, X_OK) < 0)
		return;
	ck_assert_int_eq(run_cmd(argv, &r), 0);
	ck_assert_msg(r.status == 1, "exit %d: %s %s", r.status, r.out, r.err);
	doc = parse_json(r.out);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(strstr(error_of(doc), "needs root"));
	ck_assert_ptr_nonnull(strstr(error_of(doc), pin_dir));
	json_object_put(doc);
	cmd_result_free(&r);
}
END_TEST

START_TEST(test_usage_check)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "usage", "show", workload_id, "--check");
	struct json_object *check = field(doc, "check"), *items = field(check, "items"), *cpu;
	const char *args[] = {
		"--pin-dir", pin_dir, "usage", "show", "--check", workload_id, NULL
	};
	char path[PATH_MAX + 32];
	struct cmd_result r;
	double diff;

	ck_assert_str_eq(json_object_get_string(field(check, "cgroup")), workload_cg);
	cpu = json_object_array_get_idx(items, 0);
	ck_assert_str_eq(json_object_get_string(field(cpu, "key")), "cpu_ns");
	ck_assert_str_eq(json_object_get_string(field(cpu, "source")), "cpu.stat usage_usec");
	ck_assert(json_object_get_boolean(field(cpu, "available")));
	diff = json_object_get_double(field(cpu, "difference_percent"));
	ck_assert_msg(fabs(diff) < 1.0, "cpu_ns differs from cpu.stat by %.3f%%", diff);
	/* files this host does not have are reported, with the reason */
	snprintf(path, sizeof(path), "%s/memory.current", workload_cg);
	if (access(path, F_OK) < 0) {
		struct json_object *mem = json_object_array_get_idx(items, 1);

		ck_assert(!json_object_get_boolean(field(mem, "available")));
		ck_assert_ptr_nonnull(
			strstr(json_object_get_string(field(mem, "reason")), "memory.current"));
	}
	json_object_put(doc);

	ck_assert_int_eq(run_vigil_args(&r, args, 6), 0);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "cpu.stat usage_usec"));
	ck_assert_ptr_nonnull(strstr(r.out, "difference"));
	cmd_result_free(&r);
}
END_TEST

static bool pinned_at(struct json_object *o, const char *name)
{
	struct json_object *pins = field(o, "pinned");
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s/%s", pin_dir, name);
	for (size_t i = 0; i < json_object_array_length(pins); i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(pins, i)), want) == 0)
			return true;
	}
	return false;
}

START_TEST(test_prog_show)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "prog", "show", NULL, NULL), *ours = NULL;

	/* other suites may have their own vigil programs loaded: ours is the one pinned here */
	for (size_t i = 0; i < json_object_array_length(doc); i++) {
		struct json_object *o = json_object_array_get_idx(doc, i);

		if (strcmp(json_object_get_string(field(o, "name")), "vigil_sched_switch") == 0 &&
		    pinned_at(o, "link_sched_switch"))
			ours = o;
	}
	ck_assert_msg(ours, "vigil_sched_switch pinned in %s not listed: %s", pin_dir,
		      json_object_to_json_string(doc));
	ck_assert_str_eq(json_object_get_string(field(ours, "type")), "tracing");
	ck_assert_int_eq(strlen(json_object_get_string(field(ours, "tag"))), 16);
	ck_assert(json_object_get_boolean(field(ours, "stats_enabled")));
	ck_assert_uint_gt(json_object_get_uint64(field(ours, "run_cnt")), 0);
	field(ours, "run_time_ns");
	json_object_put(doc);
}
END_TEST

START_TEST(test_map_show)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "map", "show", NULL, NULL);
	bool found = false;

	for (size_t i = 0; i < json_object_array_length(doc); i++) {
		struct json_object *o = json_object_array_get_idx(doc, i);

		if (strcmp(json_object_get_string(field(o, "name")), "vigil_usage") != 0 ||
		    !pinned_at(o, "vigil_usage"))
			continue;
		found = true;
		ck_assert_str_eq(json_object_get_string(field(o, "type")), "percpu_array");
		ck_assert_int_eq(json_object_get_int(field(o, "max_entries")), VIGIL_MAX_WORKLOADS);
		ck_assert_int_eq(json_object_get_int(field(o, "key_size")), 4);
		ck_assert_uint_gt(json_object_get_uint64(field(o, "memlock_bytes")), 0);
	}
	ck_assert_msg(found, "vigil_usage pinned in %s not listed", pin_dir);
	json_object_put(doc);
}
END_TEST

START_TEST(test_map_dump_slots)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "map", "dump", "vigil_slots", NULL);
	struct json_object *e, *value;

	/* free slots are left out */
	ck_assert_uint_eq(json_object_array_length(doc), 1);
	e = json_object_array_get_idx(doc, 0);
	ck_assert_int_eq(json_object_get_int(field(e, "key")), SLOT);
	value = field(e, "value");
	ck_assert_str_eq(json_object_get_string(field(value, "workload")), workload_id);
	ck_assert_str_eq(json_object_get_string(field(value, "state")), "active");
	json_object_put(doc);

	doc = vigil_json(pin_dir, 0, "map", "dump", "vigil_slots", "--all");
	ck_assert_uint_eq(json_object_array_length(doc), VIGIL_MAX_WORKLOADS);
	json_object_put(doc);
}
END_TEST

START_TEST(test_map_dump_per_cpu_sum)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "map", "dump", "vigil_usage", NULL);
	struct json_object *e, *values;
	uint64_t sum = 0;

	ck_assert_uint_eq(json_object_array_length(doc), 1);
	e = json_object_array_get_idx(doc, 0);
	ck_assert_int_eq(json_object_get_int(field(e, "key")), SLOT);
	values = field(e, "values");
	for (size_t i = 0; i < json_object_array_length(values); i++)
		sum += json_object_get_uint64(
			field(field(json_object_array_get_idx(values, i), "value"), "cpu_ns"));
	ck_assert_uint_gt(sum, 0);
	ck_assert_uint_eq(json_object_get_uint64(field(field(e, "sum"), "cpu_ns")), sum);
	json_object_put(doc);
}
END_TEST

/* The IPv4 trie's keys print as IPv4 prefixes; the defaults are in it. */
START_TEST(test_map_dump_private_v4)
{
	struct json_object *doc = vigil_json(pin_dir, 0, "map", "dump", "vigil_private_v4", NULL);
	bool found = false;

	for (size_t i = 0; i < json_object_array_length(doc) && !found; i++) {
		struct json_object *e = json_object_array_get_idx(doc, i);

		found = strcmp(json_object_get_string(field(e, "key")), "10.0.0.0/8") == 0;
	}
	ck_assert_msg(found, "10.0.0.0/8 not in vigil_private_v4: %s",
		      json_object_to_json_string(doc));
	json_object_put(doc);
}
END_TEST

START_TEST(test_map_dump_unknown)
{
	struct json_object *doc = vigil_json(pin_dir, 1, "map", "dump", "vigil_nope", NULL);

	ck_assert_ptr_nonnull(strstr(error_of(doc), "\"vigil_nope\""));
	ck_assert_ptr_nonnull(strstr(error_of(doc), "vigil_usage"));
	ck_assert_ptr_nonnull(strstr(error_of(doc), "vigil_slots"));
	json_object_put(doc);
}
END_TEST

/* A burner of `ms` milliseconds in the workload's cgroup, running when this returns. */
static pid_t burn_in_workload(int ms)
{
	char procs[PATH_MAX + 16], arg[16];
	int fd;
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", workload_cg);
	snprintf(arg, sizeof(arg), "%d", ms);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || dprintf(fd, "0\n") < 0)
			_exit(1);
		spin_cpu(ms);
		_exit(0);
	}
	return pid;
}

/*
 * vigil top: rates over two readings, from the pinned maps; one JSON array
 * with -j, a table per refresh otherwise; its options' errors name them.
 */
START_TEST(test_top)
{
	const char *text_args[] = { "--pin-dir", pin_dir, "top", "-n", "2", "-d", "0.2", NULL };
	struct json_object *doc, *o = NULL;
	struct cmd_result r;
	pid_t burner;
	int status;

	doc = vigil_json(pin_dir, 0, "top", "--delay", "0.3", NULL);
	ck_assert(json_object_is_type(doc, json_type_array));
	for (size_t i = 0; i < json_object_array_length(doc); i++)
		if (strcmp(json_object_get_string(
				   field(json_object_array_get_idx(doc, i), "workload")),
			   workload_id) == 0)
			o = json_object_array_get_idx(doc, i);
	ck_assert_ptr_nonnull(o);
	/* nothing runs in it: no CPU */
	ck_assert_double_eq(json_object_get_double(field(o, "cpu_percent")), 0.0);
	ck_assert_double_eq_tol(json_object_get_double(field(o, "interval_seconds")), 0.3, 1e-9);
	field(field(o, "usage"), "net_tx_dropped_bytes");
	json_object_put(doc);

	burner = burn_in_workload(1500);
	doc = vigil_json(pin_dir, 0, "top", "--delay", "0.5", NULL);
	o = json_object_array_get_idx(doc, 0);
	printf("top: %s at %.1f%% CPU while burning\n",
	       json_object_get_string(field(o, "workload")),
	       json_object_get_double(field(o, "cpu_percent")));
	ck_assert_str_eq(json_object_get_string(field(o, "workload")), workload_id);
	ck_assert_double_gt(json_object_get_double(field(o, "cpu_percent")), 10.0);
	ck_assert_double_le(json_object_get_double(field(o, "cpu_percent")), 105.0);
	json_object_put(doc);
	ck_assert_int_eq(waitpid(burner, &status, 0), burner);

	ck_assert_int_eq(run_vigil_args(&r, text_args, 7), 0);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, workload_id));
	/* two refreshes, each a table with its header */
	ck_assert_ptr_nonnull(strstr(strstr(r.out, "CPU%") + 1, "CPU%"));
	cmd_result_free(&r);

	doc = vigil_json(pin_dir, 2, "top", "--delay", "0.01", NULL);
	ck_assert_ptr_nonnull(strstr(error_of(doc), "--delay \"0.01\""));
	json_object_put(doc);
	doc = vigil_json(pin_dir, 2, "top", "--sort", "size", NULL);
	ck_assert_ptr_nonnull(strstr(error_of(doc), "--sort \"size\""));
	json_object_put(doc);
	doc = vigil_json(empty_dir, 1, "top", NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(error_of(doc), "not loaded"));
	json_object_put(doc);
}
END_TEST

static Suite *usage_cli_suite(void)
{
	Suite *s = suite_create("usage_cli");
	TCase *tc = tcase_create("readers");

	tcase_add_unchecked_fixture(tc, make_host_objects, remove_host_objects);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_usage_show_all);
	tcase_add_test(tc, test_usage_show_id);
	tcase_add_test(tc, test_usage_show_unknown_id);
	tcase_add_test(tc, test_usage_show_nothing_pinned);
	tcase_add_test(tc, test_usage_show_not_root);
	tcase_add_test(tc, test_usage_check);
	tcase_add_test(tc, test_prog_show);
	tcase_add_test(tc, test_map_show);
	tcase_add_test(tc, test_map_dump_slots);
	tcase_add_test(tc, test_map_dump_per_cpu_sum);
	tcase_add_test(tc, test_map_dump_private_v4);
	tcase_add_test(tc, test_map_dump_unknown);
	/* last: it burns more CPU in the workload */
	tcase_add_test(tc, test_top);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	require_root("usage_cli");
	if (vigil_cgroup2_detect(&cg2) < 0) {
		printf("usage_cli: skipped: no cgroup v2 hierarchy mounted\n");
		return EXIT_SKIP;
	}
	return run_suite(usage_cli_suite());
}
