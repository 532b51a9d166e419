// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil's own programs, each loaded and attached on its own for a moment:
 * the verifier and CO-RE of this kernel decide, not a list of versions.
 * Their maps are private copies (never pinned, never the accounting maps),
 * and every program is detached and unloaded before the probe returns.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf_log.h"
#include "feature.h"
#include "scratch_netns.h"

#define TP_BTF_PREFIX "tp_btf/"

static struct bpf_object *open_private(const char *object, const void *elf, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = object);
	struct bpf_object *obj;
	struct bpf_map *map;

	obj = bpf_object__open_mem(elf, size, &opts);
	if (!obj)
		return NULL;
	/* pinned by name in the object: a probe must not touch bpffs */
	bpf_object__for_each_map (map, obj)
		bpf_map__set_pin_path(map, NULL);
	return obj;
}

/* The tracepoint a tp_btf program needs, when this kernel has none by that name. */
static bool hook_missing(const struct btf *vmlinux, const char *section, char *detail, size_t len)
{
	char type[128];

	if (!vmlinux || strncmp(section, TP_BTF_PREFIX, strlen(TP_BTF_PREFIX)) != 0)
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", section + strlen(TP_BTF_PREFIX));
	if (btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) >= 0)
		return false;
	snprintf(detail, len, "this kernel has no tracepoint %s", section + strlen(TP_BTF_PREFIX));
	return true;
}

static int attach_tc_in_scratch_netns(void *arg, char *detail, size_t len)
{
	static const enum bpf_tc_attach_point points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	const int prog_fd = *(const int *)arg;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = 1,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err;

	/* ifindex 1 is the new namespace's loopback device */
	err = bpf_tc_hook_create(&hook);
	if (err) {
		snprintf(detail, len, "cannot create a clsact qdisc: %s", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]) && !err; i++) {
		LIBBPF_OPTS(bpf_tc_hook, point, .ifindex = 1, .attach_point = points[i]);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);

		err = bpf_tc_attach(&point, &opts);
		if (err)
			snprintf(detail, len, "tc %s: %s",
				 points[i] == BPF_TC_INGRESS ? "ingress" : "egress",
				 strerror(-err));
	}
	bpf_tc_hook_destroy(&hook);
	return err;
}

static void attach_one(struct bpf_program *prog, struct vigil_prog_probe *p)
{
	char log[192] = "";
	struct bpf_link *link;
	int prog_fd, err;

	if (bpf_program__type(prog) == BPF_PROG_TYPE_SCHED_CLS) {
		prog_fd = bpf_program__fd(prog);
		err = vigil_run_in_scratch_netns(attach_tc_in_scratch_netns, &prog_fd, log,
						 sizeof(log));
		if (err) {
			snprintf(p->detail, sizeof(p->detail), "loads, but does not attach: %s",
				 log[0] ? log : strerror(-err));
			return;
		}
		p->attached = true;
		snprintf(p->detail, sizeof(p->detail),
			 "loads and attaches (tc ingress and egress)");
		return;
	}
	vigil_bpf_log_clear();
	link = bpf_program__attach(prog);
	if (!link) {
		err = errno;
		snprintf(p->detail, sizeof(p->detail), "loads, but does not attach: %s (%s)",
			 strerror(err), vigil_bpf_log_first(log, sizeof(log)));
		return;
	}
	bpf_link__destroy(link);
	p->attached = true;
	snprintf(p->detail, sizeof(p->detail), "loads and attaches");
}

/* Loads program `index` of the object alone, then attaches it. */
static void probe_one(const char *object, const void *elf, size_t size, size_t index,
		      struct vigil_prog_probe *p)
{
	struct bpf_program *prog, *target = NULL;
	struct bpf_object *obj;
	char log[192];
	size_t i = 0;
	int err;

	obj = open_private(object, elf, size);
	if (!obj) {
		snprintf(p->detail, sizeof(p->detail), "cannot open the object: %s",
			 strerror(errno));
		return;
	}
	bpf_object__for_each_program (prog, obj) {
		bpf_program__set_autoload(prog, i == index);
		if (i++ == index)
			target = prog;
	}
	vigil_bpf_log_clear();
	err = target ? bpf_object__load(obj) : -ENOENT;
	if (err) {
		snprintf(p->detail, sizeof(p->detail), "does not load: %s (%s)", strerror(-err),
			 vigil_bpf_log_first(log, sizeof(log)));
	} else {
		p->loaded = true;
		attach_one(target, p);
	}
	bpf_object__close(obj);
}

void vigil_probe_programs(struct vigil_feature *f, const char *object, const void *elf, size_t size,
			  const struct btf *vmlinux, struct vigil_feature_report *ret)
{
	size_t first = ret->n_programs, n = 0, failed = 0;
	struct vigil_prog_probe *p;
	struct bpf_program *prog;
	struct bpf_object *obj;

	obj = open_private(object, elf, size);
	if (!obj) {
		snprintf(f->detail, sizeof(f->detail), "cannot open the %s object: %s", object,
			 strerror(errno));
		return;
	}
	bpf_object__for_each_program (prog, obj) {
		if (ret->n_programs == VIGIL_PROBE_MAX_PROGRAMS) {
			snprintf(f->detail, sizeof(f->detail),
				 "the probe reports at most %d programs, the %s object has more",
				 VIGIL_PROBE_MAX_PROGRAMS, object);
			bpf_object__close(obj);
			return;
		}
		p = &ret->programs[ret->n_programs++];
		memset(p, 0, sizeof(*p));
		p->object = object;
		snprintf(p->name, sizeof(p->name), "%s", bpf_program__name(prog));
		snprintf(p->section, sizeof(p->section), "%s", bpf_program__section_name(prog));
	}
	bpf_object__close(obj);

	for (size_t i = first; i < ret->n_programs; i++, n++) {
		p = &ret->programs[i];
		if (!hook_missing(vmlinux, p->section, p->detail, sizeof(p->detail)))
			probe_one(object, elf, size, n, p);
		if (p->attached)
			continue;
		if (!failed++)
			snprintf(f->detail, sizeof(f->detail), "%s: %s", p->name, p->detail);
	}
	f->available = n > 0 && !failed;
	if (!n)
		snprintf(f->detail, sizeof(f->detail), "the %s object has no programs", object);
	else if (!failed)
		snprintf(f->detail, sizeof(f->detail), "%zu programs load and attach", n);
	else if (failed > 1)
		snprintf(f->detail + strlen(f->detail), sizeof(f->detail) - strlen(f->detail),
			 "; %zu of %zu programs fail", failed, n);
}
