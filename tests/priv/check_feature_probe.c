// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vigil feature probe` on this machine, asserted against evidence the test
 * reads itself (/proc/config.gz, /proc/self/mountinfo, /proc/misc, sysfs),
 * never against a hard-coded picture of one host.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "feature.h"
#include "meter_loader.h"
#include "net_meter.h"
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
		"map_hash",
		"map_array",
		"map_lpm_trie",
		"map_percpu_array",
		"map_task_storage",
		"bpf_atomics",
		"tracing_task_storage",
		"meter_programs",
		"net_programs",
		"bpffs",
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

/* The names of the programs in one of vigil's objects, as built into it. */
static size_t object_programs(const void *elf, size_t size, char names[][64], size_t max)
{
	struct bpf_object *obj = bpf_object__open_mem(elf, size, NULL);
	struct bpf_program *prog;
	size_t n = 0;

	ck_assert_ptr_nonnull(obj);
	bpf_object__for_each_program (prog, obj) {
		ck_assert_uint_lt(n, max);
		snprintf(names[n++], 64, "%s", bpf_program__name(prog));
	}
	bpf_object__close(obj);
	return n;
}

static struct json_object *program(const char *name)
{
	struct json_object *programs, *item, *v;

	ck_assert(json_object_object_get_ex(report, "programs", &programs));
	for (size_t i = 0; i < json_object_array_length(programs); i++) {
		item = json_object_array_get_idx(programs, i);
		if (json_object_object_get_ex(item, "name", &v) &&
		    strcmp(json_object_get_string(v), name) == 0)
			return item;
	}
	ck_abort_msg("program %s missing from the report", name);
	return NULL;
}

/*
 * Every program of the meter and net objects is in the report, by name,
 * and on a kernel at the minimum with BTF (this host and the guest lane's)
 * each one loads and attaches.
 */
START_TEST(test_reports_each_real_program)
{
	static const char *const objects[] = { "meter", "net" };
	bool kernel_ok, btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	struct json_object *programs, *item;
	char names[32][64];
	size_t n, total = 0;
	const void *elf;
	size_t size;

	probe_once();
	kernel_ok = field_bool(feature(report, "kernel"), "available");
	for (size_t o = 0; o < 2; o++) {
		elf = o == 0 ? vigil_meter_object(&size) : vigil_net_object(&size);
		n = object_programs(elf, size, names, 32);
		ck_assert_uint_gt(n, 0);
		total += n;
		for (size_t i = 0; i < n; i++) {
			item = program(names[i]);
			ck_assert_str_eq(field_str(item, "object"), objects[o]);
			if (kernel_ok && btf)
				ck_assert_msg(field_bool(item, "loaded") &&
						      field_bool(item, "attached"),
					      "%s on a kernel at the minimum with BTF: %s",
					      names[i], field_str(item, "detail"));
		}
	}
	ck_assert(json_object_object_get_ex(report, "programs", &programs));
	ck_assert_uint_eq(json_object_array_length(programs), total);
	if (kernel_ok && btf) {
		assert_available("meter_programs", true, "each of its programs attached");
		assert_available("net_programs", true, "each of its programs attached");
		assert_available("bpf_atomics", true, "the meter, which uses them, loads");
		assert_available("tracing_task_storage", true, "the meter, which uses it, loads");
	}
}
END_TEST

static size_t vigil_programs_loaded(void)
{
	struct bpf_prog_info info;
	__u32 len, id = 0;
	size_t n = 0;
	int fd;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, "vigil_", 6) == 0)
			n++;
		close(fd);
	}
	return n;
}

/* The names in a directory, sorted, one per line. */
static char *dir_listing(const char *path)
{
	struct dirent **entries;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int n;

	n = scandir(path, &entries, NULL, alphasort);
	ck_assert_msg(n >= 0, "%s: cannot list", path);
	out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	for (int i = 0; i < n; i++) {
		fprintf(out, "%s\n", entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	fclose(out);
	return text;
}

/* The probe's programs and maps are its own: nothing stays loaded or pinned. */
START_TEST(test_probe_leaves_nothing_behind)
{
	char *pins_before, *pins_after;
	size_t before, after;
	struct cmd_result r;

	before = vigil_programs_loaded();
	pins_before = dir_listing("/sys/fs/bpf");
	run_vigil(&r, "-j", "feature", "probe", NULL);
	cmd_result_free(&r);
	after = vigil_programs_loaded();
	pins_after = dir_listing("/sys/fs/bpf");
	ck_assert_uint_eq(after, before);
	ck_assert_str_eq(pins_after, pins_before);
	free(pins_before);
	free(pins_after);
}
END_TEST

/*
 * The objects compiled against the other kernel's vmlinux.h (make
 * bpf-compat: Debian 12's 6.1) load and attach on this kernel too, as do
 * the build's own: CO-RE relocates either to whichever kernel runs.
 */
START_TEST(test_objects_of_both_headers_load)
{
	static const char *const files[] = { "meter.bpf.o", "net.bpf.o" };
	const char *dirs = getenv("VIGIL_BPF_OBJECT_DIRS");
	struct vigil_feature_report *r = calloc(1, sizeof(*r));
	char *list, *saveptr = NULL, path[PATH_MAX];
	struct vigil_feature f;
	size_t n_dirs = 0;

	ck_assert_msg(dirs && dirs[0], "VIGIL_BPF_OBJECT_DIRS is not set (make check sets it)");
	ck_assert_ptr_nonnull(r);
	list = strdup(dirs);
	for (char *dir = strtok_r(list, " ", &saveptr); dir; dir = strtok_r(NULL, " ", &saveptr)) {
		n_dirs++;
		for (size_t i = 0; i < 2; i++) {
			size_t size;
			char *elf;

			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			elf = read_file_size(path, &size);
			ck_assert_msg(elf != NULL, "%s: cannot read", path);
			memset(&f, 0, sizeof(f));
			r->n_programs = 0;
			vigil_probe_programs(&f, files[i], elf, size, NULL, r);
			ck_assert_msg(f.available, "%s: %s", path, f.detail);
			ck_assert_uint_gt(r->n_programs, 0);
			free(elf);
		}
	}
	ck_assert_uint_eq(n_dirs, 2);
	free(list);
	free(r);
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
}
END_TEST

START_TEST(test_mount_option_mounts_missing_fs)
{
	char bpffs[] = "/tmp/vigil-test-bpffs-XXXXXX";
	char expected_action[128];
	struct json_object *doc;
	struct cmd_result r;
	bool bpf_mounted;

	ck_assert_ptr_nonnull(mkdtemp(bpffs));

	run_vigil(&r, "-j", "feature", "probe", "--bpffs", bpffs, NULL);
	doc = parse_json(r.out);
	ck_assert_ptr_nonnull(doc);
	ck_assert(!field_bool(feature(doc, "bpffs"), "available"));
	ck_assert_ptr_nonnull(strstr(field_str(feature(doc, "bpffs"), "detail"), "--mount"));
	json_object_put(doc);
	cmd_result_free(&r);

	run_vigil(&r, "-j", "feature", "probe", "--mount", "--bpffs", bpffs, NULL);
	bpf_mounted = mounted_at("bpf", bpffs);
	doc = parse_json(r.out);
	/* teardown before asserting, so a failure leaves no mount behind */
	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	ck_assert_ptr_nonnull(doc);
	ck_assert(bpf_mounted);
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
	ck_assert_ptr_nonnull(strstr(r.out, "meter_programs"));
	ck_assert_ptr_nonnull(strstr(r.out, "vigil_sched_switch"));
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
	tcase_add_test(tc, test_reports_each_real_program);
	tcase_add_test(tc, test_probe_leaves_nothing_behind);
	tcase_add_test(tc, test_objects_of_both_headers_load);
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
