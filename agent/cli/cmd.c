// SPDX-License-Identifier: GPL-2.0-or-later
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static bool is_help_option(const char *word)
{
	return strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0;
}

/* Whether a command's arguments ask for help (before a "--"). */
static bool asks_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (is_help_option(argv[i]))
			return true;
	return false;
}

/* Edit distance with adjacent transpositions ("worklaod"), capped: short words only. */
static int word_distance(const char *a, const char *b)
{
	enum { MAX = 32 };
	int d[MAX + 1][MAX + 1];
	int la = (int)strlen(a), lb = (int)strlen(b);

	if (la > MAX || lb > MAX)
		return MAX;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++) {
		for (int j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The entry nearest to `word`, if it is near enough to be a slip (2 edits, 1 for short words). */
static const char *nearest(const struct cmd *cmds, const char *word)
{
	int best = strlen(word) <= 3 ? 2 : 3;
	const char *found = NULL;

	for (int i = 0; cmds[i].name; i++) {
		int d = word_distance(word, cmds[i].name);

		if (d < best) {
			best = d;
			found = cmds[i].name;
		}
	}
	return found;
}

static int run_help(const struct cmd *cmds, const char *hint)
{
	int idx = cmd_lookup(cmds, "help", NULL, 0);
	char *help_argv[] = { "help", NULL };

	if (idx < 0)
		return p_usage(hint, "no help here");
	optind = 0;
	return cmds[idx].func(1, help_argv);
}

int cmd_dispatch(const struct cmd *cmds, const char *path, const char *kind, int argc, char **argv)
{
	char hint[128];
	char candidates[256];
	const char *near;
	int idx;

	snprintf(hint, sizeof(hint), "%s help", path);
	if (argc < 1)
		return p_usage(hint, "%s: missing %s", path, kind);
	if (is_help_option(argv[0]))
		return run_help(cmds, hint);
	idx = cmd_lookup(cmds, argv[0], candidates, sizeof(candidates));
	if (idx == -EINVAL)
		return p_usage(hint, "%s: \"%s\" is ambiguous: could be %s", path, argv[0],
			       candidates);
	if (idx < 0 && (near = nearest(cmds, argv[0])))
		return p_usage(hint, "%s: unknown %s \"%s\" (did you mean \"%s\"?)", path, kind,
			       argv[0], near);
	if (idx < 0)
		return p_usage(hint, "%s: unknown %s \"%s\"", path, kind, argv[0]);
	if (strcmp(kind, "object") && asks_help(argc, argv))
		return run_help(cmds, hint);
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

int cmd_require_root(const char *path, const char *why)
{
	if (geteuid() == 0)
		return CLI_OK;
	p_err("%s needs root: %s; run it as root (sudo)", path, why);
	return CLI_FAIL;
}
