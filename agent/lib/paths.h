/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Default locations (DESIGN.md); every one can be overridden by an option. */
#ifndef VIGIL_PATHS_H
#define VIGIL_PATHS_H

#define VIGIL_DEFAULT_SOCKET	"/run/vigil/vigil.sock"
#define VIGIL_DEFAULT_STATE_DIR "/var/lib/vigil"
#define VIGIL_DEFAULT_BPFFS	"/sys/fs/bpf"
#define VIGIL_DEFAULT_PIN_DIR	"/sys/fs/bpf/vigil"
/* vigil's parent cgroup, below the cgroup v2 mount */
#define VIGIL_DEFAULT_CGROUP_PARENT "vigil"
#define VIGIL_DEFAULT_LISTEN	    "127.0.0.1:9477"
/*
 * 0x70000000: above systemd's container range (524288-1879048191), below
 * 2^31 where signed uids break tools, and far from the system (<1000),
 * regular (1000-60000) and dynamic (61184-65519) users.
 */
#define VIGIL_DEFAULT_UID_BASE 1879048192u

#endif
