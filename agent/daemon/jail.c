// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The workloads' jails, on the daemon's side: the host checked once at
 * start (image directories, the uid range), a spec checked at create
 * against what the host can give, and a jailed start: its tap opened, its
 * limits written, its plan made and carried out by the child (jail.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup_limits.h"
#include "daemon.h"
#include "log.h"
#include "jail_paths.h"
#include "spawn.h"
#include "volume.h"

int jail_check_uid_range(unsigned int uid_base, unsigned int max_workloads)
{
	uint64_t end = (uint64_t)uid_base + max_workloads;
	struct passwd *pw;
	struct group *gr;
	int ret = 0;

	if (uid_base == 0 || end > (uint64_t)UINT32_MAX) {
		vlog(LOG_ERR,
		     "--uid-base %u: the range of %u uids must be above 0 "
		     "and below 4294967295",
		     uid_base, max_workloads);
		return -EINVAL;
	}
	setpwent();
	while (!ret && (pw = getpwent()))
		if (pw->pw_uid >= uid_base && pw->pw_uid < end) {
			vlog(LOG_ERR,
			     "--uid-base %u: user \"%s\" has uid %u, inside the "
			     "workloads' range %u-%llu",
			     uid_base, pw->pw_name, pw->pw_uid, uid_base,
			     (unsigned long long)end - 1);
			ret = -EEXIST;
		}
	endpwent();
	setgrent();
	while (!ret && (gr = getgrent()))
		if (gr->gr_gid >= uid_base && gr->gr_gid < end) {
			vlog(LOG_ERR,
			     "--uid-base %u: group \"%s\" has gid %u, inside the "
			     "workloads' range %u-%llu",
			     uid_base, gr->gr_name, gr->gr_gid, uid_base,
			     (unsigned long long)end - 1);
			ret = -EEXIST;
		}
	endgrent();
	return ret;
}

static int check_image_dirs(const struct vigild *d)
{
	char sock_dir[PATH_MAX], err[256];
	const char *private[4];
	int ret;

	snprintf(sock_dir, sizeof(sock_dir), "%s", d->socket_path);
	private[0] = d->state_dir;
	private[1] = dirname(sock_dir);
	private[2] = d->pin_dir;
	private[3] = d->bpffs;
	for (size_t i = 0; i < d->n_image_dirs; i++) {
		ret = vigil_image_dir_check(d->image_dirs[i], private, 4, err, sizeof(err));
		if (ret < 0) {
			vlog(LOG_ERR, "--image-dir %s: %s", d->image_dirs[i], err);
			return ret;
		}
	}
	return 0;
}

int jail_setup(struct vigild *d)
{
	int ret = check_image_dirs(d);

	if (ret < 0)
		return ret;
	/* what a workload that left its jail would look for first stays root's alone */
	if (chmod(d->state_dir, 0700) < 0 || chmod(d->pin_dir, 0700) < 0) {
		ret = -errno;
		vlog(LOG_ERR, "making %s and %s root's only: %s", d->state_dir, d->pin_dir,
		     strerror(errno));
		return ret;
	}
	snprintf(d->jail_root, sizeof(d->jail_root), "%s/jail-root", d->state_dir);
	if (mkdir(d->jail_root, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		vlog(LOG_ERR, "%s: %s", d->jail_root, strerror(errno));
		return ret;
	}
	vigil_limits_enable(d->cgroup_mount, d->cgroup_parent);
	return 0;
}

void jail_teardown(struct vigild *d)
{
	for (size_t p = 0; p < VIGIL_SECCOMP__COUNT; p++)
		for (size_t m = 0; m < 2; m++)
			if (d->filters[p][m].insns)
				vigil_seccomp_filter_free(&d->filters[p][m]);
}

/* The filter of a profile and mode, built once and kept: a start need not build it. */
static int jail_filter(struct vigild *d, const struct vigil_jail_spec *j,
		       const struct vigil_seccomp_filter **ret)
{
	struct vigil_seccomp_filter *f = &d->filters[j->seccomp][j->seccomp_mode];
	int r;

	if (!f->insns) {
		r = vigil_seccomp_build(j->seccomp, j->seccomp_mode, VIGIL_SECCOMP_OPTIMIZE_TREE,
					f);
		if (r < 0)
			return r;
	}
	*ret = f;
	return 0;
}

static int check_device(const struct vigil_jail_device *dev, const char *id, struct req_err *e)
{
	struct stat st;

	if (stat(dev->path, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != dev->major ||
	    minor(st.st_rdev) != dev->minor)
		return req_fail(e, -ENODEV,
				"workload \"%s\": jail.devices \"%s\": this host has no %s "
				"(character device %u:%u)",
				id, dev->name, dev->path, dev->major, dev->minor);
	return 0;
}

static int check_paths(struct vigild *d, char *const *paths, size_t n, const char *field,
		       const char *id, struct req_err *e)
{
	int fd, ret;

	for (size_t i = 0; i < n; i++) {
		ret = vigil_jail_path_open(d->image_dirs, d->n_image_dirs, paths[i], &fd);
		if (ret == -EACCES) {
			snprintf(e->hint, sizeof(e->hint), "vigild --image-dir DIR");
			return req_fail(e, ret,
					"workload \"%s\": %s[%zu] \"%s\" is under no directory "
					"vigild allows (--image-dir%s%s)",
					id, field, i, paths[i],
					d->n_image_dirs ? ": " : " is not set",
					d->n_image_dirs ? d->image_dirs[0] : "");
		}
		if (ret == -EXDEV)
			return req_fail(e, ret,
					"workload \"%s\": %s[%zu] \"%s\" leads out of its image "
					"directory through a symlink",
					id, field, i, paths[i]);
		if (ret < 0)
			return req_fail(e, ret, "workload \"%s\": %s[%zu] \"%s\": %s", id, field, i,
					paths[i], strerror(-ret));
		close(fd);
	}
	return 0;
}

int jail_check_spec(struct vigild *d, const struct vigil_workload_spec *s, struct req_err *e)
{
	const struct vigil_jail_spec *j = &s->jail;
	const struct vigil_seccomp_filter *f;
	char path[PATH_MAX];
	int ret;

	if (!j->enabled) {
		if (d->allow_unjailed)
			return 0;
		snprintf(e->hint, sizeof(e->hint), "vigild --allow-unjailed");
		return req_fail(e, -EPERM,
				"workload \"%s\": jail.enabled false: this vigild runs every "
				"workload jailed (started without --allow-unjailed)",
				s->id);
	}
	for (size_t i = 0; i < vigil_jail_n_devices; i++) {
		if (j->devices & vigil_jail_devices[i].bit) {
			ret = check_device(&vigil_jail_devices[i], s->id, e);
			if (ret < 0)
				return ret;
		}
	}
	ret = check_paths(d, j->ro_paths, j->n_ro_paths, "jail.ro_paths", s->id, e);
	if (!ret)
		ret = check_paths(d, j->rw_paths, j->n_rw_paths, "jail.rw_paths", s->id, e);
	if (ret < 0)
		return ret;
	if (!strchr(s->argv[0], '{')) {
		ret = vigil_jail_command(j, s->argv[0], path, sizeof(path));
		if (ret == -EACCES)
			return req_fail(
				e, ret,
				"workload \"%s\": command \"%s\" is not in the jail, which "
				"sees the host's /usr and /etc and the jail.ro_paths: declare "
				"it in jail.ro_paths",
				s->id, s->argv[0]);
		if (ret < 0)
			return req_fail(e, ret, "workload \"%s\": cannot execute \"%s\": %s%s",
					s->id, s->argv[0], strerror(-ret),
					strchr(s->argv[0], '/') ? ""
								: " (searched the jail's PATH)");
	}
	ret = jail_filter(d, j, &f);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": seccomp profile \"%s\": %s", s->id,
				vigil_seccomp_profile_name(j->seccomp), strerror(-ret));
	return 0;
}

/* The VMM's end of its tap, attached here and handed over: a VMM in its own netns cannot. */
static int open_tap(const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int jail_write_limits(struct vigild *d, struct wl *w, struct req_err *e)
{
	const struct vigil_workload *r = &w->rec;
	int ret;

	vigil_limits_values(r->spec.vcpus, r->spec.memory_mib, r->spec.net_mode == VIGIL_NET_TAP,
			    &w->limits);
	ret = vigil_limits_apply(d->cgroup_mount, r->cgroup, &w->limits);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": limits in %s: %s", r->spec.id, r->cgroup,
				strerror(-ret));
	w->has_limits = true;
	return 0;
}

static int report_failure(const struct vigil_jail_plan *p, const struct vigil_jail_report *rep,
			  int ret, const char *id, struct req_err *e)
{
	const char *step = vigil_jail_step_name((enum vigil_jail_step)rep->step);

	if (rep->step == VIGIL_JAIL_STEP_FILESYSTEM && rep->op >= 0 && (size_t)rep->op < p->n_ops)
		return req_fail(e, ret, "workload \"%s\": jail step %s: %s: %s", id, step,
				p->ops[rep->op].path + strlen(p->root_dir), strerror(-ret));
	if (rep->step == VIGIL_JAIL_STEP_EXEC)
		return req_fail(e, ret, "workload \"%s\": jail step exec: \"%s\": %s", id,
				p->exec_path, strerror(-ret));
	return req_fail(e, ret, "workload \"%s\": jail step %s: %s", id, step, strerror(-ret));
}

/* Its volume's node in the jail: the open mapping's device, at the path "{volume}" names. */
static int volume_node(struct vigild *d, const struct wl *w, char *path, size_t len,
		       struct vigil_jail_opts *jo, struct req_err *e)
{
	struct vigil_volume_store st;
	struct vigil_volume_info info;
	char err[512];
	int ret;

	wl_volume_store(d, &st);
	ret = vigil_volume_info(&st, w->rec.spec.id, &info, err, sizeof(err));
	if (!ret && !info.open)
		return req_fail(e, -ENODEV, "workload \"%s\": its volume is not open",
				w->rec.spec.id);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": its volume: %s", w->rec.spec.id, err);
	vigil_volume_mapper_path(w->rec.spec.id, path, len);
	jo->block_path = path;
	jo->block_major = info.dev_major;
	jo->block_minor = info.dev_minor;
	return 0;
}

int jail_spawn(struct vigild *d, struct wl *w, struct vigil_spawn_opts *o, char **argv, pid_t *pid,
	       int *pidfd, struct req_err *e)
{
	const struct vigil_workload *r = &w->rec;
	struct vigil_jail_opts jo = {
		.jail = &r->spec.jail,
		.id = r->spec.id,
		.uid = r->uid,
		.gid = r->uid,
		.memory_mib = r->spec.memory_mib,
		.root_dir = d->jail_root,
		.image_dirs = d->image_dirs,
		.n_image_dirs = d->n_image_dirs,
		.netns_fd = o->netns_fd,
		.handed_fd = -1,
		.argv = argv,
		.runtime_dir = vigil_workload_spec_has_qmp(&r->spec),
	};
	struct vigil_jail_report rep = { 0 };
	struct vigil_jail_plan *plan = NULL;
	int status[2] = { -1, -1 }, ret;
	char why[512], volume[VIGIL_VOLUME_MAPPER_SIZE];

	if (r->spec.volume_size_mib) {
		ret = volume_node(d, w, volume, sizeof(volume), &jo, e);
		if (ret < 0)
			return ret;
	}
	ret = jail_filter(d, &r->spec.jail, &jo.filter);
	if (ret < 0)
		return req_fail(e, ret, "workload \"%s\": seccomp profile \"%s\": %s", r->spec.id,
				vigil_seccomp_profile_name(r->spec.jail.seccomp), strerror(-ret));
	if (r->spec.net_mode == VIGIL_NET_TAP) {
		jo.handed_fd = open_tap(r->host_ifname);
		if (jo.handed_fd < 0)
			return req_fail(e, jo.handed_fd, "workload \"%s\": tap %s: %s", r->spec.id,
					r->host_ifname, strerror(-jo.handed_fd));
	}
	if (pipe2(status, O_CLOEXEC | O_NONBLOCK) < 0) {
		ret = req_fail(e, -errno, "workload \"%s\": status pipe: %s", r->spec.id,
			       strerror(errno));
		goto out;
	}
	jo.status_fd = status[1];
	ret = vigil_jail_plan_make(&jo, &plan, why, sizeof(why));
	if (ret < 0) {
		req_fail(e, ret, "workload \"%s\": %s", r->spec.id, why);
		goto out;
	}
	o->jail = plan;
	ret = vigil_spawn(o, argv, pid, pidfd, &rep);
	o->jail = NULL;
	if (ret < 0) {
		report_failure(plan, &rep, ret, r->spec.id, e);
		goto out;
	}
	w->status_fd = status[0];
	status[0] = -1;
out:
	vigil_jail_plan_free(plan);
	for (int i = 0; i < 2; i++)
		if (status[i] >= 0)
			close(status[i]);
	if (jo.handed_fd >= 0)
		close(jo.handed_fd);
	return ret;
}
