/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NETNS_H
#define VIGIL_NETNS_H

/*
 * Named network namespaces, kept alive by a bind mount of the namespace on
 * a file (as `ip netns add` does), so they outlive the process that made
 * them and can be joined by a workload started later.
 */
int vigil_netns_create(const char *path);
/* Unmounts and removes the file; -ENOENT when there is none. */
int vigil_netns_remove(const char *path);

/* Runs fn(arg) with the calling thread in the namespace at `path`, then returns to its own. */
int vigil_netns_run(const char *path, int (*fn)(void *arg), void *arg);

#endif
