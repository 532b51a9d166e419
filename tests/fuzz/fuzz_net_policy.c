// SPDX-License-Identifier: GPL-2.0-or-later
/* A spec's "network" object: parsed or refused, and freed whole either way. */
#include "fuzz_input.h"
#include "json_doc.h"
#include "net_policy_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_net_policy policy;
	struct json_object *obj, *back;
	char err[256];

	if (vigil_json_parse_len((const char *)data, size, &obj, err, sizeof(err)) < 0)
		return 0;
	if (json_object_is_type(obj, json_type_object)) {
		memset(&policy, 0, sizeof(policy));
		if (vigil_net_policy_parse(obj, &policy, err, sizeof(err)) == 0) {
			back = json_object_new_object();
			vigil_net_policy_to_json(&policy, back);
			json_object_put(back);
		}
		vigil_net_policy_free(&policy);
	}
	json_object_put(obj);
	return 0;
}
