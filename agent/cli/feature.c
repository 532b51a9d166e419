// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feature.h"
#include "objects.h"
#include "print.h"

#define FEATURE_PATH "vigil feature"
#define FEATURE_HELP FEATURE_PATH " help"
#define PROBE_PATH   FEATURE_PATH " probe"

static int do_feature_help(int argc, char **argv)
{
	print_help("Usage: vigil feature probe [--load-modules] [--mount] [--bpffs PATH]\n"
		   "       vigil feature help\n"
		   "\n"
		   "Finds out what this kernel and host can do for vigil by using each\n"
		   "facility: loading each of vigil's own BPF programs and attaching it for a\n"
		   "moment (with private, unpinned maps), creating maps, an nftables table\n"
		   "and interfaces in a scratch network namespace.\n"
		   "Exits 0 when everything required is present, 1 otherwise.\n"
		   "\n"
		   "  --load-modules  load the kernel modules of missing facilities (libkmod)\n"
		   "  --mount         mount bpffs where it is missing\n"
		   "  --bpffs PATH    where bpffs belongs (default /sys/fs/bpf)\n");
	return CLI_OK;
}

static void print_cgroup(const struct vigil_cgroup2 *cg)
{
	char controllers[sizeof(cg->controllers)];
	char *saveptr = NULL;

	open_json_object("cgroup");
	print_string(PRINT_JSON, "mode", NULL, vigil_cgroup_mode_name(cg->mode));
	print_string(PRINT_JSON, "v2_mount", NULL, cg->mount[0] ? cg->mount : NULL);
	open_json_array("v2_controllers");
	snprintf(controllers, sizeof(controllers), "%s", cg->controllers);
	for (char *c = strtok_r(controllers, " ", &saveptr); c; c = strtok_r(NULL, " ", &saveptr))
		print_string(PRINT_JSON, NULL, NULL, c);
	close_json_array();
	close_json_object();
}

static void print_feature(const struct vigil_feature *f)
{
	open_json_object(NULL);
	print_string(PRINT_ANY, "name", "%-22s ", f->name);
	print_bool(PRINT_ANY, "available", "%-10s ", f->available, "yes", "NO");
	print_bool(PRINT_ANY, "required", "%-9s ", f->required, "required", "optional");
	print_string(PRINT_ANY, "detail", "%s\n", f->detail);
	if (f->module)
		print_string(PRINT_JSON, "module", NULL, f->module);
	if (f->action[0]) {
		print_string(PRINT_JSON, "action", NULL, f->action);
		print_text("%23s-> %s\n", "", f->action);
	}
	close_json_object();
}

static void print_programs(const struct vigil_feature_report *r)
{
	print_text("\n%-7s %-22s %-28s %s\n", "OBJECT", "PROGRAM", "SECTION", "RESULT");
	open_json_array("programs");
	for (size_t i = 0; i < r->n_programs; i++) {
		const struct vigil_prog_probe *p = &r->programs[i];

		open_json_object(NULL);
		print_string(PRINT_ANY, "object", "%-7s ", p->object);
		print_string(PRINT_ANY, "name", "%-22s ", p->name);
		print_string(PRINT_ANY, "section", "%-28s ", p->section);
		print_bool(PRINT_JSON, "loaded", NULL, p->loaded, NULL, NULL);
		print_bool(PRINT_JSON, "attached", NULL, p->attached, NULL, NULL);
		print_string(PRINT_ANY, "detail", "%s\n", p->detail);
		close_json_object();
	}
	close_json_array();
}

static void print_report(const struct vigil_feature_report *r)
{
	bool ok = vigil_feature_report_ok(r);

	open_json_object(NULL);
	print_string(PRINT_ANY, "kernel_release", "Kernel %s\n", r->kernel_release);
	print_bool(PRINT_JSON, "ok", NULL, ok, NULL, NULL);
	print_cgroup(&r->cgroup);
	print_text("\n%-22s %-10s %-9s %s\n", "FEATURE", "AVAILABLE", "NEED", "DETAIL");
	open_json_array("features");
	for (int id = 0; id < VF__COUNT; id++)
		print_feature(&r->items[id]);
	close_json_array();
	print_programs(r);

	open_json_array("missing");
	print_text(ok ? "\nEverything vigil requires is present.\n" : "\nMissing required:");
	for (int id = 0; id < VF__COUNT; id++) {
		if (r->items[id].required && !r->items[id].available)
			print_string(PRINT_ANY, NULL, " %s", r->items[id].name);
	}
	if (!ok)
		print_text("\n");
	close_json_array();
	close_json_object();
}

static int do_feature_probe(int argc, char **argv)
{
	enum { OPT_LOAD_MODULES = 256, OPT_MOUNT, OPT_BPFFS };
	static const struct option longopts[] = {
		{ "load-modules", no_argument, NULL, OPT_LOAD_MODULES },
		{ "mount", no_argument, NULL, OPT_MOUNT },
		{ "bpffs", required_argument, NULL, OPT_BPFFS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vigil_feature_opts opts = { 0 };
	struct vigil_feature_report *report;
	int c, status;

	while ((c = cmd_getopt(argc, argv, PROBE_PATH, FEATURE_HELP, "h", longopts)) != -1) {
		switch (c) {
		case OPT_LOAD_MODULES:
			opts.load_modules = true;
			break;
		case OPT_MOUNT:
			opts.mount = true;
			break;
		case OPT_BPFFS:
			opts.bpffs_path = optarg;
			break;
		case 'h':
			return do_feature_help(argc, argv);
		default:
			return CLI_USAGE;
		}
	}
	status = cmd_no_more_args(argc, argv, PROBE_PATH, FEATURE_HELP);
	if (status != CLI_OK)
		return status;
	if (opts.bpffs_path && opts.bpffs_path[0] != '/')
		return p_usage(FEATURE_HELP, PROBE_PATH ": --bpffs takes an absolute path");
	status = cmd_require_root(PROBE_PATH, "it loads and attaches BPF programs and makes a "
					      "network namespace (CAP_BPF, CAP_PERFMON, "
					      "CAP_NET_ADMIN, CAP_SYS_ADMIN)");
	if (status != CLI_OK)
		return status;

	report = calloc(1, sizeof(*report));
	if (!report) {
		p_err("vigil feature probe: %s", strerror(ENOMEM));
		return CLI_FAIL;
	}
	vigil_feature_probe(&opts, report);
	print_report(report);
	status = vigil_feature_report_ok(report) ? CLI_OK : CLI_FAIL;
	free(report);
	return status;
}

static const struct cmd feature_cmds[] = {
	{ "probe", do_feature_probe },
	{ "help", do_feature_help },
	{ NULL, NULL },
};

int do_feature(int argc, char **argv)
{
	return cmd_dispatch(feature_cmds, FEATURE_PATH, "command", argc - 1, argv + 1);
}
