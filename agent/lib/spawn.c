// SPDX-License-Identifier: GPL-2.0-or-later
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int vigil_spawn_in_cgroup(int cgroup_fd, char *const argv[], pid_t *ret_pid)
{
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgroup_fd,
	};
	int exec_err = 0, pipefd[2];
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
		execvp(argv[0], argv);
		exec_err = errno;
		(void)!write(pipefd[1], &exec_err, sizeof(exec_err));
		_exit(127);
	}
	close(pipefd[1]);
	do {
		n = read(pipefd[0], &exec_err, sizeof(exec_err));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(exec_err)) {
		waitpid((pid_t)pid, NULL, 0);
		return -exec_err;
	}
	*ret_pid = (pid_t)pid;
	return 0;
}
