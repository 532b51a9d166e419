// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Minimal programs for facilities vigil's programs depend on, so that when
 * one of those does not load, `vigil feature probe` can also say which
 * facility this kernel lacks. Each is loaded on its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define BPF_LOCAL_STORAGE_GET_F_CREATE 1

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} vigil_fp_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} vigil_fp_task SEC(".maps");

/* the three atomics with a fetch the meter uses (5.12) */
SEC("tp_btf/sched_switch")
int BPF_PROG(vigil_fp_atomics)
{
	__u32 zero = 0;
	__s64 *v = bpf_map_lookup_elem(&vigil_fp_counter, &zero);

	if (!v)
		return 0;
	if (__sync_fetch_and_add(v, 1) > 0)
		__sync_lock_test_and_set(v, 0);
	__sync_val_compare_and_swap(v, 0, 1);
	return 0;
}

/* task storage from a tracing program (5.11) */
SEC("tp_btf/sched_switch")
int BPF_PROG(vigil_fp_task_storage, bool preempt, struct task_struct *prev)
{
	__u64 *v = bpf_task_storage_get(&vigil_fp_task, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		*v += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
