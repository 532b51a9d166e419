// SPDX-License-Identifier: GPL-2.0-or-later
#include "map_dump.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter.h"
#include "net_meter.h"
#include "objects.h"
#include "pin.h"
#include "print.h"
#include "usage_fields.h"

#define DUMP_PATH MAP_PATH " dump"
#define MAX_PINS  64

/* How the entries of one of vigil's maps read; sizes guard against a stale definition. */
struct decoder {
	const char *name;
	__u32 key_size;
	__u32 value_size;
	void (*key)(const void *key);
	/* prints the fields of one value, inside its JSON object */
	void (*value)(const void *value);
	/* an array entry nobody uses (skipped without --all); NULL: all-zero */
	bool (*unused)(const void *value);
};

static void key_u32(const void *key)
{
	__u32 k;

	memcpy(&k, key, sizeof(k));
	print_u64(PRINT_ANY, "key", "key %llu:", k);
}

static void key_u64(const void *key)
{
	__u64 k;

	memcpy(&k, key, sizeof(k));
	print_u64(PRINT_ANY, "key", "key %llu:", k);
}

static void print_prefix(const struct vigil_prefix_key *k)
{
	char text[VIGIL_PREFIX_STRLEN];

	if (vigil_prefix_format(k, text, sizeof(text)))
		snprintf(text, sizeof(text), "invalid/%u", k->prefixlen);
	print_string(PRINT_ANY, "key", "key %s:", text);
}

static void key_prefix(const void *key)
{
	struct vigil_prefix_key k;

	memcpy(&k, key, sizeof(k));
	print_prefix(&k);
}

/* IPv4 keys print through their IPv4-mapped form, as the CLI shows them. */
static void key_prefix4(const void *key)
{
	struct vigil_prefix_key k = { .addr[10] = 0xff, .addr[11] = 0xff };
	struct vigil_prefix4_key k4;

	memcpy(&k4, key, sizeof(k4));
	k.prefixlen = k4.prefixlen + 96;
	memcpy(&k.addr[12], k4.addr, sizeof(k4.addr));
	print_prefix(&k);
}

static void print_counters(const void *base, const struct vigil_raw_counter *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char fmt[64];
		__u64 v;

		memcpy(&v, (const char *)base + c[i].offset, sizeof(v));
		snprintf(fmt, sizeof(fmt), " %s %%llu", c[i].name);
		print_u64(PRINT_ANY, c[i].name, fmt, v);
	}
}

static void value_usage(const void *value)
{
	const struct vigil_usage *u = value;

	print_counters(u, vigil_host_counters, vigil_n_host_counters);
	open_json_array("net");
	for (unsigned int bank = 0; bank < VIGIL_NET_BANKS; bank++) {
		open_json_object(NULL);
		print_u64(PRINT_ANY, "bank", " | bank %llu:", bank);
		print_counters(&u->net[bank], vigil_net_counters, vigil_n_net_counters);
		close_json_object();
	}
	close_json_array();
}

static void value_u32(const void *value)
{
	__u32 v;

	memcpy(&v, value, sizeof(v));
	print_u64(PRINT_ANY, "value", " %llu", v);
}

static void value_mem(const void *value)
{
	struct vigil_mem m;

	memcpy(&m, value, sizeof(m));
	print_s64(PRINT_ANY, "pages", " pages %lld", m.pages);
	print_s64(PRINT_ANY, "peak_pages", " peak_pages %lld", m.peak_pages);
	print_u64(PRINT_ANY, "page_ms_weighted", " page_ms_weighted %llu", m.page_ms_weighted);
}

static const char *slot_state_name(__u32 state)
{
	switch (state) {
	case VIGIL_SLOT_FREE:
		return "free";
	case VIGIL_SLOT_ACTIVE:
		return "active";
	case VIGIL_SLOT_DELETED:
		return "deleted";
	}
	return "unknown";
}

static void value_slot(const void *value)
{
	struct vigil_slot s;
	char id[VIGIL_ID_SIZE + 1];

	memcpy(&s, value, sizeof(s));
	snprintf(id, sizeof(id), "%.*s", (int)sizeof(s.workload), s.workload);
	print_string(PRINT_ANY, "workload", " workload %s", id);
	print_u64(PRINT_ANY, "cgroup_id", " cgroup_id %llu", s.cgroup_id);
	print_u64(PRINT_ANY, "created_unix_ns", " created_unix_ns %llu", s.created_unix_ns);
	print_u64(PRINT_ANY, "ifindex", " ifindex %llu", s.ifindex);
	print_string(PRINT_ANY, "state", " state %s", slot_state_name(s.state));
	snprintf(id, sizeof(id), "%.*s", (int)sizeof(s.run_state), s.run_state);
	print_string(PRINT_ANY, "run_state", " run_state %s", id);
}

static bool slot_unused(const void *value)
{
	const struct vigil_slot *s = value;

	return s->state == VIGIL_SLOT_FREE;
}

static void value_slot_number(const void *value)
{
	__u32 v;

	memcpy(&v, value, sizeof(v));
	print_u64(PRINT_ANY, "slot", " slot %llu", v);
}

static void value_class(const void *value)
{
	print_u64(PRINT_ANY, "class", " class %llu", *(const __u8 *)value);
}

static const struct decoder decoders[] = {
	{ "vigil_usage", sizeof(__u32), sizeof(struct vigil_usage), key_u32, value_usage, NULL },
	{ "vigil_mem", sizeof(__u32), sizeof(struct vigil_mem), key_u32, value_mem, NULL },
	{ "vigil_slots", sizeof(__u32), sizeof(struct vigil_slot), key_u32, value_slot,
	  slot_unused },
	{ "vigil_cg_slot", sizeof(__u64), sizeof(__u32), key_u64, value_slot_number, NULL },
	{ VIGIL_NET_EPOCH_MAP, sizeof(__u32), sizeof(__u32), key_u32, value_u32, NULL },
	{ "vigil_if_slot", sizeof(__u32), sizeof(__u32), key_u32, value_slot_number, NULL },
	{ "vigil_private_v4", sizeof(struct vigil_prefix4_key), sizeof(__u8), key_prefix4,
	  value_class, NULL },
	{ "vigil_private_nets", sizeof(struct vigil_prefix_key), sizeof(__u8), key_prefix,
	  value_class, NULL },
};

static void print_hex(const char *key, const char *fmt, const void *data, size_t len)
{
	char *text = malloc(2 * len + 1);

	if (!text)
		return;
	for (size_t i = 0; i < len; i++)
		snprintf(text + 2 * i, 3, "%02x", ((const __u8 *)data)[i]);
	text[2 * len] = '\0';
	print_string(PRINT_ANY, key, fmt, text);
	free(text);
}

struct dump {
	const struct decoder *dec;
	struct bpf_map_info info;
	bool percpu;
	bool array;
	bool all;
	int ncpus;
	/* bytes per CPU in a per-CPU value: the kernel rounds up to 8 */
	size_t stride;
	void *sum;
};

static bool all_zero(const void *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (((const __u8 *)data)[i])
			return false;
	}
	return true;
}

static bool entry_unused(const struct dump *d, const void *value)
{
	int n = d->percpu ? d->ncpus : 1;

	for (int cpu = 0; cpu < n; cpu++) {
		const void *v = (const __u8 *)value + (size_t)cpu * d->stride;

		if (d->dec && d->dec->unused ? !d->dec->unused(v)
					     : !all_zero(v, d->info.value_size))
			return false;
	}
	return true;
}

static void print_value(const struct dump *d, const char *key, const char *text_prefix,
			const void *value)
{
	print_text("%s", text_prefix);
	if (d->dec) {
		open_json_object(key);
		d->dec->value(value);
		close_json_object();
	} else {
		print_hex(key, " %s", value, d->info.value_size);
	}
}

static void print_entry(const struct dump *d, const void *key, const void *value)
{
	open_json_object(NULL);
	if (d->dec)
		d->dec->key(key);
	else
		print_hex("key", "key %s:", key, d->info.key_size);
	if (!d->percpu) {
		print_value(d, "value", "", value);
		print_text("\n");
		close_json_object();
		return;
	}
	/* a per-CPU value of 8-byte counters sums word by word */
	memset(d->sum, 0, d->stride);
	open_json_array("values");
	for (int cpu = 0; cpu < d->ncpus; cpu++) {
		const void *v = (const __u8 *)value + (size_t)cpu * d->stride;
		char prefix[32];

		for (size_t w = 0; w + 8 <= d->info.value_size; w += 8) {
			__u64 a, b;

			memcpy(&a, (const __u8 *)d->sum + w, 8);
			memcpy(&b, (const __u8 *)v + w, 8);
			a += b;
			memcpy((__u8 *)d->sum + w, &a, 8);
		}
		open_json_object(NULL);
		print_u64(PRINT_JSON, "cpu", NULL, (uint64_t)cpu);
		snprintf(prefix, sizeof(prefix), "\n  cpu%-4d", cpu);
		print_value(d, "value", prefix, v);
		close_json_object();
	}
	close_json_array();
	print_value(d, "sum", "\n  sum    ", d->sum);
	print_text("\n");
	close_json_object();
}

static int dump_entries(int fd, struct dump *d)
{
	size_t value_len = d->percpu ? d->stride * (size_t)d->ncpus : d->info.value_size;
	void *key = calloc(1, d->info.key_size), *next = calloc(1, d->info.key_size);
	void *value = calloc(1, value_len);
	int err = 0, count = 0;
	bool first = true;

	d->sum = calloc(1, d->stride);
	if (!key || !next || !value || !d->sum) {
		err = -ENOMEM;
		goto out;
	}
	open_json_array(NULL);
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, d->info.key_size);
		if (bpf_map_lookup_elem(fd, key, value) < 0) {
			/* a hash entry deleted since its key was read */
			if (errno == ENOENT)
				continue;
			err = -errno;
			break;
		}
		if (d->array && !d->all && entry_unused(d, value))
			continue;
		print_entry(d, key, value);
		count++;
	}
	if (!err && first && errno != ENOENT)
		err = -errno;
	close_json_array();
	if (!err && !count)
		print_text("No entries%s.\n",
			   d->array && !d->all ? " in use (--all shows all)" : "");
out:
	free(key);
	free(next);
	free(value);
	free(d->sum);
	return err;
}

/* The maps pinned in the pin dir, for the error about a name that is not one. */
static void p_err_unknown(const char *name, const char *dir)
{
	struct vigil_pin pins[MAX_PINS];
	char names[1024] = "";
	int n = vigil_pins_scan(dir, pins, MAX_PINS);
	size_t used = 0;

	if (n < 0) {
		p_err("no map \"%s\": nothing is pinned in %s (%s): the meter is not loaded", name,
		      dir, strerror(-n));
		return;
	}
	for (int i = 0; i < n && used < sizeof(names); i++) {
		if (pins[i].kind == VIGIL_PIN_MAP)
			used += snprintf(names + used, sizeof(names) - used, "%s%s",
					 used ? ", " : "", pins[i].name);
	}
	p_err("no map \"%s\" pinned in %s; pinned maps: %s", name, dir, used ? names : "none");
}

static int open_pinned_map(const char *name, struct dump *d)
{
	char path[PATH_MAX], target[64], link[64];
	__u32 len = sizeof(d->info);
	ssize_t n;
	int fd;

	if (strchr(name, '/') ||
	    snprintf(path, sizeof(path), "%s/%s", vigil_global.pin_dir, name) >= (int)sizeof(path))
		return -EINVAL;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	if (strcmp(target, "anon_inode:bpf-map") != 0 ||
	    bpf_obj_get_info_by_fd(fd, &d->info, &len) < 0) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int do_map_dump(int argc, char **argv)
{
	enum { OPT_ALL = 256 };
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ NULL, 0, NULL, 0 },
	};
	struct dump d = { 0 };
	const char *name = NULL;
	int c, fd, err;

	/* NAME may come before or after --all */
	for (;;) {
		c = cmd_getopt(argc, argv, DUMP_PATH, MAP_HELP, "", longopts);
		if (c == -1 && optind < argc && !name) {
			name = argv[optind++];
			continue;
		}
		if (c == -1)
			break;
		if (c != OPT_ALL)
			return CLI_USAGE;
		d.all = true;
	}
	err = cmd_no_more_args(argc, argv, DUMP_PATH, MAP_HELP);
	if (err != CLI_OK)
		return err;
	if (!name)
		return p_usage(MAP_HELP, DUMP_PATH ": missing NAME");
	fd = open_pinned_map(name, &d);
	if (fd == -EPERM || fd == -EACCES) {
		p_err("opening map \"%s\" in %s needs root: %s", name, vigil_global.pin_dir,
		      strerror(-fd));
		return CLI_FAIL;
	}
	if (fd < 0) {
		p_err_unknown(name, vigil_global.pin_dir);
		return CLI_FAIL;
	}
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		if (strcmp(decoders[i].name, name) == 0 &&
		    decoders[i].key_size == d.info.key_size &&
		    decoders[i].value_size == d.info.value_size)
			d.dec = &decoders[i];
	}
	d.percpu = d.info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		   d.info.type == BPF_MAP_TYPE_PERCPU_HASH ||
		   d.info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	d.array = d.info.type == BPF_MAP_TYPE_ARRAY || d.info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	d.ncpus = d.percpu ? libbpf_num_possible_cpus() : 1;
	d.stride = d.percpu ? (d.info.value_size + 7) & ~(size_t)7 : d.info.value_size;
	if (d.ncpus <= 0) {
		close(fd);
		p_err("map \"%s\": counting the possible CPUs: %s", name, strerror(-d.ncpus));
		return CLI_FAIL;
	}
	err = dump_entries(fd, &d);
	close(fd);
	/* 524: the kernel's ENOTSUPP, for maps whose entries hang off other objects */
	if (err == -524) {
		p_err("map \"%s\" (%s) cannot be dumped: its entries belong to kernel objects "
		      "(tasks, sockets...) and the kernel does not list them",
		      name, libbpf_bpf_map_type_str(d.info.type));
		return CLI_FAIL;
	}
	if (err) {
		p_err("map \"%s\" (%s) cannot be dumped: %s", name,
		      libbpf_bpf_map_type_str(d.info.type), strerror(-err));
		return CLI_FAIL;
	}
	return CLI_OK;
}
