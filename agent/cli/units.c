// SPDX-License-Identifier: GPL-2.0-or-later
#include "units.h"

#include <stdio.h>
#include <time.h>

const char *fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const suffix[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1024.0 && i + 1 < sizeof(suffix) / sizeof(suffix[0])) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.2f %s", v, suffix[i]);
	return buf;
}

const char *fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000000ull)
		snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
	return buf;
}

const char *fmt_unit(char *buf, size_t len, uint64_t value, enum vigil_unit unit)
{
	char tmp[32];

	switch (unit) {
	case VIGIL_UNIT_NS:
		return fmt_ns(buf, len, value);
	case VIGIL_UNIT_BYTES:
		return fmt_bytes(buf, len, value);
	case VIGIL_UNIT_BYTE_SECONDS:
		snprintf(buf, len, "%s*s", fmt_bytes(tmp, sizeof(tmp), value));
		return buf;
	case VIGIL_UNIT_COUNT:
		break;
	}
	snprintf(buf, len, "%llu", (unsigned long long)value);
	return buf;
}

const char *fmt_time(char *buf, size_t len, uint64_t unix_ns, uint64_t now_ns)
{
	time_t secs = (time_t)(unix_ns / 1000000000ull);
	uint64_t ago = now_ns > unix_ns ? (now_ns - unix_ns) / 1000000000ull : 0;
	char when[32], rel[48];
	struct tm tm;

	if (!unix_ns || !gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (now_ns < unix_ns)
		snprintf(rel, sizeof(rel), "in the future");
	else if (ago < 60)
		snprintf(rel, sizeof(rel), "%llu s ago", (unsigned long long)ago);
	else if (ago < 3600)
		snprintf(rel, sizeof(rel), "%llu min %llu s ago", (unsigned long long)(ago / 60),
			 (unsigned long long)(ago % 60));
	else if (ago < 86400)
		snprintf(rel, sizeof(rel), "%llu h %llu min ago", (unsigned long long)(ago / 3600),
			 (unsigned long long)(ago % 3600 / 60));
	else
		snprintf(rel, sizeof(rel), "%llu d %llu h ago", (unsigned long long)(ago / 86400),
			 (unsigned long long)(ago % 86400 / 3600));
	snprintf(buf, len, "%s (%s)", when, rel);
	return buf;
}
