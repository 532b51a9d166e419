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
 * The network counters of one workload on one CPU, one copy per epoch bank
 * (struct vigil_usage.net). X(name, what it counts); the struct and every
 * decoder of the map are made from this list.
 *
 * tx: frames the workload sent, counted on arrival at the host side of its
 * interface (tc ingress, before the host's packet filter), split by the
 * class of their destination; the dropped ones are those the host's packet
 * filter (vigil's isolation) then dropped, so what was let through is the
 * sent minus the dropped, per class.
 * rx: frames for the workload. A veth's are counted at tc egress, and the
 * undelivered ones are those dropped after it (the veth could not hand them
 * to the workload's end); a tap's are counted when the VMM reads them, as the
 * tap's own counters do, so none of them goes undelivered.
 */
#define VIGIL_NET_COUNTERS(X)                                                      \
	X(tx_bytes, "bytes sent")                                                  \
	X(tx_packets, "frames sent")                                               \
	X(tx_public_bytes, "bytes sent to public destinations")                   \
	X(tx_private_bytes, "bytes sent to private destinations")                 \
	X(tx_dropped_public_bytes, "of those to public ones, bytes dropped")      \
	X(tx_dropped_private_bytes, "of those to private ones, bytes dropped")    \
	X(tx_dropped_packets, "frames sent and dropped")                          \
	X(rx_bytes, "bytes for the workload (veth: at tc egress; tap: read)")    \
	X(rx_packets, "frames for the workload")                                   \
	X(rx_undelivered_bytes, "of rx_bytes, dropped after tc egress (veth)")   \
	X(rx_undelivered_packets, "of rx_packets, dropped after tc egress (veth)")

#define VIGIL_COUNTER_MEMBER(name, what) __u64 name;

struct vigil_net_bank {
	VIGIL_NET_COUNTERS(VIGIL_COUNTER_MEMBER)
};

/* The other counters of one workload on one CPU. */
#define VIGIL_HOST_COUNTERS(X)                                                     \
	X(cpu_ns, "CPU time")                                                      \
	X(disk_read_bytes, "bytes read from disk")                                 \
	X(disk_write_bytes, "bytes written or dirtied")                            \
	X(disk_read_ops, "read bios")                                              \
	X(disk_write_ops, "write bios")                                            \
	X(net_drop_packets, "unicast frames to or from the workload lost")

/*
 * The network counters are kept in two banks: a frame is counted into the
 * bank of the epoch (vigil_net_epoch) current when it reached tc, and so is
 * its drop, however the epoch moved meanwhile. A reader that moves the epoch
 * on and waits until every CPU has left the code that was running then sees
 * the old bank complete: every frame in it with its verdict (meter_loader.c).
 */
#define VIGIL_NET_BANKS 2

/*
 * Everything counted for one workload on one CPU; user space sums the CPUs.
 * Only ever added to, so a reader sees monotonic values.
 */
struct vigil_usage {
	VIGIL_HOST_COUNTERS(VIGIL_COUNTER_MEMBER)
	struct vigil_net_bank net[VIGIL_NET_BANKS];
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
/* "restarting" and the NUL: the longest state a workload is shown in */
#define VIGIL_RUN_STATE_SIZE 16

struct vigil_slot {
	char workload[VIGIL_ID_SIZE];
	__u64 cgroup_id;
	__u64 created_unix_ns;
	__u32 ifindex;
	__u32 state;
	/*
	 * What vigild last recorded of the workload ("running", "stopped", ...,
	 * as `vigil workload show` says), for readers of the maps alone; written
	 * by vigild, never by the programs.
	 */
	char run_state[VIGIL_RUN_STATE_SIZE];
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
