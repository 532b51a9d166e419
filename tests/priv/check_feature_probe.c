// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vigil feature probe` on this machine, asserted against evidence the test
 * reads itself (/proc/config.gz, /proc/self/mountinfo, /proc/misc, sysfs),
 * never against a hard-coded picture of one host.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "testutil.h"

static struct json_object *report;
static int report_status;
static char *config;

static char *report_text;

/* One probe run, before the tests fork, serves the read-only assertions. */
static void probe_before_tests(void)
{
	struct cmd_result r;

	run_vigil(&r, "-j", "feature", "probe", NULL);
	report_status = r.status;
	report = parse_json(r.out);
	if (asprintf(&report_text, "stdout: %s\nstderr: %s", r.out, r.err) < 0)
		report_text = NULL;
	cmd_result_free(&r);
	config = read_kernel_config();
}

static void probe_once(void)
{
	ck_assert_msg(report != NULL, "vigil -j feature probe gave no JSON: %s", report_text);
}

static struct json_object *feature(struct json_object *doc, const char *name)
{
	struct json_object *features, *item, *v;

	ck_assert(json_object_object_get_ex(doc, "features", &features));
	for (size_t i = 0; i < json_object_array_length(features); i++) {
		item = json_object_array_get_idx(features, i);
		if (json_object_object_get_ex(item, "name", &v) &&
		    strcmp(json_object_get_string(v), name) == 0)
			return item;
	}
	ck_abort_msg("feature %s missing from the report", name);
	return NULL;
}

static bool field_bool(struct json_object *item, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(item, key, &v), "no %s", key);
	ck_assert(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static const char *field_str(struct json_object *item, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(item, key, &v), "no %s", key);
	return json_object_get_string(v);
}

static void assert_available(const char *name, bool expected, const char *evidence)
{
	struct json_object *item = feature(report, name);

	ck_assert_msg(field_bool(item, "available") == expected,
		      "%s: reported %s, but %s (detail: %s)", name,
		      expected ? "unavailable" : "available", evidence, field_str(item, "detail"));
}

static bool config_yes(const char *name)
{
	const char *v = config ? kernel_config_value(config, name) : NULL;

	return v && strcmp(v, "y") == 0;
}

static bool config_known(void)
{
	return config != NULL;
}

START_TEST(test_every_item_well_formed)
{
	static const char *const expected[] = {
		"kernel",
		"btf",
		"bpf_syscall",
		"prog_tp_btf",
		"prog_tracepoint",
		"prog_kprobe",
		"prog_fentry",
		"prog_sched_cls",
		"prog_cgroup_skb",
		"map_hash",
		"map_lpm_trie",
		"map_percpu_array",
		"bpffs",
		"tracefs",
		"cgroup_v2",
		"nf_tables",
		"tun",
		"veth",
		"loop",
		"device_mapper",
		"dm_crypt",
		"seccomp_kill_process",
		"libcryptsetup",
	};
	struct json_object *features, *missing, *item;
	size_t n_missing = 0;

	probe_once();
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		feature(report, expected[i]);
	ck_assert(json_object_object_get_ex(report, "features", &features));
	for (size_t i = 0; i < json_object_array_length(features); i++) {
		item = json_object_array_get_idx(features, i);
		field_bool(item, "required");
		ck_assert_msg(strlen(field_str(item, "detail")) > 0, "%s: empty detail",
			      field_str(item, "name"));
		if (field_bool(item, "required") && !field_bool(item, "available"))
			n_missing++;
	}
	/* exit status and "missing" agree with the items */
	ck_assert(json_object_object_get_ex(report, "missing", &missing));
	ck_assert_int_eq(json_object_array_length(missing), n_missing);
	ck_assert_int_eq(report_status, n_missing ? 1 : 0);
	ck_assert(field_bool(report, "ok") == (n_missing == 0));
}
END_TEST

START_TEST(test_kernel_release)
{
	char *release = read_file("/proc/sys/kernel/osrelease");

	probe_once();
	ck_assert_ptr_nonnull(release);
	release[strcspn(release, "\n")] = '\0';
	ck_assert_str_eq(field_str(report, "kernel_release"), release);
	free(release);
}
END_TEST

START_TEST(test_btf_and_tp_btf)
{
	bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;

	probe_once();
	assert_available("btf", btf, btf ? "/sys/kernel/btf/vmlinux exists" : "no vmlinux BTF");
	if (btf && config_yes("BPF_EVENTS") && config_yes("DEBUG_INFO_BTF"))
		assert_available("prog_tp_btf", true,
				 "the config has BPF_EVENTS and DEBUG_INFO_BTF with vmlinux BTF");
	if (!btf)
		assert_available("prog_tp_btf", false, "there is no vmlinux BTF");
}
END_TEST

START_TEST(test_kprobe_matches_config)
{
	bool pmu = access("/sys/bus/event_source/devices/kprobe", F_OK) == 0;

	probe_once();
	if (!config_known())
		ck_assert_msg(0, "no /proc/config.gz: cannot check kprobes independently");
	if (!config_yes("KPROBES"))
		assert_available("prog_kprobe", false, "the kernel config lacks CONFIG_KPROBES=y");
	else if (pmu)
		assert_available("prog_kprobe", true, "CONFIG_KPROBES=y and a kprobe PMU exist");
	if (!config_yes("KPROBES"))
		ck_assert_ptr_nonnull(
			strstr(field_str(feature(report, "prog_kprobe"), "detail"), "kprobe"));
}
END_TEST

START_TEST(test_device_mapper_matches_proc_misc)
{
	bool dm = proc_misc_has("device-mapper");

	probe_once();
	assert_available("device_mapper", dm && access("/dev/mapper/control", F_OK) == 0,
			 dm ? "/proc/misc lists device-mapper" : "/proc/misc has no device-mapper");
	if (!dm)
		assert_available("dm_crypt", false, "device-mapper is absent");
}
END_TEST

struct cgroup_evidence {
	char v2[PATH_MAX];
	bool v1;
};

static void read_cgroup_evidence(struct cgroup_evidence *e)
{
	char *mounts = read_file("/proc/mounts");
	char *saveptr = NULL;

	ck_assert_ptr_nonnull(mounts);
	memset(e, 0, sizeof(*e));
	for (char *line = strtok_r(mounts, "\n", &saveptr); line;
	     line = strtok_r(NULL, "\n", &saveptr)) {
		char dev[256], dir[PATH_MAX], type[64];

		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) != 3)
			continue;
		if (strcmp(type, "cgroup2") == 0 && !e->v2[0])
			snprintf(e->v2, sizeof(e->v2), "%s", dir);
		else if (strcmp(type, "cgroup") == 0)
			e->v1 = true;
	}
	free(mounts);
}

START_TEST(test_cgroup_mode_and_mount)
{
	struct json_object *cg, *controllers;
	struct cgroup_evidence e;
	char path[PATH_MAX + 32];
	char *want;
	size_t i = 0;

	probe_once();
	read_cgroup_evidence(&e);
	ck_assert(json_object_object_get_ex(report, "cgroup", &cg));
	assert_available("cgroup_v2", e.v2[0] != '\0', "/proc/mounts decides");
	if (!e.v2[0])
		return;
	ck_assert_str_eq(field_str(cg, "mode"), e.v1 ? "hybrid" : "unified");
	ck_assert_str_eq(field_str(cg, "v2_mount"), e.v2);

	snprintf(path, sizeof(path), "%s/cgroup.controllers", e.v2);
	want = read_file(path);
	ck_assert_ptr_nonnull(want);
	ck_assert(json_object_object_get_ex(cg, "v2_controllers", &controllers));
	for (char *saveptr = NULL, *c = strtok_r(want, " \n", &saveptr); c;
	     c = strtok_r(NULL, " \n", &saveptr), i++) {
		ck_assert_uint_lt(i, json_object_array_length(controllers));
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(controllers, i)),
				 c);
	}
	ck_assert_uint_eq(i, json_object_array_length(controllers));
	free(want);
}
END_TEST

static bool mounted_at(const char *type, const char *dir)
{
	char *mounts = read_file("/proc/mounts");
	char *saveptr = NULL;
	bool found = false;

	ck_assert_ptr_nonnull(mounts);
	for (char *line = strtok_r(mounts, "\n", &saveptr); line && !found;
	     line = strtok_r(NULL, "\n", &saveptr)) {
		char dev[256], d[PATH_MAX], t[64];

		if (sscanf(line, "%255s %4095s %63s", dev, d, t) == 3 && strcmp(t, type) == 0 &&
		    strcmp(d, dir) == 0)
			found = true;
	}
	free(mounts);
	return found;
}

START_TEST(test_filesystems_match_mounts)
{
	probe_once();
	assert_available("bpffs", mounted_at("bpf", "/sys/fs/bpf"), "/proc/mounts decides");
	assert_available("tracefs", mounted_at("tracefs", "/sys/kernel/tracing"),
			 "/proc/mounts decides");
}
END_TEST

START_TEST(test_devices_match_proc_misc)
{
	probe_once();
	if (proc_misc_has("tun") && access("/dev/net/tun", F_OK) == 0)
		assert_available("tun", true, "/proc/misc lists tun and /dev/net/tun exists");
	if (!proc_misc_has("tun"))
		assert_available("tun", false, "/proc/misc has no tun");
	assert_available("loop", proc_misc_has("loop-control"), "/proc/misc decides");
}
END_TEST

START_TEST(test_builtin_facilities_match_config)
{
	probe_once();
	if (!config_known())
		ck_assert_msg(0, "no /proc/config.gz: cannot check built-in facilities");
	if (config_yes("NF_TABLES") && config_yes("NF_TABLES_INET"))
		assert_available("nf_tables", true, "CONFIG_NF_TABLES(_INET)=y");
	if (config_yes("VETH"))
		assert_available("veth", true, "CONFIG_VETH=y");
	if (config_yes("SECCOMP_FILTER"))
		assert_available("seccomp_kill_process", true, "CONFIG_SECCOMP_FILTER=y");
	if (config_yes("NET_CLS_BPF") || config_yes("BPF_SYSCALL"))
		assert_available("prog_sched_cls", true, "CONFIG_BPF_SYSCALL=y");
	if (config_yes("CGROUP_BPF"))
		assert_available("prog_cgroup_skb", true, "CONFIG_CGROUP_BPF=y");
}
END_TEST

START_TEST(test_mount_option_mounts_missing_fs)
{
	char bpffs[] = "/tmp/vigil-test-bpffs-XXXXXX";
	char tracefs[] = "/tmp/vigil-test-tracefs-XXXXXX";
	char expected_action[128];
	struct json_object *doc;
	struct cmd_result r;
	bool bpf_mounted, trace_mounted;

	ck_assert_ptr_nonnull(mkdtemp(bpffs));
	ck_assert_ptr_nonnull(mkdtemp(tracefs));

	run_vigil(&r, "-j", "feature", "probe", "--bpffs", bpffs, "--tracefs", tracefs, NULL);
	doc = parse_json(r.out);
	ck_assert_ptr_nonnull(doc);
	ck_assert(!field_bool(feature(doc, "bpffs"), "available"));
	ck_assert_ptr_nonnull(strstr(field_str(feature(doc, "bpffs"), "detail"), "--mount"));
	json_object_put(doc);
	cmd_result_free(&r);

	run_vigil(&r, "-j", "feature", "probe", "--mount", "--bpffs", bpffs, "--tracefs", tracefs,
		  NULL);
	bpf_mounted = mounted_at("bpf", bpffs);
	trace_mounted = mounted_at("tracefs", tracefs);
	doc = parse_json(r.out);
	/* teardown before asserting, so a failure leaves no mount behind */
	umount2(bpffs, MNT_DETACH);
	umount2(tracefs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(tracefs);
	ck_assert_ptr_nonnull(doc);
	ck_assert(bpf_mounted);
	ck_assert(trace_mounted);
	ck_assert(field_bool(feature(doc, "bpffs"), "available"));
	snprintf(expected_action, sizeof(expected_action), "mounted bpf at %s", bpffs);
	ck_assert_str_eq(field_str(feature(doc, "bpffs"), "action"), expected_action);
	json_object_put(doc);
	cmd_result_free(&r);
}
END_TEST

START_TEST(test_load_modules_reports_truthfully)
{
	bool module_support = access("/proc/modules", F_OK) == 0;
	struct json_object *doc, *features, *item, *v;
	struct cmd_result r;

	run_vigil(&r, "-j", "feature", "probe", "--load-modules", NULL);
	doc = parse_json(r.out);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_object_object_get_ex(doc, "features", &features));
	for (size_t i = 0; i < json_object_array_length(features); i++) {
		item = json_object_array_get_idx(features, i);
		if (!json_object_object_get_ex(item, "module", &v) || field_bool(item, "available"))
			continue;
		if (!module_support) {
			/* nothing can be loaded, and the report says why */
			ck_assert(!json_object_object_get_ex(item, "action", &v));
			ck_assert_msg(strstr(field_str(item, "detail"),
					     "kernel without module support") != NULL,
				      "%s: %s", field_str(item, "name"), field_str(item, "detail"));
		}
	}
	json_object_put(doc);
	cmd_result_free(&r);
}
END_TEST

START_TEST(test_text_output_lists_everything)
{
	struct cmd_result r;

	probe_once();
	run_vigil(&r, "feature", "probe", NULL);
	ck_assert_int_eq(r.status, report_status);
	ck_assert_ptr_nonnull(strstr(r.out, "prog_tp_btf"));
	ck_assert_ptr_nonnull(strstr(r.out, "device_mapper"));
	ck_assert_ptr_nonnull(strstr(r.out, "cgroup_v2"));
	ck_assert_ptr_nonnull(
		strstr(r.out, report_status ? "Missing required:" : "Everything vigil requires"));
	cmd_result_free(&r);
}
END_TEST

static Suite *feature_probe_suite(void)
{
	Suite *s = suite_create("feature_probe");
	TCase *tc = tcase_create("probe");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_item_well_formed);
	tcase_add_test(tc, test_kernel_release);
	tcase_add_test(tc, test_btf_and_tp_btf);
	tcase_add_test(tc, test_kprobe_matches_config);
	tcase_add_test(tc, test_device_mapper_matches_proc_misc);
	tcase_add_test(tc, test_cgroup_mode_and_mount);
	tcase_add_test(tc, test_filesystems_match_mounts);
	tcase_add_test(tc, test_devices_match_proc_misc);
	tcase_add_test(tc, test_builtin_facilities_match_config);
	tcase_add_test(tc, test_mount_option_mounts_missing_fs);
	tcase_add_test(tc, test_load_modules_reports_truthfully);
	tcase_add_test(tc, test_text_output_lists_everything);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	require_root("feature_probe");
	probe_before_tests();
	return run_suite(feature_probe_suite());
}
