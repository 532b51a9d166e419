// SPDX-License-Identifier: GPL-2.0-or-later
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bpf_map.h"
#include "bpf_walk.h"
#include "map_dump.h"
#include "objects.h"
#include "pin.h"
#include "print.h"
#include "units.h"

#define SHOW_PATH MAP_PATH " show"
#define MAX_PINS  64

static int do_map_help(int argc, char **argv)
{
	print_help("Usage: vigil map show\n"
		   "       vigil map dump NAME [--all]\n"
		   "       vigil map help\n"
		   "\n"
		   "show  lists vigil's BPF maps in the kernel (names starting with vigil_):\n"
		   "      id, type, name, key and value sizes, entries, pin, memory\n"
		   "dump  prints the entries of the map pinned as NAME in the pin directory\n"
		   "      (vigil_usage, vigil_mem, vigil_slots, vigil_cg_slot, vigil_if_slot,\n"
		   "      vigil_private_v4, vigil_private_nets...), decoded; per-CPU maps\n"
		   "      per CPU and summed.\n"
		   "      Unused array entries are left out unless --all is given.\n");
	return CLI_OK;
}

struct show_ctx {
	struct vigil_pin pins[MAX_PINS];
	int n_pins;
	int count;
};

static int show_map(int fd, const union vigil_bpf_info *any, void *arg)
{
	const struct bpf_map_info *info = &any->map;
	struct show_ctx *ctx = arg;
	const char *type = libbpf_bpf_map_type_str(info->type);
	char path[PATH_MAX], buf[32];
	uint64_t memlock;

	ctx->count++;
	open_json_object(NULL);
	print_u64(PRINT_ANY, "id", "%llu: ", info->id);
	print_string(PRINT_ANY, "type", "%s  ", type ? type : "unknown");
	print_string(PRINT_ANY, "name", "name %s  ", info->name);
	print_u64(PRINT_ANY, "key_size", "key %lluB  ", info->key_size);
	print_u64(PRINT_ANY, "value_size", "value %lluB  ", info->value_size);
	print_u64(PRINT_ANY, "max_entries", "max_entries %llu", info->max_entries);
	if (vigil_map_memlock(fd, &memlock) == 0) {
		print_u64(PRINT_JSON, "memlock_bytes", NULL, memlock);
		print_text("  memlock %s", fmt_bytes(buf, sizeof(buf), memlock));
	}
	print_text("\n");
	open_json_array("pinned");
	for (int i = 0; i < ctx->n_pins; i++) {
		if (ctx->pins[i].kind != VIGIL_PIN_MAP || ctx->pins[i].id != info->id)
			continue;
		snprintf(path, sizeof(path), "%s/%s", vigil_global.pin_dir, ctx->pins[i].name);
		print_string(PRINT_ANY, NULL, "\tpinned %s\n", path);
	}
	close_json_array();
	close_json_object();
	return 0;
}

static int do_map_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_ctx ctx = { 0 };
	int c, err;

	while ((c = cmd_getopt(argc, argv, SHOW_PATH, MAP_HELP, "h", longopts)) != -1) {
		if (c == 'h')
			return do_map_help(argc, argv);
		return CLI_USAGE;
	}
	err = cmd_no_more_args(argc, argv, SHOW_PATH, MAP_HELP);
	if (err != CLI_OK)
		return err;
	/* no pin dir: the maps are still listed, without pins */
	ctx.n_pins = vigil_pins_scan(vigil_global.pin_dir, ctx.pins, MAX_PINS);
	if (ctx.n_pins < 0)
		ctx.n_pins = 0;
	open_json_array(NULL);
	err = vigil_bpf_walk(VIGIL_BPF_MAP, "vigil_", show_map, &ctx);
	close_json_array();
	if (err) {
		p_err("listing BPF maps%s: %s",
		      err == -EPERM || err == -EACCES ? " needs root (CAP_SYS_ADMIN)" : "",
		      strerror(-err));
		return CLI_FAIL;
	}
	if (!ctx.count)
		print_text("No vigil maps are loaded.\n");
	return CLI_OK;
}

static const struct cmd map_cmds[] = {
	{ "show", do_map_show }, { "list", do_map_show }, { "dump", do_map_dump },
	{ "help", do_map_help }, { NULL, NULL },
};

int do_map(int argc, char **argv)
{
	return cmd_dispatch(map_cmds, MAP_PATH, "command", argc - 1, argv + 1);
}
