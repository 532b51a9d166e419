// SPDX-License-Identifier: GPL-2.0-or-later
/* BPF facilities: BTF, the bpf() syscall, program and map types. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf_log.h"
#include "feature.h"
#include "feature_probe.skel.h"

void vigil_probe_btf(struct vigil_feature *f, const struct btf *vmlinux, int load_errno)
{
	if (!vmlinux) {
		snprintf(f->detail, sizeof(f->detail),
			 "no kernel BTF (/sys/kernel/btf/vmlinux: %s); CO-RE programs cannot load",
			 strerror(load_errno));
		return;
	}
	f->available = true;
	snprintf(f->detail, sizeof(f->detail), "/sys/kernel/btf/vmlinux, %u types",
		 btf__type_cnt(vmlinux));
}

void vigil_probe_bpf_syscall(struct vigil_feature *f)
{
	int ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, NULL);

	if (ret == 1) {
		f->available = true;
		snprintf(f->detail, sizeof(f->detail), "loads programs");
	} else if (ret == -EPERM) {
		snprintf(
			f->detail, sizeof(f->detail),
			"bpf() not permitted: needs root or CAP_BPF with CAP_PERFMON and CAP_NET_ADMIN");
	} else {
		snprintf(f->detail, sizeof(f->detail), "bpf() failed: %s",
			 strerror(ret < 0 ? -ret : ENOSYS));
	}
}

void vigil_probe_bpf_stats(struct vigil_feature *f)
{
	char value[16] = "";
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(f->detail, sizeof(f->detail), "kernel.bpf_stats_enabled missing: %s",
			 strerror(errno));
		return;
	}
	n = read(fd, value, sizeof(value) - 1);
	close(fd);
	f->available = n > 0;
	if (n > 0 && value[0] == '1')
		snprintf(f->detail, sizeof(f->detail), "enabled: programs' run time is counted");
	else
		snprintf(f->detail, sizeof(f->detail),
			 "disabled: run counts and times need sysctl kernel.bpf_stats_enabled=1");
}

void vigil_probe_prog(struct vigil_feature *f, const char *prog_name, bool attach)
{
	struct vigil_feature_probe_bpf *skel;
	struct bpf_program *prog, *target = NULL;
	struct bpf_link *link;
	char log[256];
	int err;

	skel = vigil_feature_probe_bpf__open();
	if (!skel) {
		snprintf(f->detail, sizeof(f->detail), "cannot open the probe object: %s",
			 strerror(errno));
		return;
	}
	bpf_object__for_each_program (prog, skel->obj) {
		bool wanted = strcmp(bpf_program__name(prog), prog_name) == 0;

		bpf_program__set_autoload(prog, wanted);
		if (wanted)
			target = prog;
	}
	if (!target) {
		snprintf(f->detail, sizeof(f->detail), "probe program %s missing", prog_name);
		goto out;
	}
	vigil_bpf_log_clear();
	err = vigil_feature_probe_bpf__load(skel);
	if (err) {
		snprintf(f->detail, sizeof(f->detail), "does not load: %s (%s)", strerror(-err),
			 vigil_bpf_log_first(log, sizeof(log)));
		goto out;
	}
	if (!attach) {
		f->available = true;
		snprintf(f->detail, sizeof(f->detail), "loads");
		goto out;
	}
	vigil_bpf_log_clear();
	link = bpf_program__attach(target);
	if (!link) {
		err = errno;
		snprintf(f->detail, sizeof(f->detail), "loads, but does not attach: %s (%s)",
			 strerror(err), vigil_bpf_log_first(log, sizeof(log)));
		goto out;
	}
	bpf_link__destroy(link);
	f->available = true;
	snprintf(f->detail, sizeof(f->detail), "loads and attaches");
out:
	vigil_feature_probe_bpf__destroy(skel);
}

void vigil_probe_map(struct vigil_feature *f, int map_type)
{
	int ret = libbpf_probe_bpf_map_type((enum bpf_map_type)map_type, NULL);

	f->available = ret == 1;
	if (ret == 1)
		snprintf(f->detail, sizeof(f->detail), "created");
	else if (ret == 0)
		snprintf(f->detail, sizeof(f->detail), "map type not supported by this kernel");
	else
		snprintf(f->detail, sizeof(f->detail), "cannot create: %s", strerror(-ret));
}
