/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NET_METER_H
#define VIGIL_NET_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "meter.h"

/*
 * Network metering: tc programs on the host side of workload interfaces, a
 * tracer of what VMMs read from their taps and one of drops (bpf/net.bpf.c),
 * sharing the accounting maps pinned in `pin_dir` with the tracing object.
 */

/* The epoch of the network counters' banks (struct vigil_usage), pinned by this name. */
#define VIGIL_NET_EPOCH_MAP "vigil_net_epoch"

/*
 * Loads net.bpf.o unless its pins (prog_tc_ingress, prog_tc_egress,
 * link_tap_read, link_kfree_skb) all exist in `pin_dir`, and pins what it
 * loaded. `workload_cgroup_level` is the depth of workload cgroups below the
 * cgroup v2 root, as the meter has it: a tap's reader is its workload's when
 * its cgroup is. When it loaded and both private tries (vigil_private_v4,
 * vigil_private_nets for IPv6) are empty, fills in every address class
 * (addr_class.h) and the subnets of the host's own addresses.
 * *ret_adopted = true when everything was already pinned.
 */
int vigil_net_meter_load(const char *pin_dir, unsigned int workload_cgroup_level,
			 bool *ret_adopted);
/*
 * Removes the network pins: programs, the kfree_skb link and the network
 * maps. Filters already on interfaces keep their programs until detached.
 */
int vigil_net_meter_unpin(const char *pin_dir);

/* The network meter's BPF object as built into vigil (ELF), for the feature probe. */
const void *vigil_net_object(size_t *ret_size);

/* How a workload's interface hands it its frames, which decides where they are counted. */
enum vigil_net_link {
	VIGIL_NET_LINK_VETH, /* tc egress of the host side */
	VIGIL_NET_LINK_TAP,  /* the VMM's read of the tap (link_tap_read) */
};

/*
 * Meters the host interface `ifindex` into `slot`: a clsact qdisc, an
 * ingress filter and, for a veth, an egress filter running the pinned
 * programs, and vigil_if_slot[ifindex] = slot. Attaching again replaces
 * vigil's filters rather than adding more.
 */
int vigil_net_attach(const char *pin_dir, int ifindex, uint32_t slot, enum vigil_net_link link);
/* Removes vigil's filters and the interface's slot; the qdisc stays. */
int vigil_net_detach(const char *pin_dir, int ifindex);
/*
 * Forgets every interface but `keep` (n of them): what a create killed
 * before its record left in the interface->slot map. Returns how many went.
 */
int vigil_net_forget_others(const char *pin_dir, const int *keep, size_t n);

/*
 * A network prefix as vigil_cidr_parse_as() reads one ("10.0.0.0/8",
 * "fd00::/8", a bare address for one host), as a trie key.
 */
int vigil_prefix_parse(const char *cidr, struct vigil_prefix_key *ret);
/* IPv4-mapped keys print as IPv4. -ENOSPC when `buf` is too small. */
int vigil_prefix_format(const struct vigil_prefix_key *k, char *buf, size_t len);
/* Buffer size that fits any formatted prefix. */
#define VIGIL_PREFIX_STRLEN 64

/*
 * The private prefixes, kept in the trie of their family: IPv4-mapped keys
 * (::ffff:a.b.c.d/96+n) in vigil_private_v4 as a.b.c.d/n, all others in
 * vigil_private_nets. IPv4 packets are classified by IPv4 prefixes only, so
 * an IPv6 prefix that covers ::ffff:0:0/96 (::/0, say) makes no IPv4
 * destination private. Adding a prefix already present succeeds; deleting a
 * missing one is -ENOENT.
 */
int vigil_private_prefix_add(const char *pin_dir, const struct vigil_prefix_key *k);
int vigil_private_prefix_delete(const char *pin_dir, const struct vigil_prefix_key *k);
/* All private prefixes, IPv4 first, in address order; *ret is freed by the caller. */
int vigil_private_prefix_list(const char *pin_dir, struct vigil_prefix_key **ret, size_t *ret_n);

#endif
