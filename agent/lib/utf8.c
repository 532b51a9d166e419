// SPDX-License-Identifier: GPL-2.0-or-later
#include "utf8.h"

#include <stdint.h>

size_t vigil_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char lead = s[0];
	size_t len;
	uint32_t cp;

	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf) {
		len = 2;
		cp = lead & 0x1f;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		len = 3;
		cp = lead & 0x0f;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		len = 4;
		cp = lead & 0x07;
	} else {
		return 0;
	}
	if (len > avail)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0; /* overlong */
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}
