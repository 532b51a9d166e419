// SPDX-License-Identifier: GPL-2.0-or-later
#include "net_meter.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr_class.h"
#include "cidr.h"
#include "net.skel.h"
#include "pin.h"
#include "rtnl.h"

#define PIN_PROG_INGRESS  "prog_tc_ingress"
#define PIN_PROG_EGRESS	  "prog_tc_egress"
#define PIN_LINK_KFREE	  "link_kfree_skb"
#define PIN_LINK_TAP_READ "link_tap_read"
#define MAP_IF_SLOT	  "vigil_if_slot"
#define MAP_PENDING	  "vigil_net_pending"

/*
 * vigil's filters on an interface: a fixed handle and priority, so attaching
 * again replaces them, and priority 1 so they see every packet before any
 * other filter can drop it (the device counters already counted it).
 */
#define TC_HANDLE   0x7667
#define TC_PRIORITY 1

#define V4_MAPPED_PREFIX 96

/* The private-destination tries, one per address family. */
enum trie { TRIE_V4, TRIE_V6, N_TRIES };

static const char *const trie_names[N_TRIES] = {
	[TRIE_V4] = "vigil_private_v4",
	[TRIE_V6] = "vigil_private_nets",
};

/* A key of either trie; both start at offset 0. */
union trie_key {
	struct vigil_prefix4_key v4;
	struct vigil_prefix_key v6;
};

static bool is_v4_mapped(const struct vigil_prefix_key *k)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return k->prefixlen >= V4_MAPPED_PREFIX && memcmp(k->addr, mapped, sizeof(mapped)) == 0;
}

/* Whether k is a prefix, its host bits zero: what a trie may hold. */
static bool key_valid(const struct vigil_prefix_key *k)
{
	struct vigil_cidr c = { .family = AF_INET6, .prefixlen = k->prefixlen };

	memcpy(c.bytes, k->addr, sizeof(c.bytes));
	return k->prefixlen <= 128 && vigil_cidr_host_bits_all(&c, false);
}

int vigil_prefix_parse(const char *cidr, struct vigil_prefix_key *ret)
{
	struct vigil_prefix_key k = { 0 };
	struct vigil_cidr c;

	if (vigil_cidr_parse_as(cidr, VIGIL_CIDR_NETWORK, &c) < 0)
		return -EINVAL;
	if (c.family == AF_INET) {
		k.addr[10] = k.addr[11] = 0xff;
		memcpy(&k.addr[12], c.bytes, 4);
		k.prefixlen = V4_MAPPED_PREFIX + c.prefixlen;
	} else {
		memcpy(k.addr, c.bytes, sizeof(k.addr));
		k.prefixlen = c.prefixlen;
	}
	*ret = k;
	return 0;
}

int vigil_prefix_format(const struct vigil_prefix_key *k, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	bool v4 = is_v4_mapped(k);
	int n;

	if (k->prefixlen > 128)
		return -EINVAL;
	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? &k->addr[12] : k->addr, addr, sizeof(addr)))
		return -errno;
	n = snprintf(buf, len, "%s/%u", addr, v4 ? k->prefixlen - V4_MAPPED_PREFIX : k->prefixlen);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* The trie `k` belongs in and its key there: IPv4 without the ::ffff:0:0/96. */
static enum trie to_trie_key(const struct vigil_prefix_key *k, union trie_key *ret)
{
	if (!is_v4_mapped(k)) {
		ret->v6 = *k;
		return TRIE_V6;
	}
	ret->v4.prefixlen = k->prefixlen - V4_MAPPED_PREFIX;
	memcpy(ret->v4.addr, &k->addr[12], sizeof(ret->v4.addr));
	return TRIE_V4;
}

static struct vigil_prefix_key from_trie_key(enum trie t, const union trie_key *k)
{
	struct vigil_prefix_key ret = { .addr[10] = 0xff, .addr[11] = 0xff };

	if (t == TRIE_V6)
		return k->v6;
	ret.prefixlen = k->v4.prefixlen + V4_MAPPED_PREFIX;
	memcpy(&ret.addr[12], k->v4.addr, sizeof(k->v4.addr));
	return ret;
}

static int add_prefix(const int fds[N_TRIES], const struct vigil_prefix_key *k)
{
	union trie_key key;
	uint8_t one = 1;
	enum trie t;

	if (!key_valid(k))
		return -EINVAL;
	t = to_trie_key(k, &key);
	return bpf_map_update_elem(fds[t], &key, &one, BPF_ANY) < 0 ? -errno : 0;
}

/* The subnet of one of the host's addresses, as a trie key. */
static bool ifaddr_prefix(const struct ifaddrs *ifa, struct vigil_prefix_key *ret)
{
	const uint8_t *mask;
	size_t off, n;

	memset(ret, 0, sizeof(*ret));
	if (!ifa->ifa_addr || !ifa->ifa_netmask)
		return false;
	if (ifa->ifa_addr->sa_family == AF_INET) {
		memcpy(&ret->addr[12], &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
		mask = (const uint8_t *)&((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr;
		ret->addr[10] = ret->addr[11] = 0xff;
		ret->prefixlen = V4_MAPPED_PREFIX;
		off = 12;
		n = 4;
	} else if (ifa->ifa_addr->sa_family == AF_INET6) {
		memcpy(ret->addr, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
		mask = ((struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr.s6_addr;
		off = 0;
		n = 16;
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		ret->addr[off + i] &= mask[i];
		ret->prefixlen += (__u32)__builtin_popcount(mask[i]);
	}
	return true;
}

/* Defaults only into empty tries: an admin may have deleted some of them. */
static int fill_defaults_if_empty(const int fds[N_TRIES])
{
	size_t n_classes;
	const struct vigil_addr_class *classes = vigil_addr_classes(&n_classes);
	struct vigil_prefix_key k;
	union trie_key any;
	struct ifaddrs *ifas;
	int err = 0;

	for (size_t t = 0; t < N_TRIES; t++) {
		if (bpf_map_get_next_key(fds[t], NULL, &any) == 0)
			return 0;
		if (errno != ENOENT)
			return -errno;
	}
	/* every class, denied or not, is private */
	for (size_t i = 0; i < n_classes && !err; i++) {
		err = vigil_prefix_parse(classes[i].prefix, &k);
		if (!err)
			err = add_prefix(fds, &k);
	}
	if (err)
		return err;
	if (getifaddrs(&ifas) < 0)
		return -errno;
	for (struct ifaddrs *ifa = ifas; ifa && !err; ifa = ifa->ifa_next) {
		if (ifaddr_prefix(ifa, &k))
			err = add_prefix(fds, &k);
	}
	freeifaddrs(ifas);
	return err;
}

static int pin_prog(struct bpf_program *prog, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err;

	if (!bpf_program__autoload(prog))
		return 0;
	err = vigil_pin_path(path, sizeof(path), dir, name);
	return err ? err : bpf_program__pin(prog, path);
}

/* Attaches a tracing program and pins its link as `name`, unless it was pinned already. */
static int attach_tracer(struct bpf_program *prog, const char *dir, const char *name)
{
	struct bpf_link *link;
	char path[PATH_MAX];
	int err;

	if (!bpf_program__autoload(prog))
		return 0;
	link = bpf_program__attach(prog);
	if (!link)
		return -errno;
	err = vigil_pin_path(path, sizeof(path), dir, name);
	if (!err)
		err = bpf_link__pin(link, path);
	/* the pinned link keeps the program attached without us */
	bpf_link__destroy(link);
	return err;
}

int vigil_net_meter_load(const char *pin_dir, unsigned int workload_cgroup_level, bool *ret_adopted)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = pin_dir);
	bool have_ingress = vigil_pinned(pin_dir, PIN_PROG_INGRESS);
	bool have_egress = vigil_pinned(pin_dir, PIN_PROG_EGRESS);
	bool have_kfree = vigil_pinned(pin_dir, PIN_LINK_KFREE);
	bool have_tap_read = vigil_pinned(pin_dir, PIN_LINK_TAP_READ);
	struct vigil_net_bpf *skel;
	int tries[N_TRIES];
	struct stat ns;
	int err;

	if (have_ingress && have_egress && have_kfree && have_tap_read) {
		*ret_adopted = true;
		return 0;
	}
	if (mkdir(pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat("/proc/self/ns/net", &ns) < 0)
		return -errno;
	skel = vigil_net_bpf__open_opts(&open_opts);
	if (!skel)
		return -errno;
	skel->rodata->host_netns_ino = (__u32)ns.st_ino;
	skel->rodata->workload_cgroup_level = workload_cgroup_level;
	bpf_program__set_autoload(skel->progs.vigil_tc_ingress, !have_ingress);
	bpf_program__set_autoload(skel->progs.vigil_tc_egress, !have_egress);
	bpf_program__set_autoload(skel->progs.vigil_kfree_skb, !have_kfree);
	bpf_program__set_autoload(skel->progs.vigil_tap_read, !have_tap_read);
	err = vigil_net_bpf__load(skel);
	if (!err)
		err = pin_prog(skel->progs.vigil_tc_ingress, pin_dir, PIN_PROG_INGRESS);
	if (!err)
		err = pin_prog(skel->progs.vigil_tc_egress, pin_dir, PIN_PROG_EGRESS);
	if (!err)
		err = attach_tracer(skel->progs.vigil_kfree_skb, pin_dir, PIN_LINK_KFREE);
	if (!err)
		err = attach_tracer(skel->progs.vigil_tap_read, pin_dir, PIN_LINK_TAP_READ);
	if (!err) {
		tries[TRIE_V4] = bpf_map__fd(skel->maps.vigil_private_v4);
		tries[TRIE_V6] = bpf_map__fd(skel->maps.vigil_private_nets);
		err = fill_defaults_if_empty(tries);
	}
	vigil_net_bpf__destroy(skel);
	if (err)
		return err;
	*ret_adopted = false;
	return 0;
}

int vigil_net_meter_unpin(const char *pin_dir)
{
	/* the links first: unpinning them detaches the tracers */
	static const char *const pins[] = { PIN_LINK_KFREE,	PIN_LINK_TAP_READ, PIN_PROG_INGRESS,
					    PIN_PROG_EGRESS,	MAP_IF_SLOT,	   MAP_PENDING,
					    VIGIL_NET_EPOCH_MAP };
	int err = vigil_unpin(pin_dir, pins, sizeof(pins) / sizeof(pins[0]));
	int err2 = vigil_unpin(pin_dir, trie_names, N_TRIES);

	return err ? err : err2;
}

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex, enum bpf_tc_attach_point point)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = point;
}

/* Removes vigil's filter in one direction; absent filters are fine. */
static int tc_detach_one(int ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex, point);
	err = bpf_tc_detach(&hook, &opts);
	return err == -ENOENT || err == -EINVAL || err == -ENODEV ? 0 : err;
}

static int tc_attach_one(int ifindex, enum bpf_tc_attach_point point, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	struct bpf_tc_hook hook;

	tc_hook_init(&hook, ifindex, point);
	return bpf_tc_attach(&hook, &opts);
}

int vigil_net_attach(const char *pin_dir, int ifindex, uint32_t slot, enum vigil_net_link link)
{
	int slot_fd, ingress_fd = -1, egress_fd = -1, err;
	__u32 key = (__u32)ifindex;

	if (ifindex <= 0)
		return -EINVAL;
	if (slot >= VIGIL_MAX_WORKLOADS)
		return -ERANGE;
	slot_fd = vigil_pin_open(pin_dir, MAP_IF_SLOT);
	if (slot_fd < 0)
		return slot_fd;
	ingress_fd = vigil_pin_open(pin_dir, PIN_PROG_INGRESS);
	if (link == VIGIL_NET_LINK_VETH)
		egress_fd = ingress_fd < 0 ? -1 : vigil_pin_open(pin_dir, PIN_PROG_EGRESS);
	err = ingress_fd < 0				       ? ingress_fd
	      : (link == VIGIL_NET_LINK_VETH && egress_fd < 0) ? egress_fd
							       : 0;
	/* the slot first, so the filters count from their first packet */
	if (!err && bpf_map_update_elem(slot_fd, &key, &slot, BPF_ANY) < 0)
		err = -errno;
	if (!err) {
		err = vigil_clsact_add(ifindex);
		if (!err)
			err = tc_attach_one(ifindex, BPF_TC_INGRESS, ingress_fd);
		if (!err)
			err = link == VIGIL_NET_LINK_VETH
				      ? tc_attach_one(ifindex, BPF_TC_EGRESS, egress_fd)
				      : tc_detach_one(ifindex, BPF_TC_EGRESS);
		if (err) {
			tc_detach_one(ifindex, BPF_TC_INGRESS);
			tc_detach_one(ifindex, BPF_TC_EGRESS);
			bpf_map_delete_elem(slot_fd, &key);
		}
	}
	if (ingress_fd >= 0)
		close(ingress_fd);
	if (egress_fd >= 0)
		close(egress_fd);
	close(slot_fd);
	return err;
}

int vigil_net_detach(const char *pin_dir, int ifindex)
{
	__u32 key = (__u32)ifindex;
	int slot_fd, err, err2;

	if (ifindex <= 0)
		return -EINVAL;
	slot_fd = vigil_pin_open(pin_dir, MAP_IF_SLOT);
	if (slot_fd < 0)
		return slot_fd;
	err = tc_detach_one(ifindex, BPF_TC_INGRESS);
	err2 = tc_detach_one(ifindex, BPF_TC_EGRESS);
	err = err ? err : err2;
	if (bpf_map_delete_elem(slot_fd, &key) < 0 && errno != ENOENT && !err)
		err = -errno;
	close(slot_fd);
	return err;
}

static bool kept(__u32 ifindex, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((__u32)keep[i] == ifindex)
			return true;
	}
	return false;
}

int vigil_net_forget_others(const char *pin_dir, const int *keep, size_t n)
{
	int slot_fd = vigil_pin_open(pin_dir, MAP_IF_SLOT), forgotten = 0, err = 0;
	__u32 *stale = NULL, key, *prev = NULL;
	size_t n_stale = 0, cap = 0;

	if (slot_fd < 0)
		return slot_fd;
	/* collected first: a hash map's walk starts over when its current key goes */
	while (bpf_map_get_next_key(slot_fd, prev, &key) == 0) {
		prev = &key;
		if (kept(key, keep, n))
			continue;
		if (n_stale == cap) {
			__u32 *more = realloc(stale, (cap ? cap * 2 : 16) * sizeof(*more));

			if (!more) {
				err = -ENOMEM;
				goto out;
			}
			stale = more;
			cap = cap ? cap * 2 : 16;
		}
		stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++) {
		if (bpf_map_delete_elem(slot_fd, &stale[i]) == 0)
			forgotten++;
		else if (errno != ENOENT && !err)
			err = -errno;
	}
out:
	free(stale);
	close(slot_fd);
	return err ? err : forgotten;
}

static void close_tries(const int fds[N_TRIES])
{
	for (size_t t = 0; t < N_TRIES; t++) {
		if (fds[t] >= 0)
			close(fds[t]);
	}
}

static int open_tries(const char *pin_dir, int fds[N_TRIES])
{
	for (size_t t = 0; t < N_TRIES; t++)
		fds[t] = -1;
	for (size_t t = 0; t < N_TRIES; t++) {
		fds[t] = vigil_pin_open(pin_dir, trie_names[t]);
		if (fds[t] < 0) {
			int err = fds[t];

			close_tries(fds);
			return err;
		}
	}
	return 0;
}

int vigil_private_prefix_add(const char *pin_dir, const struct vigil_prefix_key *k)
{
	int fds[N_TRIES];
	int err = open_tries(pin_dir, fds);

	if (err)
		return err;
	err = add_prefix(fds, k);
	close_tries(fds);
	return err;
}

int vigil_private_prefix_delete(const char *pin_dir, const struct vigil_prefix_key *k)
{
	int fds[N_TRIES];
	int err = open_tries(pin_dir, fds);
	union trie_key key;

	if (err)
		return err;
	if (bpf_map_delete_elem(fds[to_trie_key(k, &key)], &key) < 0)
		err = -errno;
	close_tries(fds);
	return err;
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct vigil_prefix_key *x = a, *y = b;
	int c = (int)is_v4_mapped(y) - (int)is_v4_mapped(x);

	if (!c)
		c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (!c)
		c = x->prefixlen < y->prefixlen ? -1 : x->prefixlen > y->prefixlen;
	return c;
}

/* Appends the prefixes in trie `t` to (*keys)[*n...], growing the array. */
static int collect(int fd, enum trie t, struct vigil_prefix_key **keys, size_t *n, size_t *cap)
{
	struct vigil_prefix_key *grown;
	union trie_key cur;
	bool first = true;

	while (bpf_map_get_next_key(fd, first ? NULL : &cur, &cur) == 0) {
		first = false;
		if (*n == *cap) {
			grown = realloc(*keys, 2 * *cap * sizeof(**keys));
			if (!grown)
				return -ENOMEM;
			*keys = grown;
			*cap *= 2;
		}
		(*keys)[(*n)++] = from_trie_key(t, &cur);
	}
	return errno == ENOENT ? 0 : -errno;
}

int vigil_private_prefix_list(const char *pin_dir, struct vigil_prefix_key **ret, size_t *ret_n)
{
	struct vigil_prefix_key *keys;
	size_t n = 0, cap = 64;
	int fds[N_TRIES];
	int err = open_tries(pin_dir, fds);

	if (err)
		return err;
	keys = malloc(cap * sizeof(*keys));
	if (!keys)
		err = -ENOMEM;
	for (size_t t = 0; t < N_TRIES && !err; t++)
		err = collect(fds[t], (enum trie)t, &keys, &n, &cap);
	close_tries(fds);
	if (err) {
		free(keys);
		return err;
	}
	qsort(keys, n, sizeof(*keys), prefix_cmp);
	*ret = keys;
	*ret_n = n;
	return 0;
}

const void *vigil_net_object(size_t *ret_size)
{
	return vigil_net_bpf__elf_bytes(ret_size);
}
