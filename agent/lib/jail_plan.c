// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan of a jail: everything the child will do, worked out in the
 * daemon, where allocating, opening and resolving are safe, so that the
 * child of clone3 only makes system calls.
 */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jail_paths.h"

/* The host's system directories a jail sees read-only (or their symlinks). */
static const char *const system_dirs[] = { "usr", "etc",   "bin",   "sbin",
					   "lib", "lib32", "lib64", "libx32" };

static const struct {
	const char *name;
	unsigned int major, minor;
} std_nodes[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 },
};

static const char *const std_links[][2] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

#define RO_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define RW_ATTR (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

static int plan_err(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int plan_err(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

/* A new op at `rel` (relative to the root); its fields are the caller's to fill. */
static struct vigil_jail_op *add_op(struct vigil_jail_plan *p, enum vigil_jail_op_kind kind,
				    const char *rel)
{
	struct vigil_jail_op *op;

	if (p->n_ops == p->cap_ops) {
		size_t cap = p->cap_ops ? p->cap_ops * 2 : 32;
		struct vigil_jail_op *ops = realloc(p->ops, cap * sizeof(*ops));

		if (!ops)
			return NULL;
		p->ops = ops;
		p->cap_ops = cap;
	}
	op = &p->ops[p->n_ops];
	*op = (struct vigil_jail_op){ .kind = kind, .tree_fd = -1 };
	if (asprintf(&op->path, "%s/%s", p->root_dir, rel) < 0)
		return NULL;
	p->n_ops++;
	return op;
}

static int add_dir(struct vigil_jail_plan *p, const char *rel, mode_t mode)
{
	struct vigil_jail_op *op = add_op(p, VIGIL_JOP_DIR, rel);

	if (!op)
		return -ENOMEM;
	op->mode = mode;
	return 0;
}

static int add_symlink(struct vigil_jail_plan *p, const char *rel, const char *target)
{
	struct vigil_jail_op *op = add_op(p, VIGIL_JOP_SYMLINK, rel);

	if (!op || !(op->arg = strdup(target)))
		return -ENOMEM;
	return 0;
}

static int add_tmpfs(struct vigil_jail_plan *p, const char *rel, unsigned long flags,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int add_tmpfs(struct vigil_jail_plan *p, const char *rel, unsigned long flags,
		     const char *fmt, ...)
{
	struct vigil_jail_op *op;
	va_list ap;
	int n;

	if (add_dir(p, rel, 0755) < 0 || !(op = add_op(p, VIGIL_JOP_TMPFS, rel)))
		return -ENOMEM;
	op->flags = flags;
	va_start(ap, fmt);
	n = vasprintf(&op->arg, fmt, ap);
	va_end(ap);
	return n < 0 ? -ENOMEM : 0;
}

static int add_node(struct vigil_jail_plan *p, const char *rel, mode_t mode, unsigned int major,
		    unsigned int minor, uid_t uid, gid_t gid)
{
	struct vigil_jail_op *op = add_op(p, VIGIL_JOP_NODE, rel);

	if (!op)
		return -ENOMEM;
	op->mode = mode;
	op->rdev = makedev(major, minor);
	op->uid = uid;
	op->gid = gid;
	return 0;
}

/*
 * Binds the detached mount tree `tree_fd` (the plan takes it) at `rel`,
 * after making the mount point: a directory or, for a file, an empty file.
 */
static int add_tree(struct vigil_jail_plan *p, const char *rel, int tree_fd, unsigned int attr,
		    bool is_dir)
{
	struct mount_attr ma = { .attr_set = attr };
	struct vigil_jail_op *op;

	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0) {
		int err = -errno;

		close(tree_fd);
		return err;
	}
	op = add_op(p, is_dir ? VIGIL_JOP_DIR : VIGIL_JOP_FILE, rel);
	if (op) {
		op->mode = is_dir ? 0755 : 0644;
		op = add_op(p, VIGIL_JOP_BIND, rel);
	}
	if (!op) {
		close(tree_fd);
		return -ENOMEM;
	}
	op->tree_fd = tree_fd;
	return 0;
}

static int add_system_dir(struct vigil_jail_plan *p, const char *name)
{
	char host[64], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int tree;

	snprintf(host, sizeof(host), "/%s", name);
	if (lstat(host, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(host, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		return add_symlink(p, name, target);
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	tree = open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	return add_tree(p, name, tree, RO_ATTR, true);
}

/* The mount points of the directories above a declared path, outermost first. */
static int add_parents(struct vigil_jail_plan *p, const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path + 1);
	for (char *slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (add_dir(p, buf, 0755) < 0)
			return -ENOMEM;
		*slash = '/';
	}
	return 0;
}

static int add_declared(struct vigil_jail_plan *p, const struct vigil_jail_opts *o,
			const char *path, unsigned int attr, const char *field, char *err,
			size_t len)
{
	struct stat st;
	int fd, tree, ret;

	ret = vigil_jail_path_open(o->image_dirs, o->n_image_dirs, path, &fd);
	if (ret == -EACCES)
		return plan_err(err, len, ret, "%s \"%s\" is under no --image-dir of vigild", field,
				path);
	if (ret == -EXDEV)
		return plan_err(err, len, ret, "%s \"%s\" leads out of its --image-dir (symlink)",
				field, path);
	if (ret < 0)
		return plan_err(err, len, ret, "%s \"%s\": %s", field, path, strerror(-ret));
	if (fstat(fd, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		close(fd);
		return plan_err(err, len, -EINVAL, "%s \"%s\" is neither a file nor a directory",
				field, path);
	}
	tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	ret = tree < 0 ? -errno : 0;
	close(fd);
	if (!ret)
		ret = add_parents(p, path);
	if (!ret)
		ret = add_tree(p, path + 1, tree, attr, S_ISDIR(st.st_mode));
	else if (tree >= 0)
		close(tree);
	return ret < 0 ? plan_err(err, len, ret, "%s \"%s\": %s", field, path, strerror(-ret)) : 0;
}

static int add_dev(struct vigil_jail_plan *p, const struct vigil_jail_opts *o)
{
	int ret = add_tmpfs(p, "dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");

	for (size_t i = 0; !ret && i < sizeof(std_nodes) / sizeof(std_nodes[0]); i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "dev/%s", std_nodes[i].name);
		ret = add_node(p, rel, S_IFCHR | 0666, std_nodes[i].major, std_nodes[i].minor, 0,
			       0);
	}
	for (size_t i = 0; !ret && i < sizeof(std_links) / sizeof(std_links[0]); i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "dev/%s", std_links[i][0]);
		ret = add_symlink(p, rel, std_links[i][1]);
	}
	if (!ret)
		ret = add_tmpfs(p, "dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"mode=01777,size=%um", o->memory_mib);
	/* only the devices asked for, owned by the workload and no one else's */
	for (size_t i = 0; !ret && i < vigil_jail_n_devices; i++) {
		const struct vigil_jail_device *d = &vigil_jail_devices[i];

		if (!(o->jail->devices & d->bit))
			continue;
		ret = add_parents(p, d->path);
		if (!ret)
			ret = add_node(p, d->path + 1, S_IFCHR | 0600, d->major, d->minor, o->uid,
				       o->gid);
	}
	if (!ret && o->block_path) {
		ret = add_parents(p, o->block_path);
		if (!ret)
			ret = add_node(p, o->block_path + 1, S_IFBLK | 0600, o->block_major,
				       o->block_minor, o->uid, o->gid);
	}
	return ret;
}

static bool under_system_dir(const char *path)
{
	for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
		char dir[16];

		snprintf(dir, sizeof(dir), "/%s", system_dirs[i]);
		if (vigil_path_within(path, dir))
			return true;
	}
	return false;
}

static bool jail_sees(const struct vigil_jail_spec *j, const char *path)
{
	if (under_system_dir(path))
		return true;
	for (size_t i = 0; i < j->n_ro_paths; i++)
		if (vigil_path_within(path, j->ro_paths[i]))
			return true;
	for (size_t i = 0; i < j->n_rw_paths; i++)
		if (vigil_path_within(path, j->rw_paths[i]))
			return true;
	return false;
}

int vigil_jail_command(const struct vigil_jail_spec *j, const char *argv0, char *ret, size_t len)
{
	char found[PATH_MAX], real[PATH_MAX];
	const char *dir = VIGIL_JAIL_PATH;

	if (strchr(argv0, '/')) {
		if (argv0[0] != '/' || access(argv0, X_OK) < 0)
			return argv0[0] != '/' ? -EACCES : -errno;
		snprintf(found, sizeof(found), "%s", argv0);
	} else {
		bool ok = false;

		while (!ok && *dir) {
			size_t n = strcspn(dir, ":");

			snprintf(found, sizeof(found), "%.*s/%s", (int)n, dir, argv0);
			ok = access(found, X_OK) == 0;
			dir += n + (dir[n] == ':');
		}
		if (!ok)
			return -ENOENT;
	}
	/* the path as given, and what its symlinks lead to, must both be in the jail */
	if (!realpath(found, real) || !jail_sees(j, found) || !jail_sees(j, real))
		return -EACCES;
	if ((size_t)snprintf(ret, len, "%s", found) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int read_cap_last(void)
{
	char buf[16] = { 0 };
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -errno;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -EIO;
}

static int add_root(struct vigil_jail_plan *p, const struct vigil_jail_opts *o, char *err,
		    size_t len)
{
	struct vigil_jail_op *op;
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++)
		ret = add_system_dir(p, system_dirs[i]);
	if (ret < 0)
		return plan_err(err, len, ret, "the host's system directories: %s", strerror(-ret));
	if (add_dir(p, "proc", 0555) < 0 || !(op = add_op(p, VIGIL_JOP_PROC, "proc")))
		return -ENOMEM;
	op->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	ret = add_dev(p, o);
	if (!ret)
		ret = add_tmpfs(p, "tmp", MS_NOSUID | MS_NODEV, "mode=01777,size=%um",
				o->memory_mib);
	if (ret < 0)
		return plan_err(err, len, ret, "/dev and /tmp: %s", strerror(-ret));
	for (size_t i = 0; !ret && i < o->jail->n_ro_paths; i++)
		ret = add_declared(p, o, o->jail->ro_paths[i], RO_ATTR, "jail.ro_paths", err, len);
	for (size_t i = 0; !ret && i < o->jail->n_rw_paths; i++)
		ret = add_declared(p, o, o->jail->rw_paths[i], RW_ATTR, "jail.rw_paths", err, len);
	if (!ret && o->runtime_dir) {
		/* the workload's alone, and bounded: it cannot fill a directory of the host's */
		ret = add_parents(p, VIGIL_JAIL_RUN_DIR);
		if (!ret)
			ret = add_tmpfs(p, &VIGIL_JAIL_RUN_DIR[1], MS_NOSUID | MS_NODEV | MS_NOEXEC,
					"mode=0700,uid=%u,gid=%u,size=" VIGIL_JAIL_RUN_SIZE
					",nr_inodes=%d",
					o->uid, o->gid, VIGIL_JAIL_RUN_INODES);
		if (ret < 0)
			return plan_err(err, len, ret, "%s: %s", VIGIL_JAIL_RUN_DIR,
					strerror(-ret));
	}
	return ret;
}

int vigil_jail_plan_make(const struct vigil_jail_opts *o, struct vigil_jail_plan **ret, char *err,
			 size_t len)
{
	struct vigil_jail_plan *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	*p = (struct vigil_jail_plan){
		.netns_fd = o->netns_fd,
		.uid = o->uid,
		.gid = o->gid,
		.nofile = { VIGIL_JAIL_NOFILE, VIGIL_JAIL_NOFILE },
		.nproc = { VIGIL_JAIL_NPROC, VIGIL_JAIL_NPROC },
		.core = { 0, 0 },
		.handed_fd = o->handed_fd,
		.status_fd = o->status_fd,
		.filter = o->filter,
		.argv = o->argv,
		.envp = { "PATH=" VIGIL_JAIL_PATH, "HOME=/tmp", "TMPDIR=/tmp", NULL },
	};
	snprintf(p->hostname, sizeof(p->hostname), "%s", o->id);
	snprintf(p->root_dir, sizeof(p->root_dir), "%s", o->root_dir);
	r = read_cap_last();
	if (r < 0) {
		r = plan_err(err, len, r, "cannot read /proc/sys/kernel/cap_last_cap: %s",
			     strerror(-r));
		goto fail;
	}
	p->cap_last = r;
	r = vigil_jail_command(o->jail, o->argv[0], p->exec_path, sizeof(p->exec_path));
	if (r == -EACCES) {
		r = plan_err(err, len, r,
			     "command \"%s\" is not in the jail: it sees the host's /usr, /etc "
			     "and the jail.ro_paths and jail.rw_paths",
			     o->argv[0]);
		goto fail;
	}
	if (r < 0) {
		r = plan_err(err, len, r, "cannot execute \"%s\": %s", o->argv[0], strerror(-r));
		goto fail;
	}
	r = add_root(p, o, err, len);
	if (r == -ENOMEM)
		plan_err(err, len, r, "%s", strerror(ENOMEM));
	if (r < 0)
		goto fail;
	*ret = p;
	return 0;
fail:
	vigil_jail_plan_free(p);
	return r;
}

void vigil_jail_plan_free(struct vigil_jail_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_ops; i++) {
		free(p->ops[i].path);
		free(p->ops[i].arg);
		if (p->ops[i].tree_fd >= 0)
			close(p->ops[i].tree_fd);
	}
	free(p->ops);
	free(p);
}
