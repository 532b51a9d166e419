// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Carrying out a jail's plan in the child of clone3, step by step, in the
 * order of jail.h. The daemon has threads, so this is a forked copy of a
 * multithreaded process: system calls only, no allocation, no stdio, no
 * locks. Each step returns an errno, and the first that fails ends the
 * child with a report naming it.
 */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals the reaper passes on to the workload: what an admin or a terminal sends. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* The reaper's child, the workload; the child of clone3 is a copy, so this is its own. */
static volatile pid_t workload_pid;

static void forward(int sig)
{
	if (workload_pid > 0)
		kill(workload_pid, sig);
}

static void __attribute__((noreturn))
fail(int report_fd, enum vigil_jail_step step, int err, int op)
{
	struct vigil_jail_report r = { .step = (int)step, .err = err, .op = op };

	(void)!write(report_fd, &r, sizeof(r));
	_exit(127);
}

static int enter_namespaces(const struct vigil_jail_plan *p)
{
	if (p->netns_fd >= 0 && setns(p->netns_fd, CLONE_NEWNET) < 0)
		return errno;
	/* now in the workload's cgroup: a namespace rooted there hides the host's tree */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return errno;
	if (sethostname(p->hostname, strlen(p->hostname)) < 0)
		return errno;
	return 0;
}

static int do_op(const struct vigil_jail_op *op)
{
	int fd;

	switch (op->kind) {
	case VIGIL_JOP_DIR:
		return mkdir(op->path, op->mode) < 0 && errno != EEXIST ? errno : 0;
	case VIGIL_JOP_FILE:
		fd = open(op->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, op->mode);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	case VIGIL_JOP_SYMLINK:
		return symlink(op->arg, op->path) < 0 ? errno : 0;
	case VIGIL_JOP_BIND:
		return move_mount(op->tree_fd, "", AT_FDCWD, op->path, MOVE_MOUNT_F_EMPTY_PATH) < 0
			       ? errno
			       : 0;
	case VIGIL_JOP_TMPFS:
		return mount("tmpfs", op->path, "tmpfs", op->flags, op->arg) < 0 ? errno : 0;
	case VIGIL_JOP_PROC:
		return mount("proc", op->path, "proc", op->flags, NULL) < 0 ? errno : 0;
	case VIGIL_JOP_NODE:
		if (mknod(op->path, op->mode, op->rdev) < 0 ||
		    chown(op->path, op->uid, op->gid) < 0)
			return errno;
		return 0;
	}
	return EINVAL;
}

/* The private root, then pivot_root into it; *failed_op names the op that failed. */
static int make_root(const struct vigil_jail_plan *p, int *failed_op)
{
	/* nothing mounted from here on propagates back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return errno;
	if (mount("vigil-root", p->root_dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") <
	    0)
		return errno;
	umask(0);
	for (size_t i = 0; i < p->n_ops; i++) {
		int err = do_op(&p->ops[i]);

		if (err) {
			*failed_op = (int)i;
			return err;
		}
	}
	*failed_op = -1;
	if (chdir(p->root_dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return errno;
	/* the old root, stacked under the new one, goes: no path leads back to the host's */
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
	    0)
		return errno;
	umask(022);
	return 0;
}

static int set_identity(const struct vigil_jail_plan *p)
{
	/* the permitted set survives setresuid so the privilege step can still drop the rest */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
		return errno;
	return 0;
}

static int set_caps(uint32_t set)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { .effective = set, .permitted = set } };

	return syscall(SYS_capset, &h, d) < 0 ? errno : 0;
}

/* Moves `fd` to exactly `to`, with or without close-on-exec. */
static int place_fd(int fd, int to, bool cloexec)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0) < 0 ? errno : 0;
	if (dup3(fd, to, cloexec ? O_CLOEXEC : 0) < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Leaves open 0-2, the handed descriptor as VIGIL_TAP_FD and the reaper's
 * two pipes after it (close-on-exec), and closes every other descriptor the
 * daemon had: the reaper outlives the exec and must hold none of them.
 */
static int place_fds(const struct vigil_jail_plan *p, int *report_fd, int *status_fd)
{
	int keep[3] = { *report_fd, *status_fd, p->handed_fd }, high[3], next = VIGIL_TAP_FD, err,
	    last = STDERR_FILENO;

	/* close the gaps between the three, in order, so no kept one is hit */
	for (int pass = 0; pass < 3; pass++) {
		int lowest = -1;

		for (int i = 0; i < 3; i++)
			if (keep[i] > last && (lowest < 0 || keep[i] < lowest))
				lowest = keep[i];
		if (lowest < 0)
			break;
		if (lowest > last + 1 &&
		    close_range((unsigned)last + 1, (unsigned)lowest - 1, 0) < 0)
			return errno;
		last = lowest;
	}
	if (close_range((unsigned)last + 1, ~0U, 0) < 0)
		return errno;
	/* above every number they could be moved to, then into place */
	for (int i = 0; i < 3; i++) {
		high[i] = keep[i] < 0 ? -1 : fcntl(keep[i], F_DUPFD_CLOEXEC, VIGIL_TAP_FD + 3);
		if (keep[i] >= 0 && high[i] < 0)
			return errno;
		if (keep[i] >= 0)
			close(keep[i]);
	}
	if (high[2] >= 0 && (err = place_fd(high[2], next++, false)))
		return err;
	*report_fd = next;
	if ((err = place_fd(high[0], next++, true)))
		return err;
	*status_fd = next;
	return place_fd(high[1], next, true);
}

static int drop_privilege(const struct vigil_jail_plan *p, int *report_fd, int *status_fd)
{
	int err;

	/* CAP_SETPCAP, still permitted, is what dropping the bounding set takes */
	if ((err = set_caps(1u << CAP_SETPCAP)))
		return err;
	for (int cap = 0; cap <= p->cap_last; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return errno;
	/* no way back: root would not regain capabilities, nor could keep-caps be set again */
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			  SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
			  SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		return errno;
	if ((err = set_caps(0)))
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	if (setrlimit(RLIMIT_NOFILE, &p->nofile) < 0 || setrlimit(RLIMIT_NPROC, &p->nproc) < 0 ||
	    setrlimit(RLIMIT_CORE, &p->core) < 0)
		return errno;
	/* the workload, of the same uid, can then neither ptrace the reaper nor open its /proc */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return errno;
	return place_fds(p, report_fd, status_fd);
}

static void __attribute__((noreturn)) run_workload(const struct vigil_jail_plan *p, int report_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &dfl, NULL);
	execve(p->exec_path, p->argv, p->envp);
	fail(report_fd, VIGIL_JAIL_STEP_EXEC, errno, -1);
}

/*
 * PID 1 of the namespace: the kernel gives it only the signals it handles,
 * so it forwards them; it reaps every orphan, and when the workload ends it
 * reports its wait status and exits, which ends the namespace.
 */
static void __attribute__((noreturn)) reap(const struct vigil_jail_plan *p, int status_fd)
{
	int status;
	pid_t pid;

	if (p->handed_fd >= 0)
		close(VIGIL_TAP_FD);
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid == workload_pid) {
			(void)!write(status_fd, &status, sizeof(status));
			_exit(0);
		}
		if (pid < 0 && errno != EINTR)
			_exit(0);
	}
}

void vigil_jail_enter(const struct vigil_jail_plan *p, int report_fd)
{
	struct sigaction fwd = { .sa_handler = forward, .sa_flags = SA_RESTART };
	int err, op = -1, status_fd = p->status_fd;
	long pid;

	if ((err = enter_namespaces(p)))
		fail(report_fd, VIGIL_JAIL_STEP_NAMESPACES, err, -1);
	if ((err = make_root(p, &op)))
		fail(report_fd, VIGIL_JAIL_STEP_FILESYSTEM, err, op);
	if ((err = set_identity(p)))
		fail(report_fd, VIGIL_JAIL_STEP_IDENTITY, err, -1);
	if ((err = drop_privilege(p, &report_fd, &status_fd)))
		fail(report_fd, VIGIL_JAIL_STEP_PRIVILEGE, err, -1);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &fwd, NULL);
	/* last: from here on, the reaper and the workload make only the calls of the profile */
	if ((err = -vigil_seccomp_install(p->filter)))
		fail(report_fd, VIGIL_JAIL_STEP_SECCOMP, err, -1);
	/* fork as a raw clone: glibc's fork() runs atfork handlers, not safe here */
	pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		fail(report_fd, VIGIL_JAIL_STEP_EXEC, errno, -1);
	if (pid == 0)
		run_workload(p, report_fd);
	workload_pid = (pid_t)pid;
	/* the workload's copy tells the daemon, by closing at exec, that it started */
	close(report_fd);
	reap(p, status_fd);
}

const char *vigil_jail_step_name(enum vigil_jail_step step)
{
	static const char *const names[] = {
		[VIGIL_JAIL_STEP_NAMESPACES] = "namespaces",
		[VIGIL_JAIL_STEP_FILESYSTEM] = "filesystem",
		[VIGIL_JAIL_STEP_IDENTITY] = "identity",
		[VIGIL_JAIL_STEP_PRIVILEGE] = "privilege",
		[VIGIL_JAIL_STEP_SECCOMP] = "seccomp",
		[VIGIL_JAIL_STEP_EXEC] = "exec",
	};

	return (unsigned)step < sizeof(names) / sizeof(names[0]) ? names[step] : "?";
}
