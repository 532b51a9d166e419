/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The maps every metering object shares. Each is pinned by name under the
 * pin directory, so objects loaded separately (tracing, tc) and a restarted
 * agent all use the same instances; definitions must stay identical.
 */
#ifndef VIGIL_MAPS_BPF_H
#define VIGIL_MAPS_BPF_H

#include "meter.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_MAX_WORKLOADS);
	__type(key, __u32);
	__type(value, struct vigil_usage);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_usage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_MAX_WORKLOADS);
	__type(key, __u32);
	__type(value, struct vigil_mem);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_mem SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_MAX_WORKLOADS);
	__type(key, __u32);
	__type(value, struct vigil_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_slots SEC(".maps");

/* cgroup v2 id of a workload -> its slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIGIL_MAX_WORKLOADS);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_cg_slot SEC(".maps");

/*
 * Bumped by the agent whenever vigil_cg_slot changes, so the slot each task
 * caches is looked up again (a cgroup registered after its tasks started).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_cg_gen SEC(".maps");

/* host-side ifindex of a workload's interface -> its slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIGIL_MAX_INTERFACES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_if_slot SEC(".maps");

/* IPv6 destinations that are not "public" for transmitted bytes */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VIGIL_MAX_PRIVATE_PREFIXES);
	__type(key, struct vigil_prefix_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_private_nets SEC(".maps");

/* IPv4 destinations that are not "public" for transmitted bytes */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, VIGIL_MAX_PRIVATE_PREFIXES);
	__type(key, struct vigil_prefix4_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_private_v4 SEC(".maps");

#endif
