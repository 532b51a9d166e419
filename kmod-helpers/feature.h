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
	VF_PROG_TP_BTF,
	VF_PROG_TRACEPOINT,
	VF_PROG_KPROBE,
	VF_PROG_FENTRY,
	VF_PROG_SCHED_CLS,
	VF_PROG_CGROUP_SKB,
	VF_PROG_XDP,
	VF_MAP_HASH,
	VF_MAP_ARRAY,
	VF_MAP_PERCPU_ARRAY,
	VF_MAP_PERCPU_HASH,
	VF_MAP_LPM_TRIE,
	VF_MAP_RINGBUF,
	VF_BPFFS,
	VF_TRACEFS,
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

struct vigil_feature_report {
	struct vigil_feature items[VF__COUNT];
	char kernel_release[65];
	struct vigil_cgroup2 cgroup;
};

struct vigil_feature_opts {
	/* load missing facilities' kernel modules with libkmod */
	bool load_modules;
	/* mount bpffs and tracefs where they are missing */
	bool mount;
	const char *bpffs_path;	  /* default /sys/fs/bpf */
	const char *tracefs_path; /* default /sys/kernel/tracing */
};

/* The minimum kernel: CLONE_INTO_CGROUP (5.7) and the BPF ring buffer (5.8). */
#define VIGIL_MIN_KERNEL_MAJOR 5
#define VIGIL_MIN_KERNEL_MINOR 8

int vigil_feature_probe(const struct vigil_feature_opts *opts, struct vigil_feature_report *ret);
/* true when every required item is available */
bool vigil_feature_report_ok(const struct vigil_feature_report *report);

/* The individual probes; each fills f->available, f->detail and f->action. */

void vigil_probe_btf(struct vigil_feature *f);
void vigil_probe_bpf_syscall(struct vigil_feature *f);
void vigil_probe_bpf_stats(struct vigil_feature *f);
void vigil_probe_prog(struct vigil_feature *f, const char *prog_name, bool attach);
void vigil_probe_map(struct vigil_feature *f, int map_type);

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
