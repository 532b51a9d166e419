// SPDX-License-Identifier: GPL-2.0-or-later
#include "meter_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpu_fence.h"
#include "meter.skel.h"
#include "net_meter.h"
#include "pin.h"
#include "usage_fields.h"

#define SLOTS_PER_BATCH 256U

/* The maps readers use, pinned by name (LIBBPF_PIN_BY_NAME). */
enum pinned_map {
	MAP_USAGE,
	MAP_MEM,
	MAP_SLOTS,
	MAP_CG_SLOT,
	MAP_CG_GEN,
	MAP_NET_EPOCH,
	MAP_IF_SLOT,
	N_PINNED_MAPS,
};

static const char *const pinned_map_names[N_PINNED_MAPS] = {
	[MAP_USAGE] = "vigil_usage",	 [MAP_MEM] = "vigil_mem",
	[MAP_SLOTS] = "vigil_slots",	 [MAP_CG_SLOT] = "vigil_cg_slot",
	[MAP_CG_GEN] = "vigil_cg_gen",	 [MAP_NET_EPOCH] = VIGIL_NET_EPOCH_MAP,
	[MAP_IF_SLOT] = "vigil_if_slot",
};

/* Every pin the tracing object owns, for unpinning: its links, then its maps. */
static const char *const link_names[] = {
	"link_sched_switch", "link_block_bio_queue", "link_rss_stat",
	"link_exit_mmap",    "link_timer_tick",
};
#define N_LINKS (sizeof(link_names) / sizeof(link_names[0]))

static const char *const private_map_names[] = { "vigil_task", "vigil_mm" };

/* A slot as the first pass of a snapshot saw it, and its complete bank. */
struct first_pass {
	struct vigil_slot slot;
	struct vigil_net_bank net;
};

struct vigil_meter {
	int map_fds[N_PINNED_MAPS];
	int dir_fd;
	bool adopted;
	int ncpus;
	long page_size;
	/* held by a snapshot, with a lock on dir_fd; guards what follows */
	pthread_mutex_t lock;
	/* one batch of per-CPU usage values, mem values, slots */
	struct vigil_usage *percpu;
	struct vigil_mem *mem;
	struct vigil_slot *slots;
	__u32 *keys;
	/* per slot */
	struct first_pass *first_pass;
};

static struct bpf_program *link_prog(struct vigil_meter_bpf *skel, size_t i)
{
	struct bpf_program *progs[N_LINKS] = {
		skel->progs.vigil_sched_switch, skel->progs.vigil_block_bio_queue,
		skel->progs.vigil_rss_stat,	skel->progs.vigil_exit_mmap,
		skel->progs.vigil_timer_tick,
	};

	return progs[i];
}

/*
 * Loads the tracing object and attaches the programs whose link is not
 * pinned. Its maps are pinned by name, so when some are already pinned
 * (programs running, or a crash between pins) libbpf reuses them and no
 * counter or per-task state starts over.
 */
static int load_missing_links(const struct vigil_meter_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = opts->pin_dir);
	struct vigil_meter_bpf *skel;
	struct bpf_link *link;
	char path[PATH_MAX];
	struct timespec now;
	int err;

	skel = vigil_meter_bpf__open_opts(&open_opts);
	if (!skel)
		return -errno;
	skel->rodata->workload_cgroup_level = opts->workload_cgroup_level;
	clock_gettime(CLOCK_MONOTONIC, &now);
	skel->rodata->loaded_at_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	for (size_t i = 0; i < N_LINKS; i++) {
		if (vigil_pinned(opts->pin_dir, link_names[i]))
			bpf_program__set_autoload(link_prog(skel, i), false);
	}
	err = vigil_meter_bpf__load(skel);
	for (size_t i = 0; i < N_LINKS && !err; i++) {
		if (!bpf_program__autoload(link_prog(skel, i)))
			continue;
		link = bpf_program__attach(link_prog(skel, i));
		if (!link) {
			err = -errno;
			break;
		}
		err = vigil_pin_path(path, sizeof(path), opts->pin_dir, link_names[i]);
		if (!err)
			err = bpf_link__pin(link, path);
		/* the pinned link keeps the program attached without us */
		bpf_link__destroy(link);
	}
	vigil_meter_bpf__destroy(skel);
	return err;
}

static int meter_alloc(struct vigil_meter **ret)
{
	struct vigil_meter *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < N_PINNED_MAPS; i++)
		m->map_fds[i] = -1;
	m->dir_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	m->page_size = sysconf(_SC_PAGESIZE);
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		int err = m->ncpus < 0 ? m->ncpus : -EINVAL;

		free(m);
		return err;
	}
	m->percpu = calloc((size_t)m->ncpus * SLOTS_PER_BATCH, sizeof(*m->percpu));
	m->mem = calloc(SLOTS_PER_BATCH, sizeof(*m->mem));
	m->slots = calloc(SLOTS_PER_BATCH, sizeof(*m->slots));
	m->keys = calloc(SLOTS_PER_BATCH, sizeof(*m->keys));
	m->first_pass = calloc(VIGIL_MAX_WORKLOADS, sizeof(*m->first_pass));
	if (!m->percpu || !m->mem || !m->slots || !m->keys || !m->first_pass) {
		vigil_meter_close(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

static int open_pinned_maps(const char *dir, struct vigil_meter *m)
{
	m->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dir_fd < 0)
		return -errno;
	for (size_t i = 0; i < N_PINNED_MAPS; i++) {
		m->map_fds[i] = vigil_pin_open(dir, pinned_map_names[i]);
		if (m->map_fds[i] < 0)
			return m->map_fds[i];
	}
	return 0;
}

int vigil_meter_open(const struct vigil_meter_opts *opts, struct vigil_meter **ret)
{
	struct vigil_meter *m;
	bool all_pinned = true, net_adopted = false;
	int err;

	if (mkdir(opts->pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	err = meter_alloc(&m);
	if (err)
		return err;
	for (size_t i = 0; i < N_LINKS; i++)
		all_pinned = all_pinned && vigil_pinned(opts->pin_dir, link_names[i]);
	if (!all_pinned)
		err = load_missing_links(opts);
	if (!err)
		err = vigil_net_meter_load(opts->pin_dir, opts->workload_cgroup_level,
					   &net_adopted);
	if (!err)
		err = open_pinned_maps(opts->pin_dir, m);
	if (err) {
		vigil_meter_close(m);
		return err;
	}
	m->adopted = all_pinned && net_adopted;
	*ret = m;
	return 0;
}

int vigil_meter_open_pinned(const char *pin_dir, struct vigil_meter **ret)
{
	struct vigil_meter *m;
	int err;

	err = meter_alloc(&m);
	if (err)
		return err;
	err = open_pinned_maps(pin_dir, m);
	if (err) {
		vigil_meter_close(m);
		return err;
	}
	m->adopted = true;
	*ret = m;
	return 0;
}

void vigil_meter_close(struct vigil_meter *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < N_PINNED_MAPS; i++) {
		if (m->map_fds[i] >= 0)
			close(m->map_fds[i]);
	}
	if (m->dir_fd >= 0)
		close(m->dir_fd);
	pthread_mutex_destroy(&m->lock);
	free(m->first_pass);
	free(m->percpu);
	free(m->mem);
	free(m->slots);
	free(m->keys);
	free(m);
}

bool vigil_meter_adopted(const struct vigil_meter *m)
{
	return m->adopted;
}

int vigil_meter_map_fd(const struct vigil_meter *m, const char *name)
{
	for (size_t i = 0; i < N_PINNED_MAPS; i++) {
		if (strcmp(pinned_map_names[i], name) == 0)
			return m->map_fds[i];
	}
	return -ENOENT;
}

/* Makes every task look its slot up again at its next charge. */
static int bump_cgroup_generation(struct vigil_meter *m)
{
	__u32 zero = 0;
	__u64 gen;

	if (bpf_map_lookup_elem(m->map_fds[MAP_CG_GEN], &zero, &gen) < 0)
		return -errno;
	gen++;
	if (bpf_map_update_elem(m->map_fds[MAP_CG_GEN], &zero, &gen, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int vigil_meter_add_cgroup(struct vigil_meter *m, uint64_t cgroup_id, uint32_t slot)
{
	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	if (bpf_map_update_elem(m->map_fds[MAP_CG_SLOT], &cgroup_id, &slot, BPF_NOEXIST) < 0)
		return -errno;
	return bump_cgroup_generation(m);
}

int vigil_meter_remove_cgroup(struct vigil_meter *m, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(m->map_fds[MAP_CG_SLOT], &cgroup_id) < 0)
		return -errno;
	return bump_cgroup_generation(m);
}

int vigil_meter_slot_get(struct vigil_meter *m, uint32_t slot, struct vigil_slot *ret)
{
	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	if (bpf_map_lookup_elem(m->map_fds[MAP_SLOTS], &slot, ret) < 0)
		return -errno;
	return 0;
}

int vigil_meter_slot_set(struct vigil_meter *m, uint32_t slot, const struct vigil_slot *s)
{
	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	if (bpf_map_update_elem(m->map_fds[MAP_SLOTS], &slot, s, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int vigil_meter_slot_set_run_state(struct vigil_meter *m, uint32_t slot, const char *state)
{
	struct vigil_slot s;
	int err;

	if (strlen(state) >= sizeof(s.run_state))
		return -EINVAL;
	err = vigil_meter_slot_get(m, slot, &s);
	if (err || !strcmp(s.run_state, state))
		return err;
	memset(s.run_state, 0, sizeof(s.run_state));
	memcpy(s.run_state, state, strlen(state));
	return vigil_meter_slot_set(m, slot, &s);
}

const char *vigil_slot_state_name(const struct vigil_slot *s)
{
	if (s->state == VIGIL_SLOT_FREE)
		return "free";
	if (s->state == VIGIL_SLOT_DELETED)
		return "deleted";
	/* written by vigild with its NUL; a map changed by hand may lack it */
	if (!s->run_state[0] || !memchr(s->run_state, '\0', sizeof(s->run_state)))
		return "created";
	return s->run_state;
}

int vigil_meter_slot_reset(struct vigil_meter *m, uint32_t slot)
{
	struct vigil_slot free_slot = { .state = VIGIL_SLOT_FREE };
	struct vigil_mem mem = { 0 };
	int err = 0;

	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	pthread_mutex_lock(&m->lock);
	memset(m->percpu, 0, (size_t)m->ncpus * sizeof(*m->percpu));
	if (bpf_map_update_elem(m->map_fds[MAP_USAGE], &slot, m->percpu, BPF_ANY) < 0 ||
	    bpf_map_update_elem(m->map_fds[MAP_MEM], &slot, &mem, BPF_ANY) < 0 ||
	    bpf_map_update_elem(m->map_fds[MAP_SLOTS], &slot, &free_slot, BPF_ANY) < 0)
		err = -errno;
	pthread_mutex_unlock(&m->lock);
	return err;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void add_bank(struct vigil_net_bank *sum, const struct vigil_net_bank *bank)
{
	for (size_t i = 0; i < vigil_n_net_counters; i++) {
		uint64_t a, b;

		memcpy(&a, (const char *)sum + vigil_net_counters[i].offset, sizeof(a));
		memcpy(&b, (const char *)bank + vigil_net_counters[i].offset, sizeof(b));
		a += b;
		memcpy((char *)sum + vigil_net_counters[i].offset, &a, sizeof(a));
	}
}

/* The counters of `bank` in one slot's per-CPU values, summed over CPUs. */
static void sum_bank(const struct vigil_meter *m, const struct vigil_usage *percpu,
		     unsigned int bank, struct vigil_net_bank *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (int cpu = 0; cpu < m->ncpus; cpu++)
		add_bank(ret, &percpu[cpu].net[bank]);
}

/* The sums of one slot: its other counters, `bank`'s network counters, and `other`, the other bank's. */
static void sum_usage(const struct vigil_meter *m, const struct vigil_usage *percpu,
		      unsigned int bank, const struct vigil_net_bank *other,
		      const struct vigil_mem *mem, uint64_t now_ms,
		      struct vigil_workload_usage *ret)
{
	struct vigil_usage_sums s = { 0 };
	uint64_t page_ms;

	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		for (size_t i = 0; i < vigil_n_host_counters; i++) {
			uint64_t a, b;

			memcpy(&a, (const char *)&s + vigil_host_counters[i].offset, sizeof(a));
			memcpy(&b, (const char *)&percpu[cpu] + vigil_host_counters[i].offset,
			       sizeof(b));
			a += b;
			memcpy((char *)&s + vigil_host_counters[i].offset, &a, sizeof(a));
		}
	}
	sum_bank(m, percpu, bank, &s.net);
	add_bank(&s.net, other);
	s.mem_bytes = mem->pages > 0 ? (uint64_t)mem->pages * (uint64_t)m->page_size : 0;
	s.mem_peak_bytes =
		mem->peak_pages > 0 ? (uint64_t)mem->peak_pages * (uint64_t)m->page_size : 0;
	/* see struct vigil_mem: the integral is now * pages - sum(d_i * t_i) */
	page_ms = now_ms * (uint64_t)mem->pages - mem->page_ms_weighted;
	s.mem_byte_seconds = (uint64_t)((unsigned __int128)page_ms * (uint64_t)m->page_size / 1000);
	vigil_usage_from_sums(&s, ret);
}

/*
 * Moves the network counters on to the next bank and waits until no CPU can
 * still count into the one before, which is then complete; returns it.
 */
static int freeze_bank(struct vigil_meter *m, unsigned int *ret_bank)
{
	__u32 zero = 0, epoch;
	int err;

	if (bpf_map_lookup_elem(m->map_fds[MAP_NET_EPOCH], &zero, &epoch) < 0)
		return -errno;
	epoch++;
	if (bpf_map_update_elem(m->map_fds[MAP_NET_EPOCH], &zero, &epoch, BPF_ANY) < 0)
		return -errno;
	err = vigil_cpu_fence();
	if (err)
		return err;
	*ret_bank = (epoch - 1) & (VIGIL_NET_BANKS - 1);
	return 0;
}

/*
 * A snapshot is taken by one reader at a time (the epoch is everyone's):
 * threads of a process through the mutex, processes through a lock on the
 * pin directory.
 */
static int snapshot_begin(struct vigil_meter *m)
{
	pthread_mutex_lock(&m->lock);
	if (flock(m->dir_fd, LOCK_EX) < 0) {
		int err = -errno;

		pthread_mutex_unlock(&m->lock);
		return err;
	}
	return 0;
}

static void snapshot_end(struct vigil_meter *m)
{
	flock(m->dir_fd, LOCK_UN);
	pthread_mutex_unlock(&m->lock);
}

/* Reads keys [first, first + *count) of an array map in one call. */
static int lookup_range(int fd, __u32 first, __u32 *count, __u32 *keys, void *values)
{
	LIBBPF_OPTS(bpf_map_batch_opts, batch_opts);
	/* the cursor is the last key already read; NULL starts at key 0 */
	__u32 previous = first - 1, next;

	if (bpf_map_lookup_batch(fd, first ? &previous : NULL, &next, keys, values, count,
				 &batch_opts) < 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

/* One slot in both passes of a snapshot, so a slot reused in between is told apart. */
static bool same_workload(const struct vigil_slot *a, const struct vigil_slot *b)
{
	return a->created_unix_ns == b->created_unix_ns &&
	       strncmp(a->workload, b->workload, sizeof(a->workload)) == 0;
}

/*
 * Whether any interface is metered: only then can a reading catch a frame
 * between tc and its verdict. Without one, a single plain pass is a
 * snapshot, and the fences' cost (the calling thread waits to run on every
 * CPU, milliseconds on a busy host) is spared.
 */
static bool interfaces_metered(const struct vigil_meter *m)
{
	__u32 key;

	return bpf_map_get_next_key(m->map_fds[MAP_IF_SLOT], NULL, &key) == 0 || errno != ENOENT;
}

int vigil_meter_read(struct vigil_meter *m, uint32_t slot, struct vigil_workload_usage *ret)
{
	struct vigil_slot before, after;
	struct vigil_net_bank first;
	unsigned int bank = 0;
	struct vigil_mem mem;
	bool plain;
	int err;

	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	err = snapshot_begin(m);
	if (err)
		return err;
	if (bpf_map_lookup_elem(m->map_fds[MAP_SLOTS], &slot, &before) < 0)
		err = -errno;
	plain = !err && !interfaces_metered(m);
	if (!err && !plain)
		err = freeze_bank(m, &bank);
	if (!err && !plain && bpf_map_lookup_elem(m->map_fds[MAP_USAGE], &slot, m->percpu) < 0)
		err = -errno;
	if (!err && !plain) {
		sum_bank(m, m->percpu, bank, &first);
		err = freeze_bank(m, &bank);
	}
	if (!err && (bpf_map_lookup_elem(m->map_fds[MAP_SLOTS], &slot, &after) < 0 ||
		     bpf_map_lookup_elem(m->map_fds[MAP_USAGE], &slot, m->percpu) < 0 ||
		     bpf_map_lookup_elem(m->map_fds[MAP_MEM], &slot, &mem) < 0))
		err = -errno;
	if (!err) {
		if (plain)
			sum_bank(m, m->percpu, bank ^ 1, &first);
		else if (!same_workload(&before, &after))
			memset(&first, 0, sizeof(first));
		sum_usage(m, m->percpu, bank, &first, &mem, monotonic_ms(), ret);
	}
	snapshot_end(m);
	return err;
}

/* Calls `fn` for every slot that is not free, in batches, with `bank`'s counters of the first pass. */
typedef int (*pass_fn)(struct vigil_meter *m, __u32 first, __u32 n, unsigned int bank, void *ctx);

static int read_pass(struct vigil_meter *m, bool with_mem, unsigned int bank, pass_fn fn, void *ctx)
{
	int err;

	for (__u32 first = 0; first < VIGIL_MAX_WORKLOADS; first += SLOTS_PER_BATCH) {
		__u32 n_slots = SLOTS_PER_BATCH, n_usage = SLOTS_PER_BATCH, n_mem = SLOTS_PER_BATCH;
		bool any = false;

		err = lookup_range(m->map_fds[MAP_SLOTS], first, &n_slots, m->keys, m->slots);
		if (err)
			return err;
		for (__u32 i = 0; i < n_slots && !any; i++)
			any = m->slots[i].state != VIGIL_SLOT_FREE;
		if (!any)
			continue;
		err = lookup_range(m->map_fds[MAP_USAGE], first, &n_usage, m->keys, m->percpu);
		if (!err && with_mem)
			err = lookup_range(m->map_fds[MAP_MEM], first, &n_mem, m->keys, m->mem);
		if (err)
			return err;
		if (n_usage < n_slots || (with_mem && n_mem < n_slots))
			return -EIO;
		err = fn(m, first, n_slots, bank, ctx);
		if (err)
			return err;
	}
	return 0;
}

static int keep_first_pass(struct vigil_meter *m, __u32 first, __u32 n, unsigned int bank,
			   void *ctx)
{
	for (__u32 i = 0; i < n; i++) {
		if (m->slots[i].state == VIGIL_SLOT_FREE)
			continue;
		m->first_pass[first + i].slot = m->slots[i];
		sum_bank(m, &m->percpu[(size_t)i * (size_t)m->ncpus], bank,
			 &m->first_pass[first + i].net);
	}
	return 0;
}

struct second_pass {
	vigil_meter_slot_fn fn;
	void *ctx;
	uint64_t now_ms;
	/* no first pass: both banks of this read (nothing is metered on an interface) */
	bool plain;
};

static int report_second_pass(struct vigil_meter *m, __u32 first, __u32 n, unsigned int bank,
			      void *ctx)
{
	const struct vigil_net_bank none = { 0 };
	struct second_pass *p = ctx;
	struct vigil_workload_usage usage;
	struct vigil_net_bank other;
	int err;

	for (__u32 i = 0; i < n; i++) {
		const struct first_pass *f = &m->first_pass[first + i];
		const struct vigil_usage *percpu = &m->percpu[(size_t)i * (size_t)m->ncpus];

		if (m->slots[i].state == VIGIL_SLOT_FREE)
			continue;
		if (p->plain)
			sum_bank(m, percpu, bank ^ 1, &other);
		sum_usage(m, percpu, bank,
			  p->plain				  ? &other
			  : same_workload(&f->slot, &m->slots[i]) ? &f->net
								  : &none,
			  &m->mem[i], p->now_ms, &usage);
		err = p->fn(first + i, &m->slots[i], &usage, p->ctx);
		if (err)
			return err;
	}
	return 0;
}

int vigil_meter_read_all(struct vigil_meter *m, vigil_meter_slot_fn fn, void *ctx)
{
	struct second_pass p = { fn, ctx, 0, false };
	unsigned int bank = 0;
	int err;

	err = snapshot_begin(m);
	if (err)
		return err;
	memset(m->first_pass, 0, VIGIL_MAX_WORKLOADS * sizeof(*m->first_pass));
	p.plain = !interfaces_metered(m);
	if (!p.plain) {
		err = freeze_bank(m, &bank);
		if (!err)
			err = read_pass(m, false, bank, keep_first_pass, NULL);
		if (!err)
			err = freeze_bank(m, &bank);
	}
	p.now_ms = monotonic_ms();
	if (!err)
		err = read_pass(m, true, bank, report_second_pass, &p);
	snapshot_end(m);
	return err;
}

int vigil_meter_unpin(const char *pin_dir)
{
	int err, first_err;

	/* links first: unpinning them detaches the programs */
	first_err = vigil_net_meter_unpin(pin_dir);
	err = vigil_unpin(pin_dir, link_names, N_LINKS);
	first_err = first_err ? first_err : err;
	err = vigil_unpin(pin_dir, pinned_map_names, N_PINNED_MAPS);
	first_err = first_err ? first_err : err;
	err = vigil_unpin(pin_dir, private_map_names,
			  sizeof(private_map_names) / sizeof(private_map_names[0]));
	first_err = first_err ? first_err : err;
	if (rmdir(pin_dir) < 0 && errno != ENOENT && !first_err)
		first_err = -errno;
	return first_err;
}

const void *vigil_meter_object(size_t *ret_size)
{
	return vigil_meter_bpf__elf_bytes(ret_size);
}
