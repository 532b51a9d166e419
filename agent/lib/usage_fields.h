/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_USAGE_FIELDS_H
#define VIGIL_USAGE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meter_loader.h"

enum vigil_unit {
	VIGIL_UNIT_NS,
	VIGIL_UNIT_BYTES,
	VIGIL_UNIT_BYTE_SECONDS,
	VIGIL_UNIT_COUNT,
};

/*
 * One usage figure: its DESIGN.md key, where it sits in struct
 * vigil_workload_usage and its unit. Printers and checkers walk this one
 * table, so a counter added to the meter shows up everywhere at once.
 */
struct vigil_usage_field {
	const char *name;
	size_t offset;
	enum vigil_unit unit;
	/* part of struct vigil_usage (the per-CPU map value), at the same offset */
	bool per_cpu;
};

extern const struct vigil_usage_field vigil_usage_fields[];
extern const size_t vigil_usage_n_fields;

/* The field named `name`, or NULL. */
const struct vigil_usage_field *vigil_usage_field_find(const char *name);

static inline uint64_t vigil_usage_field_get(const void *base, const struct vigil_usage_field *f)
{
	uint64_t v;

	__builtin_memcpy(&v, (const char *)base + f->offset, sizeof(v));
	return v;
}

#endif
