/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_JAIL_SPEC_H
#define VIGIL_JAIL_SPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A spec's "jail" object. Every workload is jailed; the object only says
 * how, and leaving it out is the strict default:
 *   "jail": {"seccomp": "generic", "seccomp_mode": "kill",
 *            "devices": ["tun", "kvm"],
 *            "ro_paths": ["/srv/vigil/images/vmlinuz"],
 *            "rw_paths": ["/srv/vigil/images/relay-1.img"]}
 * "enabled": false runs the workload unjailed, and only a vigild started
 * with --allow-unjailed accepts that.
 */

enum vigil_seccomp_profile {
	VIGIL_SECCOMP_GENERIC, /* process workloads: a shell, a node */
	VIGIL_SECCOMP_QEMU,    /* QEMU's microvm machine, TCG or KVM */
	VIGIL_SECCOMP__COUNT
};

enum vigil_seccomp_mode {
	VIGIL_SECCOMP_KILL, /* a call outside the profile kills the process */
	VIGIL_SECCOMP_LOG,  /* it is allowed and logged by the kernel: for profiling */
};

/* Devices a workload may ask for in its /dev, beside the standard ones. */
#define VIGIL_JAIL_DEV_TUN (1u << 0)
#define VIGIL_JAIL_DEV_KVM (1u << 1)

#define VIGIL_JAIL_MAX_PATHS 16

/* The descriptor a jailed tap workload's VMM finds its tap on, as "{tap_fd}" says. */
#define VIGIL_TAP_FD 3

/*
 * The jail's runtime directory, a small tmpfs of its own owned by the
 * workload (given when the command has "{qmp}"), and the QMP socket's path
 * in it, which "{qmp}" stands for.
 */
#define VIGIL_JAIL_RUN_DIR  "/run/vigil"
#define VIGIL_JAIL_QMP_PATH VIGIL_JAIL_RUN_DIR "/qmp.sock"

struct vigil_jail_spec {
	bool enabled;
	enum vigil_seccomp_profile seccomp;
	enum vigil_seccomp_mode seccomp_mode;
	unsigned int devices;
	/* absolute and normalized, as declared: bound at the same path in the jail */
	char **ro_paths;
	size_t n_ro_paths;
	char **rw_paths;
	size_t n_rw_paths;
};

/*
 * Reads "jail" from the spec object `obj` (absent: the default, with the
 * profile `default_profile`). -EINVAL with err naming the field, without
 * the workload's name: the caller adds it.
 */
int vigil_jail_spec_parse(struct json_object *obj, enum vigil_seccomp_profile default_profile,
			  struct vigil_jail_spec *ret, char *err, size_t len);
/* The object in the form it is parsed from, every field explicit; NULL without memory. */
struct json_object *vigil_jail_spec_to_json(const struct vigil_jail_spec *j);
void vigil_jail_spec_free(struct vigil_jail_spec *j);

const char *vigil_seccomp_profile_name(enum vigil_seccomp_profile p);
const char *vigil_seccomp_mode_name(enum vigil_seccomp_mode m);

/* The device a VIGIL_JAIL_DEV_* bit stands for: its spec name and its node. */
struct vigil_jail_device {
	unsigned int bit;
	const char *name;
	const char *path; /* on the host and in the jail */
	unsigned int major, minor;
};

extern const struct vigil_jail_device vigil_jail_devices[];
extern const size_t vigil_jail_n_devices;

/*
 * true when `path` is absolute and normalized: no empty, "." or ".."
 * component, no trailing slash, no control characters.
 */
bool vigil_path_normalized(const char *path);
/* true when `path` is `dir` or beneath it (both normalized). */
bool vigil_path_within(const char *path, const char *dir);
/* true when one of `a` and `b` is the other or beneath it. */
bool vigil_paths_overlap(const char *a, const char *b);

#endif
