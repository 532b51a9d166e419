/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JAIL_H
#define VIGIL_JAIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "jail_seccomp.h"
#include "jail_spec.h"

/*
 * The jail of a workload. The daemon makes a plan (jail_plan.c: every path,
 * node, id and limit worked out, allocations done), then clone3() starts a
 * child in new mount, PID, IPC, UTS and, unless it joins the veth's, network
 * namespaces, inside the workload's cgroup, and the child carries the plan
 * out (jail_exec.c) with system calls only, step by step:
 *
 *   namespaces  the veth's network namespace joined, a cgroup namespace,
 *               the hostname
 *   filesystem  a private tmpfs root: the host's /usr, /etc and the /bin,
 *               /sbin, /lib* links or binds read-only, its own /proc, a
 *               minimal /dev, a private /tmp and /dev/shm, the declared
 *               ro_paths and rw_paths, the runtime directory when asked
 *               for; pivot_root into it, the old root
 *               detached, the root read-only
 *   identity    the workload's uid and gid, no supplementary groups
 *   privilege   every capability dropped from every set, the bounding and
 *               ambient sets included, securebits locked, no_new_privs,
 *               rlimits, only the handed descriptors left open
 *   seccomp     the profile's filter, last
 *   exec        the child, now the namespace's init, forks the workload and
 *               stays as its reaper: it forwards signals to it, reaps
 *               orphans, and reports the workload's wait status to the
 *               daemon before it exits (taking the rest of the namespace
 *               with it)
 *
 * A step that fails ends the start with the step's name and the errno.
 */

enum vigil_jail_step {
	VIGIL_JAIL_STEP_NAMESPACES,
	VIGIL_JAIL_STEP_FILESYSTEM,
	VIGIL_JAIL_STEP_IDENTITY,
	VIGIL_JAIL_STEP_PRIVILEGE,
	VIGIL_JAIL_STEP_SECCOMP,
	VIGIL_JAIL_STEP_EXEC,
};

const char *vigil_jail_step_name(enum vigil_jail_step step);

/* One step of making the private root. */
enum vigil_jail_op_kind {
	VIGIL_JOP_DIR,	   /* a directory (mode); one that exists is kept */
	VIGIL_JOP_FILE,	   /* an empty file, for a file to be bound on */
	VIGIL_JOP_SYMLINK, /* path -> target */
	VIGIL_JOP_BIND,	   /* the detached mount tree tree_fd moved onto path */
	VIGIL_JOP_TMPFS,   /* a tmpfs on path: flags and options */
	VIGIL_JOP_PROC,	   /* this PID namespace's proc on path */
	VIGIL_JOP_NODE,	   /* a device node (mode with its type, rdev), owned by uid and gid */
};

struct vigil_jail_op {
	enum vigil_jail_op_kind kind;
	/* absolute, under the plan's root_dir, as the child sees it before pivot_root */
	char *path;
	/* SYMLINK: the target; TMPFS: the mount options */
	char *arg;
	/*
	 * BIND: a detached copy of the host path's mount (open_tree()
	 * OPEN_TREE_CLONE in the daemon's mount namespace, its MOUNT_ATTR_*
	 * set): a path opened before the namespace was made cannot be bound
	 * from inside it, a detached tree can be moved there.
	 */
	int tree_fd;
	unsigned long flags; /* TMPFS, PROC: MS_* */
	mode_t mode;
	dev_t rdev;
	uid_t uid;
	gid_t gid;
};

struct vigil_jail_plan {
	/* the veth's network namespace to join, or -1 (clone3 made a new one) */
	int netns_fd;
	char hostname[64];
	/* an empty directory of the daemon's, mounted on in the child's namespace only */
	char root_dir[PATH_MAX];
	struct vigil_jail_op *ops;
	size_t n_ops, cap_ops;
	uid_t uid;
	gid_t gid;
	/* the highest capability this kernel knows, from /proc/sys/kernel/cap_last_cap */
	int cap_last;
	struct rlimit nofile, nproc, core;
	/* handed to the workload as VIGIL_TAP_FD, or -1 */
	int handed_fd;
	/* where the reaper writes the workload's wait status; the daemon reads the other end */
	int status_fd;
	const struct vigil_seccomp_filter *filter;
	/* the command as the jail sees it, and its arguments and environment */
	char exec_path[PATH_MAX];
	char *const *argv;
	char *envp[4];
};

struct vigil_jail_opts {
	const struct vigil_jail_spec *jail;
	const char *id;
	uid_t uid;
	gid_t gid;
	/* bounds the private /tmp and /dev/shm */
	unsigned int memory_mib;
	const char *root_dir;
	const char *const *image_dirs;
	size_t n_image_dirs;
	int netns_fd;
	int handed_fd;
	int status_fd;
	const struct vigil_seccomp_filter *filter;
	/* expanded; argv[0] is searched in the jail's PATH unless it has a slash */
	char *const *argv;
	/* the runtime directory, VIGIL_JAIL_RUN_DIR, for the QMP socket */
	bool runtime_dir;
	/*
	 * Its volume, the only block device it gets: the node's path in the
	 * jail ("/dev/mapper/vigil-<id>") and the mapping's device; NULL: none.
	 */
	const char *block_path;
	unsigned int block_major, block_minor;
};

/* The runtime directory: a socket or two, never the workload's data. */
#define VIGIL_JAIL_RUN_SIZE   "1m"
#define VIGIL_JAIL_RUN_INODES 64

/* Limits in the jail (README, "The jail"). */
#define VIGIL_JAIL_NOFILE 4096
#define VIGIL_JAIL_NPROC  1024

/*
 * Makes the plan. -errno with err saying what (a declared path that cannot
 * be opened beneath its directory, a command that is not in the jail);
 * the plan owns the mount trees it made, not the descriptors of `o`.
 */
int vigil_jail_plan_make(const struct vigil_jail_opts *o, struct vigil_jail_plan **ret, char *err,
			 size_t len);
void vigil_jail_plan_free(struct vigil_jail_plan *p);

/* The PATH a jailed workload gets, searched for a command without a slash. */
#define VIGIL_JAIL_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The command `argv0` as the jail of `j` finds it: searched in
 * VIGIL_JAIL_PATH unless it has a slash, and then seen by the jail (under
 * the host's system directories, or a declared path). -ENOENT when it is
 * not found, -EACCES when the jail would not see it.
 */
int vigil_jail_command(const struct vigil_jail_spec *j, const char *argv0, char *ret, size_t len);

/*
 * How the child reports a failed step on the report pipe: the step, the
 * errno and, for the filesystem, the index of the op that failed (-1).
 */
struct vigil_jail_report {
	int step;
	int err;
	int op;
};

/*
 * Runs in the child of clone3: carries out the plan and becomes the
 * reaper. Never returns: on failure it writes a report to `report_fd` and
 * exits 127. Async-signal-safe.
 */
void vigil_jail_enter(const struct vigil_jail_plan *p, int report_fd) __attribute__((noreturn));

#endif
