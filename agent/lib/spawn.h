/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_SPAWN_H
#define VIGIL_SPAWN_H

#include <sys/types.h>

/*
 * Starts argv[0] (searched in PATH) directly inside the cgroup open at
 * `cgroup_fd` (clone3 with CLONE_INTO_CGROUP), so not one instruction of it
 * runs outside the cgroup and unmetered. Returns 0 with the pid, or a
 * negative errno; a command that cannot be executed is reported as the
 * exec error, not as a child that exits 127.
 */
int vigil_spawn_in_cgroup(int cgroup_fd, char *const argv[], pid_t *ret_pid);

#endif
