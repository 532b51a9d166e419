/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hostile tenant's workload: what it tries from inside its jail, and
 * what it sees of itself. Plain C, no Check: a workload's command runs it.
 */
#ifndef VIGIL_JAIL_ATTACKS_H
#define VIGIL_JAIL_ATTACKS_H

/*
 * Run as `--attack MODE STATE_DIR PIN_DIR SOCKET VIGILD_PID` (argv[0] is
 * "--attack"; MODE is "veth" or "tap", a tap workload being handed its tap
 * as descriptor 3). Prints one line per attempt, "attack NAME: OUTCOME",
 * where OUTCOME is "ok" (it worked), the errno's name ("ENOENT"), or
 * "SIGSYS" (the seccomp filter killed the process that tried, a child), and
 * lines "self KEY: VALUE" of its identity (uid, gid, CapEff, CapBnd,
 * NoNewPrivs, Seccomp, processes it sees in /proc). Returns 0.
 */
int jail_attacks_main(int argc, char **argv);

#endif
