/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_IFNAME_H
#define VIGIL_IFNAME_H

#include <net/if.h>
#include <stdbool.h>

/*
 * The interface name of workload `id`: "<prefix><id>", or for ids too long
 * for IFNAMSIZ the prefix, the id's first characters and a hash of the whole
 * id, so two ids that share a prefix still get different names. Names are
 * persisted in the registry: the scheme must not change. `prefix` is a
 * constant of at most 9 characters, leaving room for the hash.
 */
void vigil_ifname(const char *prefix, const char *id, char ret[IF_NAMESIZE]);

/* true for 1 to IF_NAMESIZE - 1 characters of [A-Za-z0-9._-], but not "." or ".." */
bool vigil_ifname_valid(const char *name);

#endif
