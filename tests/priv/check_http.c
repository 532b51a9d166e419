// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTTP server against a real meter: loaded into a private bpffs, one
 * workload cgroup whose burners ran before the tests, so /metrics is
 * compared with settled cpu.stat figures. Then the other endpoints, their
 * errors, TLS and mutual TLS with certificates made for the run, and a real
 * Prometheus that scrapes the server and loads deploy/prometheus/alerts.yml.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"
#include "meter_fixture.h"
#include "prom.h"
#include "spawn.h"
#include "testutil.h"

#define SLOT	4
#define RECORDS 50
#define ALERTS	"deploy/prometheus/alerts.yml"
#define SCRAPE	"deploy/prometheus/scrape.yml"

static char workload_id[VIGIL_ID_SIZE], workload_cg[PATH_MAX], tls_dir[PATH_MAX + 8];
static char stats_before = '0';

static void fail_setup(const char *what)
{
	fprintf(stderr, "http: %s: %s\n", what, strerror(errno));
	abort();
}

/* Runs a shell script; 0 when it exits 0. */
static int run_sh(const char *script)
{
	char *argv[] = { "sh", "-ec", (char *)script, NULL };
	struct cmd_result r;
	int status;

	if (run_cmd(argv, &r) < 0)
		return -1;
	status = r.status;
	if (status)
		fprintf(stderr, "http: `%s` failed (%d): %s%s\n", script, status, r.out, r.err);
	cmd_result_free(&r);
	return status;
}

/* A CA, a server certificate for 127.0.0.1 and a client one it signed, and a stranger's. */
static void make_certificates(void)
{
	char script[4096];

	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", mf.scratch);
	snprintf(script, sizeof(script),
		 "cd %s; mkdir tls; cd tls\n"
		 "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 "
		 "2>/dev/null; }\n"
		 "key ca.key; key server.key; key client.key; key stranger.key\n"
		 "openssl req -x509 -new -key ca.key -subj /CN=vigil-test-ca -days 1 -out ca.crt\n"
		 "openssl req -new -key server.key -subj /CN=127.0.0.1 -out server.csr\n"
		 "printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext\n"
		 "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-days 1 -extfile server.ext -out server.crt 2>/dev/null\n"
		 "openssl req -new -key client.key -subj /CN=accounting -out client.csr\n"
		 "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-days 1 -out client.crt 2>/dev/null\n"
		 "openssl req -x509 -new -key stranger.key -subj /CN=stranger -days 1 "
		 "-out stranger.crt\n",
		 mf.scratch);
	if (run_sh(script))
		fail_setup("making TLS certificates with openssl");
}

static void make_host_objects(void)
{
	struct vigil_meter_opts opts = { 0 };
	struct vigil_slot slot = { .state = VIGIL_SLOT_ACTIVE, .run_state = "running" };
	struct vigil_meter *m;
	uint64_t id;

	mf_make_host_objects();
	snprintf(workload_cg, sizeof(workload_cg), "%s/w1", mf.parent);
	snprintf(workload_id, sizeof(workload_id), "http-%d", getpid());
	if (mkdir(workload_cg, 0755) < 0)
		fail_setup("making the workload cgroup");
	stats_before = set_bpf_stats('1');
	opts.pin_dir = mf.pin_dir;
	if (vigil_cgroup_level(mf.cg2.mount, workload_cg, &opts.workload_cgroup_level) < 0 ||
	    vigil_cgroup_id(workload_cg, &id) < 0)
		fail_setup("the workload cgroup");
	errno = -vigil_meter_open(&opts, &m);
	if (errno)
		fail_setup("vigil_meter_open");
	snprintf(slot.workload, sizeof(slot.workload), "%s", workload_id);
	slot.cgroup_id = id;
	if (vigil_meter_slot_set(m, SLOT, &slot) < 0 || vigil_meter_add_cgroup(m, id, SLOT) < 0)
		fail_setup("registering the workload");
	vigil_meter_close(m);
	burn_in_cgroup(workload_cg, 2, "300");
	make_certificates();
}

static void remove_host_objects(void)
{
	char script[PATH_MAX + 64];

	set_bpf_stats(stats_before);
	snprintf(script, sizeof(script), "rm -rf '%s/tls' '%s/prom' '%s/deploy'", mf.scratch,
		 mf.scratch, mf.scratch);
	run_sh(script);
	mf_remove_host_objects();
}

/* What the daemon would supply: allocation, ledger status and records. */
static struct vigil_ledger_status ledger = { .sequence = RECORDS };
static int ledger_error;

static int test_alloc(const char *id, struct vigil_workload_alloc *ret, void *ctx)
{
	if (strcmp(id, workload_id) != 0)
		return -ENOENT;
	snprintf(ret->owner, sizeof(ret->owner), "tenant \"a\"");
	ret->vcpus = 2;
	ret->memory_mib = 512;
	return 0;
}

static int test_ledger_status(struct vigil_ledger_status *ret, void *ctx)
{
	if (ledger_error)
		return ledger_error;
	*ret = ledger;
	return 0;
}

static int fake_records(uint64_t after, unsigned int limit, vigil_records_emit_fn emit,
			void *emit_ctx, void *ctx)
{
	char line[64];
	int err = 0;

	for (uint64_t seq = after + 1; seq <= RECORDS && seq <= after + limit && !err; seq++) {
		int n = snprintf(line, sizeof(line), "{\"seq\":%llu}", (unsigned long long)seq);

		err = emit(line, (size_t)n, emit_ctx);
	}
	return err;
}

struct server {
	struct vigil_meter *meter;
	struct vigil_metrics *metrics;
	struct vigil_http_server *http;
	char base[64];
};

static void server_start_tls(struct server *s, const char *cert, const char *key, const char *ca)
{
	struct vigil_metrics_opts mo = {
		.pin_dir = mf.pin_dir,
		.alloc = test_alloc,
		.ledger_status = test_ledger_status,
	};
	struct vigil_http_opts ho = {
		.listen = "127.0.0.1:0",
		.ledger_status = test_ledger_status,
		.records = fake_records,
		.tls_cert_file = cert,
		.tls_key_file = key,
		.tls_client_ca_file = ca,
	};
	char err[512];
	int e;

	ck_assert_int_eq(vigil_meter_open_pinned(mf.pin_dir, &s->meter), 0);
	mo.meter = s->meter;
	ck_assert_int_eq(vigil_metrics_new(&mo, &s->metrics), 0);
	ho.metrics = s->metrics;
	e = vigil_http_start(&ho, &s->http, err, sizeof(err));
	ck_assert_msg(e == 0, "vigil_http_start: %s", err);
	snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%u", cert ? "https" : "http",
		 vigil_http_port(s->http));
}

static void server_start(struct server *s)
{
	server_start_tls(s, NULL, NULL, NULL);
}

static void server_stop(struct server *s)
{
	vigil_http_stop(s->http);
	vigil_metrics_free(s->metrics);
	vigil_meter_close(s->meter);
}

static void get(struct reply *r, const struct server *s, const char *path)
{
	char url[256];

	snprintf(url, sizeof(url), "%s%s", s->base, path);
	curl(r, url, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* The value of the sample whose line starts with `prefix` (name and labels). */
static double sample(const char *body, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	ck_abort_msg("no sample %s", prefix);
	return 0;
}

static uint64_t workload_cpu_stat_ns(void)
{
	return cgroup_cpu_stat_ns(workload_cg);
}

START_TEST(test_metrics_cpu_matches_cpu_stat)
{
	struct server s;
	struct reply r;
	char prefix[128];
	double seconds;

	server_start(&s);
	get(&r, &s, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "text/plain;");
	snprintf(prefix, sizeof(prefix), "vigil_workload_cpu_seconds_total{workload=\"%s\"}",
		 workload_id);
	seconds = sample(r.body, prefix);
	mf_assert_within_percent((uint64_t)(seconds * 1e9 + 0.5), workload_cpu_stat_ns(), 1.0,
				 "/metrics cpu seconds", "cpu.stat");
	snprintf(prefix, sizeof(prefix),
		 "vigil_workload_info{workload=\"%s\",owner=\"tenant \\\"a\\\"\",state=\"running\","
		 "vcpus=\"2\",memory_mib=\"512\"}",
		 workload_id);
	ck_assert(sample(r.body, prefix) == 1.0);
	/* another suite may switch bpf_stats off meanwhile: the figures must agree with the flag */
	if (sample(r.body, "vigil_bpf_stats_enabled") == 1.0)
		ck_assert(sample(r.body,
				 "vigil_bpf_program_runs_total{program=\"vigil_sched_switch\"}") >
			  0);
	else
		ck_assert_ptr_null(strstr(r.body, "vigil_bpf_program_runs_total"));
	ck_assert(sample(r.body, "vigil_ledger_sequence") == RECORDS);
	ck_assert_ptr_null(strstr(r.body, "# EOF"));
	free(r.body);

	/* the second scrape reports how long the first took */
	get(&r, &s, "/metrics");
	ck_assert(sample(r.body, "vigil_scrape_duration_seconds") > 0);
	free(r.body);
	server_stop(&s);
}
END_TEST

START_TEST(test_metrics_openmetrics_by_accept)
{
	struct server s;
	struct reply r;
	char url[128];

	server_start(&s);
	snprintf(url, sizeof(url), "%s/metrics", s.base);
	curl(&r, url, "-H", "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
	     NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "application/openmetrics-text;");
	ck_assert_ptr_nonnull(strstr(r.body, "\n# TYPE vigil_workload_cpu_seconds counter\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\n# EOF"));
	free(r.body);
	server_stop(&s);
}
END_TEST

START_TEST(test_healthz)
{
	struct server s;
	struct reply r;
	struct json_object *doc, *l, *v;

	server_start(&s);
	get(&r, &s, "/healthz");
	ck_assert_int_eq(r.status, 200);
	doc = parse_json(r.body);
	ck_assert_msg(doc, "not JSON: %s", r.body);
	ck_assert(json_object_object_get_ex(doc, "status", &v));
	ck_assert_str_eq(json_object_get_string(v), "ok");
	ck_assert(json_object_object_get_ex(doc, "ledger", &l));
	ck_assert(json_object_object_get_ex(l, "sequence", &v));
	ck_assert_int_eq(json_object_get_int64(v), RECORDS);
	json_object_put(doc);
	free(r.body);

	/* the ledger cannot write: 503 with the reason */
	ledger.failing = true;
	ledger.write_errors = 3;
	snprintf(ledger.last_error, sizeof(ledger.last_error), "ledger.db: disk full");
	get(&r, &s, "/healthz");
	ck_assert_int_eq(r.status, 503);
	ck_assert_msg(strstr(r.body, "\"failing\"") && strstr(r.body, "disk full"), "%s", r.body);
	free(r.body);

	/* its status cannot be read at all */
	ledger.failing = false;
	ledger_error = -EIO;
	get(&r, &s, "/healthz");
	ck_assert_int_eq(r.status, 503);
	ck_assert_msg(strstr(r.body, "reading the ledger status"), "%s", r.body);
	free(r.body);
	server_stop(&s);
}
END_TEST

static int count_lines(const char *body, uint64_t *first, uint64_t *last)
{
	int n = 0;

	for (const char *p = body; *p; p = strchr(p, '\n') + 1) {
		unsigned long long seq;

		ck_assert_int_eq(sscanf(p, "{\"seq\":%llu}", &seq), 1);
		if (!n++)
			*first = seq;
		*last = seq;
		ck_assert_ptr_nonnull(strchr(p, '\n'));
	}
	return n;
}

START_TEST(test_records_paged)
{
	struct server s;
	struct reply r;
	uint64_t first = 0, last = 0;

	server_start(&s);
	get(&r, &s, "/v1/records?after=10&limit=5");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "application/x-ndjson;");
	ck_assert_int_eq(count_lines(r.body, &first, &last), 5);
	ck_assert_uint_eq(first, 11);
	ck_assert_uint_eq(last, 15);
	free(r.body);

	get(&r, &s, "/v1/records?after=0");
	ck_assert_int_eq(count_lines(r.body, &first, &last), RECORDS);
	free(r.body);

	get(&r, &s, "/v1/records?limit=10000&after=50");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "");
	free(r.body);
	server_stop(&s);
}
END_TEST

START_TEST(test_records_bad_parameters)
{
	static const struct {
		const char *query;
		const char *says;
	} cases[] = {
		{ "", "after is missing" },
		{ "?limit=5", "after is missing" },
		{ "?after=", "after is empty" },
		{ "?after=-1", "after must not be negative" },
		{ "?after=abc", "after is not a decimal number" },
		{ "?after=1.5", "after is not a decimal number" },
		{ "?after=18446744073709551616", "after is out of range" },
		{ "?after=0&limit=0", "limit is out of range (1 to 10000)" },
		{ "?after=0&limit=10001", "limit is out of range" },
		{ "?after=0&limit=-5", "limit must not be negative" },
		{ "?after=0&limit=ten", "limit is not a decimal number" },
		{ "?after=0&limit=", "limit is empty" },
		{ "?afer=1", "unknown parameter \\\"afer\\\"" },
	};
	struct server s;

	server_start(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *doc;
		char path[128];
		struct reply r;

		snprintf(path, sizeof(path), "/v1/records%s", cases[i].query);
		get(&r, &s, path);
		ck_assert_msg(r.status == 400, "%s: status %d", path, r.status);
		ck_assert_str_eq(r.content_type, "application/json");
		doc = parse_json(r.body);
		ck_assert_msg(doc && strstr(r.body, "\"error\"") && strstr(r.body, cases[i].says),
			      "%s: %s", path, r.body);
		json_object_put(doc);
		free(r.body);
	}
	server_stop(&s);
}
END_TEST

START_TEST(test_not_found_and_method)
{
	struct server s;
	struct reply r;
	char url[128];

	server_start(&s);
	get(&r, &s, "/nope");
	ck_assert_int_eq(r.status, 404);
	ck_assert_msg(strstr(r.body, "no such path: /nope"), "%s", r.body);
	free(r.body);
	get(&r, &s, "/metrics/");
	ck_assert_int_eq(r.status, 404);
	free(r.body);

	snprintf(url, sizeof(url), "%s/metrics", s.base);
	curl(&r, url, "-X", "POST", "-d", "x=1", "-D", "/dev/stderr");
	ck_assert_int_eq(r.status, 405);
	ck_assert_msg(strstr(r.body, "only GET and HEAD"), "%s", r.body);
	free(r.body);
	snprintf(url, sizeof(url), "%s/v1/records?after=0", s.base);
	curl(&r, url, "-X", "DELETE", NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 405);
	free(r.body);
	server_stop(&s);
}
END_TEST

/* A TCP connection to the server from `source` (a 127/8 address), sending nothing. */
static int connect_from(const struct server *s, const char *source)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)vigil_http_port(s->http)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, source, &src.sin_addr), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/* Whether the server closed `fd` within `ms` (it had nothing to answer). */
static bool closed_by_server(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) <= 0;
}

/* The status of GET `path` sent from `source`, or 0 without an answer within 5 s. */
static int get_from(const struct server *s, const char *source, const char *path)
{
	int fd = connect_from(s, source), status = 0;
	struct timeval tv = { .tv_sec = 5 };
	char req[256], resp[512] = "";
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n\r\n",
		 path);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	n = read(fd, resp, sizeof(resp) - 1);
	if (n > 0)
		sscanf(resp, "HTTP/1.1 %d", &status);
	close(fd);
	return status;
}

/*
 * One address holding many idle connections gets no more than its share,
 * and the accounting service's scrape from another address is answered at
 * once; idle connections are closed after the idle timeout.
 */
START_TEST(test_connection_limits)
{
	enum { HOSTILE = 200 };
	int fds[HOSTILE], kept = 0;
	struct timespec t0, t1;
	struct server s;
	double ms;

	server_start(&s);
	for (int i = 0; i < HOSTILE; i++)
		fds[i] = connect_from(&s, "127.0.0.2");
	/* the server closes what is over the limit as it accepts it */
	usleep(500 * 1000);
	for (int i = 0; i < HOSTILE; i++) {
		if (!closed_by_server(fds[i], 0)) {
			kept++;
			continue;
		}
		close(fds[i]);
		fds[i] = -1;
	}
	printf("http: %d of %d idle connections from one address kept (limit %d per address)\n",
	       kept, HOSTILE, VIGIL_HTTP_PER_IP_CONNECTIONS);
	ck_assert_int_le(kept, VIGIL_HTTP_PER_IP_CONNECTIONS);
	ck_assert_int_gt(kept, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(get_from(&s, "127.0.0.3", "/metrics"), 200);
	ck_assert_int_eq(get_from(&s, "127.0.0.3", "/healthz"), 200);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("http: /metrics and /healthz from another address meanwhile: %.1f ms\n", ms);
	/* what was kept is closed once idle for the timeout */
	for (int i = 0; i < HOSTILE; i++) {
		if (fds[i] < 0)
			continue;
		ck_assert_msg(closed_by_server(fds[i], (VIGIL_HTTP_IDLE_TIMEOUT + 5) * 1000),
			      "an idle connection outlived the %d s timeout",
			      VIGIL_HTTP_IDLE_TIMEOUT);
		close(fds[i]);
		fds[i] = -1;
	}
	server_stop(&s);
}
END_TEST

START_TEST(test_start_errors)
{
	struct vigil_http_opts o = { .listen = "127.0.0.1:0" };
	struct vigil_http_server *a, *b;
	char listen[64], err[512], ca[PATH_MAX + 16];

	/* a port in use: the address and the reason */
	ck_assert_int_eq(vigil_http_start(&o, &a, err, sizeof(err)), 0);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", vigil_http_port(a));
	o.listen = listen;
	ck_assert_int_eq(vigil_http_start(&o, &b, err, sizeof(err)), -EADDRINUSE);
	ck_assert_msg(strstr(err, listen) && strstr(err, "Address already in use"), "%s", err);
	vigil_http_stop(a);

	o.listen = "localhost:9477";
	ck_assert_int_eq(vigil_http_start(&o, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "not a numeric IPv4 address"), "%s", err);

	snprintf(ca, sizeof(ca), "%s/ca.crt", tls_dir);
	o.listen = "127.0.0.1:0";
	o.tls_client_ca_file = ca;
	ck_assert_int_eq(vigil_http_start(&o, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "needs TLS"), "%s", err);

	o.tls_client_ca_file = NULL;
	o.tls_cert_file = ca;
	o.tls_key_file = "/nonexistent/vigil.key";
	ck_assert_int_eq(vigil_http_start(&o, &b, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "/nonexistent/vigil.key") && strstr(err, "No such file"), "%s",
		      err);

	/* a key that is not the certificate's */
	o.tls_key_file = ca;
	ck_assert_int_eq(vigil_http_start(&o, &b, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "libmicrohttpd refused"), "%s", err);

	/* the IPv6 loopback, where the host has it */
	o = (struct vigil_http_opts){ .listen = "[::1]:0" };
	if (vigil_http_start(&o, &b, err, sizeof(err)) == 0) {
		ck_assert_uint_gt(vigil_http_port(b), 0);
		vigil_http_stop(b);
	}
}
END_TEST

static void tls_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tls_dir, name);
}

START_TEST(test_tls_and_mtls)
{
	char cert[PATH_MAX + 16], key[PATH_MAX + 16], ca[PATH_MAX + 16];
	char ccert[PATH_MAX + 16], ckey[PATH_MAX + 16], scert[PATH_MAX + 16], skey[PATH_MAX + 16];
	char url[128];
	struct server s;
	struct reply r;

	tls_path(cert, sizeof(cert), "server.crt");
	tls_path(key, sizeof(key), "server.key");
	tls_path(ca, sizeof(ca), "ca.crt");
	tls_path(ccert, sizeof(ccert), "client.crt");
	tls_path(ckey, sizeof(ckey), "client.key");
	tls_path(scert, sizeof(scert), "stranger.crt");
	tls_path(skey, sizeof(skey), "stranger.key");

	/* TLS alone: any client that trusts the server */
	server_start_tls(&s, cert, key, NULL);
	snprintf(url, sizeof(url), "%s/healthz", s.base);
	curl(&r, url, "--cacert", ca, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	free(r.body);
	server_stop(&s);

	/* mutual TLS: a certificate the CA signed is required */
	server_start_tls(&s, cert, key, ca);
	snprintf(url, sizeof(url), "%s/metrics", s.base);
	curl(&r, url, "--cacert", ca, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 403);
	ck_assert_msg(strstr(r.body, "client certificate"), "%s", r.body);
	free(r.body);
	curl(&r, url, "--cacert", ca, "--cert", scert, "--key", skey);
	ck_assert_int_eq(r.status, 403);
	free(r.body);
	curl(&r, url, "--cacert", ca, "--cert", ccert, "--key", ckey);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "vigil_workload_cpu_seconds_total{"));
	free(r.body);
	server_stop(&s);
}
END_TEST

/* The example scrape config (with its mTLS job's files in place) and the alert rules. */
START_TEST(test_deploy_files_check)
{
	char script[4 * PATH_MAX];

	snprintf(script, sizeof(script),
		 "d='%s/deploy'; mkdir -p \"$d/vigil-tls\"\n"
		 "cp " SCRAPE " " ALERTS " \"$d\"\n"
		 "cp '%s/ca.crt' '%s/client.crt' '%s/client.key' \"$d/vigil-tls\"\n"
		 "promtool check config \"$d/scrape.yml\"\n"
		 "promtool check rules " ALERTS "\n",
		 mf.scratch, tls_dir, tls_dir, tls_dir);
	ck_assert_int_eq(run_sh(script), 0);
}
END_TEST

static bool rule_loaded(struct json_object *doc, const char *name)
{
	struct json_object *data, *groups, *rules, *n;

	if (!json_object_object_get_ex(doc, "data", &data) ||
	    !json_object_object_get_ex(data, "groups", &groups))
		return false;
	for (size_t g = 0; g < json_object_array_length(groups); g++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(groups, g), "rules",
					       &rules))
			continue;
		for (size_t i = 0; i < json_object_array_length(rules); i++) {
			if (json_object_object_get_ex(json_object_array_get_idx(rules, i), "name",
						      &n) &&
			    strcmp(json_object_get_string(n), name) == 0)
				return true;
		}
	}
	return false;
}

START_TEST(test_real_prometheus)
{
	static const char *const alerts[] = {
		"VigilPlausibilityFlagRaised",	"VigilLedgerBehind", "VigilLedgerWriteErrors",
		"VigilWorkloadCountersStalled", "VigilExporterDown",
	};
	char dir[PATH_MAX + 16], alerts_path[PATH_MAX], query[128];
	unsigned int web_port = free_port();
	struct json_object *rules;
	struct server s;
	double cpu = -1;
	pid_t pid;
	int status;

	server_start(&s);
	snprintf(dir, sizeof(dir), "%s/prom", mf.scratch);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_ptr_nonnull(realpath(ALERTS, alerts_path));
	prom_write_config(dir, vigil_http_port(s.http), alerts_path);

	pid = start_prometheus(dir, web_port);
	snprintf(query, sizeof(query), "vigil_workload_cpu_seconds_total{workload=\"%s\"}",
		 workload_id);
	for (int i = 0; i < 300 && cpu < 0; i++) {
		usleep(100 * 1000);
		ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0,
			      "prometheus exited (0x%x); see %s/prometheus.log", status, dir);
		cpu = prom_query(web_port, query);
	}
	ck_assert_msg(cpu > 0, "Prometheus has no %s after 30 s", query);
	mf_assert_within_percent((uint64_t)(cpu * 1e9 + 0.5), workload_cpu_stat_ns(), 1.0,
				 "PromQL cpu seconds", "cpu.stat");
	/* scraped as OpenMetrics, the info family arrives as a series of its own */
	ck_assert(prom_query(web_port, "vigil_build_info") == 1.0);

	rules = prom_api(web_port, "/api/v1/rules", NULL);
	ck_assert_ptr_nonnull(rules);
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		ck_assert_msg(rule_loaded(rules, alerts[i]), "rule %s not loaded", alerts[i]);
	json_object_put(rules);

	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	server_stop(&s);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_unchecked_fixture(tc, make_host_objects, remove_host_objects);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_metrics_cpu_matches_cpu_stat);
	tcase_add_test(tc, test_metrics_openmetrics_by_accept);
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_records_paged);
	tcase_add_test(tc, test_records_bad_parameters);
	tcase_add_test(tc, test_not_found_and_method);
	tcase_add_test(tc, test_connection_limits);
	tcase_add_test(tc, test_start_errors);
	tcase_add_test(tc, test_tls_and_mtls);
	tcase_add_test(tc, test_deploy_files_check);
	tcase_add_test(tc, test_real_prometheus);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	mf_require("http");
	return run_suite(http_suite());
}
