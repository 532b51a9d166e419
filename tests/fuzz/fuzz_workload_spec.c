// SPDX-License-Identifier: GPL-2.0-or-later
/* Workload specs: parsing never crashes, and an accepted spec survives its own round trip. */
#include "fuzz_input.h"
#include "workload_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_workload_spec spec, again;
	char *text = fuzz_text(data, size), err[512];
	struct json_object *obj;

	if (vigil_workload_spec_parse(text, &spec, err, sizeof(err)) == 0) {
		obj = vigil_workload_spec_to_json(&spec);
		FUZZ_ASSERT(obj);
		FUZZ_ASSERT(vigil_workload_spec_from_json(obj, &again, err, sizeof(err)) == 0);
		FUZZ_ASSERT(strcmp(spec.id, again.id) == 0 && strcmp(spec.owner, again.owner) == 0);
		FUZZ_ASSERT(spec.argc == again.argc);
		FUZZ_ASSERT(spec.stop.given == again.stop.given &&
			    spec.stop.method == again.stop.method &&
			    spec.stop.signal == again.stop.signal &&
			    spec.stop.timeout_s == again.stop.timeout_s &&
			    spec.restart == again.restart);
		json_object_put(obj);
		vigil_workload_spec_free(&again);
		vigil_workload_spec_free(&spec);
	}
	free(text);
	return 0;
}
