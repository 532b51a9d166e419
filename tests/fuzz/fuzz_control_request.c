// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control requests as raw bytes: a document is accepted only when it keeps
 * the rules (UTF-8, no NUL), and what vigild would quote of a refusal is
 * escaped into one clean line.
 */
#include "errmsg.h"
#include "fuzz_input.h"
#include "json_doc.h"
#include "utf8.h"

static void assert_clean_line(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), n;

	for (size_t i = 0; i < len; i += n) {
		n = vigil_utf8_len(p + i, len - i);
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(p[i] >= 0x20 && p[i] != 0x7f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *obj;
	char err[256], escaped[512];
	char *text = fuzz_text(data, size);

	if (vigil_json_parse_len((const char *)data, size, &obj, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(memchr(data, 0, size) == NULL);
		json_object_put(obj);
	} else {
		assert_clean_line(vigil_escape(err, escaped, sizeof(escaped)));
	}
	/* the client's own bytes, as a message quoting them would hold them */
	assert_clean_line(vigil_escape(text, escaped, sizeof(escaped)));
	free(text);
	return 0;
}
