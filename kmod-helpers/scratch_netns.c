// SPDX-License-Identifier: GPL-2.0-or-later
#include "scratch_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_main(int out_fd, vigil_netns_fn fn, void *arg)
{
	char detail[512] = "";
	int err;

	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		snprintf(detail, sizeof(detail), "cannot create a network namespace: %s",
			 strerror(errno));
	} else {
		err = fn(arg, detail, sizeof(detail));
	}
	if (write(out_fd, detail, strlen(detail)) < 0)
		err = err ? err : -EIO;
	_exit(err < 0 && -err < 256 ? -err : (err ? 255 : 0));
}

int vigil_run_in_scratch_netns(vigil_netns_fn fn, void *arg, char *detail, size_t len)
{
	int pipefd[2];
	ssize_t n = 0, got = 0;
	int status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child_main(pipefd[1], fn, arg);
	}
	close(pipefd[1]);
	while (len > 1 && (size_t)got < len - 1) {
		n = read(pipefd[0], detail + got, len - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (len)
		detail[got] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFSIGNALED(status))
		return -EINTR;
	return -WEXITSTATUS(status);
}
