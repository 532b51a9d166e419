/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_DECIMAL_H
#define VIGIL_DECIMAL_H

#include <stdbool.h>

/*
 * A whole decimal number from a command line: digits only (no sign, space
 * or suffix), between min and max. -EINVAL when it is not one, -ERANGE when
 * it is out of range; the caller names the option.
 */
int vigil_parse_decimal(const char *text, unsigned long min, unsigned long max, unsigned long *ret);

/*
 * The same with up to `decimals` digits after a point ("0.25"), in units of
 * 10^-decimals ("0.25" with 3 is 250); min and max in those units.
 */
int vigil_parse_fixed(const char *text, unsigned int decimals, unsigned long min, unsigned long max,
		      unsigned long *ret);

#endif
