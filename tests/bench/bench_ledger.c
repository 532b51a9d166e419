// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ledger: one epoch of 1,000 records signed and committed (target
 * <= 200 ms; median of the epochs), then verifying the 25,000 records this
 * leaves, from the database and from an export (target >= 50,000 records/s),
 * and reopening it, which verifies the last epoch only.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"
#include "timing.h"

#define WORKLOADS 1000
#define EPOCHS	  25
#define ROUNDS	  5
#define SEC	  1000000000ull

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int write_line(const char *line, size_t len, void *ctx)
{
	fwrite(line, 1, len, ctx);
	fputc('\n', ctx);
	return 0;
}

int main(void)
{
	static struct vigil_ledger_input in[WORKLOADS];
	static char ids[WORKLOADS][16];
	char dir[] = "/tmp/vigil-bench-ledger-XXXXXX", db[64], err[512], *text = NULL;
	struct vigil_ledger_opts opts = { .state_dir = dir };
	double epoch_ms[EPOCHS], t[ROUNDS], t0;
	struct vigil_ledger_check c;
	struct vigil_ledger *l;
	size_t len = 0;
	FILE *f;
	int ret = 1;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/ledger.db", dir);
	if (vigil_ledger_open(&opts, &l, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	for (int e = 0; e < EPOCHS; e++) {
		for (int w = 0; w < WORKLOADS; w++) {
			snprintf(ids[w], sizeof(ids[w]), "relay-%d", w);
			in[w] = (struct vigil_ledger_input){
				.workload = ids[w],
				.owner = "stake-pool-operator",
				.alloc = { 2, 4096, 20480 },
				.boot_id = "8d3e1c6a-5b1f-4c1e-9b0a-3f2d1c0b9a87",
			};
			in[w].usage.cpu_ns = (uint64_t)(e + 1) * 987654321ull + (uint64_t)w;
			in[w].usage.net_tx_bytes = (uint64_t)(e + 1) * 12345678ull;
			in[w].usage.net_rx_bytes = (uint64_t)(e + 1) * 23456789ull;
			in[w].usage.mem_bytes = 1ull << 31;
			in[w].usage.mem_peak_bytes = 3ull << 30;
			in[w].usage.mem_byte_seconds = (uint64_t)(e + 1) * 60 * (1ull << 31);
		}
		t0 = (bench_now_s() * 1e3);
		if (vigil_ledger_append_epoch(l, (uint64_t)e * 60 * SEC,
					      (uint64_t)(e + 1) * 60 * SEC, in, WORKLOADS)) {
			fprintf(stderr, "append: %s\n", vigil_ledger_error(l));
			goto close;
		}
		epoch_ms[e] = (bench_now_s() * 1e3) - t0;
	}
	printf("epoch of %d records signed and committed: median %.1f ms (target <= 200 ms)\n",
	       WORKLOADS, bench_median(epoch_ms, EPOCHS));

	for (int r = 0; r < ROUNDS; r++) {
		t0 = (bench_now_s() * 1e3);
		if (vigil_ledger_verify_db(db, NULL, &c)) {
			fprintf(stderr, "verify: %s\n", c.reason);
			goto close;
		}
		t[r] = (bench_now_s() * 1e3) - t0;
	}
	printf("verify database: %llu records, %llu Merkle roots: median %.0f ms, "
	       "%.0f records/s (target >= 50000)\n",
	       (unsigned long long)c.records, (unsigned long long)c.epochs, bench_median(t, ROUNDS),
	       (double)c.records / bench_median(t, ROUNDS) * 1e3);

	f = open_memstream(&text, &len);
	vigil_ledger_records(l, 0, 0, write_line, f);
	fclose(f);
	for (int r = 0; r < ROUNDS; r++) {
		f = fmemopen(text, len, "r");
		t0 = (bench_now_s() * 1e3);
		if (vigil_ledger_verify_lines(f, NULL, &c)) {
			fprintf(stderr, "verify export: %s\n", c.reason);
			fclose(f);
			goto close;
		}
		t[r] = (bench_now_s() * 1e3) - t0;
		fclose(f);
	}
	printf("verify export (%zu bytes, %.0f bytes/record): median %.0f ms, %.0f records/s\n",
	       len, (double)len / (double)c.records, bench_median(t, ROUNDS),
	       (double)c.records / bench_median(t, ROUNDS) * 1e3);
	vigil_ledger_close(l);

	t0 = (bench_now_s() * 1e3);
	if (vigil_ledger_open(&opts, &l, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	printf("open (verifies the last epoch): %.0f ms\n", (bench_now_s() * 1e3) - t0);
	ret = 0;
close:
	vigil_ledger_close(l);
out:
	free(text);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return ret;
}
