// SPDX-License-Identifier: GPL-2.0-or-later
/* Host facilities: file systems, cgroups, nftables, interfaces, block, seccomp. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <linux/dm-ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/loop.h>
#include <linux/seccomp.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <nftables/libnftables.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "feature.h"
#include "mountinfo.h"
#include "scratch_netns.h"

void vigil_probe_fs_mount(struct vigil_feature *f, const char *fstype, const char *path,
			  bool mount_it)
{
	if (vigil_mount_find(fstype, path, NULL, 0) == 0) {
		f->available = true;
		snprintf(f->detail, sizeof(f->detail), "mounted at %s", path);
		return;
	}
	if (!mount_it) {
		snprintf(f->detail, sizeof(f->detail),
			 "not mounted at %s; 'vigil feature probe --mount' mounts it", path);
		return;
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(f->detail, sizeof(f->detail), "cannot create %s: %s", path,
			 strerror(errno));
		return;
	}
	if (mount(fstype, path, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  strcmp(fstype, "bpf") == 0 ? "mode=0700" : NULL) < 0) {
		snprintf(f->detail, sizeof(f->detail), "not mounted at %s, and mounting failed: %s",
			 path, strerror(errno));
		return;
	}
	f->available = true;
	snprintf(f->detail, sizeof(f->detail), "mounted at %s", path);
	snprintf(f->action, sizeof(f->action), "mounted %s at %s", fstype, path);
}

void vigil_probe_cgroup(struct vigil_feature *f, struct vigil_cgroup2 *cg)
{
	int err = vigil_cgroup2_detect(cg);

	if (err == -ENOENT) {
		snprintf(f->detail, sizeof(f->detail), "no cgroup v2 hierarchy mounted (mode %s)",
			 vigil_cgroup_mode_name(cg->mode));
		return;
	}
	if (err < 0) {
		snprintf(f->detail, sizeof(f->detail), "cannot read the cgroup mounts: %s",
			 strerror(-err));
		return;
	}
	f->available = true;
	snprintf(f->detail, sizeof(f->detail), "%s, v2 at %s, v2 controllers: %s",
		 vigil_cgroup_mode_name(cg->mode), cg->mount,
		 cg->controllers[0] ? cg->controllers : "none (all on v1)");
}

void vigil_probe_cgroup_limits(struct vigil_feature *f, const struct vigil_cgroup2 *cg)
{
	static const char *const needed[] = { "cpu", "memory", "pids" };
	char missing[64] = "";

	if (!cg->mount[0]) {
		snprintf(f->detail, sizeof(f->detail),
			 "no cgroup v2 hierarchy: no limit is enforced");
		return;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		char word[16];
		bool found = false;

		for (const char *p = cg->controllers; *p && !found;) {
			size_t n = strcspn(p, " ");

			snprintf(word, sizeof(word), "%.*s", (int)n, p);
			found = strcmp(word, needed[i]) == 0;
			p += n + (p[n] == ' ');
		}
		if (!found)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", missing[0] ? " " : "", needed[i]);
	}
	f->available = !missing[0];
	if (f->available)
		snprintf(f->detail, sizeof(f->detail),
			 "cpu, memory and pids in the v2 hierarchy: workloads' cpu.max, "
			 "memory.max, memory.swap.max and pids.max are enforced");
	else
		snprintf(f->detail, sizeof(f->detail),
			 "not in the v2 hierarchy (%s): %s; workloads run, those limits not "
			 "enforced",
			 vigil_cgroup_mode_name(cg->mode), missing);
}

static int nftables_in_netns(void *arg, char *detail, size_t len)
{
	static const char cmds[] = "add table inet vigil_probe\n"
				   "add chain inet vigil_probe probe { type filter hook forward "
				   "priority 0; policy accept; }\n"
				   "delete table inet vigil_probe\n";
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	int err = 0;

	if (!nft) {
		snprintf(detail, len, "libnftables: cannot create a context");
		return -ENOMEM;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, cmds) != 0) {
		const char *msg = nft_ctx_get_error_buffer(nft);

		snprintf(detail, len, "creating a table failed: %.*s", (int)strcspn(msg, "\n"),
			 msg);
		err = -EOPNOTSUPP;
	} else {
		snprintf(detail, len,
			 "created and deleted table inet with a base chain in a scratch netns");
	}
	nft_ctx_free(nft);
	return err;
}

void vigil_probe_nftables(struct vigil_feature *f)
{
	f->available = vigil_run_in_scratch_netns(nftables_in_netns, NULL, f->detail,
						  sizeof(f->detail)) == 0;
}

static int tun_in_netns(void *arg, char *detail, size_t len)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd, err = 0;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(detail, len, "/dev/net/tun: %s", strerror(errno));
		return err;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vigilprobe0");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		snprintf(detail, len, "creating a tap device failed: %s", strerror(errno));
	} else {
		snprintf(detail, len, "created a tap device in a scratch netns");
	}
	close(fd);
	return err;
}

void vigil_probe_tun(struct vigil_feature *f)
{
	f->available =
		vigil_run_in_scratch_netns(tun_in_netns, NULL, f->detail, sizeof(f->detail)) == 0;
}

static int veth_in_netns(void *arg, char *detail, size_t len)
{
	struct nl_sock *sock = nl_socket_alloc();
	struct rtnl_link *link = NULL, *peer;
	int err;

	if (!sock) {
		snprintf(detail, len, "libnl: cannot allocate a socket");
		return -ENOMEM;
	}
	err = nl_connect(sock, NETLINK_ROUTE);
	if (err < 0) {
		snprintf(detail, len, "rtnetlink: %s", nl_geterror(err));
		err = -ECONNREFUSED;
		goto out;
	}
	link = rtnl_link_veth_alloc();
	if (!link) {
		err = -ENOMEM;
		snprintf(detail, len, "libnl: cannot allocate a veth link");
		goto out;
	}
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, "vigilprobe0");
	rtnl_link_set_name(peer, "vigilprobe1");
	rtnl_link_put(peer);
	err = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL);
	if (err < 0) {
		snprintf(detail, len, "creating a veth pair failed: %s", nl_geterror(err));
		err = -EOPNOTSUPP;
	} else {
		snprintf(detail, len, "created a veth pair in a scratch netns");
	}
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sock);
	return err;
}

void vigil_probe_veth(struct vigil_feature *f)
{
	f->available =
		vigil_run_in_scratch_netns(veth_in_netns, NULL, f->detail, sizeof(f->detail)) == 0;
}

void vigil_probe_loop(struct vigil_feature *f)
{
	int fd, index;

	fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(f->detail, sizeof(f->detail), "/dev/loop-control: %s", strerror(errno));
		return;
	}
	index = ioctl(fd, LOOP_CTL_GET_FREE);
	close(fd);
	if (index < 0) {
		snprintf(f->detail, sizeof(f->detail), "no free loop device: %s", strerror(errno));
		return;
	}
	f->available = true;
	snprintf(f->detail, sizeof(f->detail), "/dev/loop-control, /dev/loop%d free", index);
}

/* Issues a device-mapper ioctl with `data_size` bytes of room for the reply. */
static int dm_ioctl_call(unsigned long request, struct dm_ioctl *dmi, size_t data_size)
{
	int fd, ret;

	memset(dmi, 0, data_size);
	dmi->version[0] = DM_VERSION_MAJOR;
	dmi->data_size = (__u32)data_size;
	dmi->data_start = sizeof(*dmi);
	fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, request, dmi);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static bool proc_misc_has(const char *name)
{
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/misc", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char misc_name[64];

		if (sscanf(line, "%*u %63s", misc_name) == 1 && strcmp(misc_name, name) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

void vigil_probe_device_mapper(struct vigil_feature *f)
{
	struct dm_ioctl dmi;
	int err = dm_ioctl_call(DM_VERSION, &dmi, sizeof(dmi));

	if (err == 0) {
		f->available = true;
		snprintf(f->detail, sizeof(f->detail),
			 "/dev/mapper/control, ioctl interface %u.%u.%u", dmi.version[0],
			 dmi.version[1], dmi.version[2]);
	} else if (err == -ENOENT && proc_misc_has("device-mapper")) {
		snprintf(
			f->detail, sizeof(f->detail),
			"in the kernel but /dev/mapper/control is missing (create it with 'dmsetup mknodes')");
	} else if (err == -ENOENT) {
		snprintf(
			f->detail, sizeof(f->detail),
			"not in this kernel: no device-mapper in /proc/misc; workload volumes (dm-crypt) unavailable");
	} else {
		snprintf(f->detail, sizeof(f->detail), "/dev/mapper/control: %s", strerror(-err));
	}
}

void vigil_probe_dm_crypt(struct vigil_feature *f, bool have_dm)
{
	/* room for every target's name and version */
	size_t size = 16384;
	struct dm_ioctl *dmi;
	struct dm_target_versions *tv;
	size_t offset;
	int err;

	if (!have_dm) {
		snprintf(f->detail, sizeof(f->detail), "needs device-mapper, which is unavailable");
		return;
	}
	dmi = calloc(1, size);
	if (!dmi) {
		snprintf(f->detail, sizeof(f->detail), "out of memory");
		return;
	}
	err = dm_ioctl_call(DM_LIST_VERSIONS, dmi, size);
	if (err < 0 || (dmi->flags & DM_BUFFER_FULL_FLAG)) {
		snprintf(f->detail, sizeof(f->detail), "cannot list device-mapper targets: %s",
			 err < 0 ? strerror(-err) : "reply too large");
		goto out;
	}
	snprintf(f->detail, sizeof(f->detail), "no crypt target loaded");
	for (offset = dmi->data_start; offset + sizeof(*tv) < size;) {
		tv = (struct dm_target_versions *)((char *)dmi + offset);
		if (strcmp(tv->name, "crypt") == 0) {
			f->available = true;
			snprintf(f->detail, sizeof(f->detail), "crypt target %u.%u.%u",
				 tv->version[0], tv->version[1], tv->version[2]);
			break;
		}
		if (!tv->next)
			break;
		offset += tv->next;
	}
out:
	free(dmi);
}

void vigil_probe_seccomp(struct vigil_feature *f)
{
	const struct scmp_version *lib = seccomp_version();
	__u32 action = SECCOMP_RET_KILL_PROCESS;

	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
		snprintf(f->detail, sizeof(f->detail),
			 "SECCOMP_RET_KILL_PROCESS not available: %s; libseccomp %u.%u.%u",
			 strerror(errno), lib->major, lib->minor, lib->micro);
		return;
	}
	f->available = true;
	snprintf(f->detail, sizeof(f->detail),
		 "filters with kill-process action; libseccomp %u.%u.%u, API level %u", lib->major,
		 lib->minor, lib->micro, seccomp_api_get());
}

void vigil_probe_libcryptsetup(struct vigil_feature *f)
{
	Dl_info info = { 0 };
	char resolved[PATH_MAX];
	const char *path = "unknown path";

	/* libcryptsetup has no runtime version call: name the library file in use. */
	if (dladdr((void *)crypt_init, &info) && info.dli_fname) {
		path = info.dli_fname;
		if (realpath(info.dli_fname, resolved))
			path = resolved;
	}
	f->available = true;
	snprintf(f->detail, sizeof(f->detail), "built against %s, running %s",
		 VIGIL_LIBCRYPTSETUP_VERSION, path);
}
