// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs every probe in dependency order and decides what is required. */
#include "feature.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kmod.h"

struct feature_desc {
	const char *name;
	bool required;
	const char *module;
	/* for program items: the probe program, and whether to attach it */
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
	[VF_PROG_TP_BTF] = { "prog_tp_btf", false, .prog = "vigil_fp_tp_btf", .attach = true },
	/* required only when tp_btf is missing: it is the fallback */
	[VF_PROG_TRACEPOINT] = { "prog_tracepoint", false, .prog = "vigil_fp_tp", .attach = true },
	[VF_PROG_KPROBE] = { "prog_kprobe", false, .prog = "vigil_fp_kprobe", .attach = true },
	[VF_PROG_FENTRY] = { "prog_fentry", false, .prog = "vigil_fp_fentry", .attach = true },
	[VF_PROG_SCHED_CLS] = { "prog_sched_cls", true, .prog = "vigil_fp_tc" },
	[VF_PROG_CGROUP_SKB] = { "prog_cgroup_skb", true, .prog = "vigil_fp_cg_skb" },
	[VF_PROG_XDP] = { "prog_xdp", false, .prog = "vigil_fp_xdp" },
	[VF_MAP_HASH] = { "map_hash", true, .map_type = BPF_MAP_TYPE_HASH },
	[VF_MAP_ARRAY] = { "map_array", true, .map_type = BPF_MAP_TYPE_ARRAY },
	[VF_MAP_PERCPU_ARRAY] = { "map_percpu_array", true, .map_type = BPF_MAP_TYPE_PERCPU_ARRAY },
	[VF_MAP_PERCPU_HASH] = { "map_percpu_hash", true, .map_type = BPF_MAP_TYPE_PERCPU_HASH },
	[VF_MAP_LPM_TRIE] = { "map_lpm_trie", true, .map_type = BPF_MAP_TYPE_LPM_TRIE },
	[VF_MAP_RINGBUF] = { "map_ringbuf", true, .map_type = BPF_MAP_TYPE_RINGBUF },
	[VF_BPFFS] = { "bpffs", true },
	[VF_TRACEFS] = { "tracefs", false },
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

static void probe_kernel(struct vigil_feature *f, char *release, size_t len)
{
	struct utsname uts;
	unsigned int major = 0, minor = 0;

	if (uname(&uts) < 0) {
		snprintf(f->detail, sizeof(f->detail), "uname: %s", strerror(errno));
		return;
	}
	snprintf(release, len, "%s", uts.release);
	if (sscanf(uts.release, "%u.%u", &major, &minor) != 2) {
		snprintf(f->detail, sizeof(f->detail), "%s: cannot parse the version", uts.release);
		return;
	}
	f->available = major > VIGIL_MIN_KERNEL_MAJOR ||
		       (major == VIGIL_MIN_KERNEL_MAJOR && minor >= VIGIL_MIN_KERNEL_MINOR);
	snprintf(f->detail, sizeof(f->detail), "%s %s (%s %d.%d or later needed)", uts.sysname,
		 uts.release, f->available ? "ok," : "too old:", VIGIL_MIN_KERNEL_MAJOR,
		 VIGIL_MIN_KERNEL_MINOR);
}

/* Runs one probe for item `id`, by id, so a module load can run it again. */
static void run_probe(enum vigil_feature_id id, const struct vigil_feature_opts *opts,
		      struct vigil_feature_report *r)
{
	struct vigil_feature *f = &r->items[id];

	const struct feature_desc *desc = &feature_table[id];

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
		vigil_probe_btf(f);
		break;
	case VF_BPF_SYSCALL:
		vigil_probe_bpf_syscall(f);
		break;
	case VF_BPF_STATS:
		vigil_probe_bpf_stats(f);
		break;
	case VF_BPFFS:
		vigil_probe_fs_mount(f, "bpf", opts->bpffs_path, opts->mount);
		break;
	case VF_TRACEFS:
		vigil_probe_fs_mount(f, "tracefs", opts->tracefs_path, opts->mount);
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

static void append_detail(struct vigil_feature *f, const char *text)
{
	size_t used = strlen(f->detail);

	snprintf(f->detail + used, sizeof(f->detail) - used, "; %s", text);
}

/* Names the usual cause where libbpf's message alone would leave it unclear. */
static void explain_attach_failures(struct vigil_feature_report *r)
{
	if (!r->items[VF_PROG_TRACEPOINT].available && !r->items[VF_TRACEFS].available)
		append_detail(&r->items[VF_PROG_TRACEPOINT], "tracefs is not mounted");
	if (!r->items[VF_PROG_KPROBE].available &&
	    access("/sys/bus/event_source/devices/kprobe", F_OK) != 0)
		append_detail(&r->items[VF_PROG_KPROBE],
			      "this kernel has no kprobe PMU (built without kprobes)");
}

/* For a missing facility that a module provides: say so, or load it and probe again. */
static void handle_module(enum vigil_feature_id id, const struct vigil_feature_opts *opts,
			  struct vigil_feature_report *r)
{
	struct vigil_feature *f = &r->items[id];
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
	run_probe(id, opts, r);
}

int vigil_feature_probe(const struct vigil_feature_opts *opts, struct vigil_feature_report *ret)
{
	struct vigil_feature_opts o = *opts;

	if (!o.bpffs_path)
		o.bpffs_path = "/sys/fs/bpf";
	if (!o.tracefs_path)
		o.tracefs_path = "/sys/kernel/tracing";

	memset(ret, 0, sizeof(*ret));
	for (int id = 0; id < VF__COUNT; id++) {
		ret->items[id].name = feature_table[id].name;
		ret->items[id].required = feature_table[id].required;
		ret->items[id].module = feature_table[id].module;
	}
	/* Mounts first: attaching a tracepoint program needs tracefs. */
	run_probe(VF_BPFFS, &o, ret);
	run_probe(VF_TRACEFS, &o, ret);
	for (int id = 0; id < VF__COUNT; id++) {
		if (id == VF_BPFFS || id == VF_TRACEFS)
			continue;
		run_probe(id, &o, ret);
		handle_module(id, &o, ret);
	}
	explain_attach_failures(ret);
	/* The tracepoint fallback, and so tracefs, matter only without tp_btf. */
	if (!ret->items[VF_PROG_TP_BTF].available) {
		ret->items[VF_PROG_TRACEPOINT].required = true;
		ret->items[VF_TRACEFS].required = true;
	}
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
