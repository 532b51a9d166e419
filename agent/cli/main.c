// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "bpf_log.h"
#include "objects.h"
#include "print.h"

static void debug_sink(const char *msg)
{
	fputs(msg, stderr);
}

struct global_opts vigil_global;

int main(int argc, char **argv)
{
	struct global_opts opts;
	char err[128];
	int next, status;

	status = parse_global_opts(argc, argv, &opts, &next, err, sizeof(err));
	if (output_init(opts.json, opts.pretty) < 0) {
		fprintf(stderr, "Error: cannot set up output\n");
		return CLI_FAIL;
	}
	vigil_bpf_log_install(opts.debug ? debug_sink : NULL);
	vigil_global = opts;

	if (status != CLI_OK)
		status = p_usage("vigil help", "vigil: %s", err);
	else if (opts.version)
		status = do_version(1, (char *[]){ "version", NULL });
	else if (opts.help)
		status = do_help(1, (char *[]){ "help", NULL });
	else
		status = cmd_dispatch(vigil_objects, "vigil", "object", argc - next, argv + next);
	return output_finish(status);
}
