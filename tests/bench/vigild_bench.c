// SPDX-License-Identifier: GPL-2.0-or-later
#include "vigild_bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "control.h"

int vigild_bench_call(const struct vigild_bench *b, const char *cmd, const char *id,
		      struct json_object *spec)
{
	struct json_object *req = json_object_new_object(), *resp = NULL, *err;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (id)
		json_object_object_add(req, "id", json_object_new_string(id));
	if (spec)
		json_object_object_add(req, "spec", spec);
	ret = vigil_control_call(b->sock, req, 60, &resp);
	if (!ret && json_object_object_get_ex(resp, "error", &err)) {
		fprintf(stderr, "%s: %s %s: %s\n", b->name, cmd, id ? id : "",
			json_object_get_string(err));
		ret = -EIO;
	}
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

struct json_object *vigild_bench_spec(const char *id)
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

int vigild_bench_start(struct vigild_bench *b, const char *name, const char *const *extra)
{
	const char *bin = getenv("VIGILD");
	struct vigil_cgroup2 cg2;
	const char *argv[32];
	size_t n = 0;

	memset(b, 0, sizeof(*b));
	b->name = name;
	b->pid = -1;
	snprintf(b->scratch, sizeof(b->scratch), "/tmp/vigil-bench-%s-XXXXXX", name);
	if (vigil_cgroup2_detect(&cg2) < 0 || !mkdtemp(b->scratch))
		return -1;
	snprintf(b->bpffs, sizeof(b->bpffs), "%s/bpffs", b->scratch);
	snprintf(b->sock, sizeof(b->sock), "%s/run/vigil.sock", b->scratch);
	snprintf(b->state, sizeof(b->state), "%s/state", b->scratch);
	snprintf(b->log, sizeof(b->log), "%s/vigild.log", b->scratch);
	snprintf(b->parent_name, sizeof(b->parent_name), "vigil-bench-%d", getpid());
	snprintf(b->parent, sizeof(b->parent), "%s/%s", cg2.mount, b->parent_name);
	if (mkdir(b->bpffs, 0700) < 0 || mount("bpf", b->bpffs, "bpf", 0, "mode=0700") < 0) {
		fprintf(stderr, "%s: bpffs: %s\n", name, strerror(errno));
		return -1;
	}
	argv[n++] = "vigild";
	argv[n++] = "--state-dir";
	argv[n++] = b->state;
	argv[n++] = "--bpffs";
	argv[n++] = b->bpffs;
	argv[n++] = "--socket";
	argv[n++] = b->sock;
	argv[n++] = "--cgroup-parent";
	argv[n++] = b->parent_name;
	for (; extra && *extra && n < 31; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	b->pid = fork();
	if (b->pid == 0) {
		int log = open(b->log, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		dup2(log, STDERR_FILENO);
		execv(bin && *bin ? bin : "build/vigild", (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (vigild_bench_call(b, "list", NULL, NULL) == 0)
			return 0;
		usleep(50 * 1000);
	}
	fprintf(stderr, "%s: vigild did not start (see %s)\n", name, b->log);
	return -1;
}

/* What a sanitizer reported in vigild's log (an ASan build's leaks at exit among it). */
static int sanitizer_reports(const struct vigild_bench *b)
{
	char line[1024];
	FILE *f = fopen(b->log, "re");
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "Sanitizer") && strstr(line, "ERROR")) {
			fprintf(stderr, "%s: vigild: %s", b->name, line);
			n++;
		}
	}
	if (f)
		fclose(f);
	return n;
}

int vigild_bench_stop(struct vigild_bench *b)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	int fd, status = 0, ret = 0;
	DIR *d;

	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s: vigild ended with status 0x%x\n", b->name, status);
			ret = -1;
		}
	}
	if (sanitizer_reports(b))
		ret = -1;
	if (ret < 0) {
		snprintf(path, sizeof(path), "tail -n 20 %s >&2", b->log);
		(void)!system(path);
	}
	snprintf(path, sizeof(path), "%s/cgroup.kill", b->parent);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	d = opendir(b->parent);
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", b->parent, de->d_name);
		for (int tries = 0; tries < 100 && rmdir(path) < 0 && errno == EBUSY; tries++)
			usleep(10 * 1000);
	}
	if (d)
		closedir(d);
	rmdir(b->parent);
	umount2(b->bpffs, MNT_DETACH);
	snprintf(path, sizeof(path), "rm -rf %s", b->scratch);
	if (system(path) != 0)
		fprintf(stderr, "%s: could not remove %s\n", b->name, b->scratch);
	return ret;
}
