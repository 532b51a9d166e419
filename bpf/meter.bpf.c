// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * In-kernel metering of workloads into the pinned accounting map.
 *
 * CPU: at every context switch the task switched out is charged the growth
 * of its se.sum_exec_runtime since it was last charged, which is the same
 * figure the kernel adds to its cgroup's cpu.stat. The last charged value
 * lives in task storage, so a task's final slice is charged at its final
 * switch, after exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "meter.h"

#define BPF_LOCAL_STORAGE_GET_F_CREATE 1

/* Depth of workload cgroups below the v2 root: ancestors at it are workloads. */
const volatile __u32 workload_cgroup_level = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_MAX_WORKLOADS);
	__type(key, __u32);
	__type(value, struct vigil_usage);
} vigil_usage SEC(".maps");

/* cgroup v2 id of a workload -> its slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIGIL_MAX_WORKLOADS);
	__type(key, __u64);
	__type(value, __u32);
} vigil_cg_slot SEC(".maps");

/* per task: the sum_exec_runtime already charged */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} vigil_task_rt SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(vigil_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct vigil_usage *usage;
	__u64 cgroup_id, runtime, *charged;
	__u32 *slot;

	if (!prev->pid)
		return 0;
	/* the tracepoint runs before the switch: current is still prev */
	cgroup_id = bpf_get_current_ancestor_cgroup_id(workload_cgroup_level);
	slot = bpf_map_lookup_elem(&vigil_cg_slot, &cgroup_id);
	if (!slot)
		return 0;
	charged = bpf_task_storage_get(&vigil_task_rt, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!charged)
		return 0;
	runtime = prev->se.sum_exec_runtime;
	usage = bpf_map_lookup_elem(&vigil_usage, slot);
	if (usage && runtime > *charged)
		usage->cpu_ns += runtime - *charged;
	*charged = runtime;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
