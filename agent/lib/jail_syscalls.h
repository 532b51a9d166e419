/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The allow-lists of the jail's seccomp profiles (jail_seccomp.c builds them). */
#ifndef VIGIL_JAIL_SYSCALLS_H
#define VIGIL_JAIL_SYSCALLS_H

#include <stddef.h>

#include "jail_spec.h"

enum vigil_syscall_rule {
	VIGIL_SC_ALLOW,
	/* answered ENOSYS: programs that probe for it fall back to an older call */
	VIGIL_SC_ENOSYS,
	/* allowed without namespace flags */
	VIGIL_SC_CLONE,
	/* allowed for the unix, inet, inet6 and netlink families */
	VIGIL_SC_SOCKET,
};

struct vigil_syscall {
	const char *name; /* as libseccomp knows it */
	enum vigil_syscall_rule rule;
};

/*
 * The calls of a profile: the base every jailed process needs (the dynamic
 * loader, libc's start-up, vigil's reaper), then the profile's own, which
 * repeats none of the base (a repeat with another rule fails the build).
 * Names this libseccomp does not know are skipped by the builder.
 */
const struct vigil_syscall *vigil_syscalls_base(size_t *ret_n);
const struct vigil_syscall *vigil_syscalls_profile(enum vigil_seccomp_profile profile,
						   size_t *ret_n);

#endif
