/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_USAGE_FIELDS_H
#define VIGIL_USAGE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "meter.h"

enum vigil_unit {
	VIGIL_UNIT_NS,
	VIGIL_UNIT_BYTES,
	VIGIL_UNIT_BYTE_SECONDS,
	VIGIL_UNIT_COUNT,
};

enum vigil_usage_kind {
	VIGIL_USAGE_COUNTER, /* only grows: the ledger's "counters" and "delta" */
	VIGIL_USAGE_GAUGE,   /* may fall: the ledger's "gauges" */
};

/*
 * What the meter holds for one workload, summed over CPUs and over the
 * network counters' banks, with the memory figures worked out: what the
 * usage figures are made of.
 */
struct vigil_usage_sums {
#define VIGIL_SUMS_MEMBER(name, what) uint64_t name;
	VIGIL_HOST_COUNTERS(VIGIL_SUMS_MEMBER)
#undef VIGIL_SUMS_MEMBER
	struct vigil_net_bank net;
	uint64_t mem_bytes;
	uint64_t mem_peak_bytes;
	uint64_t mem_byte_seconds;
};

/*
 * The usage contract (DESIGN.md, README "Usage JSON"): one row per figure,
 * and every place that shows usage walks it: `vigil usage show`, `vigil
 * workload show`, the ledger's records, /metrics. Adding a figure is adding
 * a row.
 *
 * X(name, unit, kind, metric, label, help, value)
 *   metric: its Prometheus family (without `_total`), or NULL for none; the
 *           rows of a family differ by `label` (`class="public"`, or NULL)
 *   help:   the family's HELP text, on its first row
 *   value:  how it is made of `s`, a const struct vigil_usage_sums *
 *
 * The network figures follow the contract: tx is all the workload sent;
 * public + private is what the host's packet filter let through, dropped
 * what it did not, and the three add up to tx; rx is what reached the
 * workload.
 */
#define VIGIL_USAGE_FIELDS(X)                                                                     \
	X(cpu_ns, NS, COUNTER, "vigil_workload_cpu_seconds", NULL,                                \
	  "CPU time used by the workload's tasks.", s->cpu_ns)                                    \
	X(mem_bytes, BYTES, GAUGE, "vigil_workload_memory_bytes", NULL,                           \
	  "Resident memory of the workload's processes.", s->mem_bytes)                           \
	X(mem_peak_bytes, BYTES, GAUGE, "vigil_workload_memory_peak_bytes", NULL,                 \
	  "Highest resident memory of the workload since it was created.", s->mem_peak_bytes)     \
	X(mem_byte_seconds, BYTE_SECONDS, COUNTER, "vigil_workload_memory_byte_seconds", NULL,    \
	  "Resident memory integrated over time.", s->mem_byte_seconds)                           \
	X(disk_read_bytes, BYTES, COUNTER, "vigil_workload_disk_read_bytes", NULL,                \
	  "Bytes the workload read from disk.", s->disk_read_bytes)                               \
	X(disk_write_bytes, BYTES, COUNTER, "vigil_workload_disk_written_bytes", NULL,            \
	  "Bytes the workload wrote (or dirtied) to disk.", s->disk_write_bytes)                  \
	X(disk_read_ops, COUNT, COUNTER, "vigil_workload_disk_reads", NULL,                       \
	  "Block read requests the workload submitted.", s->disk_read_ops)                        \
	X(disk_write_ops, COUNT, COUNTER, "vigil_workload_disk_writes", NULL,                     \
	  "Block write requests the workload submitted.", s->disk_write_ops)                      \
	X(net_rx_bytes, BYTES, COUNTER, "vigil_workload_network_receive_bytes", NULL,             \
	  "Bytes delivered to the workload, L2 headers included.",                                \
	  s->net.rx_bytes - s->net.rx_undelivered_bytes)                                          \
	X(net_tx_bytes, BYTES, COUNTER, NULL, NULL, NULL, s->net.tx_bytes)                        \
	X(net_rx_packets, COUNT, COUNTER, "vigil_workload_network_receive_packets", NULL,         \
	  "Frames delivered to the workload.", s->net.rx_packets - s->net.rx_undelivered_packets) \
	X(net_tx_packets, COUNT, COUNTER, "vigil_workload_network_transmit_packets", NULL,        \
	  "Frames the workload sent, let through or not.", s->net.tx_packets)                     \
	X(net_tx_public_bytes, BYTES, COUNTER, "vigil_workload_network_transmit_bytes",           \
	  "class=\"public\"",                                                                     \
	  "Bytes the workload sent, L2 headers included: let through to public or private "       \
	  "destinations, or dropped by the host's packet filter.",                                \
	  s->net.tx_public_bytes - s->net.tx_dropped_public_bytes)                                \
	X(net_tx_private_bytes, BYTES, COUNTER, "vigil_workload_network_transmit_bytes",          \
	  "class=\"private\"", NULL, s->net.tx_private_bytes - s->net.tx_dropped_private_bytes)   \
	X(net_tx_dropped_bytes, BYTES, COUNTER, "vigil_workload_network_transmit_bytes",          \
	  "class=\"dropped\"", NULL,                                                              \
	  s->net.tx_dropped_public_bytes + s->net.tx_dropped_private_bytes)                       \
	X(net_tx_dropped_packets, COUNT, COUNTER,                                                 \
	  "vigil_workload_network_transmit_dropped_packets", NULL,                                \
	  "Frames the workload sent that the host's packet filter dropped.",                      \
	  s->net.tx_dropped_packets)                                                              \
	X(net_drop_packets, COUNT, COUNTER, "vigil_workload_network_dropped_packets", NULL,       \
	  "Unicast frames to or from the workload lost: dropped by its isolation, or by the "     \
	  "kernel for a reason on the way.",                                                      \
	  s->net_drop_packets)

/* Every figure for one workload, in base units; members named as in the contract. */
struct vigil_workload_usage {
#define VIGIL_USAGE_MEMBER(name, unit, kind, metric, label, help, value) uint64_t name;
	VIGIL_USAGE_FIELDS(VIGIL_USAGE_MEMBER)
#undef VIGIL_USAGE_MEMBER
};

/* One row of VIGIL_USAGE_FIELDS. */
struct vigil_usage_field {
	const char *name;
	size_t offset; /* in struct vigil_workload_usage */
	enum vigil_unit unit;
	enum vigil_usage_kind kind;
	const char *metric;
	const char *label;
	const char *help;
};

extern const struct vigil_usage_field vigil_usage_fields[];
extern const size_t vigil_usage_n_fields;

#define VIGIL_USAGE_IS_COUNTER 1
#define VIGIL_USAGE_IS_GAUGE   0
#define VIGIL_USAGE_COUNT_COUNTER(name, unit, kind, metric, label, help, value) \
	+VIGIL_USAGE_IS_##kind
#define VIGIL_USAGE_COUNT_GAUGE(name, unit, kind, metric, label, help, value) \
	+(1 - VIGIL_USAGE_IS_##kind)
enum {
	VIGIL_USAGE_N_COUNTERS = 0 VIGIL_USAGE_FIELDS(VIGIL_USAGE_COUNT_COUNTER),
	VIGIL_USAGE_N_GAUGES = 0 VIGIL_USAGE_FIELDS(VIGIL_USAGE_COUNT_GAUGE),
};

/* The field named `name`, or NULL. */
const struct vigil_usage_field *vigil_usage_field_find(const char *name);

/* The usage figures made of the sums, as the table says. */
void vigil_usage_from_sums(const struct vigil_usage_sums *s, struct vigil_workload_usage *ret);

static inline uint64_t vigil_usage_field_get(const struct vigil_workload_usage *u,
					     const struct vigil_usage_field *f)
{
	uint64_t v;

	__builtin_memcpy(&v, (const char *)u + f->offset, sizeof(v));
	return v;
}

/* The raw counters of the map, for decoders (`vigil map dump`): name and offset. */
struct vigil_raw_counter {
	const char *name;
	size_t offset;
};

extern const struct vigil_raw_counter vigil_host_counters[];
extern const size_t vigil_n_host_counters;
/* offsets in struct vigil_net_bank */
extern const struct vigil_raw_counter vigil_net_counters[];
extern const size_t vigil_n_net_counters;

#endif
