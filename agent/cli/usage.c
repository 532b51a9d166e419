// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "meter_loader.h"
#include "objects.h"
#include "print.h"
#include "units.h"
#include "usage_check.h"
#include "usage_fields.h"

#define USAGE_PATH "vigil usage"
#define USAGE_HELP USAGE_PATH " help"
#define SHOW_PATH  USAGE_PATH " show"

static int do_usage_help(int argc, char **argv)
{
	print_help("Usage: vigil usage show [ID] [--check]\n"
		   "       vigil usage help\n"
		   "\n"
		   "Shows what the in-kernel meter counted for every workload (or for ID),\n"
		   "read straight from the pinned maps, so it works while vigild is down.\n"
		   "\n"
		   "  --check  compare with the kernel's cgroup v2 accounting of each\n"
		   "           workload (cpu.stat; memory.current, memory.peak and io.stat\n"
		   "           where those controllers are on cgroup v2)\n");
	return CLI_OK;
}

/* stops the walk once the workload asked for is printed */
#define SHOW_FOUND 1

struct show_ctx {
	const char *id;
	bool check;
	bool found;
	/* the cgroup v2 mount, or the reason --check cannot use one */
	struct vigil_cgroup2 cg2;
	int cg2_err;
};

static void print_figures(const struct vigil_workload_usage *u)
{
	char buf[64];

	for (size_t i = 0; i < vigil_usage_n_fields; i++) {
		const struct vigil_usage_field *f = &vigil_usage_fields[i];
		uint64_t v = vigil_usage_field_get(u, f);

		print_u64(PRINT_JSON, f->name, NULL, v);
		print_text("  %-22s %s\n", f->name, fmt_unit(buf, sizeof(buf), v, f->unit));
	}
}

static void print_check_unavailable(const char *reason)
{
	print_bool(PRINT_JSON, "available", NULL, false, NULL, NULL);
	print_string(PRINT_ANY, "reason", "unavailable: %s\n", reason);
}

static void print_check_item(enum vigil_check_item item, const struct vigil_check_figure *fig,
			     const struct vigil_workload_usage *u, const char *dir)
{
	const struct vigil_check_source *src = vigil_check_source(item);
	const struct vigil_usage_field *f = vigil_usage_field_find(src->usage_key);
	uint64_t metered = vigil_usage_field_get(u, f);
	char source[64], reason[PATH_MAX + 128], a[64], b[64];
	double diff;

	snprintf(source, sizeof(source), "%s%s%s", src->file, src->key ? " " : "",
		 src->key ? src->key : "");
	open_json_object(NULL);
	print_string(PRINT_ANY, "key", "    %-18s ", src->usage_key);
	print_string(PRINT_JSON, "source", NULL, source);
	if (fig->err == -ENOENT) {
		/* "memory.current" -> the memory controller */
		snprintf(reason, sizeof(reason),
			 "%s does not exist: the %.*s controller is not enabled on cgroup v2 "
			 "for this cgroup (hybrid host, or not in the parent's "
			 "cgroup.subtree_control)",
			 src->file, (int)strcspn(src->file, "."), src->file);
		print_check_unavailable(reason);
	} else if (fig->err) {
		snprintf(reason, sizeof(reason), "reading %s/%s: %s", dir, src->file,
			 strerror(-fig->err));
		print_check_unavailable(reason);
	} else {
		print_bool(PRINT_JSON, "available", NULL, true, NULL, NULL);
		print_u64(PRINT_JSON, "metered", NULL, metered);
		print_u64(PRINT_JSON, "kernel", NULL, fig->value);
		print_text("metered %-14s %s %-14s ", fmt_unit(a, sizeof(a), metered, f->unit),
			   source, fmt_unit(b, sizeof(b), fig->value, f->unit));
		if (fig->value) {
			diff = 100.0 * ((double)metered - (double)fig->value) / (double)fig->value;
			print_double(PRINT_ANY, "difference_percent", "difference %+.2f%%\n", diff,
				     3);
		} else if (metered) {
			print_null("difference_percent");
			print_text("difference n/a (kernel figure is 0)\n");
		} else {
			print_double(PRINT_ANY, "difference_percent", "difference %+.2f%%\n", 0.0,
				     3);
		}
	}
	close_json_object();
}

static void print_check(const struct show_ctx *ctx, const struct vigil_slot *s,
			const struct vigil_workload_usage *u)
{
	struct vigil_check_figure figs[VIGIL_CHECK__COUNT];
	char dir[PATH_MAX], reason[PATH_MAX + 128];
	int err;

	open_json_object("check");
	print_text("  check against the kernel's cgroup accounting:\n");
	if (ctx->cg2_err) {
		snprintf(reason, sizeof(reason), "no cgroup v2 hierarchy is mounted: %s",
			 strerror(-ctx->cg2_err));
		print_null("cgroup");
		print_string(PRINT_ANY, "reason", "    unavailable: %s\n", reason);
		close_json_object();
		return;
	}
	err = vigil_cgroup_find_by_id(ctx->cg2.mount, s->cgroup_id, VIGIL_CHECK_MAX_DEPTH, dir,
				      sizeof(dir));
	if (err) {
		if (err == -ENOENT)
			snprintf(reason, sizeof(reason),
				 "%scgroup %llu no longer exists under %s (within %d levels)",
				 s->state == VIGIL_SLOT_DELETED ? "workload deleted: its " : "",
				 (unsigned long long)s->cgroup_id, ctx->cg2.mount,
				 VIGIL_CHECK_MAX_DEPTH);
		else
			snprintf(reason, sizeof(reason), "looking for cgroup %llu under %s: %s",
				 (unsigned long long)s->cgroup_id, ctx->cg2.mount, strerror(-err));
		print_null("cgroup");
		print_string(PRINT_ANY, "reason", "    unavailable: %s\n", reason);
		close_json_object();
		return;
	}
	print_string(PRINT_ANY, "cgroup", "    cgroup %s\n", dir);
	vigil_usage_check_read(dir, figs);
	open_json_array("items");
	for (int i = 0; i < VIGIL_CHECK__COUNT; i++)
		print_check_item(i, &figs[i], u, dir);
	close_json_array();
	close_json_object();
}

static int show_one(uint32_t slot, const struct vigil_slot *s, const struct vigil_workload_usage *u,
		    void *arg)
{
	struct show_ctx *ctx = arg;

	if (ctx->id && strncmp(s->workload, ctx->id, sizeof(s->workload)) != 0)
		return 0;
	/* a blank line between workloads in text */
	if (ctx->found)
		print_text("\n");
	ctx->found = true;
	open_json_object(NULL);
	print_string(PRINT_ANY, "workload", "workload %s", s->workload);
	print_u64(PRINT_ANY, "slot", "  slot %llu", slot);
	print_string(PRINT_ANY, "state", "  %s\n", vigil_slot_state_name(s));
	print_figures(u);
	if (ctx->check)
		print_check(ctx, s, u);
	close_json_object();
	/* one ID is one JSON object: a reused id in a later slot must not add a second */
	return ctx->id ? SHOW_FOUND : 0;
}

static int open_meter(struct vigil_meter **ret)
{
	const char *dir = vigil_global.pin_dir;
	int err = vigil_meter_open_pinned(dir, ret);

	if (err == -ENOENT)
		p_err("the meter is not loaded: no pinned maps in %s (start vigild, or pass "
		      "--pin-dir)",
		      dir);
	else if (err == -EPERM || err == -EACCES)
		p_err("reading the pinned maps in %s needs root (CAP_BPF and CAP_SYS_ADMIN): %s",
		      dir, strerror(-err));
	else if (err)
		p_err("opening the pinned maps in %s: %s", dir, strerror(-err));
	return err;
}

static int do_usage_show(int argc, char **argv)
{
	enum { OPT_CHECK = 256 };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_ctx ctx = { 0 };
	struct vigil_meter *m;
	int c, err;

	/* ID may come before or after the options */
	for (;;) {
		c = cmd_getopt(argc, argv, SHOW_PATH, USAGE_HELP, "h", longopts);
		if (c == -1 && optind < argc && !ctx.id) {
			ctx.id = argv[optind++];
			continue;
		}
		if (c == -1)
			break;
		if (c == OPT_CHECK)
			ctx.check = true;
		else if (c == 'h')
			return do_usage_help(argc, argv);
		else
			return CLI_USAGE;
	}
	err = cmd_no_more_args(argc, argv, SHOW_PATH, USAGE_HELP);
	if (err == CLI_OK) {
		char why[PATH_MAX + 64];

		snprintf(why, sizeof(why), "it reads vigil's pinned BPF maps in %s (CAP_BPF)",
			 vigil_global.pin_dir);
		err = cmd_require_root(SHOW_PATH, why);
	}
	if (err != CLI_OK)
		return err;
	if (ctx.check)
		ctx.cg2_err = vigil_cgroup2_detect(&ctx.cg2);
	if (open_meter(&m))
		return CLI_FAIL;
	if (!ctx.id)
		open_json_array(NULL);
	err = vigil_meter_read_all(m, show_one, &ctx);
	if (err == SHOW_FOUND)
		err = 0;
	if (!ctx.id)
		close_json_array();
	vigil_meter_close(m);
	if (err) {
		p_err("reading the pinned maps in %s: %s", vigil_global.pin_dir, strerror(-err));
		return CLI_FAIL;
	}
	if (ctx.id && !ctx.found) {
		p_err("no workload \"%s\" in the meter (pinned in %s)", ctx.id,
		      vigil_global.pin_dir);
		return CLI_FAIL;
	}
	if (!ctx.id && !ctx.found)
		print_text("No workloads are metered.\n");
	return CLI_OK;
}

static const struct cmd usage_cmds[] = {
	{ "show", do_usage_show },
	{ "list", do_usage_show },
	{ "help", do_usage_help },
	{ NULL, NULL },
};

int do_usage(int argc, char **argv)
{
	return cmd_dispatch(usage_cmds, USAGE_PATH, "command", argc - 1, argv + 1);
}
