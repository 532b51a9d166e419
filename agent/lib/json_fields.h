/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JSON_FIELDS_H
#define VIGIL_JSON_FIELDS_H

#include <json-c/json.h>

/*
 * The first key of the object `obj` that is not in `known` (NULL-terminated),
 * or NULL when every key is known: specs refuse fields they do not define
 * rather than ignore a misspelt one.
 */
const char *vigil_json_unknown_field(struct json_object *obj, const char *const *known);

#endif
