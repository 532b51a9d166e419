/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Objects pinned by name in one bpffs directory. */
#ifndef VIGIL_PIN_H
#define VIGIL_PIN_H

#include <stdbool.h>
#include <stddef.h>

int vigil_pin_path(char *buf, size_t len, const char *dir, const char *name);
bool vigil_pinned(const char *dir, const char *name);
/* An fd for the pinned object, or a negative errno. */
int vigil_pin_open(const char *dir, const char *name);
/* Removes the pins `names` (absent ones are fine); returns the first error. */
int vigil_unpin(const char *dir, const char *const *names, size_t n);

#endif
