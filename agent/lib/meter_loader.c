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
#include <unistd.h>

#include "meter.skel.h"

#define LINK_SCHED_SWITCH "link_sched_switch"

/* Pinned by name; the order matches the fds in struct vigil_meter's map_fds. */
static const char *const pinned_maps[] = { "vigil_usage", "vigil_cg_slot" };
#define N_PINNED_MAPS (sizeof(pinned_maps) / sizeof(pinned_maps[0]))

struct vigil_meter {
	union {
		int map_fds[N_PINNED_MAPS];
		struct {
			int usage_fd;
			int cg_slot_fd;
		};
	};
	bool adopted;
	int ncpus;
	struct vigil_usage *percpu;
};

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Re-opens the maps of programs that are already pinned and running. */
static int adopt(const char *dir, struct vigil_meter *m)
{
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < N_PINNED_MAPS; i++) {
		err = pin_path(path, sizeof(path), dir, pinned_maps[i]);
		if (err)
			return err;
		m->map_fds[i] = bpf_obj_get(path);
		if (m->map_fds[i] < 0)
			return -errno;
	}
	m->adopted = true;
	return 0;
}

/*
 * Loads and attaches. Maps already pinned (left by a crash between pinning
 * the maps and the link) are reused by libbpf, so their counters survive.
 */
static int load_and_pin(const struct vigil_meter_opts *opts, struct vigil_meter *m)
{
	struct vigil_meter_bpf *skel;
	struct bpf_link *link = NULL;
	struct bpf_map *maps[N_PINNED_MAPS];
	char path[PATH_MAX];
	int err = 0;

	skel = vigil_meter_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->workload_cgroup_level = opts->workload_cgroup_level;
	maps[0] = skel->maps.vigil_usage;
	maps[1] = skel->maps.vigil_cg_slot;
	for (size_t i = 0; i < N_PINNED_MAPS && !err; i++) {
		err = pin_path(path, sizeof(path), opts->pin_dir, pinned_maps[i]);
		if (!err)
			err = bpf_map__set_pin_path(maps[i], path);
	}
	if (err)
		goto out;
	err = vigil_meter_bpf__load(skel);
	if (err)
		goto out;
	link = bpf_program__attach(skel->progs.vigil_sched_switch);
	if (!link) {
		err = -errno;
		goto out;
	}
	err = pin_path(path, sizeof(path), opts->pin_dir, LINK_SCHED_SWITCH);
	if (!err)
		err = bpf_link__pin(link, path);
	if (err)
		goto out;
	for (size_t i = 0; i < N_PINNED_MAPS && !err; i++) {
		m->map_fds[i] = dup(bpf_map__fd(maps[i]));
		if (m->map_fds[i] < 0)
			err = -errno;
	}
out:
	/* the pinned link and maps keep the program alive without us */
	bpf_link__destroy(link);
	vigil_meter_bpf__destroy(skel);
	return err;
}

int vigil_meter_open(const struct vigil_meter_opts *opts, struct vigil_meter **ret)
{
	struct vigil_meter *m;
	char path[PATH_MAX];
	int err;

	err = pin_path(path, sizeof(path), opts->pin_dir, LINK_SCHED_SWITCH);
	if (err)
		return err;
	if (mkdir(opts->pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < N_PINNED_MAPS; i++)
		m->map_fds[i] = -1;
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		err = m->ncpus < 0 ? m->ncpus : -EINVAL;
		goto fail;
	}
	m->percpu = calloc((size_t)m->ncpus, sizeof(*m->percpu));
	if (!m->percpu) {
		err = -ENOMEM;
		goto fail;
	}
	if (access(path, F_OK) == 0)
		err = adopt(opts->pin_dir, m);
	else
		err = load_and_pin(opts, m);
	if (err)
		goto fail;
	*ret = m;
	return 0;
fail:
	vigil_meter_close(m);
	return err;
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
	free(m);
}

bool vigil_meter_adopted(const struct vigil_meter *m)
{
	return m->adopted;
}

int vigil_meter_add_cgroup(struct vigil_meter *m, uint64_t cgroup_id, uint32_t slot)
{
	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	if (bpf_map_update_elem(m->cg_slot_fd, &cgroup_id, &slot, BPF_NOEXIST) < 0)
		return -errno;
	return 0;
}

int vigil_meter_remove_cgroup(struct vigil_meter *m, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(m->cg_slot_fd, &cgroup_id) < 0)
		return -errno;
	return 0;
}

int vigil_meter_read(struct vigil_meter *m, uint32_t slot, struct vigil_usage *ret)
{
	struct vigil_usage sum = { 0 };

	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	if (bpf_map_lookup_elem(m->usage_fd, &slot, m->percpu) < 0)
		return -errno;
	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		const struct vigil_usage *u = &m->percpu[cpu];

		sum.cpu_ns += u->cpu_ns;
		sum.disk_read_bytes += u->disk_read_bytes;
		sum.disk_write_bytes += u->disk_write_bytes;
		sum.disk_read_ops += u->disk_read_ops;
		sum.disk_write_ops += u->disk_write_ops;
		sum.net_rx_bytes += u->net_rx_bytes;
		sum.net_tx_bytes += u->net_tx_bytes;
		sum.net_rx_packets += u->net_rx_packets;
		sum.net_tx_packets += u->net_tx_packets;
		sum.net_tx_public_bytes += u->net_tx_public_bytes;
		sum.net_tx_private_bytes += u->net_tx_private_bytes;
		sum.net_drop_packets += u->net_drop_packets;
	}
	*ret = sum;
	return 0;
}

int vigil_meter_unpin(const char *pin_dir)
{
	char path[PATH_MAX];
	int err = 0;

	/* the link first: unpinning it detaches the program */
	if (pin_path(path, sizeof(path), pin_dir, LINK_SCHED_SWITCH) == 0 && unlink(path) < 0 &&
	    errno != ENOENT)
		err = -errno;
	for (size_t i = 0; i < N_PINNED_MAPS; i++) {
		if (pin_path(path, sizeof(path), pin_dir, pinned_maps[i]) == 0 &&
		    unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	if (rmdir(pin_dir) < 0 && errno != ENOENT && !err)
		err = -errno;
	return err;
}
