/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_REGISTRY_H
#define VIGIL_REGISTRY_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "workload_spec.h"

/*
 * The workload registry: one file per workload, <state>/workloads/<id>.json,
 * each replaced atomically (written to a temporary file, fsynced, renamed
 * over, and the directory fsynced), so a crash leaves either the old record
 * or the new one, plus at worst a stray temporary file.
 *
 * A deleted workload keeps its record (state "deleted") and its slot (marked
 * VIGIL_SLOT_DELETED in the BPF slot map, counters kept) until its usage has
 * been exported; only purging the record frees the id and the slot, so an
 * id is never reused while usage under it is still unexported.
 */
enum vigil_workload_state {
	VIGIL_WL_CREATED,
	VIGIL_WL_RUNNING,
	VIGIL_WL_STOPPED,
	VIGIL_WL_DELETED,
};

/*
 * A stop or delete under way, recorded before it begins: a vigild killed
 * in the middle finishes it at its next start, so an interrupted delete
 * completes instead of bringing the workload back.
 */
enum vigil_workload_pending {
	VIGIL_PENDING_NONE,
	VIGIL_PENDING_STOP,
	VIGIL_PENDING_DELETE,
};

struct vigil_workload {
	struct vigil_workload_spec spec;
	uint32_t slot;
	enum vigil_workload_state state;
	enum vigil_workload_pending pending;
	pid_t pid;	 /* main process while running, last one after */
	bool has_exit;	 /* exit_status is known (our own child) */
	int exit_status; /* the exit code, or 128 + the signal that killed it */
	int exit_signal; /* that signal, or 0 */
	uint32_t uid;	 /* jailed: its uid and gid, from vigild's range at create */
	/* when its current or last run began; 0: never started */
	uint64_t started_unix_ns;
	/* the restart policy's: restarts since the admin's last start */
	uint32_t restarts;
	/* the back-off before the last restart (the next one doubles it) */
	uint32_t restart_delay_ms;
	/* a restart is due then (the state is stopped); 0: none is scheduled */
	uint64_t restart_due_unix_ns;
	/*
	 * It was to run, but its volume is closed (the host rebooted): it waits
	 * for the tenant's key, which only a start request brings.
	 */
	bool volume_wants_key;
	/* the delete under way keeps its volume */
	bool keep_volume;
	char cgroup[PATH_MAX];
	uint64_t cgroup_id;
	uint64_t created_unix_ns;
	/* veth mode */
	char host_ifname[IF_NAMESIZE];
	int ifindex;
	char netns[PATH_MAX];
};

const char *vigil_workload_state_name(enum vigil_workload_state s);
/*
 * What the record says the workload is doing: "stopping" or "deleting" while
 * one is pending, "restarting" while a restart is due, "waiting" while it
 * waits for its volume's key, else its state.
 */
const char *vigil_workload_record_state(const struct vigil_workload *r);
/* "stop", "delete"; NULL for none */
const char *vigil_workload_pending_name(enum vigil_workload_pending p);
/*
 * How it ended, in words: "exited with status 3", "killed by SIGTERM",
 * "killed by SIGSYS (seccomp)"; "" when not known. A static buffer.
 */
const char *vigil_workload_exit_reason(const struct vigil_workload *w);

struct json_object *vigil_workload_to_json(const struct vigil_workload *w);
int vigil_workload_from_json(struct json_object *obj, struct vigil_workload *ret, char *err,
			     size_t err_len);

/* Creates <state_dir>/workloads when missing. */
int vigil_registry_init(const char *state_dir);
int vigil_registry_save(const char *state_dir, const struct vigil_workload *w);
/* Removes the record (undoing a create, or purging); -ENOENT when there is none. */
int vigil_registry_remove(const char *state_dir, const char *id);

/*
 * Calls `fn` for each record, in no particular order; `fn` owns the record.
 * Files that cannot be used (a crash left a temporary file, a record is
 * unreadable or invalid) are moved aside to <name>.broken, and `bad` is told
 * what and why, so the caller can log it. A non-zero return from `fn` stops.
 */
typedef int (*vigil_registry_fn)(struct vigil_workload *w, void *ctx);
typedef void (*vigil_registry_bad_fn)(const char *file, const char *reason, void *ctx);
int vigil_registry_load(const char *state_dir, vigil_registry_fn fn, vigil_registry_bad_fn bad,
			void *ctx);

#endif
