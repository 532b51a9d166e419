// SPDX-License-Identifier: GPL-2.0-or-later
#include "json_fields.h"

#include <stdbool.h>
#include <string.h>

const char *vigil_json_unknown_field(struct json_object *obj, const char *const *known)
{
	json_object_object_foreach(obj, key, val)
	{
		bool found = false;

		(void)val;
		for (size_t i = 0; known[i] && !found; i++)
			found = strcmp(key, known[i]) == 0;
		if (!found)
			return key;
	}
	return NULL;
}
