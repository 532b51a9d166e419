// SPDX-License-Identifier: GPL-2.0-or-later
#include "testutil.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <check.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

#include "spawn.h"

void require_root(const char *suite)
{
	if (geteuid() == 0)
		return;
	printf("%s: skipped: needs root (BPF, mounts, network namespaces)\n", suite);
	exit(EXIT_SKIP);
}

struct buf {
	char *data;
	size_t len, cap;
};

static int buf_read(struct buf *b, int fd)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *grown;

	if (n <= 0)
		return (int)n;
	/* doubling: a volume's megabytes read 4 KiB at a time would copy gigabytes */
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8192;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, chunk, (size_t)n);
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return (int)n;
}

int run_cmd(char *const argv[], struct cmd_result *ret)
{
	struct buf out = { 0 }, err = { 0 };
	int out_pipe[2], err_pipe[2], status;
	struct pollfd fds[2];
	pid_t pid;

	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out_pipe[1], STDOUT_FILENO);
		dup2(err_pipe[1], STDERR_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	fds[0] = (struct pollfd){ .fd = out_pipe[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = err_pipe[0], .events = POLLIN };
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd >= 0 && fds[i].revents) {
				if (buf_read(i == 0 ? &out : &err, fds[i].fd) <= 0) {
					close(fds[i].fd);
					fds[i].fd = -1;
				}
			}
		}
	}
	waitpid(pid, &status, 0);
	ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	ret->out = out.data ? out.data : strdup("");
	ret->err = err.data ? err.data : strdup("");
	return 0;
}

void cmd_result_free(struct cmd_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *vigil_bin(void)
{
	const char *bin = getenv("VIGIL");

	return bin && *bin ? bin : "build/vigil";
}

int run_vigil(struct cmd_result *ret, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)vigil_bin();
	va_start(ap, ret);
	while (argc < 63 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	return run_cmd(argv, ret);
}

int run_vigil_args(struct cmd_result *ret, const char *const *args, size_t max)
{
	char *argv[64] = { (char *)vigil_bin() };
	size_t argc = 1;

	for (size_t i = 0; i < max && args[i] && argc < 63; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	return run_cmd(argv, ret);
}

int run_suite(struct Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct json_object *parse_json(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	size_t len = strlen(text);
	size_t used;

	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (obj && json_tokener_get_error(tok) == json_tokener_success) {
		/* only white space may follow the one document */
		while (used < len && strchr(" \t\r\n", text[used]))
			used++;
		if (used != len) {
			json_object_put(obj);
			obj = NULL;
		}
	} else if (obj) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

char *read_file_size(const char *path, size_t *ret_size)
{
	struct buf b = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int n;

	if (fd < 0)
		return NULL;
	while ((n = buf_read(&b, fd)) > 0)
		;
	close(fd);
	if (n < 0) {
		free(b.data);
		return NULL;
	}
	if (ret_size)
		*ret_size = b.len;
	return b.data ? b.data : strdup("");
}

char *read_file(const char *path)
{
	return read_file_size(path, NULL);
}

char *read_kernel_config(void)
{
	size_t cap = 1 << 20, len = 0;
	struct utsname uts;
	char path[128];
	char *text;
	gzFile gz;
	int n;

	/* gzread reads plain files too: Debian keeps /boot/config-RELEASE */
	gz = gzopen("/proc/config.gz", "rb");
	if (!gz && uname(&uts) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", uts.release);
		gz = gzopen(path, "rb");
	}
	if (!gz)
		return NULL;
	text = malloc(cap);
	while (text && (n = gzread(gz, text + len, (unsigned int)(cap - len - 1))) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			char *grown = realloc(text, cap * 2);

			if (!grown) {
				free(text);
				text = NULL;
				break;
			}
			text = grown;
			cap *= 2;
		}
	}
	gzclose(gz);
	if (text)
		text[len] = '\0';
	return text;
}

const char *kernel_config_value(const char *config, const char *name)
{
	char needle[128];
	const char *p;
	size_t len = (size_t)snprintf(needle, sizeof(needle), "\nCONFIG_%s=", name);

	p = strstr(config, needle);
	if (!p)
		return NULL;
	p += len;
	if (*p == 'y')
		return "y";
	if (*p == 'm')
		return "m";
	return NULL;
}

bool proc_misc_has(const char *device)
{
	char *misc = read_file("/proc/misc");
	char *saveptr = NULL;
	bool found = false;

	if (!misc)
		return false;
	for (char *line = strtok_r(misc, "\n", &saveptr); line && !found;
	     line = strtok_r(NULL, "\n", &saveptr)) {
		char name[64];

		if (sscanf(line, "%*u %63s", name) == 1 && strcmp(name, device) == 0)
			found = true;
	}
	free(misc);
	return found;
}

static int saved_stdout = -1;
static char capture_path[] = "/tmp/vigil-test-stdout-XXXXXX";

void capture_stdout_begin(void)
{
	int fd;

	fflush(stdout);
	strcpy(capture_path, "/tmp/vigil-test-stdout-XXXXXX");
	fd = mkostemp(capture_path, O_CLOEXEC);
	saved_stdout = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
}

char *capture_stdout_end(void)
{
	char *text;

	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	saved_stdout = -1;
	text = read_file(capture_path);
	unlink(capture_path);
	return text;
}

void spin_cpu(long ms)
{
	struct timespec start, now;
	volatile unsigned long spin = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 100000; i++)
			spin++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
}

int burn_cpu(const char *ms_arg)
{
	spin_cpu(strtol(ms_arg, NULL, 10));
	/*
	 * Without the sanitizers' exit-time leak check: it ptraces the process,
	 * which a jail's seccomp filter answers with SIGSYS.
	 */
	_exit(0);
}

void burn_in_cgroup(const char *dir, int n, const char *ms)
{
	char *argv[] = { "/proc/self/exe", "--burn", (char *)ms, NULL };
	int fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	pid_t pids[16];

	if (fd < 0 || n > 16) {
		fprintf(stderr, "burn_in_cgroup: opening %s: %s\n", dir, strerror(errno));
		abort();
	}
	for (int i = 0; i < n; i++) {
		errno = -vigil_spawn_in_cgroup(fd, argv, &pids[i]);
		if (errno) {
			fprintf(stderr, "burn_in_cgroup: spawning a burner into %s: %s\n", dir,
				strerror(errno));
			abort();
		}
	}
	close(fd);
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	/* a task's last slice is accounted at its final switch, just after it is reaped */
	usleep(100 * 1000);
}

char set_bpf_stats(char value)
{
	const char *path = "/proc/sys/kernel/bpf_stats_enabled";
	char *text = read_file(path), before = text && text[0] == '1' ? '1' : '0';
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	free(text);
	if (fd >= 0) {
		(void)!write(fd, &value, 1);
		close(fd);
	}
	return before;
}

uint64_t cgroup_cpu_stat_ns(const char *dir)
{
	char path[PATH_MAX + 16], *text, *p;
	unsigned long long usec = 0;

	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	text = read_file(path);
	ck_assert_msg(text, "cannot read %s", path);
	p = strstr(text, "usage_usec ");
	ck_assert_msg(p && sscanf(p, "usage_usec %llu", &usec) == 1, "no usage_usec in %s", path);
	free(text);
	return usec * 1000ull;
}

void cgroup_kill_remove(const char *path)
{
	char kill_path[PATH_MAX + 16];
	int fd;

	snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", path);
	fd = open(kill_path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	for (int i = 0; i < 100 && rmdir(path) < 0 && errno == EBUSY; i++)
		usleep(10 * 1000);
}

int bpf_programs_using_map(unsigned int map_id)
{
	__u32 id = 0, map_ids[16];
	int users = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		info.nr_map_ids = 16;
		info.map_ids = (__u64)(unsigned long)map_ids;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++)
				users += map_ids[i] == map_id;
		}
		close(fd);
	}
	return users;
}

uint64_t interface_attr(const char *ifname, const char *attr)
{
	char path[PATH_MAX], *text;
	uint64_t v;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	text = read_file(path);
	ck_assert_msg(text, "%s: %s", path, strerror(errno));
	v = strtoull(text, NULL, 0);
	free(text);
	return v;
}

uint64_t interface_stat(const char *ifname, const char *name)
{
	char attr[128];

	snprintf(attr, sizeof(attr), "statistics/%s", name);
	return interface_attr(ifname, attr);
}

uint16_t inet_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), strchr(name, '/') ? "%s" : "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(setns(fd, CLONE_NEWNET) == 0, "setns %s: %s", name, strerror(errno));
	close(fd);
}

int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

char *sh_output(const char *fmt, ...)
{
	char cmd[1024];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct cmd_result r = { 0 };
	char *out = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (run_cmd(argv, &r) == 0 && r.status == 0)
		out = strdup(r.out);
	cmd_result_free(&r);
	return out;
}

/* addr:port, IPv4 or IPv6 (asserts it is an address); NULL: any IPv4 address. */
static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ret)
{
	struct sockaddr_in6 *six = (struct sockaddr_in6 *)ret;
	struct sockaddr_in *four = (struct sockaddr_in *)ret;

	memset(ret, 0, sizeof(*ret));
	if (addr && strchr(addr, ':')) {
		six->sin6_family = AF_INET6;
		six->sin6_port = htons((uint16_t)port);
		ck_assert_msg(inet_pton(AF_INET6, addr, &six->sin6_addr) == 1, "%s", addr);
		return sizeof(*six);
	}
	four->sin_family = AF_INET;
	four->sin_port = htons((uint16_t)port);
	ck_assert_msg(!addr || inet_pton(AF_INET, addr, &four->sin_addr) == 1, "%s", addr);
	return sizeof(*four);
}

void udp_burst(const char *netns, const char *addr, int port, int n)
{
	udp_burst_from(netns, NULL, addr, port, n);
}

uint64_t udp_burst_frame_bytes(int n, bool ipv6)
{
	uint64_t bytes = 0;

	for (int i = 0; i < n; i++)
		bytes += 14 + (ipv6 ? 40 : 20) + 8 + 100 + 20 * (i % 50);
	return bytes;
}

void udp_burst_from(const char *netns, const char *from, const char *addr, int port, int n)
{
	static const char payload[100 + 20 * 49];
	struct sockaddr_storage to, src;
	socklen_t to_len = sockaddr_of(addr, port, &to), src_len = 0;
	pid_t pid;
	int status;

	if (from)
		src_len = sockaddr_of(from, 0, &src);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int s;

		if (netns)
			enter_netns(netns);
		s = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || (from && bind(s, (struct sockaddr *)&src, src_len)))
			_exit(1);
		for (int i = 0; i < n; i++)
			if (sendto(s, payload, (size_t)(100 + 20 * (i % 50)), 0,
				   (struct sockaddr *)&to, to_len) < 0)
				_exit(2);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "UDP burst from %s to %s:%d: status %d", netns, addr, port, status);
}

pid_t tcp_listener(const char *netns, const char *addr, int port, bool hold)
{
	struct sockaddr_storage sa;
	socklen_t len = sockaddr_of(addr, port, &sa);
	int one = 1, s, ready[2];
	pid_t pid;
	char c;

	ck_assert(pipe(ready) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		if (netns)
			enter_netns(netns);
		s = socket(sa.ss_family, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, len) || listen(s, 64))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			hold ? pause() : close(accept(s, NULL, NULL));
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

unsigned long host_tsc_khz(void)
{
#ifdef __x86_64__
	struct timespec a, b, pause = { 0, 100 * 1000 * 1000 };
	unsigned long long t0, t1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	t0 = __rdtsc();
	nanosleep(&pause, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	return (unsigned long)((double)(t1 - t0) / ns * 1e6);
#else
	return 0;
#endif
}

const char *require_microvm(const char *suite)
{
	static char dir[PATH_MAX];
	const char *env = getenv("VIGIL_GUEST_DIR");
	char path[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s", env ? env : "build/guest");
	snprintf(path, sizeof(path), "%s/vmlinuz", dir);
	if (access(path, R_OK) != 0 || sh("command -v qemu-system-x86_64 >/dev/null") != 0) {
		fprintf(stderr,
			"%s: skipped: no qemu-system-x86_64 or no guest in %s (make guest builds "
			"it)\n",
			suite, dir);
		exit(EXIT_SKIP);
	}
	return dir;
}
