/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_UNITS_H
#define VIGIL_CLI_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "usage_fields.h"

/* Human-readable figures for text output: "1.50 GiB", "2.345 s", "12 345". */
const char *fmt_bytes(char *buf, size_t len, uint64_t bytes);
const char *fmt_ns(char *buf, size_t len, uint64_t ns);
const char *fmt_unit(char *buf, size_t len, uint64_t value, enum vigil_unit unit);
/* "2026-12-07 23:00:00 UTC (3 min 12 s ago)", against `now_ns`; "-" for 0. */
const char *fmt_time(char *buf, size_t len, uint64_t unix_ns, uint64_t now_ns);

#endif
