// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * In-kernel metering of workloads into the pinned accounting maps: CPU,
 * disk and memory. (Network is metered by tc programs in net.bpf.c.)
 *
 * CPU and disk bytes: at every context switch the task switched out is
 * charged the growth, since it was last charged, of its se.sum_exec_runtime
 * (the figure the kernel adds to its cgroup's cpu.stat) and of its I/O
 * accounting: read_bytes is charged when a read bio is submitted, write_bytes
 * when a page-cache page is first dirtied or a direct write is submitted. So
 * buffered writes are charged to the dirtier once, whoever writes them back
 * later (flusher threads, fsync), and never again. The last charged values
 * live in task storage, so a task's final slice is charged at its final
 * switch, after exit. Timer expiries (the tick) charge the task they
 * interrupt as well, so a task that is not switched out for long is not
 * charged late.
 *
 * Disk operations: every bio a workload submits itself (not the clones a
 * stacked driver submits for it), or that the block layer attributes to its
 * cgroup (cgroup v2 writeback on pure-v2 hosts).
 *
 * Memory: the kernel reports every change of an address space's resident
 * page counters (kmem:rss_stat). Each address space is attributed once, by
 * its owner task's cgroup, and its last seen counters are kept so a change
 * adds only its difference to the workload; exit_mmap takes the rest away.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"

#define BPF_LOCAL_STORAGE_GET_F_CREATE 1
#define REQ_OP_MASK		       0xff
#define NSEC_PER_MSEC		       1000000ULL
#define PEAK_UPDATE_TRIES	       8

/* Depth of workload cgroups below the v2 root: ancestors at it are workloads. */
const volatile __u32 workload_cgroup_level = 0;
/*
 * CLOCK_MONOTONIC when the programs were loaded: a task older than that
 * used its CPU and I/O before this meter existed (or under a meter whose
 * pins were removed, which charged it), so only what follows is charged.
 */
const volatile __u64 loaded_at_ns = 0;

#define NO_SLOT 0xffffffffU

/*
 * Per task: its workload slot, cached against the task's css_set (which
 * changes whenever the task changes cgroup), so the hot paths pay one
 * local-storage lookup instead of a cgroup walk and a hash lookup; and what
 * has been charged already.
 */
struct vigil_task_state {
	__u64 css_set;
	__u32 slot;
	/* vigil_cg_gen when the slot was looked up */
	__u32 gen;
	__u64 runtime_ns;
	__u64 read_bytes;
	__u64 write_bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct vigil_task_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_task SEC(".maps");

/* per address space: its workload and the resident pages last seen */
struct vigil_mm_state {
	__u32 slot;
	__u32 pad;
	__s64 pages[NR_MM_COUNTERS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIGIL_MAX_MMS);
	__type(key, __u64);
	__type(value, struct vigil_mm_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_mm SEC(".maps");

/*
 * The two layouts of an address space's resident counters, as flavors so
 * the objects build against either kernel's vmlinux.h: before 6.2 atomics
 * in struct mm_rss_stat, since then one percpu_counter per member.
 */
struct mm_rss_stat___atomic {
	atomic_long_t count[NR_MM_COUNTERS];
} __attribute__((preserve_access_index));

struct mm_struct___rss_atomic {
	struct mm_rss_stat___atomic rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___rss_percpu {
	struct percpu_counter rss_stat[NR_MM_COUNTERS];
} __attribute__((preserve_access_index));

static __always_inline __u32 *slot_of_cgroup(struct cgroup *cgrp)
{
	struct cgroup *ancestor = NULL;
	__u32 level = workload_cgroup_level;
	__u64 id;

	if (!cgrp || BPF_CORE_READ(cgrp, level) < (int)level || level > 255)
		return NULL;
	/* a variable index into a kernel struct: the one read that needs a helper */
	if (bpf_core_read(&ancestor, sizeof(ancestor), &cgrp->ancestors[level]) || !ancestor)
		return NULL;
	id = BPF_CORE_READ(ancestor, kn, id);
	return bpf_map_lookup_elem(&vigil_cg_slot, &id);
}

/*
 * For a task first seen after the load: the CPU time of its current slice
 * that fell after the load, so a task that ran without a break since before
 * the load is charged from the load on, not from its first switch (which
 * may be its exit).
 */
static __always_inline __u64 runtime_since_load(struct task_struct *task, bool first_sight)
{
	__u64 slice = task->se.sum_exec_runtime - task->se.prev_sum_exec_runtime;
	__u64 since = bpf_ktime_get_ns() - loaded_at_ns;

	if (!first_sight)
		return 0;
	return slice < since ? slice : since;
}

/*
 * The state of `task`, with its slot resolved again when its cgroups
 * changed. A task that moves between workloads (or into one), or that is
 * older than this meter, starts its charges from what it has used so far:
 * history stays where it was.
 */
static __always_inline struct vigil_task_state *task_state(struct task_struct *task)
{
	struct vigil_task_state *st;
	__u64 css_set = (__u64)task->cgroups;
	__u32 zero = 0, *slot, gen;
	__u64 *cg_gen;

	cg_gen = bpf_map_lookup_elem(&vigil_cg_gen, &zero);
	gen = cg_gen ? (__u32)*cg_gen : 0;
	st = bpf_task_storage_get(&vigil_task, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st || (st->css_set == css_set && st->gen == gen))
		return st;
	slot = slot_of_cgroup(BPF_CORE_READ(task, cgroups, dfl_cgrp));
	st->gen = gen;
	if (st->css_set == css_set) {
		/* only the registrations changed: nothing to re-base */
		st->slot = slot ? *slot : NO_SLOT;
		return st;
	}
	if (st->css_set || task->start_time < loaded_at_ns) {
		st->runtime_ns = task->se.sum_exec_runtime - runtime_since_load(task, !st->css_set);
		st->read_bytes = task->ioac.read_bytes;
		st->write_bytes = task->ioac.write_bytes;
	}
	st->slot = slot ? *slot : NO_SLOT;
	st->css_set = css_set;
	return st;
}

static __always_inline struct vigil_usage *usage_of(__u32 slot)
{
	return slot == NO_SLOT ? NULL : bpf_map_lookup_elem(&vigil_usage, &slot);
}

/* Charges `task` what it used since it was last charged. */
static __always_inline void charge_task(struct task_struct *task)
{
	struct vigil_task_state *st;
	struct vigil_usage *usage;
	__u64 now;

	st = task_state(task);
	if (!st)
		return;
	usage = usage_of(st->slot);
	if (!usage)
		return;
	now = task->se.sum_exec_runtime;
	if (now > st->runtime_ns)
		usage->cpu_ns += now - st->runtime_ns;
	st->runtime_ns = now;
	now = task->ioac.read_bytes;
	if (now > st->read_bytes)
		usage->disk_read_bytes += now - st->read_bytes;
	st->read_bytes = now;
	now = task->ioac.write_bytes;
	if (now > st->write_bytes)
		usage->disk_write_bytes += now - st->write_bytes;
	st->write_bytes = now;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(vigil_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (prev->pid)
		charge_task(prev);
	return 0;
}

/*
 * Timer expiries interrupt whatever runs, the scheduler tick among them:
 * charging the interrupted task there bounds how far the counters of a task
 * that runs for long without a switch lag behind (one tick, not its whole
 * run), and gives a task that was running when the meter was loaded its
 * task state before its final switch, when none can be made any more.
 */
SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(vigil_timer_tick, struct hrtimer *timer, ktime_t *now)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->pid)
		charge_task(task);
	return 0;
}

/* The slot of the cgroup (on the v2 hierarchy) that owns a bio, if any. */
static __always_inline __u32 *slot_of_bio_owner(struct bio *bio)
{
	struct cgroup *cgrp, *host_v2;

	if (!bpf_core_field_exists(bio->bi_blkg))
		return NULL;
	cgrp = BPF_CORE_READ(bio, bi_blkg, blkcg, css.cgroup);
	host_v2 = BPF_CORE_READ(bpf_get_current_task_btf(), cgroups, dfl_cgrp);
	/* a v1 blkio cgroup's id could equal an unrelated v2 cgroup's */
	if (!cgrp || !host_v2 || BPF_CORE_READ(cgrp, root) != BPF_CORE_READ(host_v2, root))
		return NULL;
	return slot_of_cgroup(cgrp);
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(vigil_block_bio_queue, struct bio *bio)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vigil_usage *usage = NULL;
	__u32 op = bio->bi_opf & REQ_OP_MASK;
	struct vigil_task_state *st;
	__u32 *owner;

	if (op != REQ_OP_READ && op != REQ_OP_WRITE)
		return 0;
	/* inside a driver's submit_bio: a stacked device's clone, counted above it */
	if (task->bio_list)
		return 0;
	st = task_state(task);
	if (st)
		usage = usage_of(st->slot);
	if (!usage) {
		owner = slot_of_bio_owner(bio);
		usage = owner ? usage_of(*owner) : NULL;
	}
	if (!usage)
		return 0;
	if (op == REQ_OP_READ)
		usage->disk_read_ops++;
	else
		usage->disk_write_ops++;
	return 0;
}

static __always_inline void charge_memory(__u32 slot, __s64 delta_pages)
{
	struct vigil_mem *mem = bpf_map_lookup_elem(&vigil_mem, &slot);
	__u64 now_ms = bpf_ktime_get_ns() / NSEC_PER_MSEC;
	__s64 pages, peak;

	if (!mem || !delta_pages)
		return;
	__sync_fetch_and_add(&mem->page_ms_weighted, (__u64)delta_pages * now_ms);
	pages = __sync_fetch_and_add(&mem->pages, delta_pages) + delta_pages;
	for (int i = 0; i < PEAK_UPDATE_TRIES; i++) {
		peak = mem->peak_pages;
		if (pages <= peak ||
		    __sync_val_compare_and_swap(&mem->peak_pages, peak, pages) == peak)
			break;
	}
}

/*
 * Constant indices only: CO-RE relocates an element's offset with the
 * running kernel's element size, where a variable index would multiply by
 * the build host's (sizeof(struct percpu_counter) grows with lockdep).
 */
#define RSS_COUNTER(mm, type, field, member)                                           \
	({                                                                             \
		type *__m = (void *)(mm);                                              \
		(member) == MM_FILEPAGES    ? BPF_CORE_READ(__m, field(MM_FILEPAGES))  \
		: (member) == MM_ANONPAGES  ? BPF_CORE_READ(__m, field(MM_ANONPAGES))  \
		: (member) == MM_SHMEMPAGES ? BPF_CORE_READ(__m, field(MM_SHMEMPAGES)) \
					    : 0;                                       \
	})
#define RSS_ATOMIC(i) rss_stat.count[i].counter
#define RSS_PERCPU(i) rss_stat[i].count

static __always_inline __s64 mm_counter_pages(struct mm_struct *mm, int member)
{
	if (bpf_core_type_exists(struct mm_rss_stat___atomic))
		return RSS_COUNTER(mm, struct mm_struct___rss_atomic, RSS_ATOMIC, member);
	/* the approximate sum, off by at most the per-CPU batches not folded in */
	return RSS_COUNTER(mm, struct mm_struct___rss_percpu, RSS_PERCPU, member);
}

SEC("tp_btf/rss_stat")
int BPF_PROG(vigil_rss_stat, struct mm_struct *mm, int member)
{
	struct vigil_mm_state *state, fresh = {};
	struct task_struct *task, *owner;
	struct vigil_task_state *st;
	__u64 key = (__u64)mm;
	__u32 slot = NO_SLOT, *owner_slot;
	__s64 pages, before;

	/* swap entries are not resident */
	if (member < 0 || member >= NR_MM_COUNTERS || member == MM_SWAPENTS)
		return 0;
	task = bpf_get_current_task_btf();
	if (task->mm == mm) {
		/* a fault of the task itself: the common case, and the cheap one */
		st = task_state(task);
		if (!st || st->slot == NO_SLOT)
			return 0;
		slot = st->slot;
	}
	state = bpf_map_lookup_elem(&vigil_mm, &key);
	if (!state) {
		if (slot == NO_SLOT) {
			owner = bpf_core_field_exists(mm->owner) ? mm->owner : NULL;
			if (!owner)
				owner = task;
			owner_slot = slot_of_cgroup(BPF_CORE_READ(owner, cgroups, dfl_cgrp));
			if (!owner_slot)
				return 0;
			slot = *owner_slot;
		}
		fresh.slot = slot;
		bpf_map_update_elem(&vigil_mm, &key, &fresh, BPF_NOEXIST);
		state = bpf_map_lookup_elem(&vigil_mm, &key);
		if (!state)
			return 0;
	}
	pages = mm_counter_pages(mm, member);
	if (pages < 0)
		pages = 0;
	/* concurrent changes of one counter: each adds what it replaced */
	before = __sync_lock_test_and_set(&state->pages[member], pages);
	charge_memory(state->slot, pages - before);
	return 0;
}

SEC("tp_btf/exit_mmap")
int BPF_PROG(vigil_exit_mmap, struct mm_struct *mm)
{
	struct vigil_mm_state *state;
	__u64 key = (__u64)mm;
	__s64 left = 0;

	state = bpf_map_lookup_elem(&vigil_mm, &key);
	if (!state)
		return 0;
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		left += __sync_lock_test_and_set(&state->pages[i], 0);
	charge_memory(state->slot, -left);
	bpf_map_delete_elem(&vigil_mm, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
