// SPDX-License-Identifier: GPL-2.0-or-later
#include "usage_fields.h"

#include <string.h>

/* per-CPU fields are read from struct vigil_usage values with the same offsets */
_Static_assert(offsetof(struct vigil_workload_usage, c) == 0, "usage counters come first");

#define COUNTER(field, unit)                                                       \
	{                                                                          \
#field, offsetof(struct vigil_workload_usage, c.field), unit, true \
	}
#define MEMORY(field, unit)                                                       \
	{                                                                         \
#field, offsetof(struct vigil_workload_usage, field), unit, false \
	}

const struct vigil_usage_field vigil_usage_fields[] = {
	COUNTER(cpu_ns, VIGIL_UNIT_NS),
	MEMORY(mem_bytes, VIGIL_UNIT_BYTES),
	MEMORY(mem_peak_bytes, VIGIL_UNIT_BYTES),
	MEMORY(mem_byte_seconds, VIGIL_UNIT_BYTE_SECONDS),
	COUNTER(disk_read_bytes, VIGIL_UNIT_BYTES),
	COUNTER(disk_write_bytes, VIGIL_UNIT_BYTES),
	COUNTER(disk_read_ops, VIGIL_UNIT_COUNT),
	COUNTER(disk_write_ops, VIGIL_UNIT_COUNT),
	COUNTER(net_rx_bytes, VIGIL_UNIT_BYTES),
	COUNTER(net_tx_bytes, VIGIL_UNIT_BYTES),
	COUNTER(net_rx_packets, VIGIL_UNIT_COUNT),
	COUNTER(net_tx_packets, VIGIL_UNIT_COUNT),
	COUNTER(net_tx_public_bytes, VIGIL_UNIT_BYTES),
	COUNTER(net_tx_private_bytes, VIGIL_UNIT_BYTES),
	COUNTER(net_drop_packets, VIGIL_UNIT_COUNT),
};

const size_t vigil_usage_n_fields = sizeof(vigil_usage_fields) / sizeof(vigil_usage_fields[0]);

const struct vigil_usage_field *vigil_usage_field_find(const char *name)
{
	for (size_t i = 0; i < vigil_usage_n_fields; i++) {
		if (strcmp(vigil_usage_fields[i].name, name) == 0)
			return &vigil_usage_fields[i];
	}
	return NULL;
}
