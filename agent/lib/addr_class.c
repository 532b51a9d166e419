// SPDX-License-Identifier: GPL-2.0-or-later
#include "addr_class.h"

#include <string.h>

/*
 * Denied: the provider's networks and the link's, which a workload must not
 * reach through the host. Private but not denied: destinations the kernel
 * does not forward, so a rule in the forward chain would never see them. Its
 * routing drops what comes from a workload to "this network" and loopback as
 * a martian; it forwards no multicast unless a multicast routing daemon runs
 * on the host, and never the limited broadcast, so of those only what is
 * addressed to the host itself arrives, which the workload's host chain
 * fences (neighbour discovery and listener reports are multicast).
 */
static const struct vigil_addr_class classes[] = {
	{ "0.0.0.0/8", false, "\"this network\" (RFC 791)" },
	{ "10.0.0.0/8", true, "private network (RFC 1918)" },
	{ "100.64.0.0/10", true, "carrier-grade NAT (RFC 6598)" },
	{ "127.0.0.0/8", false, "loopback" },
	{ "169.254.0.0/16", true, "link-local, cloud metadata at 169.254.169.254 (RFC 3927)" },
	{ "172.16.0.0/12", true, "private network (RFC 1918)" },
	{ "192.168.0.0/16", true, "private network (RFC 1918)" },
	{ "224.0.0.0/4", false, "multicast" },
	{ "255.255.255.255/32", false, "limited broadcast" },
	{ "::1/128", false, "loopback" },
	{ "fc00::/7", true, "unique local (RFC 4193)" },
	{ "fe80::/10", true, "link-local" },
	{ "fec0::/10", true, "site-local, deprecated but routed within sites (RFC 3879)" },
	{ "ff00::/8", false, "multicast" },
};

const struct vigil_addr_class *vigil_addr_classes(size_t *ret_n)
{
	*ret_n = sizeof(classes) / sizeof(classes[0]);
	return classes;
}

const struct vigil_addr_class *vigil_addr_class_of(const char *prefix)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(classes[i].prefix, prefix))
			return &classes[i];
	return NULL;
}
