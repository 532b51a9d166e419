/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_ADDR_CLASS_H
#define VIGIL_ADDR_CLASS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The address classes that are not the public internet, in one table: the
 * meters count what a workload sends to any of them as private, and the
 * isolation rules deny workloads those marked `denied` (unless vigild is
 * told to leave the defaults out). A denied class is private by definition:
 * it is the same row.
 */
struct vigil_addr_class {
	const char *prefix; /* a network, as vigil_cidr_parse_as() reads one */
	bool denied;	    /* in the nft deny sets by default */
	const char *why;    /* what the class is ("RFC 1918", "IPv6 multicast") */
};

/* Every class, IPv4 first; *ret_n rows. */
const struct vigil_addr_class *vigil_addr_classes(size_t *ret_n);
/* The class whose prefix is exactly `prefix` as text, or NULL. */
const struct vigil_addr_class *vigil_addr_class_of(const char *prefix);

#endif
