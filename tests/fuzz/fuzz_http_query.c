// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a scraper sends: an Accept header, and query parameters, the input
 * split at its first newline into the two.
 */
#include <errno.h>

#include "fuzz_input.h"
#include "http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *value = strchr(text, '\n'), err[256];
	uint64_t n;
	int r;

	if (value)
		*value++ = '\0';
	vigil_http_metrics_format(text);
	r = vigil_http_parse_u64("after", value ? value : text, 0, 10000, &n, err, sizeof(err));
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	FUZZ_ASSERT(r != 0 || n <= 10000);
	free(text);
	return 0;
}
