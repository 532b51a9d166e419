/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the metering programs and user space. */
#ifndef VIGIL_METER_H
#define VIGIL_METER_H

/* Slots in the accounting map: one per workload, assigned by the agent. */
#define VIGIL_MAX_WORKLOADS 4096
/* Host interfaces metered (a workload may have a tap and a veth). */
#define VIGIL_MAX_INTERFACES (2 * VIGIL_MAX_WORKLOADS)
/* Prefixes in each private-destination trie (IPv4, IPv6). */
#define VIGIL_MAX_PRIVATE_PREFIXES 1024
/* Address spaces of workload processes tracked at once. */
#define VIGIL_MAX_MMS 65536
/* Workload ids: [a-z0-9][a-z0-9-]{0,31} plus the NUL. */
#define VIGIL_ID_SIZE 40

/*
 * Counters of one workload on one CPU; user space sums the CPUs. Only ever
 * added to, so a reader sees monotonic values.
 */
struct vigil_usage {
	__u64 cpu_ns;
	__u64 disk_read_bytes;
	__u64 disk_write_bytes;
	__u64 disk_read_ops;
	__u64 disk_write_ops;
	__u64 net_rx_bytes;
	__u64 net_tx_bytes;
	__u64 net_rx_packets;
	__u64 net_tx_packets;
	__u64 net_tx_public_bytes;
	__u64 net_tx_private_bytes;
	__u64 net_drop_packets;
};

/*
 * Resident memory of one workload, shared by all CPUs (a peak needs one
 * view). Byte-seconds are not summed per event: with pages(t) changing by
 * d_i at t_i, the integral up to now is now * pages - sum(d_i * t_i), so
 * the program keeps `page_ms_weighted` = sum(d_i * t_i) (t in ms of
 * CLOCK_MONOTONIC) and the reader finishes the sum. Unsigned wrap-around
 * cancels out as long as the integral itself fits (a 1 TiB workload for
 * two years does).
 */
struct vigil_mem {
	__s64 pages;
	__s64 peak_pages;
	__u64 page_ms_weighted;
};

enum vigil_slot_state {
	VIGIL_SLOT_FREE = 0,
	VIGIL_SLOT_ACTIVE = 1,
	/* deleted; counters kept until exported, then the slot is freed */
	VIGIL_SLOT_DELETED = 2,
};

/* Which workload a slot belongs to, so readers need nothing but bpffs. */
struct vigil_slot {
	char workload[VIGIL_ID_SIZE];
	__u64 cgroup_id;
	__u64 created_unix_ns;
	__u32 ifindex;
	__u32 state;
};

/*
 * A private-destination prefix as user space passes it around: IPv4 as
 * ::ffff:a.b.c.d (RFC 4291). Also the key of the IPv6 trie.
 */
struct vigil_prefix_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * Key of the IPv4 trie. IPv4 has a trie of its own: under ::ffff:0:0/96 in
 * the IPv6 one its keys were five times longer and every lookup compared
 * them in full.
 */
struct vigil_prefix4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

#endif
