// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The QMP client: QEMU 7.2's own exchange (captured from its socket) goes
 * through, in one piece or a byte at a time; what a hostile VMM may send
 * instead ends it with a reason that quotes nothing raw.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "qmp_client.h"
#include "testutil.h"

#define GREETING                                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define RETURN "{\"return\": {}}\r\n"
#define POWERDOWN                                                               \
	"{\"timestamp\": {\"seconds\": 1796675411, \"microseconds\": 905087}, " \
	"\"event\": \"POWERDOWN\"}\r\n"

static void expect_output(struct vigil_qmp *q, const char *want)
{
	size_t n;
	const char *out = vigil_qmp_output(q, &n);

	ck_assert_uint_eq(n, strlen(want));
	ck_assert_mem_eq(out, want, n);
	vigil_qmp_sent(q, n);
	vigil_qmp_output(q, &n);
	ck_assert_uint_eq(n, 0);
}

static int feed(struct vigil_qmp *q, const char *text)
{
	return vigil_qmp_feed(q, text, strlen(text));
}

START_TEST(test_qemu_exchange)
{
	struct vigil_qmp q;
	size_t n;

	vigil_qmp_init(&q, "system_powerdown");
	vigil_qmp_output(&q, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(feed(&q, GREETING), 0);
	expect_output(&q, "{\"execute\":\"qmp_capabilities\"}\r\n");
	ck_assert_int_eq(feed(&q, RETURN), 0);
	expect_output(&q, "{\"execute\":\"system_powerdown\"}\r\n");
	/* QEMU sends the event before the answer */
	ck_assert_int_eq(feed(&q, POWERDOWN RETURN), 1);
	ck_assert_int_eq(q.step, VIGIL_QMP_DONE);
	ck_assert_int_eq(feed(&q, "anything"), 1);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	const char *text = GREETING RETURN POWERDOWN RETURN;
	struct vigil_qmp q;
	int ret = 0;
	size_t n;

	vigil_qmp_init(&q, "system_powerdown");
	for (const char *c = text; *c && ret == 0; c++) {
		/* each answer only once its command went out, a byte at a time too */
		while (vigil_qmp_output(&q, &n), n)
			vigil_qmp_sent(&q, 1);
		ret = vigil_qmp_feed(&q, c, 1);
	}
	ck_assert_int_eq(ret, 1);
}
END_TEST

/* `text` after the greeting (or instead of it with `greet` false) fails with `why`. */
static void expect_failure(bool greet, const char *text, const char *why)
{
	struct vigil_qmp q;
	size_t n;
	int ret;

	vigil_qmp_init(&q, "system_powerdown");
	if (greet) {
		ck_assert_int_eq(feed(&q, GREETING), 0);
		vigil_qmp_output(&q, &n);
		vigil_qmp_sent(&q, n);
	}
	ret = feed(&q, text);
	ck_assert_int_eq(ret, -EPROTO);
	ck_assert_int_eq(q.step, VIGIL_QMP_FAILED);
	ck_assert_msg(strcmp(q.err, why) == 0, "for %s: \"%s\", not \"%s\"", text, q.err, why);
	ck_assert_int_eq(feed(&q, RETURN), -EPROTO);
	vigil_qmp_output(&q, &n);
	ck_assert_uint_eq(n, 0);
}

START_TEST(test_hostile_input)
{
	char big[VIGIL_QMP_LINE_MAX + 2];

	expect_failure(false, "[1]\n", "message 1 is not a JSON object");
	expect_failure(false, RETURN, "message 1 is not QMP's greeting");
	expect_failure(false, "{\"QMP\": 1}\n", "message 1 is not QMP's greeting");
	expect_failure(false, "\n",
		       "message 1: malformed JSON at line 1, column 1 (offset 0): "
		       "unexpected end of data");
	expect_failure(false, "\xff{}\n",
		       "message 1: invalid UTF-8 at line 1, column 1 (offset 0)");
	expect_failure(false, "{\"QMP\":{}}{}\n",
		       "message 1: malformed JSON at line 1, column 11 (offset 10): "
		       "unexpected character");
	expect_failure(true, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\\nway\"}}\n",
		       "qmp_capabilities refused: GenericError: no\\x0away");
	expect_failure(true, "{\"error\": 7}\n", "qmp_capabilities refused: an error");
	expect_failure(true, "{\"hello\": 1}\n", "message 2 is neither an answer nor an event");
	expect_failure(false, "{\"QMP\": {}}\n" RETURN,
		       "an answer to qmp_capabilities before it "
		       "was sent");
	/* a key with a NUL character, which C strings would cut short */
	expect_failure(true, "{\"ev\\u0000ent\": 1}\n",
		       "message 2: a key holds a NUL character (U+0000) at line 1, column 5 "
		       "(offset 4)");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_failure(true, big, "a line longer than 4095 bytes");
}
END_TEST

START_TEST(test_bounds)
{
	struct vigil_qmp q;
	char chunk[4000];
	int ret = 0;
	size_t n;

	/* events without end: the count of messages ends it */
	vigil_qmp_init(&q, "system_powerdown");
	ck_assert_int_eq(feed(&q, GREETING), 0);
	vigil_qmp_output(&q, &n);
	vigil_qmp_sent(&q, n);
	for (int i = 0; i < VIGIL_QMP_MESSAGES_MAX && ret == 0; i++)
		ret = feed(&q, POWERDOWN);
	ck_assert_int_eq(ret, -EPROTO);
	ck_assert_str_eq(q.err, "more than 64 messages");

	/* long events, fewer than the messages allowed: the count of bytes ends them */
	vigil_qmp_init(&q, "system_powerdown");
	ck_assert_int_eq(feed(&q, GREETING), 0);
	memset(chunk, ' ', sizeof(chunk));
	memcpy(chunk, "{\"event\": \"X\"}", 14);
	chunk[sizeof(chunk) - 1] = '\n';
	ret = 0;
	for (int i = 0; i < 17 && ret == 0; i++)
		ret = vigil_qmp_feed(&q, chunk, sizeof(chunk));
	ck_assert_int_eq(ret, -EPROTO);
	ck_assert_str_eq(q.err, "more than 65536 bytes");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("qmp_client");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, test_qemu_exchange);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_hostile_input);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
