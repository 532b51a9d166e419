// SPDX-License-Identifier: GPL-2.0-or-later
#include "objects.h"
#include "paths.h"
#include "print.h"

const struct cmd vigil_objects[] = {
	{ "feature", do_feature }, { "workload", do_workload }, { "usage", do_usage },
	{ "prog", do_prog },	   { "map", do_map },		{ "net", do_net },
	{ "volume", do_volume },   { "ledger", do_ledger },	{ "top", do_top },
	{ "version", do_version }, { "help", do_help },		{ NULL, NULL },
};

int do_help(int argc, char **argv)
{
	/* "vigil help OBJECT": what "vigil OBJECT help" says */
	if (argc > 1) {
		char *object_argv[] = { argv[1], "--help", NULL };

		if (argc > 2)
			return p_usage("vigil help", "vigil help: unexpected argument \"%s\"",
				       argv[2]);
		return cmd_dispatch(vigil_objects, "vigil", "object", 2, object_argv);
	}
	print_help(
		"Usage: vigil [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       vigil help [OBJECT] | vigil OBJECT help | vigil OBJECT -h\n"
		"       vigil version\n"
		"\n"
		"OBJECT := { feature | workload | usage | prog | map | net | volume | ledger | top }\n"
		"OPTIONS := { -j|--json | -p|--pretty | -d|--debug | -h|--help | -V|--version |\n"
		"             -s|--socket PATH | --pin-dir PATH | --timeout SECONDS }\n"
		"\n"
		"  -j, --json     print one JSON document on stdout, errors included\n"
		"  -p, --pretty   indented JSON (implies --json)\n"
		"  -d, --debug    show libbpf's debug messages on stderr\n"
		"  -s, --socket   vigild's control socket (default " VIGIL_DEFAULT_SOCKET ")\n"
		"  --pin-dir      the pinned BPF objects (default " VIGIL_DEFAULT_PIN_DIR ")\n"
		"  --timeout      how long to wait for vigild's answer (default 60 s)\n"
		"\n"
		"Objects and commands may be abbreviated to an unambiguous prefix.\n"
		"'vigil OBJECT help', 'vigil help OBJECT', -h and --help anywhere in a command\n"
		"show an object's commands.\n");
	return CLI_OK;
}
