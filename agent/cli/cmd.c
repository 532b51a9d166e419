// SPDX-License-Identifier: GPL-2.0-or-later
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "print.h"

int cmd_lookup(const struct cmd *cmds, const char *word, char *candidates, size_t candidates_len)
{
	size_t word_len = strlen(word);
	int found = -ENOENT;
	int matches = 0;
	size_t used = 0;

	if (candidates && candidates_len)
		candidates[0] = '\0';
	if (word_len == 0)
		return -ENOENT;
	for (int i = 0; cmds[i].name; i++) {
		if (strcmp(cmds[i].name, word) == 0)
			return i;
	}
	for (int i = 0; cmds[i].name; i++) {
		if (strncmp(cmds[i].name, word, word_len) != 0)
			continue;
		found = i;
		matches++;
		if (candidates && used < candidates_len) {
			int n = snprintf(candidates + used, candidates_len - used, "%s\"%s\"",
					 matches > 1 ? ", " : "", cmds[i].name);
			if (n > 0)
				used += (size_t)n;
		}
	}
	return matches > 1 ? -EINVAL : found;
}

int cmd_dispatch(const struct cmd *cmds, const char *path, const char *kind, int argc, char **argv)
{
	char hint[128];
	char candidates[256];
	int idx;

	snprintf(hint, sizeof(hint), "%s help", path);
	if (argc < 1)
		return p_usage(hint, "%s: missing %s", path, kind);
	idx = cmd_lookup(cmds, argv[0], candidates, sizeof(candidates));
	if (idx == -EINVAL)
		return p_usage(hint, "%s: \"%s\" is ambiguous: could be %s", path, argv[0],
			       candidates);
	if (idx < 0)
		return p_usage(hint, "%s: unknown %s \"%s\"", path, kind, argv[0]);
	optind = 0; /* each handler runs getopt afresh over its own argv */
	return cmds[idx].func(argc, argv);
}

int cmd_getopt(int argc, char **argv, const char *path, const char *help, const char *shortopts,
	       const struct option *longopts)
{
	char spec[64];
	int c;

	/* '+': stop at the first operand; ':': report a missing argument apart */
	snprintf(spec, sizeof(spec), "+:%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c != '?' && c != ':')
		return c;

	if (c == ':')
		p_usage(help, "%s: option \"%s\" needs an argument", path, argv[optind - 1]);
	else if (optopt)
		p_usage(help, "%s: unknown option \"-%c\"", path, optopt);
	else
		p_usage(help, "%s: unknown option \"%s\"", path, argv[optind - 1]);
	return CMD_OPT_ERROR;
}

int cmd_no_more_args(int argc, char **argv, const char *path, const char *help)
{
	if (optind >= argc)
		return CLI_OK;
	return p_usage(help, "%s: unexpected argument \"%s\"", path, argv[optind]);
}
