// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON writer against json-c building and serializing the same document:
 * 1,000 usage objects of 16 counters each, the shape `vigil -j usage show`
 * prints. Prints the median of several rounds of each, side by side.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"

#define OBJECTS 1000
#define ROUNDS	31

static const char *const keys[] = {
	"cpu_ns",
	"mem_bytes",
	"mem_peak_bytes",
	"mem_byte_seconds",
	"disk_read_bytes",
	"disk_write_bytes",
	"disk_read_ops",
	"disk_write_ops",
	"net_rx_bytes",
	"net_tx_bytes",
	"net_rx_packets",
	"net_tx_packets",
	"net_tx_public_bytes",
	"net_tx_private_bytes",
	"net_drop_packets",
	"slot",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t with_writer(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json_writer *jw = jw_new(f, false);
	char id[32];

	jw_start_array(jw);
	for (int i = 0; i < OBJECTS; i++) {
		snprintf(id, sizeof(id), "relay-%d", i);
		jw_start_object(jw);
		jw_string_field(jw, "workload", id);
		for (size_t k = 0; k < NKEYS; k++)
			jw_u64_field(jw, keys[k], (uint64_t)i * 1000003u + k);
		jw_end_object(jw);
	}
	jw_end_array(jw);
	if (jw_finish(jw) < 0)
		abort();
	jw_free(jw);
	fclose(f);
	free(text);
	return len;
}

static size_t with_json_c(void)
{
	struct json_object *arr = json_object_new_array();
	char id[32];
	size_t len;

	for (int i = 0; i < OBJECTS; i++) {
		struct json_object *o = json_object_new_object();

		snprintf(id, sizeof(id), "relay-%d", i);
		json_object_object_add(o, "workload", json_object_new_string(id));
		for (size_t k = 0; k < NKEYS; k++)
			json_object_object_add(o, keys[k],
					       json_object_new_uint64((uint64_t)i * 1000003u + k));
		json_object_array_add(arr, o);
	}
	len = strlen(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	return len;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	uint64_t writer[ROUNDS], jsonc[ROUNDS];
	size_t bytes = 0;

	/* interleaved, so both see the same machine noise */
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();

		bytes = with_writer();
		writer[r] = now_ns() - t0;
		t0 = now_ns();
		with_json_c();
		jsonc[r] = now_ns() - t0;
	}
	qsort(writer, ROUNDS, sizeof(writer[0]), cmp_u64);
	qsort(jsonc, ROUNDS, sizeof(jsonc[0]), cmp_u64);
	printf("json_writer: %d usage objects (%zu bytes): median %.3f ms, %.0f ns/object\n",
	       OBJECTS, bytes, writer[ROUNDS / 2] / 1e6, (double)writer[ROUNDS / 2] / OBJECTS);
	printf("json-c (baseline), same document: median %.3f ms, %.0f ns/object\n",
	       jsonc[ROUNDS / 2] / 1e6, (double)jsonc[ROUNDS / 2] / OBJECTS);
	printf("json_writer speed vs json-c: %.2fx\n",
	       (double)jsonc[ROUNDS / 2] / (double)writer[ROUNDS / 2]);
	return 0;
}
