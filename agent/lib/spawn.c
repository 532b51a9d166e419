// SPDX-License-Identifier: GPL-2.0-or-later
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs in the child: only async-signal-safe calls. Returns an errno. */
static int child_setup(const struct vigil_spawn_opts *o)
{
	sigset_t none;
	int null_fd;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return errno;
	/* not in the daemon's session: a terminal's signals are not the workload's */
	if (setsid() < 0)
		return errno;
	if (o->output_fd >= 0) {
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(o->output_fd, STDOUT_FILENO) < 0 || dup2(o->output_fd, STDERR_FILENO) < 0)
			return errno;
	}
	if (o->jail)
		return 0;
	if (o->netns_fd >= 0 && setns(o->netns_fd, CLONE_NEWNET) < 0)
		return errno;
	/*
	 * The workload inherits nothing else of the daemon's: not its control
	 * socket, not its ledger, not the netlink socket that owns its nftables
	 * table (libraries open some of them without close-on-exec).
	 */
	if (!o->inherit_fds && close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return errno;
	return 0;
}

static uint64_t jail_namespaces(const struct vigil_jail_plan *jail)
{
	if (!jail)
		return 0;
	return CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
	       (jail->netns_fd < 0 ? CLONE_NEWNET : 0);
}

int vigil_spawn(const struct vigil_spawn_opts *o, char *const argv[], pid_t *ret_pid,
		int *ret_pidfd, struct vigil_jail_report *ret_report)
{
	struct vigil_jail_report report = { .step = VIGIL_JAIL_STEP_EXEC, .op = -1 };
	int pipefd[2], pidfd = -1;
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP | (ret_pidfd ? CLONE_PIDFD : 0) |
			 jail_namespaces(o->jail),
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)o->cgroup_fd,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
	};
	ssize_t n;
	long pid;

	if (!argv || !argv[0] || !argv[0][0])
		return -EINVAL;
	/* close-on-exec: EOF on it means the exec succeeded */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		report.err = child_setup(o);
		if (!report.err && o->jail)
			vigil_jail_enter(o->jail, pipefd[1]);
		if (!report.err) {
			execvp(argv[0], argv);
			report.err = errno;
		}
		(void)!write(pipefd[1], &report, sizeof(report));
		_exit(127);
	}
	close(pipefd[1]);
	do {
		n = read(pipefd[0], &report, sizeof(report));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(report)) {
		waitpid((pid_t)pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		if (ret_report)
			*ret_report = report;
		return report.err > 0 ? -report.err : -EIO;
	}
	*ret_pid = (pid_t)pid;
	if (ret_pidfd)
		*ret_pidfd = pidfd;
	return 0;
}

int vigil_spawn_in_cgroup(int cgroup_fd, char *const argv[], pid_t *ret_pid)
{
	struct vigil_spawn_opts o = {
		.cgroup_fd = cgroup_fd, .netns_fd = -1, .output_fd = -1, .inherit_fds = true
	};

	return vigil_spawn(&o, argv, ret_pid, NULL, NULL);
}
