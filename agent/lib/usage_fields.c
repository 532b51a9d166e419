// SPDX-License-Identifier: GPL-2.0-or-later
#include "usage_fields.h"

#include <string.h>

#define FIELD_ROW(name, unit, kind, metric, label, help, value) \
	{ #name,                                                \
	  offsetof(struct vigil_workload_usage, name),          \
	  VIGIL_UNIT_##unit,                                    \
	  VIGIL_USAGE_##kind,                                   \
	  metric,                                               \
	  label,                                                \
	  help },

const struct vigil_usage_field vigil_usage_fields[] = { VIGIL_USAGE_FIELDS(FIELD_ROW) };

const size_t vigil_usage_n_fields = sizeof(vigil_usage_fields) / sizeof(vigil_usage_fields[0]);

const struct vigil_usage_field *vigil_usage_field_find(const char *name)
{
	for (size_t i = 0; i < vigil_usage_n_fields; i++) {
		if (strcmp(vigil_usage_fields[i].name, name) == 0)
			return &vigil_usage_fields[i];
	}
	return NULL;
}

void vigil_usage_from_sums(const struct vigil_usage_sums *s, struct vigil_workload_usage *ret)
{
#define FIELD_VALUE(name, unit, kind, metric, label, help, value) ret->name = (value);
	VIGIL_USAGE_FIELDS(FIELD_VALUE)
#undef FIELD_VALUE
}

#define HOST_ROW(name, what) { #name, offsetof(struct vigil_usage, name) },
#define NET_ROW(name, what)  { #name, offsetof(struct vigil_net_bank, name) },

const struct vigil_raw_counter vigil_host_counters[] = { VIGIL_HOST_COUNTERS(HOST_ROW) };
const size_t vigil_n_host_counters = sizeof(vigil_host_counters) / sizeof(vigil_host_counters[0]);
const struct vigil_raw_counter vigil_net_counters[] = { VIGIL_NET_COUNTERS(NET_ROW) };
const size_t vigil_n_net_counters = sizeof(vigil_net_counters) / sizeof(vigil_net_counters[0]);
