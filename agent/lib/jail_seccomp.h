/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JAIL_SECCOMP_H
#define VIGIL_JAIL_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "jail_spec.h"

/*
 * A jail's seccomp filter, built with libseccomp from an allow-list profile
 * (jail_syscalls.c): native architecture only (a foreign one, i386 through
 * int 0x80 or x32, kills the process), the profile's calls allowed, a few
 * answered ENOSYS so that programs fall back (clone3, io_uring), clone
 * without namespace flags, sockets of the unix, inet, inet6 and netlink
 * families; anything else kills the process, or in log mode is allowed and
 * logged by the kernel (audit type 1326).
 *
 * The filter is compiled here, in the daemon, and installed in the jail
 * with the raw seccomp() call: libseccomp allocates, which a child of a
 * multithreaded process must not.
 */
struct vigil_seccomp_filter {
	struct sock_filter *insns;
	unsigned short len;
	/* SHA-256 of the instructions, hex: tells whether two builds are the same filter */
	char sha256[65];
};

/*
 * libseccomp's binary-tree optimisation (SCMP_FLTATR_CTL_OPTIMIZE 2): a
 * lookup costs log2(n) comparisons instead of up to n (make bench).
 */
#define VIGIL_SECCOMP_OPTIMIZE_TREE true

int vigil_seccomp_build(enum vigil_seccomp_profile profile, enum vigil_seccomp_mode mode, bool tree,
			struct vigil_seccomp_filter *ret);
void vigil_seccomp_filter_free(struct vigil_seccomp_filter *f);

/* The same filter as libseccomp's pseudo filter code (PFC), for people; free() it. */
int vigil_seccomp_pfc(enum vigil_seccomp_profile profile, enum vigil_seccomp_mode mode, char **ret);

/*
 * Installs `f` on the calling thread and, with TSYNC, on every other thread
 * of the process. Async-signal-safe. The caller must have set
 * PR_SET_NO_NEW_PRIVS or hold CAP_SYS_ADMIN. 0 or a negative errno.
 */
int vigil_seccomp_install(const struct vigil_seccomp_filter *f);

#endif
