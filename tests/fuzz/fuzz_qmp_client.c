// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a VMM sends on its QMP socket: the client never crashes, whatever
 * the bytes and however they are split into reads; it ends done or failed
 * as the protocol says, and a failure's reason is one printable line.
 */
#include <errno.h>

#include "fuzz_input.h"
#include "qmp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_qmp q;
	size_t at = 0, n;
	int ret = 0;

	vigil_qmp_init(&q, "system_powerdown");
	/* the first byte of each read says how long it is, as a socket would cut them */
	while (at < size && ret == 0) {
		size_t len = data[at++] % 64 + 1;

		len = len < size - at ? len : size - at;
		ret = vigil_qmp_feed(&q, data + at, len);
		at += len;
		vigil_qmp_output(&q, &n);
		vigil_qmp_sent(&q, n);
	}
	FUZZ_ASSERT(ret == 0 || ret == 1 || ret == -EPROTO);
	FUZZ_ASSERT((ret == 1) == (q.step == VIGIL_QMP_DONE));
	if (ret < 0) {
		FUZZ_ASSERT(q.step == VIGIL_QMP_FAILED && q.err[0]);
		for (const char *c = q.err; *c; c++)
			FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	return 0;
}
