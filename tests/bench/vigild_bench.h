/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private vigild for benchmarks: its own scratch directory (state dir,
 * socket, bpffs) and cgroup parent, removed with every workload at the end.
 */
#ifndef VIGIL_VIGILD_BENCH_H
#define VIGIL_VIGILD_BENCH_H

#include <json-c/json.h>
#include <limits.h>
#include <sys/types.h>

struct vigild_bench {
	const char *name; /* the benchmark's, for messages */
	char scratch[PATH_MAX];
	char bpffs[PATH_MAX];
	char sock[PATH_MAX];
	char state[PATH_MAX];
	char parent_name[64];
	char parent[PATH_MAX];
	char log[PATH_MAX];
	pid_t pid;
};

/* Makes the paths and starts vigild with `extra` options (NULL-terminated); -1 on failure. */
int vigild_bench_start(struct vigild_bench *b, const char *name, const char *const *extra);
/* One request (`spec` consumed); 0, or -EIO when vigild answered with an error. */
int vigild_bench_call(const struct vigild_bench *b, const char *cmd, const char *id,
		      struct json_object *spec);
/* A process workload's spec: `sleep 3600`, jailed. */
struct json_object *vigild_bench_spec(const char *id);
/*
 * Stops vigild, kills what is left in its cgroup parent, removes everything.
 * -1 when vigild did not exit 0 or a sanitizer reported in its log.
 */
int vigild_bench_stop(struct vigild_bench *b);

#endif
