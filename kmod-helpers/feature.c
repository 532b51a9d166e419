// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs every probe in dependency order and decides what is required. */
#include "feature.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "kmod.h"
#include "meter_loader.h"
#include "net_meter.h"

struct feature_desc {
	const char *name;
	bool required;
	const char *module;
	/* for the minimal probe programs: the program, and whether to attach it */
	const char *prog;
	bool attach;
	/* for map items */
	enum bpf_map_type map_type;
};

static const struct feature_desc feature_table[VF__COUNT] = {
	[VF_KERNEL] = { "kernel", true },
	[VF_BTF] = { "btf", true },
	[VF_BPF_SYSCALL] = { "bpf_syscall", true },
	[VF_BPF_STATS] = { "bpf_stats", false },
	[VF_MAP_HASH] = { "map_hash", true, .map_type = BPF_MAP_TYPE_HASH },
	[VF_MAP_ARRAY] = { "map_array", true, .map_type = BPF_MAP_TYPE_ARRAY },
	[VF_MAP_PERCPU_ARRAY] = { "map_percpu_array", true, .map_type = BPF_MAP_TYPE_PERCPU_ARRAY },
	[VF_MAP_LPM_TRIE] = { "map_lpm_trie", true, .map_type = BPF_MAP_TYPE_LPM_TRIE },
	[VF_MAP_TASK_STORAGE] = { "map_task_storage", true, .map_type = BPF_MAP_TYPE_TASK_STORAGE },
	[VF_BPF_ATOMICS] = { "bpf_atomics", true, .prog = "vigil_fp_atomics" },
	[VF_TRACING_TASK_STORAGE] = { "tracing_task_storage", true,
				      .prog = "vigil_fp_task_storage" },
	[VF_METER_PROGRAMS] = { "meter_programs", true },
	[VF_NET_PROGRAMS] = { "net_programs", true },
	[VF_BPFFS] = { "bpffs", true },
	[VF_CGROUP_V2] = { "cgroup_v2", true },
	/* without them workloads run, their limits not enforced, and say so */
	[VF_CGROUP_LIMITS] = { "cgroup_v2_limits", false },
	[VF_NFTABLES] = { "nf_tables", true, "nf_tables" },
	[VF_TUN] = { "tun", false, "tun" },
	[VF_VETH] = { "veth", true, "veth" },
	[VF_LOOP] = { "loop", false, "loop" },
	[VF_DEVICE_MAPPER] = { "device_mapper", false, "dm_mod" },
	[VF_DM_CRYPT] = { "dm_crypt", false, "dm_crypt" },
	[VF_SECCOMP] = { "seccomp_kill_process", true },
	[VF_LIBCRYPTSETUP] = { "libcryptsetup", false },
};

struct probe_ctx {
	const struct vigil_feature_opts *opts;
	/* the running kernel's BTF, loaded once for every item, or NULL (and why) */
	struct btf *vmlinux;
	int vmlinux_errno;
	struct vigil_feature_report *report;
};

int vigil_kernel_release_ok(const char *release)
{
	unsigned int major, minor;

	if (sscanf(release, "%u.%u", &major, &minor) != 2)
		return -EINVAL;
	return major > VIGIL_MIN_KERNEL_MAJOR ||
	       (major == VIGIL_MIN_KERNEL_MAJOR && minor >= VIGIL_MIN_KERNEL_MINOR);
}

static void probe_kernel(struct vigil_feature *f, char *release, size_t len)
{
	struct utsname uts;
	int ok;

	if (uname(&uts) < 0) {
		snprintf(f->detail, sizeof(f->detail), "uname: %s", strerror(errno));
		return;
	}
	snprintf(release, len, "%s", uts.release);
	ok = vigil_kernel_release_ok(uts.release);
	if (ok < 0) {
		snprintf(f->detail, sizeof(f->detail), "%s: cannot parse the version", uts.release);
		return;
	}
	f->available = ok;
	snprintf(f->detail, sizeof(f->detail), "%s %s (%s %d.%d or later needed: %s)", uts.sysname,
		 uts.release, ok ? "ok," : "too old:", VIGIL_MIN_KERNEL_MAJOR,
		 VIGIL_MIN_KERNEL_MINOR, VIGIL_MIN_KERNEL_WHY);
}

/* Runs one probe for item `id`, by id, so a module load can run it again. */
static void run_probe(enum vigil_feature_id id, const struct probe_ctx *ctx)
{
	struct vigil_feature_report *r = ctx->report;
	const struct feature_desc *desc = &feature_table[id];
	struct vigil_feature *f = &r->items[id];
	const void *elf;
	size_t size;

	f->available = false;
	f->detail[0] = '\0';
	if (desc->prog) {
		vigil_probe_prog(f, desc->prog, desc->attach);
		return;
	}
	if (desc->map_type != BPF_MAP_TYPE_UNSPEC) {
		vigil_probe_map(f, desc->map_type);
		return;
	}
	switch (id) {
	case VF_KERNEL:
		probe_kernel(f, r->kernel_release, sizeof(r->kernel_release));
		break;
	case VF_BTF:
		vigil_probe_btf(f, ctx->vmlinux, ctx->vmlinux_errno);
		break;
	case VF_BPF_SYSCALL:
		vigil_probe_bpf_syscall(f);
		break;
	case VF_BPF_STATS:
		vigil_probe_bpf_stats(f);
		break;
	case VF_METER_PROGRAMS:
		elf = vigil_meter_object(&size);
		vigil_probe_programs(f, "meter", elf, size, ctx->vmlinux, r);
		break;
	case VF_NET_PROGRAMS:
		elf = vigil_net_object(&size);
		vigil_probe_programs(f, "net", elf, size, ctx->vmlinux, r);
		break;
	case VF_BPFFS:
		vigil_probe_fs_mount(f, "bpf", ctx->opts->bpffs_path, ctx->opts->mount);
		break;
	case VF_CGROUP_V2:
		vigil_probe_cgroup(f, &r->cgroup);
		break;
	case VF_CGROUP_LIMITS:
		vigil_probe_cgroup_limits(f, &r->cgroup);
		break;
	case VF_NFTABLES:
		vigil_probe_nftables(f);
		break;
	case VF_TUN:
		vigil_probe_tun(f);
		break;
	case VF_VETH:
		vigil_probe_veth(f);
		break;
	case VF_LOOP:
		vigil_probe_loop(f);
		break;
	case VF_DEVICE_MAPPER:
		vigil_probe_device_mapper(f);
		break;
	case VF_DM_CRYPT:
		vigil_probe_dm_crypt(f, r->items[VF_DEVICE_MAPPER].available);
		break;
	case VF_SECCOMP:
		vigil_probe_seccomp(f);
		break;
	case VF_LIBCRYPTSETUP:
		vigil_probe_libcryptsetup(f);
		break;
	default:
		break;
	}
}

/* For a missing facility that a module provides: say so, or load it and probe again. */
static void handle_module(enum vigil_feature_id id, const struct probe_ctx *ctx)
{
	const struct vigil_feature_opts *opts = ctx->opts;
	struct vigil_feature *f = &ctx->report->items[id];
	enum vigil_module_state state;
	size_t used = strlen(f->detail);
	int err;

	if (f->available || !f->module)
		return;
	err = vigil_module_state(f->module, &state);
	if (err < 0)
		return;
	if (state != VIGIL_MODULE_NOT_LOADED) {
		snprintf(f->detail + used, sizeof(f->detail) - used, "; module %s: %s", f->module,
			 vigil_module_state_name(state));
		return;
	}
	if (!opts->load_modules) {
		snprintf(f->detail + used, sizeof(f->detail) - used,
			 "; module %s not loaded ('vigil feature probe --load-modules' loads it)",
			 f->module);
		return;
	}
	err = vigil_module_load(f->module);
	if (err < 0) {
		snprintf(f->action, sizeof(f->action), "loading module %s failed: %s", f->module,
			 strerror(-err));
		return;
	}
	snprintf(f->action, sizeof(f->action), "loaded module %s", f->module);
	run_probe(id, ctx);
}

int vigil_feature_probe(const struct vigil_feature_opts *opts, struct vigil_feature_report *ret)
{
	struct vigil_feature_opts o = *opts;
	struct probe_ctx ctx = { .opts = &o, .report = ret };

	if (!o.bpffs_path)
		o.bpffs_path = "/sys/fs/bpf";

	memset(ret, 0, sizeof(*ret));
	for (int id = 0; id < VF__COUNT; id++) {
		ret->items[id].name = feature_table[id].name;
		ret->items[id].required = feature_table[id].required;
		ret->items[id].module = feature_table[id].module;
	}
	/* NULL without BTF: the btf item says so, and the programs fail on their own */
	ctx.vmlinux = btf__load_vmlinux_btf();
	ctx.vmlinux_errno = ctx.vmlinux ? 0 : errno;
	for (int id = 0; id < VF__COUNT; id++) {
		if (o.skip_programs && (id == VF_METER_PROGRAMS || id == VF_NET_PROGRAMS)) {
			ret->items[id].required = false;
			snprintf(ret->items[id].detail, sizeof(ret->items[id].detail),
				 "not probed: the caller loads them itself");
			continue;
		}
		run_probe(id, &ctx);
		handle_module(id, &ctx);
	}
	btf__free(ctx.vmlinux);
	return 0;
}

bool vigil_feature_report_ok(const struct vigil_feature_report *report)
{
	for (int id = 0; id < VF__COUNT; id++) {
		if (report->items[id].required && !report->items[id].available)
			return false;
	}
	return true;
}
