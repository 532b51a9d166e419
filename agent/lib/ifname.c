// SPDX-License-Identifier: GPL-2.0-or-later
#include "ifname.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* hex digits of the hash in a shortened name */
#define HASH_DIGITS 5

void vigil_ifname(const char *prefix, const char *id, char ret[IF_NAMESIZE])
{
	int room = IF_NAMESIZE - 1 - (int)strlen(prefix);
	uint32_t h = 2166136261u; /* FNV-1a */

	if (strlen(id) <= (size_t)room) {
		snprintf(ret, IF_NAMESIZE, "%s%s", prefix, id);
		return;
	}
	for (const char *c = id; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	snprintf(ret, IF_NAMESIZE, "%s%.*s%0*x", prefix, room - HASH_DIGITS, id, HASH_DIGITS,
		 h & ((1u << (4 * HASH_DIGITS)) - 1));
}

bool vigil_ifname_valid(const char *name)
{
	size_t len = strlen(name);

	/* the kernel refuses "." and "..": they would be directories in /sys/class/net */
	return len >= 1 && len < IF_NAMESIZE && strcmp(name, ".") && strcmp(name, "..") &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		       len;
}
