/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_FEATURE_H
#define VIGIL_FEATURE_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup.h"

/*
 * What this kernel and host can do for vigil, each item found out by really
 * using the facility (loading a program, creating a map, a table, an
 * interface), not by reading configuration.
 */
enum vigil_feature_id {
	VF_KERNEL,
	VF_BTF,
	VF_BPF_SYSCALL,
	VF_BPF_STATS,
	VF_MAP_HASH,
	VF_MAP_ARRAY,
	VF_MAP_PERCPU_ARRAY,
	VF_MAP_LPM_TRIE,
	VF_MAP_TASK_STORAGE,
	VF_BPF_ATOMICS,
	VF_TRACING_TASK_STORAGE,
	VF_METER_PROGRAMS,
	VF_NET_PROGRAMS,
	VF_BPFFS,
	VF_CGROUP_V2,
	VF_CGROUP_LIMITS,
	VF_NFTABLES,
	VF_TUN,
	VF_VETH,
	VF_LOOP,
	VF_DEVICE_MAPPER,
	VF_DM_CRYPT,
	VF_SECCOMP,
	VF_LIBCRYPTSETUP,
	VF__COUNT
};

struct vigil_feature {
	const char *name;
	bool available;
	bool required;
	char detail[384];
	/* the kernel module that provides it, or NULL */
	const char *module;
	/* what the probe changed on the host (a mount, a module), or "" */
	char action[160];
};

/* One of vigil's own programs, loaded and attached on its own by the probe. */
struct vigil_prog_probe {
	/* the object it is part of: "meter" or "net" */
	const char *object;
	char name[64];
	char section[64];
	bool loaded;
	bool attached;
	char detail[256];
};

#define VIGIL_PROBE_MAX_PROGRAMS 16

struct vigil_feature_report {
	struct vigil_feature items[VF__COUNT];
	char kernel_release[65];
	struct vigil_cgroup2 cgroup;
	struct vigil_prog_probe programs[VIGIL_PROBE_MAX_PROGRAMS];
	size_t n_programs;
};

struct vigil_feature_opts {
	/* load missing facilities' kernel modules with libkmod */
	bool load_modules;
	/* mount bpffs where it is missing */
	bool mount;
	const char *bpffs_path; /* default /sys/fs/bpf */
	/*
	 * leave out vigil's own programs: for vigild, which loads them itself
	 * right after (and says why when one fails) instead of verifying each twice
	 */
	bool skip_programs;
};

/*
 * The minimum kernel is the one vigil's programs need: the exit_mmap
 * tracepoint (6.1, with the maple tree), BPF atomics with fetch (5.12),
 * task storage in tracing programs (5.11), CLONE_INTO_CGROUP (5.7).
 */
#define VIGIL_MIN_KERNEL_MAJOR 6
#define VIGIL_MIN_KERNEL_MINOR 1
#define VIGIL_MIN_KERNEL_WHY   "the exit_mmap tracepoint"

/* Whether a kernel release ("6.1.0-57-amd64") is at least the minimum; -EINVAL if unparsable. */
int vigil_kernel_release_ok(const char *release);

int vigil_feature_probe(const struct vigil_feature_opts *opts, struct vigil_feature_report *ret);
/* true when every required item is available */
bool vigil_feature_report_ok(const struct vigil_feature_report *report);

/* The individual probes; each fills f->available, f->detail and f->action. */

struct btf;
/* `vmlinux`: the kernel's BTF as the report loaded it once, or NULL with `load_errno` why not. */
void vigil_probe_btf(struct vigil_feature *f, const struct btf *vmlinux, int load_errno);
void vigil_probe_bpf_syscall(struct vigil_feature *f);
void vigil_probe_bpf_stats(struct vigil_feature *f);
/* A minimal program of feature_probe.bpf.c: loads (`attach`: and attaches). */
void vigil_probe_prog(struct vigil_feature *f, const char *prog_name, bool attach);
void vigil_probe_map(struct vigil_feature *f, int map_type);
/*
 * Loads and attaches each program of the BPF object `elf` on its own, its
 * maps private and never pinned, and records each in ret->programs; `f`
 * says whether all of them did. `vmlinux` (may be NULL) names missing hooks.
 */
void vigil_probe_programs(struct vigil_feature *f, const char *object, const void *elf, size_t size,
			  const struct btf *vmlinux, struct vigil_feature_report *ret);

void vigil_probe_fs_mount(struct vigil_feature *f, const char *fstype, const char *path,
			  bool mount_it);
void vigil_probe_cgroup(struct vigil_feature *f, struct vigil_cgroup2 *cg);
/* Whether the v2 hierarchy `cg` has the controllers workloads' limits are written to. */
void vigil_probe_cgroup_limits(struct vigil_feature *f, const struct vigil_cgroup2 *cg);
void vigil_probe_nftables(struct vigil_feature *f);
void vigil_probe_tun(struct vigil_feature *f);
void vigil_probe_veth(struct vigil_feature *f);
void vigil_probe_loop(struct vigil_feature *f);
void vigil_probe_device_mapper(struct vigil_feature *f);
void vigil_probe_dm_crypt(struct vigil_feature *f, bool have_dm);
void vigil_probe_seccomp(struct vigil_feature *f);
void vigil_probe_libcryptsetup(struct vigil_feature *f);

#endif
