/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the metering programs and user space. */
#ifndef VIGIL_METER_H
#define VIGIL_METER_H

/* Slots in the accounting map: one per workload, assigned by the agent. */
#define VIGIL_MAX_WORKLOADS 4096

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

#endif
