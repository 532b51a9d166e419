/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_CMD_H
#define VIGIL_CLI_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Command tables in the style of bpftool: a word selects an entry by its
 * full name or by an unambiguous prefix. Handlers get argv[0] = their own
 * word, so they can run getopt over the rest, and return a CLI_* status.
 */
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

/*
 * Finds `word` in the table (ended by a NULL name). Returns the entry index,
 * -ENOENT when nothing matches, or -EINVAL when the prefix matches several
 * entries; then `candidates` (if given) lists them: "prog", "probe".
 */
int cmd_lookup(const struct cmd *cmds, const char *word, char *candidates, size_t candidates_len);

/*
 * Runs the entry named by argv[0] from `cmds`. "-h" or "--help" in its
 * place, or among a command's arguments (`kind` "command"; an object reads
 * its own), runs the table's "help" instead, so help reads the same at
 * every level. An unknown word names the nearest entry when one is close
 * ("did you mean"). `path` names the level for
 * messages ("vigil", "vigil feature"), `kind` what its words select ("object",
 * "command"); usage errors point at "PATH help".
 */
int cmd_dispatch(const struct cmd *cmds, const char *path, const char *kind, int argc, char **argv);

/*
 * getopt_long over a command's own arguments. `path` is the command
 * ("vigil feature probe"), `help` the command that explains it. Returns the
 * option character, -1 at the end of options, or CMD_OPT_ERROR after
 * reporting an unknown option or a missing argument.
 */
#define CMD_OPT_ERROR (-2)
int cmd_getopt(int argc, char **argv, const char *path, const char *help, const char *shortopts,
	       const struct option *longopts);

/*
 * CLI_OK when running as root; else reports that `path` needs root, for
 * `why` ("it loads BPF programs (CAP_BPF)"), and returns CLI_FAIL.
 */
int cmd_require_root(const char *path, const char *why);

/* Reports arguments left over after a command's options: CLI_OK or CLI_USAGE. */
int cmd_no_more_args(int argc, char **argv, const char *path, const char *help);

#endif
