// SPDX-License-Identifier: GPL-2.0-or-later
#include "units.h"

#include <stdio.h>

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
