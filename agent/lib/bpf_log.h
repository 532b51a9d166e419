/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_BPF_LOG_H
#define VIGIL_BPF_LOG_H

#include <stddef.h>

/*
 * libbpf reports load failures (the verifier's log included) through its
 * print callback. This keeps the latest messages so that callers can show
 * the last lines with an error, and passes everything, debug included, to
 * an optional sink (the CLI's -d).
 */
typedef void (*vigil_bpf_log_sink)(const char *msg);

void vigil_bpf_log_install(vigil_bpf_log_sink sink);
void vigil_bpf_log_clear(void);
/* Copies the first captured line (usually the cause) without "libbpf: ". */
const char *vigil_bpf_log_first(char *buf, size_t len);
/* Copies the last `lines` captured lines to buf; returns buf. */
const char *vigil_bpf_log_tail(char *buf, size_t len, unsigned int lines);

#endif
