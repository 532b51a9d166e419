// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Clients that try to stall the real vigild: idle connections, a request
 * sent one byte a second, a client that never reads its reply, more
 * connections than vigild takes. Each holds only itself: other requests are
 * answered at once, the ledger's epochs keep their pace, and the stalling
 * connection ends with an error within vigild's deadline.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ledger_fixture.h"
#include "testutil.h"
#include "vigild_fixture.h"

/* vigild's own figures (agent/daemon): a connection's deadline, and how many it takes */
#define DEADLINE_MS 5000
#define MAX_CONNS   64

START_TEST(test_idle_and_slow_clients_hold_only_themselves)
{
	enum { IDLE = 10 };
	int idle[IDLE], slow;
	double worst = 0, t;
	uint64_t seq0, seq1;
	char *reply;
	const char *req = "{\"cmd\":\"list\"}";

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	/* a running workload: each epoch then writes a record, and the sequence shows the pace */
	lf_start_burner("pace", 20000);
	lf_wait_sequence_above(1);
	for (int i = 0; i < IDLE; i++)
		idle[i] = vf_control_connect();
	slow = vf_control_connect();
	seq0 = lf_ledger_sequence();
	/* a byte a second from one client, requests from another meanwhile */
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(send(slow, req + i, 1, MSG_NOSIGNAL), 1);
		t = vf_list_ms();
		worst = t > worst ? t : worst;
		usleep(1000 * 1000 - (useconds_t)(t * 1000 < 1e6 ? t * 1000 : 0));
	}
	seq1 = lf_ledger_sequence();
	printf("vigild_stall: with %d idle and 1 slow client: workload list took at most %.1f ms; "
	       "%llu epochs in 4 s\n",
	       IDLE, worst, (unsigned long long)(seq1 - seq0));
	ck_assert_msg(worst < 1000, "a request waited %.0f ms behind stalled clients", worst);
	/* 1 s epochs: at least 3 in those 4 s, none held back */
	ck_assert_uint_ge(seq1 - seq0, 3);
	/* the slow and idle ones end with an error at their deadline, not before it */
	reply = vf_reply_within(slow, DEADLINE_MS);
	ck_assert_msg(strstr(reply, "not complete within 5000 ms"), "slow client got: %s", reply);
	free(reply);
	for (int i = 0; i < IDLE; i++) {
		reply = vf_reply_within(idle[i], DEADLINE_MS);
		ck_assert_msg(strstr(reply, "not complete within"), "idle client got: %s", reply);
		free(reply);
		close(idle[i]);
	}
	close(slow);
	ck_assert_double_lt(vf_list_ms(), 1000);
}
END_TEST

START_TEST(test_connections_beyond_the_limit_refused)
{
	int fds[MAX_CONNS + 1];
	struct json_object *o;
	char *reply;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	for (int i = 0; i < MAX_CONNS; i++)
		fds[i] = vf_control_connect();
	/* vigild has taken them all (one answered request proves the loop got that far) */
	usleep(200 * 1000);
	fds[MAX_CONNS] = vf_control_connect();
	reply = vf_reply_within(fds[MAX_CONNS], 2000);
	ck_assert_msg(strstr(reply, "too many control connections (64 open)"), "got: %s", reply);
	free(reply);
	for (int i = 0; i <= MAX_CONNS; i++)
		close(fds[i]);
	/* closed connections are let go of: the CLI gets through again */
	for (int i = 0; i < 50; i++) {
		o = vf_wl_cmd(&status, "list", NULL);
		json_object_put(o);
		if (status == 0)
			break;
		usleep(100 * 1000);
	}
	ck_assert_int_eq(status, 0);
}
END_TEST

/* A client that sends a request and never reads: vigild writes what fits and moves on. */
START_TEST(test_client_that_never_reads)
{
	int fd;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	fd = vf_control_connect();
	ck_assert_int_eq(send(fd, "{\"cmd\":\"list\"}", 14, MSG_NOSIGNAL), 14);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_double_lt(vf_list_ms(), 1000);
	close(fd);
}
END_TEST

/*
 * A workload that ignores SIGTERM: its stop waits the stop timeout and then
 * SIGKILL, and the loop serves others meanwhile, showing it as stopping.
 */
START_TEST(test_stop_of_a_stubborn_workload_holds_nothing)
{
	const char *req_fmt = "{\"cmd\":\"stop\",\"id\":\"stubborn\"}";
	double t0, worst = 0, t, took;
	struct json_object *o, *w, *doc;
	char *reply;
	int fd, status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_create_ok("stubborn",
		     "[\"/bin/sh\",\"-c\",\"trap '' TERM; while :; do sleep 1; done\"]");
	o = vf_wl_cmd(&status, "start", "stubborn");
	ck_assert_int_eq(status, 0);
	json_object_put(o);
	fd = vf_control_connect();
	t0 = now_s() * 1000;
	ck_assert_int_eq(send(fd, req_fmt, strlen(req_fmt), MSG_NOSIGNAL),
			 (ssize_t)strlen(req_fmt));
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	usleep(300 * 1000);
	o = vf_show("stubborn");
	ck_assert_str_eq(vf_state_of(o), "stopping");
	json_object_put(o);
	for (int i = 0; i < 10; i++) {
		t = vf_list_ms();
		worst = t > worst ? t : worst;
		usleep(100 * 1000);
	}
	reply = vf_reply_within(fd, 10000);
	took = now_s() * 1000 - t0;
	close(fd);
	printf("vigild_stall: stop of a workload ignoring SIGTERM answered after %.0f ms "
	       "(--stop-timeout 2); workload list meanwhile at most %.1f ms\n",
	       took, worst);
	doc = parse_json(reply);
	ck_assert_msg(doc && json_object_object_get_ex(doc, "workload", &w), "reply: %s", reply);
	ck_assert_str_eq(vf_jstr(w, "state"), "stopped");
	ck_assert_msg(strstr(vf_jstr(w, "exit_reason"), "SIGKILL"), "%s", reply);
	ck_assert_double_ge(took, 2000);
	ck_assert_double_lt(worst, 1000);
	json_object_put(doc);
	free(reply);
}
END_TEST

/*
 * Deleting a workload's veth costs the kernel 11 to 45 ms (RTM_DELLINK
 * waits for RCU grace periods): six deletes at once take that many times
 * over, on vigild's interface thread, while the loop answers the others.
 */
START_TEST(test_deletes_of_interfaces_hold_only_themselves)
{
	enum { N = 6 };
	char ids[N][64], text[PATH_MAX * 2 + 512], *reply;
	int fds[N], list_fd;
	double t0, list_took, all_took;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	for (int i = 0; i < N; i++) {
		char err[512];

		snprintf(ids[i], sizeof(ids[i]), "del%d-%d", i, getpid());
		snprintf(text, sizeof(text),
			 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
			 "\"command\":[\"%s\",\"--burn\",\"1\"],\"jail\":{\"ro_paths\":[\"%s\"]},"
			 "\"network\":{\"mode\":\"veth\",\"ipv4\":\"198.19.%d.%d/30\","
			 "\"host_ipv4\":\"198.19.%d.%d/30\"}}",
			 ids[i], vf_self(), vf_self(), getpid() & 0xff, 200 + i * 4 + 2,
			 getpid() & 0xff, 200 + i * 4 + 1);
		ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create %s: %s", ids[i], err);
	}
	t0 = now_s() * 1000;
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "{\"cmd\":\"delete\",\"id\":\"%s\"}", ids[i]);
		fds[i] = vf_send_request(text);
	}
	/* the deletes are under way when the list comes */
	usleep(5 * 1000);
	list_fd = vf_send_request("{\"cmd\":\"list\"}");
	reply = vf_reply_within(list_fd, 5000);
	list_took = now_s() * 1000 - t0;
	/* the start of it is enough: six workloads' views are longer than the buffer */
	ck_assert_msg(strncmp(reply, "{\"workloads\":[", 14) == 0, "list: %.200s", reply);
	free(reply);
	close(list_fd);
	for (int i = 0; i < N; i++) {
		reply = vf_reply_within(fds[i], 10000);
		ck_assert_msg(strstr(reply, "\"ok\":true") &&
				      strstr(reply, "\"state\":\"deleted\""),
			      "delete %s: %.300s", ids[i], reply);
		free(reply);
		close(fds[i]);
	}
	all_took = now_s() * 1000 - t0;
	printf("vigild_stall: %d deletes of veth workloads took %.1f ms in all; a list sent 5 ms "
	       "after them was answered %.1f ms after they were sent\n",
	       N, all_took, list_took);
	/* behind six interface deletions in the loop it would wait 66 ms at the least */
	ck_assert_msg(list_took < 40, "a list waited %.1f ms behind %d deletes", list_took, N);
}
END_TEST

static void make_env_eight_slots(void)
{
	snprintf(vf.max_arg, sizeof(vf.max_arg), "8");
	lf_make_env();
}

static void make_env_stop_timeout(void)
{
	vf.extra_args[4] = "--stop-timeout";
	vf.extra_args[5] = "2";
	lf_make_env();
}

static void remove_env_stop_timeout(void)
{
	lf_remove_env();
	vf.extra_args[4] = NULL;
	vf.extra_args[5] = NULL;
}

int main(int argc, char **argv)
{
	Suite *s = suite_create("vigild_stall");

	vf.suite = "stall";
	if (argc == 3 && strcmp(argv[1], "--burn") == 0)
		return burn_cpu(argv[2]);
	vf_require("vigild_stall");
	if (access("/usr/bin/curl", X_OK) < 0) {
		printf("vigild_stall: skipped: needs curl (scripts/install-deps.sh installs it)\n");
		return EXIT_SKIP;
	}
	vf_add_case(s, "slow", test_idle_and_slow_clients_hold_only_themselves, lf_make_env,
		    lf_remove_env);
	vf_add_case(s, "limit", test_connections_beyond_the_limit_refused, lf_make_env,
		    lf_remove_env);
	vf_add_case(s, "unread", test_client_that_never_reads, lf_make_env, lf_remove_env);
	vf_add_case(s, "stubborn", test_stop_of_a_stubborn_workload_holds_nothing,
		    make_env_stop_timeout, remove_env_stop_timeout);
	vf_add_case(s, "interfaces", test_deletes_of_interfaces_hold_only_themselves,
		    make_env_eight_slots, lf_remove_env);
	return run_suite(s);
}
