// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Minimal programs of every type vigil may attach. `vigil feature probe`
 * loads (and where attaching is the hard part, attaches) each one alone to
 * learn what this kernel really accepts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(vigil_fp_tp_btf)
{
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int vigil_fp_tp(void *ctx)
{
	return 0;
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(vigil_fp_kprobe)
{
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(vigil_fp_fentry)
{
	return 0;
}

SEC("tc")
int vigil_fp_tc(struct __sk_buff *skb)
{
	return 0;
}

SEC("cgroup_skb/egress")
int vigil_fp_cg_skb(struct __sk_buff *skb)
{
	return 1;
}

SEC("xdp")
int vigil_fp_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
