/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Objects pinned by name in one bpffs directory. */
#ifndef VIGIL_PIN_H
#define VIGIL_PIN_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

int vigil_pin_path(char *buf, size_t len, const char *dir, const char *name);
bool vigil_pinned(const char *dir, const char *name);
/* An fd for the pinned object, or a negative errno. */
int vigil_pin_open(const char *dir, const char *name);
/* Removes the pins `names` (absent ones are fine); returns the first error. */
int vigil_unpin(const char *dir, const char *const *names, size_t n);

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
