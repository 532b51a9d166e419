// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's resident memory with 1,000 workloads: a private vigild (own
 * state dir, socket, bpffs and cgroup parent) is given 1,000 process
 * workloads, each created and started through the control socket, and its
 * VmRSS and VmHWM are read from /proc. Target: <= 30 MiB. Needs root and
 * cgroup v2; everything made is removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "control.h"
#include "timing.h"

#define WORKLOADS 1000

static char scratch[] = "/tmp/vigil-bench-rss-XXXXXX";
static char bpffs[PATH_MAX], sock[PATH_MAX], state[PATH_MAX], parent_name[64];
static char parent[PATH_MAX];

static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			kib = strtol(line + flen + 1, NULL, 10);
	}
	fclose(f);
	return kib;
}

static int call(const char *cmd, const char *id, struct json_object *spec)
{
	struct json_object *req = json_object_new_object(), *resp = NULL, *err;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (id)
		json_object_object_add(req, "id", json_object_new_string(id));
	if (spec)
		json_object_object_add(req, "spec", spec);
	ret = vigil_control_call(sock, req, 60, &resp);
	if (!ret && json_object_object_get_ex(resp, "error", &err)) {
		fprintf(stderr, "bench_vigild_rss: %s %s: %s\n", cmd, id ? id : "",
			json_object_get_string(err));
		ret = -EIO;
	}
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

static struct json_object *spec_for(const char *id)
{
	struct json_object *spec = json_object_new_object(), *argv = json_object_new_array();

	json_object_array_add(argv, json_object_new_string("sleep"));
	json_object_array_add(argv, json_object_new_string("3600"));
	json_object_object_add(spec, "id", json_object_new_string(id));
	json_object_object_add(spec, "owner", json_object_new_string("bench"));
	json_object_object_add(spec, "vcpus", json_object_new_int(1));
	json_object_object_add(spec, "memory_mib", json_object_new_int(64));
	json_object_object_add(spec, "command", argv);
	return spec;
}

static pid_t start_vigild(void)
{
	const char *bin = getenv("VIGILD");
	char max[16];
	pid_t pid;

	snprintf(max, sizeof(max), "%d", WORKLOADS);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, STDERR_FILENO);
		execl(bin && *bin ? bin : "build/vigild", "vigild", "--state-dir", state, "--bpffs",
		      bpffs, "--socket", sock, "--cgroup-parent", parent_name, "--max-workloads",
		      max, "--stop-timeout", "1", NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (call("list", NULL, NULL) == 0)
			return pid;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Kills every workload at once, then removes their cgroups and the parent. */
static void remove_cgroups(void)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.kill", parent);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	for (int i = 0; i < WORKLOADS; i++) {
		snprintf(path, sizeof(path), "%s/b%d", parent, i);
		for (int tries = 0; tries < 100 && rmdir(path) < 0 && errno == EBUSY; tries++)
			usleep(10 * 1000);
	}
	rmdir(parent);
}

int main(void)
{
	struct vigil_cgroup2 cg2;
	char id[32], cmd[PATH_MAX + 16];
	long rss0, rss, hwm;
	double t0, created;
	pid_t pid;
	int made = 0, err = 0;

	if (geteuid() != 0 || vigil_cgroup2_detect(&cg2) < 0) {
		printf("bench_vigild_rss: skipped: needs root and cgroup v2\n");
		return 77;
	}
	if (!mkdtemp(scratch))
		return 1;
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", scratch);
	snprintf(sock, sizeof(sock), "%s/run/vigil.sock", scratch);
	snprintf(state, sizeof(state), "%s/state", scratch);
	snprintf(parent_name, sizeof(parent_name), "vigil-bench-%d", getpid());
	snprintf(parent, sizeof(parent), "%s/%s", cg2.mount, parent_name);
	if (mkdir(bpffs, 0700) < 0 || mount("bpf", bpffs, "bpf", 0, "mode=0700") < 0) {
		perror("bench_vigild_rss: bpffs");
		return 1;
	}
	pid = start_vigild();
	if (pid < 0) {
		fprintf(stderr, "bench_vigild_rss: vigild did not start\n");
		err = 1;
		goto out;
	}
	rss0 = status_kib(pid, "VmRSS");
	t0 = bench_now_s();
	for (; made < WORKLOADS && !err; made++) {
		snprintf(id, sizeof(id), "b%d", made);
		err = call("create", NULL, spec_for(id)) || call("start", id, NULL);
	}
	created = bench_now_s() - t0;
	t0 = bench_now_s();
	if (!err)
		err = call("list", NULL, NULL);
	rss = status_kib(pid, "VmRSS");
	hwm = status_kib(pid, "VmHWM");
	printf("vigild with %d workloads (created and started in %.1f s, list in %.1f ms):\n", made,
	       created, (bench_now_s() - t0) * 1e3);
	printf("  VmRSS %.1f MiB (%.1f MiB with none), peak VmHWM %.1f MiB (target <= 30 MiB)\n",
	       (double)rss / 1024, (double)rss0 / 1024, (double)hwm / 1024);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
out:
	remove_cgroups();
	umount2(bpffs, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_vigild_rss: could not remove %s\n", scratch);
	return err ? 1 : 0;
}
