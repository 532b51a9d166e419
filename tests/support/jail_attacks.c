// SPDX-License-Identifier: GPL-2.0-or-later
#include "jail_attacks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>

struct target {
	const char *mode, *state, *pin, *sock;
	pid_t vigild;
};

static const char *outcome(int ret)
{
	const char *name;

	if (ret >= 0)
		return "ok";
	name = strerrorname_np(-ret);
	return name ? name : "E?";
}

static void say(const char *name, int ret)
{
	printf("attack %s: %s\n", name, outcome(ret));
}

static int err_of(long ret)
{
	return ret < 0 ? -errno : 0;
}

/*
 * Calls fn in a child: "SIGSYS" when the filter killed it, else what fn
 * returned. A killed attempt must not take the rest of the list with it.
 */
static void in_child(const char *name, int (*fn)(const struct target *), const struct target *t)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(-fn(t));
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("attack %s: fork failed\n", name);
		return;
	}
	if (WIFSIGNALED(status))
		printf("attack %s: %s\n", name, WTERMSIG(status) == SIGSYS ? "SIGSYS" : "signal");
	else
		say(name, -WEXITSTATUS(status));
}

static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int host_key(const struct target *t)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/host.key", t->state);
	return open_ro(path);
}

static int pinned_map(const struct target *t)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/vigil_usage", t->pin);
	return open_ro(path);
}

static int bpf_syscall(const struct target *t)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1
	};

	(void)t;
	return err_of(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static int control_socket(const struct target *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

	if (s < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->sock);
	ret = err_of(connect(s, (struct sockaddr *)&sa, sizeof(sa)));
	close(s);
	return ret;
}

static int signal_vigild(const struct target *t)
{
	return err_of(kill(t->vigild, 0));
}

static int vigild_proc(const struct target *t)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", t->vigild);
	return open_ro(path);
}

static int setns_host(const struct target *t)
{
	int fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);

	(void)t;
	/* the namespace's init is vigil's reaper: even its namespace is refused */
	return err_of(setns(fd, CLONE_NEWNET));
}

static int do_mount(const struct target *t)
{
	(void)t;
	return err_of(mount("none", "/tmp", "tmpfs", 0, NULL));
}

static int unshare_user(const struct target *t)
{
	(void)t;
	return err_of(unshare(CLONE_NEWUSER));
}

static int do_ptrace(const struct target *t)
{
	(void)t;
	return err_of(ptrace(PTRACE_ATTACH, 1, NULL, NULL));
}

static int write_usr(const struct target *t)
{
	int fd = open("/usr/vigil-attack", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	(void)t;
	if (fd < 0)
		return -errno;
	close(fd);
	unlink("/usr/vigil-attack");
	return 0;
}

static int block_device(const struct target *t)
{
	(void)t;
	return open_ro("/dev/sda") == -ENOENT && open_ro("/dev/vda") == -ENOENT ? -ENOENT : 0;
}

static int make_node(const struct target *t)
{
	(void)t;
	return err_of(mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)));
}

static int write_tmp(const struct target *t)
{
	int fd = open("/tmp/scratch", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ssize_t n;

	(void)t;
	if (fd < 0)
		return -errno;
	n = write(fd, "data", 4);
	close(fd);
	return n == 4 ? 0 : -EIO;
}

/* A datagram to an address of the test range beyond the workload's own subnet. */
static int reach_out(const struct target *t)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	(void)t;
	if (s < 0)
		return -errno;
	inet_pton(AF_INET, "198.18.255.254", &sa.sin_addr);
	ret = err_of(sendto(s, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)));
	close(s);
	return ret;
}

/* A score the OOM killer would pass over: only the privileged may lower it. */
static int oom_unkillable(const struct target *t)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC), ret;

	(void)t;
	if (fd < 0)
		return -errno;
	ret = write(fd, "-1000", 5) == 5 ? 0 : -errno;
	close(fd);
	return ret;
}

static void print_file(const char *label, const char *path)
{
	char buf[64] = "?";
	FILE *f = fopen(path, "re");

	if (f && fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
	printf("self %s: %s\n", label, buf);
}

static int tap_handed(const struct target *t)
{
	struct ifreq ifr = { 0 };

	(void)t;
	return err_of(ioctl(3, TUNGETIFF, &ifr));
}

static void self_status(void)
{
	static const char *const keys[] = { "CapInh:", "CapPrm:",     "CapEff:", "CapBnd:",
					    "CapAmb:", "NoNewPrivs:", "Seccomp:" };
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	DIR *d;
	struct dirent *e;
	int procs = 0;

	printf("self uid: %u\nself gid: %u\n", getuid(), getgid());
	printf("self groups: %d\n", getgroups(0, NULL));
	while (f && fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);
			char *v = line + n;

			if (strncmp(line, keys[i], n))
				continue;
			while (*v == ' ' || *v == '\t')
				v++;
			printf("self %.*s: %s", (int)n - 1, keys[i], v);
		}
	}
	if (f)
		fclose(f);
	d = opendir("/proc");
	while (d && (e = readdir(d)))
		procs += isdigit((unsigned char)e->d_name[0]) != 0;
	if (d)
		closedir(d);
	printf("self processes: %d\n", procs);
	print_file("oom_score_adj", "/proc/self/oom_score_adj");
	gethostname(line, sizeof(line));
	printf("self hostname: %s\n", line);
}

int jail_attacks_main(int argc, char **argv)
{
	struct target t;

	if (argc != 6) {
		fprintf(stderr, "usage: --attack MODE STATE_DIR PIN_DIR SOCKET VIGILD_PID\n");
		return 1;
	}
	t = (struct target){ argv[1], argv[2], argv[3], argv[4], (pid_t)atoi(argv[5]) };
	self_status();
	say("host-key", host_key(&t));
	say("pinned-map", pinned_map(&t));
	in_child("bpf", bpf_syscall, &t);
	say("control-socket", control_socket(&t));
	say("signal-vigild", signal_vigild(&t));
	say("vigild-proc", vigild_proc(&t));
	in_child("setns", setns_host, &t);
	in_child("mount", do_mount, &t);
	in_child("unshare-user", unshare_user, &t);
	in_child("ptrace", do_ptrace, &t);
	say("write-usr", write_usr(&t));
	say("block-device", block_device(&t));
	in_child("mknod", make_node, &t);
	say("write-tmp", write_tmp(&t));
	say("oom-unkillable", oom_unkillable(&t));
	if (strcmp(t.mode, "tap") == 0) {
		say("reach-host-networks", reach_out(&t));
		say("tap-fd", tap_handed(&t));
	}
	printf("attacks done\n");
	fflush(stdout);
	_exit(0);
}
