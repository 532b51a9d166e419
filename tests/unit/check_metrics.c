// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rendering of /metrics from synthetic snapshots (names, labels, escaping,
 * both formats, promtool's verdict), and the request parsing of the HTTP
 * server: Accept negotiation, query numbers, listen addresses.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_request.h"
#include "listen_addr.h"
#include "metrics.h"
#include "testutil.h"

static struct vigil_metrics_workload workloads[2];
static struct vigil_metrics_prog progs[2];
static struct vigil_ledger_status ledger;

static struct vigil_metrics_snapshot make_snapshot(void)
{
	struct vigil_metrics_workload *a = &workloads[0], *b = &workloads[1];

	memset(workloads, 0, sizeof(workloads));
	snprintf(a->slot.workload, sizeof(a->slot.workload), "relay-1");
	a->slot.state = VIGIL_SLOT_ACTIVE;
	snprintf(a->slot.run_state, sizeof(a->slot.run_state), "running");
	a->usage.cpu_ns = 1500000000;
	a->usage.net_tx_public_bytes = 10;
	a->usage.net_tx_private_bytes = 20;
	a->usage.disk_write_bytes = 4096;
	a->usage.mem_bytes = 1 << 20;
	a->usage.mem_byte_seconds = 123;
	a->has_alloc = true;
	snprintf(a->alloc.owner, sizeof(a->alloc.owner), "pool-a");
	a->alloc.vcpus = 2;
	a->alloc.memory_mib = 2048;
	a->alloc.n_limits = 2;
	snprintf(a->alloc.limits[0].name, sizeof(a->alloc.limits[0].name), "cpu");
	a->alloc.limits[0].enforced = true;
	snprintf(a->alloc.limits[1].name, sizeof(a->alloc.limits[1].name), "memory");
	snprintf(b->slot.workload, sizeof(b->slot.workload), "relay-2");
	b->slot.state = VIGIL_SLOT_DELETED;
	b->usage.cpu_ns = 7;
	snprintf(progs[0].name, sizeof(progs[0].name), "vigil_sched_switch");
	progs[0].run_cnt = 42;
	progs[0].run_time_ns = 3000;
	snprintf(progs[1].name, sizeof(progs[1].name), "vigil_tc_egress");
	ledger = (struct vigil_ledger_status){ .sequence = 9, .pending_records = 1, .n_flags = 1 };
	snprintf(ledger.flags[0].name, sizeof(ledger.flags[0].name), "cpu_over_allocation");
	ledger.flags[0].count = 3;
	return (struct vigil_metrics_snapshot){
		.workloads = workloads,
		.n_workloads = 2,
		.bpf_stats = 1,
		.progs = progs,
		.n_progs = 2,
		.ledger = &ledger,
		.has_prev_scrape = true,
		.prev_scrape_ns = 2500000,
		.version = "0.1.0",
		.commit = "abc",
	};
}

static char *render(const struct vigil_metrics_snapshot *s, enum vigil_metrics_format f)
{
	struct vigil_strbuf b;

	vigil_strbuf_init(&b);
	ck_assert_int_eq(vigil_metrics_write(s, f, &b), 0);
	return vigil_strbuf_steal(&b, NULL);
}

#define assert_line(text, line) ck_assert_msg(strstr(text, "\n" line "\n"), "no line \"%s\"", line)

START_TEST(test_prometheus_names)
{
	struct vigil_metrics_snapshot s = make_snapshot();
	char *t = render(&s, VIGIL_METRICS_PROMETHEUS);

	assert_line(t, "# TYPE vigil_workload_cpu_seconds_total counter");
	assert_line(t, "vigil_workload_cpu_seconds_total{workload=\"relay-1\"} 1.5");
	assert_line(t, "vigil_workload_cpu_seconds_total{workload=\"relay-2\"} 0.000000007");
	assert_line(t, "# TYPE vigil_workload_memory_bytes gauge");
	assert_line(t, "vigil_workload_memory_bytes{workload=\"relay-1\"} 1048576");
	assert_line(t, "vigil_workload_memory_byte_seconds_total{workload=\"relay-1\"} 123");
	assert_line(t, "vigil_workload_disk_written_bytes_total{workload=\"relay-1\"} 4096");
	assert_line(t, "vigil_workload_disk_reads_total{workload=\"relay-1\"} 0");
	assert_line(t, "vigil_workload_network_transmit_bytes_total{workload=\"relay-1\","
		       "class=\"public\"} 10");
	assert_line(t, "vigil_workload_network_transmit_bytes_total{workload=\"relay-1\","
		       "class=\"private\"} 20");
	assert_line(t, "vigil_workload_network_dropped_packets_total{workload=\"relay-2\"} 0");
	assert_line(t, "# TYPE vigil_workload_info gauge");
	assert_line(t,
		    "vigil_workload_info{workload=\"relay-1\",owner=\"pool-a\",state=\"running\","
		    "vcpus=\"2\",memory_mib=\"2048\"} 1");
	/* unknown to the daemon: no allocation labels rather than empty ones */
	assert_line(t, "vigil_workload_info{workload=\"relay-2\",state=\"deleted\"} 1");
	assert_line(t, "# TYPE vigil_workload_limits_enforced gauge");
	assert_line(t, "vigil_workload_limits_enforced{workload=\"relay-1\",limit=\"cpu\"} 1");
	assert_line(t, "vigil_workload_limits_enforced{workload=\"relay-1\",limit=\"memory\"} 0");
	/* no limits written yet (or unknown): no series, rather than a false 0 */
	ck_assert_ptr_null(strstr(t, "vigil_workload_limits_enforced{workload=\"relay-2\""));
	assert_line(t, "vigil_bpf_stats_enabled 1");
	assert_line(t, "vigil_bpf_program_run_seconds_total{program=\"vigil_sched_switch\"} "
		       "0.000003");
	assert_line(t, "vigil_bpf_program_runs_total{program=\"vigil_sched_switch\"} 42");
	assert_line(t, "vigil_ledger_sequence 9");
	assert_line(t, "vigil_ledger_pending_records 1");
	assert_line(t, "vigil_ledger_write_errors_total 0");
	assert_line(t, "vigil_ledger_flags_total{flag=\"cpu_over_allocation\"} 3");
	assert_line(t, "vigil_scrape_duration_seconds 0.0025");
	assert_line(t, "vigil_build_info{version=\"0.1.0\",commit=\"abc\"} 1");
	ck_assert_ptr_null(strstr(t, "# EOF"));
	ck_assert_ptr_null(strstr(t, "# UNIT"));
	free(t);
}
END_TEST

START_TEST(test_without_stats_ledger_or_previous_scrape)
{
	struct vigil_metrics_snapshot s = make_snapshot();
	char *t;

	s.bpf_stats = 0;
	s.ledger = NULL;
	s.has_prev_scrape = false;
	t = render(&s, VIGIL_METRICS_PROMETHEUS);
	assert_line(t, "vigil_bpf_stats_enabled 0");
	ck_assert_ptr_null(strstr(t, "vigil_bpf_program"));
	ck_assert_ptr_null(strstr(t, "vigil_ledger"));
	ck_assert_ptr_null(strstr(t, "vigil_scrape_duration_seconds"));
	free(t);
}
END_TEST

START_TEST(test_label_escaping)
{
	struct vigil_metrics_snapshot s = make_snapshot();
	char *t;

	/* quote, backslash, line feed, a malformed byte, then valid UTF-8 (é) */
	snprintf(workloads[0].alloc.owner, sizeof(workloads[0].alloc.owner),
		 "a\"b\\c\nd\xff"
		 "e\xc3\xa9");
	t = render(&s, VIGIL_METRICS_PROMETHEUS);
	ck_assert_msg(strstr(t, "owner=\"a\\\"b\\\\c\\nd\xef\xbf\xbd"
				"e\xc3\xa9\","),
		      "owner not escaped: %.300s", strstr(t, "vigil_workload_info{"));
	free(t);
}
END_TEST

START_TEST(test_openmetrics_form)
{
	struct vigil_metrics_snapshot s = make_snapshot();
	char *t = render(&s, VIGIL_METRICS_OPENMETRICS);
	size_t len = strlen(t);

	assert_line(t, "# TYPE vigil_workload_cpu_seconds counter");
	assert_line(t, "# UNIT vigil_workload_cpu_seconds seconds");
	ck_assert_msg(strncmp(t, "# HELP vigil_workload_cpu_seconds CPU time", 42) == 0, "%.80s",
		      t);
	assert_line(t, "vigil_workload_cpu_seconds_total{workload=\"relay-1\"} 1.5");
	assert_line(t, "# TYPE vigil_workload_memory_bytes gauge");
	assert_line(t, "# TYPE vigil_workload info");
	assert_line(t, "vigil_workload_info{workload=\"relay-2\",state=\"deleted\"} 1");
	assert_line(t, "# TYPE vigil_build info");
	assert_line(t, "# TYPE vigil_ledger_flags counter");
	ck_assert_ptr_null(strstr(t, "_total counter"));
	ck_assert_int_ge(len, 6);
	ck_assert_str_eq(t + len - 6, "# EOF\n");
	free(t);
}
END_TEST

/* `promtool check metrics` (lint included) says nothing about the text form. */
START_TEST(test_promtool_accepts)
{
	struct vigil_metrics_snapshot s = make_snapshot();
	char path[] = "/tmp/vigil-test-metrics-XXXXXX", cmd[128];
	char *t = render(&s, VIGIL_METRICS_PROMETHEUS);
	char *argv[] = { "sh", "-c", cmd, NULL };
	struct cmd_result r;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	ck_assert_int_eq(run_cmd(argv, &r), 0);
	unlink(path);
	ck_assert_msg(r.status == 0 && !*r.out && !*r.err, "promtool (exit %d): %s%s", r.status,
		      r.out, r.err);
	cmd_result_free(&r);
	free(t);
}
END_TEST

START_TEST(test_accept_negotiation)
{
	static const struct {
		const char *accept;
		enum vigil_metrics_format want;
	} cases[] = {
		{ NULL, VIGIL_METRICS_PROMETHEUS },
		{ "", VIGIL_METRICS_PROMETHEUS },
		{ "*/*", VIGIL_METRICS_PROMETHEUS },
		{ "text/plain;version=0.0.4", VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text", VIGIL_METRICS_OPENMETRICS },
		/* what Prometheus 2.42 sends */
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		  VIGIL_METRICS_OPENMETRICS },
		{ "application/openmetrics-text; version=0.0.1", VIGIL_METRICS_PROMETHEUS },
		{ "text/plain, application/openmetrics-text;q=0.5", VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q=0", VIGIL_METRICS_PROMETHEUS },
		{ "Application/OpenMetrics-Text ; Version=1.0.0", VIGIL_METRICS_OPENMETRICS },
		/* qvalues as RFC 9110 has them: 0 to 1, three decimals at most; else unacceptable */
		{ "application/openmetrics-text;q=0.9,text/plain;q=0.899",
		  VIGIL_METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=1.000,text/plain", VIGIL_METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=6666666666666666666666666666666",
		  VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q=1e9", VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q=inf", VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q=1.5", VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q=0.1234", VIGIL_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q= 0.5 ", VIGIL_METRICS_OPENMETRICS },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(vigil_http_metrics_format(cases[i].accept) == cases[i].want,
			      "Accept: %s", cases[i].accept ? cases[i].accept : "(none)");
}
END_TEST

START_TEST(test_query_numbers)
{
	static const struct {
		const char *value;
		const char *error; /* NULL: accepted */
		uint64_t want;
	} cases[] = {
		{ "0", NULL, 0 },
		{ "10000", NULL, 10000 },
		{ "18446744073709551615", NULL, UINT64_MAX },
		{ "18446744073709551616", "out of range", 0 },
		{ "99999999999999999999999", "out of range", 0 },
		{ "-1", "must not be negative", 0 },
		{ "", "is empty", 0 },
		{ NULL, "is missing", 0 },
		{ "12a", "not a decimal number", 0 },
		{ "+5", "not a decimal number", 0 },
		{ " 5", "not a decimal number", 0 },
		{ "0x10", "not a decimal number", 0 },
	};
	char err[256];
	uint64_t v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int e = vigil_http_parse_u64("after", cases[i].value, 0, UINT64_MAX, &v, err,
					     sizeof(err));

		if (!cases[i].error) {
			ck_assert_int_eq(e, 0);
			ck_assert_uint_eq(v, cases[i].want);
			continue;
		}
		ck_assert_int_eq(e, -EINVAL);
		ck_assert_msg(strstr(err, "after") && strstr(err, cases[i].error),
			      "\"%s\": message \"%s\"", cases[i].value, err);
	}
	ck_assert_int_eq(vigil_http_parse_u64("limit", "0", 1, 10000, &v, err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "limit is out of range (1 to 10000)"), "%s", err);
	ck_assert_int_eq(vigil_http_parse_u64("limit", "10001", 1, 10000, &v, err, sizeof(err)),
			 -EINVAL);
}
END_TEST

START_TEST(test_listen_addresses)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{ "127.0.0.1:9477", NULL },
		{ "0.0.0.0:0", NULL },
		{ "[::1]:9477", NULL },
		{ "[::]:65535", NULL },
		{ "127.0.0.1", "expected HOST:PORT" },
		{ "127.0.0.1:", "no port" },
		{ "127.0.0.1:65536", "not 0 to 65535" },
		{ "127.0.0.1:http", "not 0 to 65535" },
		{ "localhost:9477", "not a numeric IPv4 address" },
		{ ":9477", "no address" },
		{ "::1:9477", "expected HOST:PORT" },
		{ "[::1]9477", "[ADDRESS]:PORT" },
		{ "[::1", "[ADDRESS]:PORT" },
		{ "[10.0.0.1]:80", "not a numeric IPv6 address" },
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int e = vigil_listen_addr_parse(cases[i].text, &ss, &len, err, sizeof(err));

		if (!cases[i].error) {
			ck_assert_msg(e == 0, "%s: %s", cases[i].text, err);
			continue;
		}
		ck_assert_int_eq(e, -EINVAL);
		ck_assert_msg(strstr(err, cases[i].error) && strstr(err, cases[i].text),
			      "%s: message \"%s\"", cases[i].text, err);
	}
	ck_assert_int_eq(vigil_listen_addr_parse("[::1]:9477", &ss, &len, err, sizeof(err)), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9477);
}
END_TEST

START_TEST(test_fixed_point)
{
	static const struct {
		uint64_t v;
		unsigned int decimals;
		const char *want;
	} cases[] = {
		{ 0, 9, "0" },
		{ 1, 9, "0.000000001" },
		{ 1500000000, 9, "1.5" },
		{ 1000000000, 9, "1" },
		{ UINT64_MAX, 9, "18446744073.709551615" },
		{ UINT64_MAX, 0, "18446744073709551615" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vigil_strbuf b;

		vigil_strbuf_init(&b);
		vigil_strbuf_fixed(&b, cases[i].v, cases[i].decimals);
		ck_assert_int_eq(vigil_strbuf_error(&b), 0);
		ck_assert_str_eq(b.data, cases[i].want);
		vigil_strbuf_free(&b);
	}
}
END_TEST

/* A family's rows are together in the usage table, so /metrics writes each family once. */
START_TEST(test_usage_families_together)
{
	for (size_t i = 0; i < vigil_usage_n_fields; i++) {
		const char *fam = vigil_usage_fields[i].metric;

		for (size_t j = i + 2; fam && j < vigil_usage_n_fields; j++) {
			const char *other = vigil_usage_fields[j].metric;

			if (other && !strcmp(other, fam))
				ck_assert_msg(
					vigil_usage_fields[j - 1].metric &&
						!strcmp(vigil_usage_fields[j - 1].metric, fam),
					"%s: its rows are apart in the usage table", fam);
		}
	}
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_usage_families_together);
	tcase_add_test(tc, test_prometheus_names);
	tcase_add_test(tc, test_without_stats_ledger_or_previous_scrape);
	tcase_add_test(tc, test_label_escaping);
	tcase_add_test(tc, test_openmetrics_form);
	tcase_add_test(tc, test_promtool_accepts);
	tcase_add_test(tc, test_accept_negotiation);
	tcase_add_test(tc, test_query_numbers);
	tcase_add_test(tc, test_listen_addresses);
	tcase_add_test(tc, test_fixed_point);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(metrics_suite());
}
