/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VMM's QMP socket, played by a suite's own binary as a workload, for
 * stops through QMP. Plain C, no Check: a suite's main() runs it when
 * re-executed as `--qmp MODE PATH [TARGET]`, PATH being what "{qmp}" became.
 * It says "fake qmp: listening" once it does, and each command it gets.
 *
 *   obey     answers as QEMU does and exits 0 on system_powerdown
 *   ignore   answers, but neither powers off nor ends on SIGTERM
 *   garbage  a greeting that is not JSON
 *   silent   takes the connection and never says a word
 *   flood    the greeting, then events without end
 *   longline the greeting, then a line without end
 *   absent   never listens
 *   symlink  PATH is a symlink to TARGET (a socket of the host's)
 */
#ifndef VIGIL_FAKE_QMP_H
#define VIGIL_FAKE_QMP_H

/* Never returns: it ends by _exit (no sanitizer's exit-time leak check in a jail) or a signal. */
void fake_qmp_main(int argc, char **argv) __attribute__((noreturn));

#endif
