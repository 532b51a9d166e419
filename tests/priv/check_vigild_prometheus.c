// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's /metrics as the accounting service takes it: promtool accepts
 * the exposition, and a real Prometheus server scrapes vigild and answers a
 * query for a workload's CPU seconds. Needs the Prometheus server, so it
 * runs on the build host, not in the guest lane.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ledger_fixture.h"
#include "testutil.h"
#include "vigild_fixture.h"

START_TEST(test_scraped_by_prometheus)
{
	char id[64], path[PATH_MAX + 32], dir[PATH_MAX + 16], check[PATH_MAX + 64], query[128];
	unsigned int web_port = free_port();
	struct cmd_result r;
	struct reply rep;
	double cpu = -1;
	pid_t prom;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "prom");
	lf_start_burner(id, 1500);
	lf_wait_sequence_above(2);

	rep = lf_http_get("/metrics");
	ck_assert_int_eq(rep.status, 200);
	snprintf(path, sizeof(path), "%s/metrics.txt", vf.scratch);
	vf_write_file(path, rep.body);
	free(rep.body);
	snprintf(check, sizeof(check), "promtool check metrics < %s", path);
	ck_assert_int_eq(run_cmd((char *[]){ "sh", "-c", check, NULL }, &r), 0);
	ck_assert_msg(r.status == 0 && !r.out[0] && !r.err[0], "promtool: %s%s", r.out, r.err);
	cmd_result_free(&r);

	snprintf(dir, sizeof(dir), "%s/prom", vf.scratch);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	prom_write_config(dir, vf_http_port(), NULL);
	prom = start_prometheus(dir, web_port);
	snprintf(query, sizeof(query), "vigil_workload_cpu_seconds_total{workload=\"%s\"}", id);
	for (int i = 0; i < 300 && cpu <= 0; i++) {
		usleep(100 * 1000);
		ck_assert_msg(waitpid(prom, &status, WNOHANG) == 0, "prometheus exited (0x%x)",
			      status);
		cpu = prom_query(web_port, query);
	}
	printf("prometheus: scraped vigild: %s = %.3f s\n", query, cpu);
	ck_assert_msg(cpu > 0, "Prometheus has no %s after 30 s", query);
	ck_assert(prom_query(web_port, "vigil_ledger_sequence") >= 2);
	kill(prom, SIGTERM);
	waitpid(prom, NULL, 0);
	lf_ledger_verifies();
}
END_TEST

int main(int argc, char **argv)
{
	static const char *const tools[] = { "/usr/bin/prometheus", "/usr/bin/promtool",
					     "/usr/bin/curl" };
	Suite *s = suite_create("vigild_prometheus");

	vf.suite = "prometheus";
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	vf_require("vigild_prometheus");
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (access(tools[i], X_OK) < 0) {
			printf("vigild_prometheus: skipped: needs %s "
			       "(scripts/install-deps.sh installs it)\n",
			       tools[i]);
			return EXIT_SKIP;
		}
	}
	vf_add_case(s, "scraped", test_scraped_by_prometheus, lf_make_env, lf_remove_env);
	return run_suite(s);
}
