/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real vigild for end-to-end suites: a private state dir, socket, bpffs
 * and cgroup parent, started by an unchecked fixture (vf_make_env) in the
 * parent process and torn down by vf_remove_env even when a test fails, and
 * driven through the real `vigil` CLI.
 */
#ifndef VIGIL_VIGILD_FIXTURE_H
#define VIGIL_VIGILD_FIXTURE_H

#include <check.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

struct vigild_fixture {
	const char *suite;
	char scratch[PATH_MAX];
	char bpffs[PATH_MAX];
	char state[PATH_MAX];
	char sock[PATH_MAX];
	char netns_dir[PATH_MAX];
	char log_path[PATH_MAX];
	/* a second --image-dir of vigild's, for files a test makes for its jails */
	char images[PATH_MAX];
	char parent_name[64];
	char parent[PATH_MAX];
	char max_arg[16];
	char listen[64];
	/* more options for vigild, NULL-terminated */
	const char *extra_args[16];
	/* nonzero: the state directory is a tmpfs of this size, for a test to fill */
	unsigned int state_tmpfs_mib;
	/* run in vigild's process before it execs (stderr is the log already) */
	void (*before_exec)(void);
	struct vigil_cgroup2 cg2;
};

extern struct vigild_fixture vf;

/* What every vigild suite needs, checked in main(): root and cgroup v2 (exit 77, saying which). */
void vf_require(const char *suite);
const char *vf_vigild_bin(void);
/* `name`-PID: ids no other suite run uses */
void vf_id_of(char *buf, size_t len, const char *name);
/*
 * Starts vigild, from the fixture or from a test's own process, and lists
 * it in the scratch directory: the teardown stops every vigild listed.
 */
pid_t vf_spawn_vigild(void);
/* The newest vigild's pid (the test fails when none was started). */
pid_t vf_vigild_pid(void);
/* Waits for vigild to answer; false when it does not within 20 s. */
bool vf_vigild_up(void);
/* kill -9 of the newest vigild (no clean-up at all); asserts it is gone, every thread. */
void vf_stop_vigild_hard(void);
/* SIGTERM to the newest vigild; asserts it is gone, every thread, within 10 s. */
void vf_stop_vigild(void);
/* Deletes vigil's tables from the host's namespace; false (and says which) if one stays. */
bool vf_delete_tables(void);
/* Unchecked fixtures; the teardown aborts if a vigild or a table outlives it. */
void vf_make_env(void);
void vf_remove_env(void);
/* `vigil -j --socket S workload A1 [A2]`: the parsed output and the exit status. */
struct json_object *vf_wl_cmd(int *status, const char *a1, const char *a2);
/* `vigil workload CMD ID`, asserting it worked. */
void vf_wl_ok(const char *cmd, const char *id);
const char *vf_jstr(struct json_object *o, const char *key);
int64_t vf_jint(struct json_object *o, const char *key);
void vf_write_file(const char *path, const char *text);
/* Creates from `text`; returns the exit status, the error (if any) in err. */
int vf_create(const char *text, char *err, size_t len);
/*
 * Creates a workload of `command`, jailed, with this suite's own binary in
 * its jail (jail.ro_paths): a suite re-executes itself as a workload.
 */
void vf_create_ok(const char *id, const char *command);
/* This suite's binary, and its directory (vigild's --image-dir). */
const char *vf_self(void);
const char *vf_self_dir(void);
struct json_object *vf_show(const char *id);
const char *vf_state_of(struct json_object *o);

/* The last ledger record of workload `id` (from vigild's state dir), parsed. */
struct json_object *vf_last_record(const char *id);

/* <state>/logs/<id>.log, the workload's output; NULL when there is none. Free it. */
char *vf_workload_log(const char *id);
/*
 * Waits up to `seconds` for workload `id` to be in `state`, failing the test
 * if it is not; returns its `show`, for the caller to put.
 */
struct json_object *vf_wait_state(const char *id, const char *state, double seconds);

/* Waits up to `seconds` for the output of workload `id` to hold `what`. */
bool vf_wait_log(const char *id, const char *what, double seconds);

/* A connection to vigild's control socket, as a client of its own would open it. */
int vf_control_connect(void);
/* One request on a connection of its own, sent (and ended) now; the reply is read later. */
int vf_send_request(const char *req);
/* Everything vigild sends on `fd` (up to 4095 bytes) until it closes it, within `ms`. Free it. */
char *vf_reply_within(int fd, int ms);
/* `vigil workload list`: how long it took in ms, asserting it worked. */
double vf_list_ms(void);

/* The HTTP port the running vigild logged (it listens on port 0: the kernel's pick). */
unsigned int vf_http_port(void);

/* A test case of its own: its own vigild, made and removed by `setup`/`teardown`. */
void vf_add_case(Suite *s, const char *name, const TTest *test, void (*setup)(void),
		 void (*teardown)(void));

#endif
