// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild under load: 8 concurrent clients create, start and delete 200
 * workloads (25 each) through the control socket while /metrics is scraped
 * at 10 Hz; run twice side by side, without and then with a hostile client
 * that holds 10 control connections sending a byte a second and 16 idle
 * HTTP connections. Prints p50/p99/max per operation and the errors (there
 * must be none). Needs root and cgroup v2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroup.h"
#include "timing.h"
#include "vigild_bench.h"

#define CLIENTS		 8
#define PER_CLIENT	 25
#define SCRAPE_PERIOD_MS 100
#define HOSTILE_CONTROL	 10
#define HOSTILE_HTTP	 16
#define MAX_SAMPLES	 4096

enum op { OP_CREATE, OP_START, OP_DELETE, OP_SCRAPE, OP__COUNT };
static const char *const op_names[] = { "create", "start", "delete", "scrape /metrics" };

struct samples {
	double ms[MAX_SAMPLES];
	int n;
	pthread_mutex_t lock;
};

struct run {
	struct vigild_bench *b;
	unsigned int http_port;
	int round;
	struct samples ops[OP__COUNT];
	atomic_int errors;
	atomic_bool done;
};

static void record(struct samples *s, double ms)
{
	pthread_mutex_lock(&s->lock);
	if (s->n < MAX_SAMPLES)
		s->ms[s->n++] = ms;
	pthread_mutex_unlock(&s->lock);
}

static int timed_call(struct run *r, enum op op, const char *cmd, const char *id,
		      struct json_object *spec)
{
	double t0 = bench_now_s();
	int ret = vigild_bench_call(r->b, cmd, id, spec);

	record(&r->ops[op], (bench_now_s() - t0) * 1e3);
	if (ret)
		atomic_fetch_add(&r->errors, 1);
	return ret;
}

struct client {
	struct run *run;
	int index;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	char id[32];

	for (int i = 0; i < PER_CLIENT; i++) {
		snprintf(id, sizeof(id), "l%d-%d-%d", c->run->round, c->index, i);
		if (timed_call(c->run, OP_CREATE, "create", NULL, vigild_bench_spec(id)) == 0 &&
		    timed_call(c->run, OP_START, "start", id, NULL) == 0)
			timed_call(c->run, OP_DELETE, "delete", id, NULL);
	}
	return NULL;
}

/*
 * A connection to vigild's HTTP port (on 127.0.0.1) from `from`: the
 * hostile client comes from an address of its own, as another host would,
 * so vigild's per-address limit is its alone and not the scraper's too.
 */
static int tcp_connect(unsigned int port, const char *from)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	inet_pton(AF_INET, from, &src.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* GET /metrics; true on a 200 with the whole body read. */
static bool scrape(unsigned int port)
{
	static const char req[] =
		"GET /metrics HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n\r\n";
	char buf[65536];
	int fd = tcp_connect(port, "127.0.0.1"), status = 0;
	ssize_t n;
	bool first = true;

	if (fd < 0)
		return false;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		close(fd);
		return false;
	}
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (first)
			sscanf(buf, "HTTP/1.1 %d", &status);
		first = false;
	}
	close(fd);
	return status == 200 && n == 0;
}

static void *scraper_main(void *arg)
{
	struct run *r = arg;

	while (!atomic_load(&r->done)) {
		double t0 = bench_now_s();

		if (!scrape(r->http_port))
			atomic_fetch_add(&r->errors, 1);
		record(&r->ops[OP_SCRAPE], (bench_now_s() - t0) * 1e3);
		usleep(SCRAPE_PERIOD_MS * 1000);
	}
	return NULL;
}

static int control_connect(const char *sock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Slow control clients (reconnecting when vigild ends them) and idle HTTP connections. */
static void *hostile_main(void *arg)
{
	struct run *r = arg;
	int ctl[HOSTILE_CONTROL], http[HOSTILE_HTTP];

	for (int i = 0; i < HOSTILE_HTTP; i++)
		http[i] = tcp_connect(r->http_port, "127.0.0.2");
	for (int i = 0; i < HOSTILE_CONTROL; i++)
		ctl[i] = control_connect(r->b->sock);
	while (!atomic_load(&r->done)) {
		for (int i = 0; i < HOSTILE_CONTROL; i++) {
			if (ctl[i] < 0 || send(ctl[i], "{", 1, MSG_NOSIGNAL) != 1) {
				if (ctl[i] >= 0)
					close(ctl[i]);
				ctl[i] = control_connect(r->b->sock);
			}
		}
		sleep(1);
	}
	for (int i = 0; i < HOSTILE_CONTROL; i++)
		if (ctl[i] >= 0)
			close(ctl[i]);
	for (int i = 0; i < HOSTILE_HTTP; i++)
		if (http[i] >= 0)
			close(http[i]);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(struct samples *s, double p)
{
	int i = (int)(p * (s->n - 1) + 0.5);

	return s->n ? s->ms[i] : 0;
}

static void run_once(struct run *r, bool hostile)
{
	pthread_t clients[CLIENTS], scraper, attacker;
	struct client c[CLIENTS];
	double t0 = bench_now_s();

	atomic_store(&r->done, false);
	pthread_create(&scraper, NULL, scraper_main, r);
	if (hostile)
		pthread_create(&attacker, NULL, hostile_main, r);
	for (int i = 0; i < CLIENTS; i++) {
		c[i] = (struct client){ .run = r, .index = i };
		pthread_create(&clients[i], NULL, client_main, &c[i]);
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(clients[i], NULL);
	atomic_store(&r->done, true);
	pthread_join(scraper, NULL);
	if (hostile)
		pthread_join(attacker, NULL);
	printf("%s a hostile client: %d workloads by %d clients in %.1f s, %d errors\n",
	       hostile ? "with" : "without", CLIENTS * PER_CLIENT, CLIENTS, bench_now_s() - t0,
	       atomic_load(&r->errors));
	for (int op = 0; op < OP__COUNT; op++) {
		struct samples *s = &r->ops[op];

		qsort(s->ms, (size_t)s->n, sizeof(s->ms[0]), cmp_double);
		printf("  %-16s n=%-4d p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n", op_names[op],
		       s->n, percentile(s, 0.5), percentile(s, 0.99), s->n ? s->ms[s->n - 1] : 0);
	}
}

static unsigned int http_port_from_log(const char *log)
{
	unsigned int port = 0;
	char line[512];
	FILE *f = fopen(log, "re");

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "(port ");

		if (p && sscanf(p, "(port %u)", &port) == 1)
			break;
	}
	if (f)
		fclose(f);
	return port;
}

int main(void)
{
	static const char *const extra[] = {
		"--max-workloads", "512", "--stop-timeout", "1", "--listen", "127.0.0.1:0", NULL
	};
	static struct run runs[2];
	struct vigil_cgroup2 cg2;
	struct vigild_bench b;
	int errors = 0;

	if (geteuid() != 0 || vigil_cgroup2_detect(&cg2) < 0) {
		printf("bench_control_load: skipped: needs root and cgroup v2\n");
		return 77;
	}
	if (vigild_bench_start(&b, "bench_control_load", extra) < 0) {
		vigild_bench_stop(&b);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		runs[i].b = &b;
		runs[i].round = i;
		runs[i].http_port = http_port_from_log(b.log);
		for (int op = 0; op < OP__COUNT; op++)
			pthread_mutex_init(&runs[i].ops[op].lock, NULL);
	}
	if (!runs[0].http_port) {
		fprintf(stderr, "bench_control_load: no HTTP port in %s\n", b.log);
		vigild_bench_stop(&b);
		return 1;
	}
	run_once(&runs[0], false);
	run_once(&runs[1], true);
	for (int op = 0; op < OP__COUNT; op++)
		printf("  %-16s p99 with/without the hostile client: %.2f\n", op_names[op],
		       percentile(&runs[1].ops[op], 0.99) /
			       (percentile(&runs[0].ops[op], 0.99)
					? percentile(&runs[0].ops[op], 0.99)
					: 1));
	errors = atomic_load(&runs[0].errors) + atomic_load(&runs[1].errors);
	if (vigild_bench_stop(&b) < 0)
		errors++;
	else
		printf("vigild exited cleanly%s\n",
		       strstr(getenv("VIGILD") ? getenv("VIGILD") : "", "asan")
			       ? ", no AddressSanitizer or LeakSanitizer report"
			       : "");
	return errors ? 1 : 0;
}
