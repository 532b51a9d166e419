// SPDX-License-Identifier: GPL-2.0-or-later
#include "meter_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "meter.skel.h"
#include "net_meter.h"
#include "pin.h"

#define SLOTS_PER_BATCH 256U

/* The maps readers use, pinned by name (LIBBPF_PIN_BY_NAME). */
enum pinned_map {
	MAP_USAGE,
	MAP_MEM,
	MAP_SLOTS,
	MAP_CG_SLOT,
	MAP_CG_GEN,
	N_PINNED_MAPS,
};

static const char *const pinned_map_names[N_PINNED_MAPS] = {
	[MAP_USAGE] = "vigil_usage",	 [MAP_MEM] = "vigil_mem",	[MAP_SLOTS] = "vigil_slots",
	[MAP_CG_SLOT] = "vigil_cg_slot", [MAP_CG_GEN] = "vigil_cg_gen",
};

/* Every pin the tracing object owns, for unpinning: its links, then its maps. */
static const char *const link_names[] = {
	"link_sched_switch", "link_block_bio_queue", "link_rss_stat",
	"link_exit_mmap",    "link_timer_tick",
};
#define N_LINKS (sizeof(link_names) / sizeof(link_names[0]))

static const char *const private_map_names[] = { "vigil_task", "vigil_mm" };

struct vigil_meter {
	int map_fds[N_PINNED_MAPS];
	bool adopted;
	int ncpus;
	long page_size;
	/* one batch of per-CPU usage values, mem values, slots */
	struct vigil_usage *percpu;
	struct vigil_mem *mem;
	struct vigil_slot *slots;
	__u32 *keys;
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
	if (!m->percpu || !m->mem || !m->slots || !m->keys) {
		vigil_meter_close(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

static int open_pinned_maps(const char *dir, struct vigil_meter *m)
{
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
		err = vigil_net_meter_load(opts->pin_dir, &net_adopted);
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

int vigil_meter_slot_reset(struct vigil_meter *m, uint32_t slot)
{
	struct vigil_slot free_slot = { .state = VIGIL_SLOT_FREE };
	struct vigil_mem mem = { 0 };

	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	memset(m->percpu, 0, (size_t)m->ncpus * sizeof(*m->percpu));
	if (bpf_map_update_elem(m->map_fds[MAP_USAGE], &slot, m->percpu, BPF_ANY) < 0 ||
	    bpf_map_update_elem(m->map_fds[MAP_MEM], &slot, &mem, BPF_ANY) < 0 ||
	    bpf_map_update_elem(m->map_fds[MAP_SLOTS], &slot, &free_slot, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sum_usage(const struct vigil_meter *m, const struct vigil_usage *percpu,
		      const struct vigil_mem *mem, uint64_t now_ms,
		      struct vigil_workload_usage *ret)
{
	uint64_t page_ms;

	memset(ret, 0, sizeof(*ret));
	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		const struct vigil_usage *u = &percpu[cpu];

		ret->c.cpu_ns += u->cpu_ns;
		ret->c.disk_read_bytes += u->disk_read_bytes;
		ret->c.disk_write_bytes += u->disk_write_bytes;
		ret->c.disk_read_ops += u->disk_read_ops;
		ret->c.disk_write_ops += u->disk_write_ops;
		ret->c.net_rx_bytes += u->net_rx_bytes;
		ret->c.net_tx_bytes += u->net_tx_bytes;
		ret->c.net_rx_packets += u->net_rx_packets;
		ret->c.net_tx_packets += u->net_tx_packets;
		ret->c.net_tx_public_bytes += u->net_tx_public_bytes;
		ret->c.net_tx_private_bytes += u->net_tx_private_bytes;
		ret->c.net_drop_packets += u->net_drop_packets;
	}
	ret->mem_bytes = mem->pages > 0 ? (uint64_t)mem->pages * (uint64_t)m->page_size : 0;
	ret->mem_peak_bytes =
		mem->peak_pages > 0 ? (uint64_t)mem->peak_pages * (uint64_t)m->page_size : 0;
	/* see struct vigil_mem: the integral is now * pages - sum(d_i * t_i) */
	page_ms = now_ms * (uint64_t)mem->pages - mem->page_ms_weighted;
	ret->mem_byte_seconds =
		(uint64_t)((unsigned __int128)page_ms * (uint64_t)m->page_size / 1000);
}

int vigil_meter_read(struct vigil_meter *m, uint32_t slot, struct vigil_workload_usage *ret)
{
	struct vigil_mem mem;

	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	if (bpf_map_lookup_elem(m->map_fds[MAP_USAGE], &slot, m->percpu) < 0 ||
	    bpf_map_lookup_elem(m->map_fds[MAP_MEM], &slot, &mem) < 0)
		return -errno;
	sum_usage(m, m->percpu, &mem, monotonic_ms(), ret);
	return 0;
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

int vigil_meter_read_all(struct vigil_meter *m, vigil_meter_slot_fn fn, void *ctx)
{
	struct vigil_workload_usage usage;
	uint64_t now_ms = monotonic_ms();
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
		if (!err)
			err = lookup_range(m->map_fds[MAP_MEM], first, &n_mem, m->keys, m->mem);
		if (err)
			return err;
		if (n_usage < n_slots || n_mem < n_slots)
			return -EIO;
		for (__u32 i = 0; i < n_slots; i++) {
			if (m->slots[i].state == VIGIL_SLOT_FREE)
				continue;
			sum_usage(m, &m->percpu[(size_t)i * (size_t)m->ncpus], &m->mem[i], now_ms,
				  &usage);
			err = fn(first + i, &m->slots[i], &usage, ctx);
			if (err)
				return err;
		}
	}
	return 0;
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
