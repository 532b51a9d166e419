// SPDX-License-Identifier: GPL-2.0-or-later
/* A record's inclusion proof as `vigil ledger proof --check` reads it, checked against a key. */
#include "fuzz_input.h"
#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[VIGIL_LEDGER_KEY_BYTES] = { 1 };
	struct vigil_ledger_proof *proof;
	char *text = fuzz_text(data, size), err[256];

	if (vigil_ledger_proof_parse(text, &proof, err, sizeof(err)) == 0) {
		vigil_ledger_proof_check(proof, key, err, sizeof(err));
		vigil_ledger_proof_free(proof);
	}
	free(text);
	return 0;
}
