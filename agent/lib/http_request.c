// SPDX-License-Identifier: GPL-2.0-or-later
#include "http_request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPENMETRICS "application/openmetrics-text"

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static size_t trimmed_len(const char *p, const char *end)
{
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - p);
}

/*
 * A qvalue (RFC 9110 12.4.2: "0" to "1" with at most three decimals) in
 * [p, end) as 1000ths; 0, which makes the range unacceptable, for anything
 * else. A float parser would take "1e9", "inf" or 40 digits, and a value
 * no int holds.
 */
static int parse_qvalue(const char *p, const char *end)
{
	int q, scale = 100;

	p = skip_space(p, end);
	end = p + trimmed_len(p, end);
	if (p == end || (*p != '0' && *p != '1'))
		return 0;
	q = (*p++ - '0') * 1000;
	if (p < end && *p == '.') {
		for (p++; p < end && scale && *p >= '0' && *p <= '9'; p++, scale /= 10)
			q += (*p - '0') * scale;
	}
	return p == end && q <= 1000 ? q : 0;
}

/*
 * One media range of an Accept header, [p, end): its type, its q (1000ths)
 * and whether a version parameter, if any, is `version`.
 */
static void parse_range(const char *p, const char *end, const char **type, size_t *type_len, int *q,
			const char **ver, size_t *ver_len)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));

	p = skip_space(p, end);
	*type = p;
	*type_len = trimmed_len(p, semi ? semi : end);
	*q = 1000;
	*ver = NULL;
	*ver_len = 0;
	while (semi) {
		const char *param = skip_space(semi + 1, end), *eq;

		semi = memchr(param, ';', (size_t)(end - param));
		eq = memchr(param, '=', (size_t)((semi ? semi : end) - param));
		if (!eq)
			continue;
		if (trimmed_len(param, eq) == 1 && (*param == 'q' || *param == 'Q'))
			*q = parse_qvalue(eq + 1, semi ? semi : end);
		else if (trimmed_len(param, eq) == 7 && strncasecmp(param, "version", 7) == 0) {
			*ver = skip_space(eq + 1, end);
			*ver_len = trimmed_len(*ver, semi ? semi : end);
		}
	}
}

enum vigil_metrics_format vigil_http_metrics_format(const char *accept)
{
	int om_q = -1, text_q = -1;

	for (const char *p = accept; p && *p;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		const char *type, *ver;
		size_t type_len, ver_len;
		int q;

		parse_range(p, end, &type, &type_len, &q, &ver, &ver_len);
		if (type_len == strlen(OPENMETRICS) &&
		    strncasecmp(type, OPENMETRICS, type_len) == 0) {
			if ((!ver || (ver_len == 5 && memcmp(ver, "1.0.0", 5) == 0)) && q > om_q)
				om_q = q;
		} else if ((type_len == 10 && strncasecmp(type, "text/plain", 10) == 0) ||
			   (type_len == 6 && strncasecmp(type, "text/*", 6) == 0) ||
			   (type_len == 3 && memcmp(type, "*/*", 3) == 0)) {
			if (q > text_q)
				text_q = q;
		}
		p = comma ? comma + 1 : end;
	}
	return om_q > 0 && om_q >= text_q ? VIGIL_METRICS_OPENMETRICS : VIGIL_METRICS_PROMETHEUS;
}

int vigil_http_parse_u64(const char *name, const char *value, uint64_t min, uint64_t max,
			 uint64_t *ret, char *err, size_t err_len)
{
	uint64_t v = 0;

	if (!value) {
		snprintf(err, err_len, "parameter %s is missing", name);
		return -EINVAL;
	}
	if (!*value) {
		snprintf(err, err_len, "parameter %s is empty: give a number", name);
		return -EINVAL;
	}
	if (*value == '-') {
		snprintf(err, err_len, "parameter %s must not be negative: \"%s\"", name, value);
		return -EINVAL;
	}
	for (const char *p = value; *p; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (*p < '0' || *p > '9') {
			snprintf(err, err_len, "parameter %s is not a decimal number: \"%s\"", name,
				 value);
			return -EINVAL;
		}
		if (d > max || v > (max - d) / 10)
			goto out_of_range;
		v = v * 10 + d;
	}
	if (v < min)
		goto out_of_range;
	*ret = v;
	return 0;

out_of_range:
	snprintf(err, err_len, "parameter %s is out of range (%llu to %llu): \"%s\"", name,
		 (unsigned long long)min, (unsigned long long)max, value);
	return -EINVAL;
}
