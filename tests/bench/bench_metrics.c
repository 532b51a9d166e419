// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /metrics for 1,000 workloads: a meter loaded into a private bpffs with
 * 1,000 slots filled (per-CPU counters of realistic size, so the numbers
 * render at full length), served by the HTTP server; each scrape is one
 * HTTP/1.1 request on a fresh connection, timed until the last byte.
 * Needs root; cleans up all it made.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"
#include "timing.h"

#define WORKLOADS 1000
#define ROUNDS	  15

struct bench {
	char scratch[PATH_MAX], bpffs[PATH_MAX], pin_dir[PATH_MAX];
	bool mounted;
	struct vigil_meter *meter;
	struct vigil_metrics *metrics;
	struct vigil_http_server *http;
};

static int alloc(const char *id, struct vigil_workload_alloc *ret, void *ctx)
{
	snprintf(ret->owner, sizeof(ret->owner), "stake-pool-operator-%.8s", id + 6);
	ret->vcpus = 4;
	ret->memory_mib = 8192;
	return 0;
}

/* Every counter of every CPU set to a value of typical length (a day of a busy node). */
static int fill_slots(struct bench *b)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err = 0;
	struct vigil_usage *percpu;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	fd = vigil_meter_map_fd(b->meter, "vigil_usage");
	if (fd < 0)
		return fd;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (uint32_t i = 0; i < WORKLOADS && !err; i++) {
		struct vigil_slot slot = { .state = VIGIL_SLOT_ACTIVE, .cgroup_id = 100000 + i };
		__u64 *c = (__u64 *)&percpu[0];

		for (size_t k = 0; k < sizeof(*percpu) / sizeof(__u64); k++)
			c[k] = 86400123456789ull + i * 7919ull + k;
		snprintf(slot.workload, sizeof(slot.workload), "bench-%04u", i);
		err = vigil_meter_slot_set(b->meter, i, &slot);
		if (!err && bpf_map_update_elem(fd, &i, percpu, BPF_ANY) < 0)
			err = -errno;
	}
	free(percpu);
	return err;
}

static int setup(struct bench *b)
{
	struct vigil_meter_opts mo = { .workload_cgroup_level = 2 };
	struct vigil_metrics_opts o = { .alloc = alloc };
	struct vigil_http_opts ho = { .listen = "127.0.0.1:0" };
	char err[256];
	int e;

	snprintf(b->scratch, sizeof(b->scratch), "/tmp/vigil-bench-metrics-XXXXXX");
	if (!mkdtemp(b->scratch))
		return -errno;
	snprintf(b->bpffs, sizeof(b->bpffs), "%s/bpffs", b->scratch);
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s/vigil", b->bpffs);
	if (mkdir(b->bpffs, 0700) < 0 || mount("bpf", b->bpffs, "bpf", 0, "mode=0700") < 0)
		return -errno;
	b->mounted = true;
	mo.pin_dir = b->pin_dir;
	e = vigil_meter_open(&mo, &b->meter);
	if (!e)
		e = fill_slots(b);
	if (e)
		return e;
	o.meter = b->meter;
	o.pin_dir = b->pin_dir;
	e = vigil_metrics_new(&o, &b->metrics);
	if (e)
		return e;
	ho.metrics = b->metrics;
	e = vigil_http_start(&ho, &b->http, err, sizeof(err));
	if (e)
		fprintf(stderr, "bench_metrics: %s\n", err);
	return e;
}

static void teardown(struct bench *b)
{
	vigil_http_stop(b->http);
	vigil_metrics_free(b->metrics);
	vigil_meter_close(b->meter);
	vigil_meter_unpin(b->pin_dir);
	if (b->mounted)
		umount2(b->bpffs, MNT_DETACH);
	rmdir(b->bpffs);
	rmdir(b->scratch);
}

/* One GET /metrics; the seconds it took and the body's size, or a negative time. */
static double scrape(unsigned int port, const char *accept, size_t *ret_bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char buf[1 << 16];
	char req[256];
	size_t total = 0;
	double start = bench_now_s();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;
	int len;

	if (fd < 0)
		return -1;
	len = snprintf(req, sizeof(req),
		       "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: %s\r\n"
		       "Connection: close\r\n\r\n",
		       accept);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	close(fd);
	*ret_bytes = total;
	return n < 0 ? -1 : bench_now_s() - start;
}

static void run(struct bench *b, const char *label, const char *accept)
{
	unsigned int port = vigil_http_port(b->http);
	double t[ROUNDS];
	size_t bytes = 0;

	/* the first scrape loads program names from BTF; later ones reuse them */
	scrape(port, accept, &bytes);
	for (int r = 0; r < ROUNDS; r++)
		t[r] = scrape(port, accept, &bytes);
	bench_median(t, ROUNDS);
	printf("  %-12s median %7.3f ms  (min %.3f, max %.3f; %zu bytes per scrape)\n", label,
	       t[ROUNDS / 2] * 1e3, t[0] * 1e3, t[ROUNDS - 1] * 1e3, bytes);
}

static void run_render(struct bench *b)
{
	double t[ROUNDS];
	struct vigil_strbuf out;

	vigil_strbuf_init(&out);
	for (int r = 0; r < ROUNDS; r++) {
		double start = bench_now_s();

		vigil_strbuf_reset(&out);
		vigil_metrics_render(b->metrics, VIGIL_METRICS_PROMETHEUS, &out);
		t[r] = bench_now_s() - start;
	}
	vigil_strbuf_free(&out);
	bench_median(t, ROUNDS);
	printf("  %-12s median %7.3f ms  (one map pass + rendering, no HTTP)\n", "render only",
	       t[ROUNDS / 2] * 1e3);
}

int main(void)
{
	static struct bench b;
	int err;

	if (geteuid() != 0) {
		printf("bench_metrics: skipped: needs root (bpffs, BPF programs)\n");
		return 77;
	}
	err = setup(&b);
	if (err) {
		fprintf(stderr, "bench_metrics: setting up 1,000 workloads: %s\n", strerror(-err));
		teardown(&b);
		return 1;
	}
	printf("GET /metrics, %d workloads, %d scrapes each (target <= 20 ms):\n", WORKLOADS,
	       ROUNDS);
	run(&b, "text 0.0.4", "text/plain;version=0.0.4");
	run(&b, "OpenMetrics", "application/openmetrics-text;version=1.0.0");
	run_render(&b);
	teardown(&b);
	return 0;
}
