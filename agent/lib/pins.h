/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_PINS_H
#define VIGIL_PINS_H

#include <linux/types.h>
#include <stddef.h>

#define VIGIL_PIN_NAME_MAX 256

enum vigil_pin_kind {
	VIGIL_PIN_MAP,
	VIGIL_PIN_PROG,
	VIGIL_PIN_LINK,
};

/* One object pinned directly in a pin directory. */
struct vigil_pin {
	char name[VIGIL_PIN_NAME_MAX];
	enum vigil_pin_kind kind;
	__u32 id;
	/* for a link: the program it attaches */
	__u32 prog_id;
};

/*
 * Lists the objects pinned in `dir` (not below it), at most `max`, sorted
 * by name. Returns how many, or a negative errno (-ENOENT: no such dir).
 */
int vigil_pins_scan(const char *dir, struct vigil_pin *ret, size_t max);

#endif
