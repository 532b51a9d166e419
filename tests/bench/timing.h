/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clocks and medians the benchmarks share. */
#ifndef VIGIL_BENCH_TIMING_H
#define VIGIL_BENCH_TIMING_H

/* CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);
/* Sorts v[0..n) ascending and returns its median (v[n / 2]). */
double bench_median(double *v, int n);

#endif
