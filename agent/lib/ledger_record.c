// SPDX-License-Identifier: GPL-2.0-or-later
#include "ledger_record.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the flag bits in order, which is also their names' sorted order */
const char *const ledger_flag_names[LEDGER_N_FLAGS] = {
	"counter_regressed",	 "cpu_over_alloc",    "memory_over_alloc",
	"net_over_egress_limit", "net_tx_unbalanced",
};

static struct {
	pthread_once_t once;
	const struct vigil_usage_field *counters[LEDGER_N_COUNTERS];
	const struct vigil_usage_field *gauges[LEDGER_N_GAUGES];
} order = { PTHREAD_ONCE_INIT, { NULL }, { NULL } };

static int by_name(const void *a, const void *b)
{
	const struct vigil_usage_field *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* canonical JSON writes keys sorted: the usage table's order is for people */
static void sort_fields(void)
{
	size_t nc = 0, ng = 0;

	for (size_t i = 0; i < vigil_usage_n_fields; i++) {
		const struct vigil_usage_field *f = &vigil_usage_fields[i];

		if (f->kind == VIGIL_USAGE_COUNTER)
			order.counters[nc++] = f;
		else
			order.gauges[ng++] = f;
	}
	qsort(order.counters, nc, sizeof(order.counters[0]), by_name);
	qsort(order.gauges, ng, sizeof(order.gauges[0]), by_name);
}

const struct vigil_usage_field *ledger_counter(size_t i)
{
	pthread_once(&order.once, sort_fields);
	return order.counters[i];
}

const struct vigil_usage_field *ledger_gauge(size_t i)
{
	pthread_once(&order.once, sort_fields);
	return order.gauges[i];
}

size_t ledger_counter_index(const char *name)
{
	size_t i = 0;

	while (i < LEDGER_N_COUNTERS && strcmp(ledger_counter(i)->name, name) != 0)
		i++;
	return i;
}

static void write_figures(struct cj_buf *b, const char *key,
			  const struct vigil_usage_field *(*field)(size_t), size_t n,
			  const uint64_t *v)
{
	cj_lit(b, key);
	for (size_t i = 0; i < n; i++) {
		cj_lit(b, i ? ",\"" : "{\"");
		cj_lit(b, field(i)->name);
		cj_lit(b, "\":");
		cj_u64(b, v[i]);
	}
	cj_lit(b, "}");
}

int ledger_record_message(const struct ledger_record *r, struct cj_buf *b, size_t *ret_sig_at)
{
	bool first = true;
	size_t sig_at;

	cj_lit(b, "{\"agent_version\":");
	cj_string(b, r->agent_version);
	cj_lit(b, ",\"alloc\":{\"egress_mbit\":");
	cj_u64(b, r->alloc.egress_mbit);
	cj_lit(b, ",\"memory_mib\":");
	cj_u64(b, r->alloc.memory_mib);
	cj_lit(b, ",\"vcpus\":");
	cj_u64(b, r->alloc.vcpus);
	cj_lit(b, ",\"volume_mib\":");
	cj_u64(b, r->alloc.volume_mib);
	cj_lit(b, "},\"boot_id\":");
	cj_string(b, r->boot_id);
	write_figures(b, ",\"counters\":", ledger_counter, LEDGER_N_COUNTERS, r->counters);
	write_figures(b, ",\"delta\":", ledger_counter, LEDGER_N_COUNTERS, r->delta);
	cj_lit(b, r->final ? ",\"final\":true,\"flags\":[" : ",\"final\":false,\"flags\":[");
	for (unsigned int i = 0; i < LEDGER_N_FLAGS; i++) {
		if (!(r->flags & (1u << i)))
			continue;
		if (!first)
			cj_lit(b, ",");
		first = false;
		cj_string(b, ledger_flag_names[i]);
	}
	cj_lit(b, "]");
	write_figures(b, ",\"gauges\":", ledger_gauge, LEDGER_N_GAUGES, r->gauges);
	cj_lit(b, ",\"host_key\":");
	cj_hex(b, r->host_key, sizeof(r->host_key));
	cj_lit(b, ",\"owner\":");
	cj_string(b, r->owner);
	cj_lit(b, ",\"prev_hash\":");
	cj_hex(b, r->prev_hash, sizeof(r->prev_hash));
	cj_lit(b, ",\"seq\":");
	cj_u64(b, r->seq);
	sig_at = b->len;
	cj_lit(b, ",\"window_end\":");
	cj_u64(b, r->window_end);
	cj_lit(b, ",\"window_start\":");
	cj_u64(b, r->window_start);
	cj_lit(b, ",\"workload\":");
	cj_string(b, r->workload);
	cj_lit(b, "}");
	if (cj_error(b))
		return cj_error(b);
	*ret_sig_at = sig_at;
	return 0;
}

int ledger_record_line(const char *msg, size_t len, size_t sig_at, const uint8_t *sig,
		       struct cj_buf *b)
{
	cj_raw(b, msg, sig_at);
	cj_lit(b, ",\"sig\":");
	cj_hex(b, sig, VIGIL_LEDGER_SIG_BYTES);
	cj_raw(b, msg + sig_at, len - sig_at);
	return cj_error(b);
}

int ledger_record_strip_sig(const char *line, size_t len, size_t sig_start, size_t sig_end,
			    struct cj_buf *b)
{
	cj_raw(b, line, sig_start);
	cj_raw(b, line + sig_end, len - sig_end);
	return cj_error(b);
}

/* A cursor over the line; the first mismatch is kept for the message. */
struct cur {
	const char *start;
	const char *p;
	const char *end;
	const char *want;
};

static bool fail(struct cur *c, const char *want)
{
	if (!c->want)
		c->want = want;
	return false;
}

static bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if (c->want)
		return false;
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return fail(c, s);
	c->p += n;
	return true;
}

static bool u64(struct cur *c, uint64_t *ret)
{
	uint64_t v = 0;
	const char *d = c->p;

	if (c->want)
		return false;
	if (d == c->end || *d < '0' || *d > '9')
		return fail(c, "an integer");
	/* one spelling per number: no leading zeros */
	if (*d == '0' && d + 1 < c->end && d[1] >= '0' && d[1] <= '9')
		return fail(c, "an integer without leading zeros");
	for (; d < c->end && *d >= '0' && *d <= '9'; d++) {
		if (v > (UINT64_MAX - (uint64_t)(*d - '0')) / 10)
			return fail(c, "an integer below 2^64");
		v = v * 10 + (uint64_t)(*d - '0');
	}
	c->p = d;
	*ret = v;
	return true;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* the one escape cj_string() writes for a byte, so only that one is accepted */
static bool escape(struct cur *c, char *out)
{
	static const char shorts[] = "\"\"\\\\b\bf\fn\nr\rt\t";
	int hi, lo;

	for (const char *s = shorts; *s; s += 2) {
		if (c->p[1] == s[0]) {
			*out = s[1];
			c->p += 2;
			return true;
		}
	}
	if (c->end - c->p < 6 || memcmp(c->p, "\\u00", 4) != 0)
		return fail(c, "a canonical escape");
	hi = hexval(c->p[4]);
	lo = hexval(c->p[5]);
	if (hi < 0 || lo < 0 || hi > 1 || (hi == 0 && lo == 0) ||
	    strchr("\b\f\n\r\t", hi * 16 + lo))
		return fail(c, "a canonical escape");
	*out = (char)(hi * 16 + lo);
	c->p += 6;
	return true;
}

static bool string(struct cur *c, char *buf, size_t size)
{
	size_t n = 0;

	if (!lit(c, "\""))
		return false;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p;

		if ((unsigned char)ch < 0x20)
			return fail(c, "no raw control characters");
		if (ch == '\\') {
			if (c->end - c->p < 2 || !escape(c, &ch))
				return fail(c, "a canonical escape");
		} else {
			c->p++;
		}
		if (n + 1 >= size)
			return fail(c, "a shorter string");
		buf[n++] = ch;
	}
	buf[n] = '\0';
	if (!cj_valid_utf8(buf))
		return fail(c, "UTF-8");
	return lit(c, "\"");
}

static bool hex(struct cur *c, uint8_t *bin, size_t len)
{
	if (!lit(c, "\""))
		return false;
	if ((size_t)(c->end - c->p) < 2 * len + 1)
		return fail(c, "lowercase hex digits");
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(c->p[2 * i]), lo = hexval(c->p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return fail(c, "lowercase hex digits");
		bin[i] = (uint8_t)(hi << 4 | lo);
	}
	c->p += 2 * len;
	return lit(c, "\"");
}

static bool figures(struct cur *c, const struct vigil_usage_field *(*field)(size_t), size_t n,
		    uint64_t *v)
{
	char key[64];

	for (size_t i = 0; i < n; i++) {
		size_t len = (size_t)snprintf(key, sizeof(key), "%s\"%s\":", i ? "," : "{",
					      field(i)->name);

		if (c->want)
			return false;
		/* named after the table's key: `key` is gone when the message is made */
		if ((size_t)(c->end - c->p) < len || memcmp(c->p, key, len) != 0)
			return fail(c, field(i)->name);
		c->p += len;
		if (!u64(c, &v[i]))
			return false;
	}
	return lit(c, "}");
}

static bool flags(struct cur *c, unsigned int *ret)
{
	unsigned int f = 0, next = 0;
	char name[32];

	if (!lit(c, "["))
		return false;
	while (c->p < c->end && *c->p != ']') {
		if (f && !lit(c, ","))
			return false;
		if (!string(c, name, sizeof(name)))
			return false;
		while (next < LEDGER_N_FLAGS && strcmp(ledger_flag_names[next], name) != 0)
			next++;
		/* known names, each once, in order */
		if (next == LEDGER_N_FLAGS)
			return fail(c, "a known flag, once, in sorted order");
		f |= 1u << next++;
	}
	*ret = f;
	return lit(c, "]");
}

int ledger_record_parse(const char *line, size_t len, struct ledger_record *r,
			size_t *ret_sig_start, size_t *ret_sig_end, char *err, size_t err_len)
{
	struct cur c = { line, line, line + len, NULL };
	size_t sig_start, sig_end;

	lit(&c, "{\"agent_version\":");
	string(&c, r->agent_version, sizeof(r->agent_version));
	lit(&c, ",\"alloc\":{\"egress_mbit\":");
	u64(&c, &r->alloc.egress_mbit);
	lit(&c, ",\"memory_mib\":");
	u64(&c, &r->alloc.memory_mib);
	lit(&c, ",\"vcpus\":");
	u64(&c, &r->alloc.vcpus);
	lit(&c, ",\"volume_mib\":");
	u64(&c, &r->alloc.volume_mib);
	lit(&c, "},\"boot_id\":");
	string(&c, r->boot_id, sizeof(r->boot_id));
	lit(&c, ",\"counters\":");
	figures(&c, ledger_counter, LEDGER_N_COUNTERS, r->counters);
	lit(&c, ",\"delta\":");
	figures(&c, ledger_counter, LEDGER_N_COUNTERS, r->delta);
	lit(&c, ",\"final\":");
	if (!c.want && c.p < c.end && *c.p == 't')
		r->final = lit(&c, "true");
	else
		r->final = !lit(&c, "false");
	lit(&c, ",\"flags\":");
	flags(&c, &r->flags);
	lit(&c, ",\"gauges\":");
	figures(&c, ledger_gauge, LEDGER_N_GAUGES, r->gauges);
	lit(&c, ",\"host_key\":");
	hex(&c, r->host_key, sizeof(r->host_key));
	lit(&c, ",\"owner\":");
	string(&c, r->owner, sizeof(r->owner));
	lit(&c, ",\"prev_hash\":");
	hex(&c, r->prev_hash, sizeof(r->prev_hash));
	lit(&c, ",\"seq\":");
	u64(&c, &r->seq);
	sig_start = (size_t)(c.p - line);
	lit(&c, ",\"sig\":");
	hex(&c, r->sig, sizeof(r->sig));
	sig_end = (size_t)(c.p - line);
	lit(&c, ",\"window_end\":");
	u64(&c, &r->window_end);
	lit(&c, ",\"window_start\":");
	u64(&c, &r->window_start);
	lit(&c, ",\"workload\":");
	string(&c, r->workload, sizeof(r->workload));
	lit(&c, "}");
	if (!c.want && c.p != c.end)
		fail(&c, "the end of the record");
	if (c.want) {
		snprintf(err, err_len, "not a canonical record: expected %s at byte %zu", c.want,
			 (size_t)(c.p - line));
		return -EBADMSG;
	}
	*ret_sig_start = sig_start;
	*ret_sig_end = sig_end;
	return 0;
}
