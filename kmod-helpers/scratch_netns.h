/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_SCRATCH_NETNS_H
#define VIGIL_SCRATCH_NETNS_H

#include <stddef.h>

/*
 * Runs `fn` in a child process inside a new, empty network namespace, so a
 * probe can create tables and interfaces that vanish with the namespace and
 * never touch the host's. `fn` returns 0 or a negative errno and may write a
 * one-line explanation to `detail`, which is passed back to the caller.
 */
typedef int (*vigil_netns_fn)(void *arg, char *detail, size_t len);

int vigil_run_in_scratch_netns(vigil_netns_fn fn, void *arg, char *detail, size_t len);

#endif
