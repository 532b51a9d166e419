/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_HTTP_REQUEST_H
#define VIGIL_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/*
 * The format an `Accept` header asks for: OpenMetrics when it accepts
 * application/openmetrics-text (version 1.0.0 or unversioned) at least as
 * much as text/plain, else Prometheus text. NULL: Prometheus text.
 */
enum vigil_metrics_format vigil_http_metrics_format(const char *accept);

/*
 * Parses query parameter `name`: decimal digits only, `min` to `max`. `value`
 * NULL means the parameter is absent. -EINVAL with `err` naming the
 * parameter and the reason.
 */
int vigil_http_parse_u64(const char *name, const char *value, uint64_t min, uint64_t max,
			 uint64_t *ret, char *err, size_t err_len);

#endif
