// SPDX-License-Identifier: GPL-2.0-or-later
/* An export of ledger records (JSON lines) as `vigil ledger verify FILE` reads it. */
#include "fuzz_input.h"
#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_ledger_check check;
	FILE *in;

	if (!size)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	memset(&check, 0, sizeof(check));
	vigil_ledger_verify_lines(in, NULL, &check);
	fclose(in);
	return 0;
}
