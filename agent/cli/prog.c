// SPDX-License-Identifier: GPL-2.0-or-later
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bpf_prog.h"
#include "bpf_walk.h"
#include "objects.h"
#include "pin.h"
#include "print.h"

#define PROG_PATH "vigil prog"
#define PROG_HELP PROG_PATH " help"
#define SHOW_PATH PROG_PATH " show"
#define MAX_PINS  64

static int do_prog_help(int argc, char **argv)
{
	print_help("Usage: vigil prog show\n"
		   "       vigil prog help\n"
		   "\n"
		   "Lists vigil's BPF programs loaded in the kernel (names starting with\n"
		   "vigil_): id, type, name, tag, load time, the pin that keeps each one\n"
		   "attached, and run counts and run time when kernel.bpf_stats_enabled is 1\n"
		   "(sysctl kernel.bpf_stats_enabled=1; it costs a little on every run).\n");
	return CLI_OK;
}

struct show_ctx {
	bool stats;
	struct vigil_pin pins[MAX_PINS];
	int n_pins;
	int count;
};

/* load_time is in ns since boot; wall time is what an admin can read */
static void format_load_time(__u64 load_time, char *buf, size_t len)
{
	struct timespec real, boot;
	time_t when;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	when = real.tv_sec - boot.tv_sec + (time_t)(load_time / 1000000000ull);
	gmtime_r(&when, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_pins(const struct show_ctx *ctx, __u32 prog_id)
{
	char path[PATH_MAX];

	open_json_array("pinned");
	for (int i = 0; i < ctx->n_pins; i++) {
		const struct vigil_pin *p = &ctx->pins[i];

		if (!((p->kind == VIGIL_PIN_LINK && p->prog_id == prog_id) ||
		      (p->kind == VIGIL_PIN_PROG && p->id == prog_id)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", vigil_global.pin_dir, p->name);
		print_string(PRINT_ANY, NULL, "\tpinned %s\n", path);
	}
	close_json_array();
}

static int show_prog(int fd, const union vigil_bpf_info *any, void *arg)
{
	const struct bpf_prog_info *info = &any->prog;
	struct show_ctx *ctx = arg;
	const char *type = libbpf_bpf_prog_type_str(info->type);
	char name[128], tag[2 * BPF_TAG_SIZE + 1], loaded[32];

	ctx->count++;
	vigil_prog_full_name(fd, info, name, sizeof(name));
	for (int i = 0; i < BPF_TAG_SIZE; i++)
		snprintf(tag + 2 * i, 3, "%02x", info->tag[i]);
	format_load_time(info->load_time, loaded, sizeof(loaded));

	open_json_object(NULL);
	print_u64(PRINT_ANY, "id", "%llu: ", info->id);
	print_string(PRINT_ANY, "type", "%s  ", type ? type : "unknown");
	print_string(PRINT_ANY, "name", "name %s  ", name);
	print_string(PRINT_ANY, "tag", "tag %s\n", tag);
	print_string(PRINT_ANY, "loaded_at", "\tloaded_at %s", loaded);
	print_bool(PRINT_JSON, "stats_enabled", NULL, ctx->stats, NULL, NULL);
	if (ctx->stats) {
		print_u64(PRINT_ANY, "run_cnt", "  run_cnt %llu", info->run_cnt);
		print_u64(PRINT_ANY, "run_time_ns", "  run_time_ns %llu", info->run_time_ns);
		print_u64(PRINT_ANY, "avg_ns_per_run", "  avg %llu ns/run",
			  info->run_cnt ? info->run_time_ns / info->run_cnt : 0);
	}
	print_text("\n");
	print_pins(ctx, info->id);
	close_json_object();
	return 0;
}

static int do_prog_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_ctx ctx = { 0 };
	int c, err, stats;

	while ((c = cmd_getopt(argc, argv, SHOW_PATH, PROG_HELP, "h", longopts)) != -1) {
		if (c == 'h')
			return do_prog_help(argc, argv);
		return CLI_USAGE;
	}
	err = cmd_no_more_args(argc, argv, SHOW_PATH, PROG_HELP);
	if (err != CLI_OK)
		return err;
	stats = vigil_bpf_stats_enabled();
	ctx.stats = stats == 1;
	/* no pin dir: the programs are still listed, without pins */
	ctx.n_pins = vigil_pins_scan(vigil_global.pin_dir, ctx.pins, MAX_PINS);
	if (ctx.n_pins < 0)
		ctx.n_pins = 0;
	open_json_array(NULL);
	err = vigil_bpf_walk(VIGIL_BPF_PROG, "vigil_", show_prog, &ctx);
	close_json_array();
	if (err == -EPERM || err == -EACCES) {
		p_err("listing BPF programs needs root (CAP_SYS_ADMIN): %s", strerror(-err));
		return CLI_FAIL;
	}
	if (err) {
		p_err("listing BPF programs: %s", strerror(-err));
		return CLI_FAIL;
	}
	if (!ctx.count)
		print_text("No vigil programs are loaded.\n");
	if (!ctx.stats)
		p_info("run counts are off (kernel.bpf_stats_enabled is %s); enable them with "
		       "`sysctl kernel.bpf_stats_enabled=1`",
		       stats == 0 ? "0" : "unreadable");
	return CLI_OK;
}

static const struct cmd prog_cmds[] = {
	{ "show", do_prog_show },
	{ "list", do_prog_show },
	{ "help", do_prog_help },
	{ NULL, NULL },
};

int do_prog(int argc, char **argv)
{
	return cmd_dispatch(prog_cmds, PROG_PATH, "command", argc - 1, argv + 1);
}
