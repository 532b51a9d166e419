/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_SPAWN_H
#define VIGIL_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "jail.h"

/*
 * Starts argv[0] (searched in PATH) directly inside the cgroup open at
 * `cgroup_fd` (clone3 with CLONE_INTO_CGROUP), so not one instruction of it
 * runs outside the cgroup and unmetered. Returns 0 with the pid, or a
 * negative errno; a command that cannot be executed is reported as the
 * exec error, not as a child that exits 127. The child inherits the
 * caller's descriptors.
 */
int vigil_spawn_in_cgroup(int cgroup_fd, char *const argv[], pid_t *ret_pid);

struct vigil_spawn_opts {
	int cgroup_fd;
	/* network namespace the child joins before exec, or -1 (unjailed only) */
	int netns_fd;
	/* stdout and stderr of the child (stdin is /dev/null), or -1 to inherit all three */
	int output_fd;
	/*
	 * Keep the caller's other descriptors open across exec, for a program
	 * handed one by number; a workload gets none of the daemon's.
	 */
	bool inherit_fds;
	/*
	 * The jail to carry out (jail.h), or NULL: the child starts in new
	 * mount, PID, IPC and UTS namespaces and, unless the plan joins one, a
	 * network namespace of its own.
	 */
	const struct vigil_jail_plan *jail;
};

/*
 * vigil_spawn_in_cgroup with options, for workloads: the child also gets its
 * own session and an empty signal mask (the daemon blocks the signals it
 * reads from a signalfd, and a mask survives exec). ret_pidfd, when given,
 * receives a pidfd of the child. When the child fails before its exec,
 * the error is returned and, when given, *ret_report says which step
 * failed (VIGIL_JAIL_STEP_EXEC for an unjailed child).
 */
int vigil_spawn(const struct vigil_spawn_opts *o, char *const argv[], pid_t *ret_pid,
		int *ret_pidfd, struct vigil_jail_report *ret_report);

#endif
