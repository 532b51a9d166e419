/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_OBJECTS_H
#define VIGIL_CLI_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"

/* Top-level objects and commands of `vigil`, one file each. */
int do_feature(int argc, char **argv);
int do_usage(int argc, char **argv);
int do_prog(int argc, char **argv);
int do_map(int argc, char **argv);
int do_net(int argc, char **argv);
int do_ledger(int argc, char **argv);
int do_top(int argc, char **argv);
int do_volume(int argc, char **argv);
int do_version(int argc, char **argv);
int do_workload(int argc, char **argv);
int do_help(int argc, char **argv);

extern const struct cmd vigil_objects[];

/* Global options, parsed before the object. */
struct global_opts {
	bool json;
	bool pretty;
	bool debug;
	bool help;
	bool version;
	/* vigild's control socket and the pinned BPF objects */
	const char *socket_path;
	const char *pin_dir;
	/* how long a request to vigild may take, in seconds */
	unsigned int timeout_sec;
};

#define VIGIL_CLI_DEFAULT_TIMEOUT 60
#define VIGIL_CLI_MAX_TIMEOUT	  86400

/* The global options of this run, for commands to read. */
extern struct global_opts vigil_global;

/*
 * Parses the options before OBJECT; *ret_next is the index of the object.
 * Returns 0, or CLI_USAGE after reporting the error (once the output mode
 * is known, so a JSON caller gets a JSON error).
 */
int parse_global_opts(int argc, char **argv, struct global_opts *ret, int *ret_next, char *err,
		      size_t err_len);

#endif
