// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fault matrix: vigild killed (SIGKILL, from VIGILD_CRASH_AT, see
 * agent/daemon/crash_point.h) at each step of create, start, stop and
 * delete of a jailed workload without a network, with a veth and with a
 * tap; in the middle of a ledger epoch; after an nftables update of the
 * host's subnets; when a failed workload's restart is scheduled, and when
 * a stop cancels it. After each restart: `workload list` matches the host
 * (cgroup, processes, interface, namespace, nftables chains), nothing is
 * left that no record names, usage has not gone down, the ledger verifies,
 * and a delete that was under way has completed.
 *
 * `make check` runs each crash point once, the network modes taking turns;
 * `make torture` (VIGIL_TORTURE=full) runs every point in every mode, for
 * VIGIL_TORTURE_ROUNDS rounds (default 3). VIGIL_TORTURE_POINT=<point> runs
 * only that point's runs.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger_fixture.h"
#include "tap.h"
#include "testutil.h"
#include "veth.h"
#include "vigild_fixture.h"

enum mode { MODE_NONE, MODE_VETH, MODE_TAP, N_MODES };

static const char *const mode_names[] = { "none", "veth", "tap" };

/* What the test does while the armed vigild runs, and the workload beforehand. */
enum op {
	OP_CREATE,	   /* nothing before */
	OP_START,	   /* created */
	OP_STOP,	   /* running */
	OP_DELETE_RUNNING, /* running */
	OP_DELETE,	   /* stopped */
	OP_EPOCH,	   /* running, nothing asked */
	OP_SUBNETS,	   /* running, an address added on the host */
	OP_FAIL,	   /* created, restart on-failure: started, it fails once */
	OP_STOP_BACKOFF,   /* failing, restart on-failure: stopped in its 4 s back-off */
};

struct crash_case {
	const char *point;
	enum op op;
	/* after the restart: present in this state, or NULL for no record */
	const char *then;
	/* the step exists in this mode only with a network */
	bool needs_network;
};

static const struct crash_case cases[] = {
	{ "create.cgroup", OP_CREATE, NULL, false },
	{ "create.network", OP_CREATE, NULL, true },
	{ "create.slot", OP_CREATE, NULL, false },
	{ "create.record", OP_CREATE, "created", false },
	{ "start.spawned", OP_START, "running", false },
	{ "start.record", OP_START, "running", false },
	{ "stop.pending", OP_STOP, "stopped", false },
	{ "stop.signalled", OP_STOP, "stopped", false },
	{ "stop.pending", OP_DELETE_RUNNING, "deleted", false },
	{ "stop.signalled", OP_DELETE_RUNNING, "deleted", false },
	{ "delete.pending", OP_DELETE, "deleted", false },
	{ "delete.cgroup", OP_DELETE, "deleted", false },
	{ "delete.interface", OP_DELETE, "deleted", true },
	{ "delete.rules", OP_DELETE, "deleted", true },
	{ "delete.record", OP_DELETE, "deleted", false },
	{ "epoch.appended", OP_EPOCH, "running", false },
	{ "subnets.denied", OP_SUBNETS, "running", false },
	{ "restart.scheduled", OP_FAIL, "running", false },
	{ "restart.cancelled", OP_STOP_BACKOFF, "stopped", false },
};

#define N_CASES (sizeof(cases) / sizeof(*cases))

/* One run of the matrix: a case in a mode. */
struct run {
	const struct crash_case *c;
	enum mode mode;
};

static struct run runs[N_CASES * N_MODES * 16];
static size_t n_runs;

/* What the workload's process does (the suite's binary, re-executed). */
enum behaviour {
	WORKS,	    /* --work */
	FAILS_ONCE, /* --fail-once FILE: its first run exits 1, the next ones work */
	FAILS,	    /* --fail: every run exits 1 */
};

/* The workload of run `i`: its id, addresses and names on the host. */
struct subject {
	char id[64];
	enum behaviour behaviour;
	char runs[PATH_MAX + 64];
	char host_addr[32], addr[32];
	char ifname[IF_NAMESIZE];
	char chain_prefix[80];
	char netns[PATH_MAX + 64];
	char cgroup[PATH_MAX + 64];
	enum mode mode;
};

static struct subject subject_of(int i, enum mode mode)
{
	struct subject s = { .mode = mode };
	/* a /30 of 198.19.0.0/16 per run and suite process */
	int block = ((getpid() & 0x3f) * 64 + i) & 0x3fff;

	snprintf(s.id, sizeof(s.id), "t%d-%d", i, getpid());
	snprintf(s.host_addr, sizeof(s.host_addr), "198.19.%d.%d", block >> 6,
		 (block & 63) * 4 + 1);
	snprintf(s.addr, sizeof(s.addr), "198.19.%d.%d", block >> 6, (block & 63) * 4 + 2);
	if (mode == MODE_TAP)
		vigil_tap_name(s.id, s.ifname);
	else if (mode == MODE_VETH)
		vigil_veth_name(s.id, s.ifname);
	snprintf(s.chain_prefix, sizeof(s.chain_prefix), "wl_%s", s.id);
	for (char *p = s.chain_prefix; *p; p++)
		*p = *p == '-' ? '_' : *p;
	snprintf(s.netns, sizeof(s.netns), "%s/%s", vf.netns_dir, s.id);
	snprintf(s.cgroup, sizeof(s.cgroup), "%s/%s", vf.parent, s.id);
	snprintf(s.runs, sizeof(s.runs), "%s/%s.runs", vf.images, s.id);
	return s;
}

/* Jailed, with the generic profile: the tap mode's default (qemu) is for a VMM. */
static void spec_text(const struct subject *s, char *text, size_t len)
{
	char net[256] = "", command[PATH_MAX * 2 + 64], rw[PATH_MAX + 80] = "";

	if (s->mode != MODE_NONE)
		snprintf(
			net, sizeof(net),
			",\"network\":{\"mode\":\"%s\",\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\"}",
			mode_names[s->mode], s->addr, s->host_addr);
	if (s->behaviour == FAILS_ONCE) {
		snprintf(command, sizeof(command), "[\"%s\",\"--fail-once\",\"%s\"]", vf_self(),
			 s->runs);
		snprintf(rw, sizeof(rw), ",\"rw_paths\":[\"%s\"]", s->runs);
	} else {
		snprintf(command, sizeof(command), "[\"%s\",\"%s\"]", vf_self(),
			 s->behaviour == FAILS ? "--fail" : "--work");
	}
	snprintf(text, len,
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":%s,\"jail\":{\"seccomp\":\"generic\",\"ro_paths\":[\"%s\"]%s}%s%s}",
		 s->id, command, vf_self(), rw, net,
		 s->behaviour == WORKS ? "" : ",\"restart\":\"on-failure\"");
}

static int create(const struct subject *s, char *err, size_t len)
{
	char text[PATH_MAX + 1024];

	spec_text(s, text, sizeof(text));
	return vf_create(text, err, len);
}

/* The workload's cpu_ns, from vigild while it has the workload, else its last ledger record. */
static uint64_t cpu_ns_of(const char *id)
{
	struct json_object *o, *u, *counters;
	int status;
	uint64_t ns;

	o = vf_wl_cmd(&status, "show", id);
	if (status == 0 && json_object_object_get_ex(o, "usage", &u)) {
		ns = (uint64_t)vf_jint(u, "cpu_ns");
		json_object_put(o);
		return ns;
	}
	json_object_put(o);
	o = vf_last_record(id);
	ck_assert(json_object_object_get_ex(o, "counters", &counters));
	ns = (uint64_t)vf_jint(counters, "cpu_ns");
	json_object_put(o);
	return ns;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool cgroup_has_procs(const char *cgroup)
{
	char path[PATH_MAX + 80], *procs;
	bool any;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	procs = read_file(path);
	any = procs && procs[0];
	free(procs);
	return any;
}

static bool chains_listed(const struct subject *s)
{
	return sh("nft list table inet vigil 2>/dev/null | grep -q 'chain %s_'", s->chain_prefix) ==
	       0;
}

/* The interfaces an id could have, in any mode: none may stay once it is gone. */
static void assert_no_interfaces(const char *id)
{
	char tap[IF_NAMESIZE], veth[IF_NAMESIZE];

	vigil_tap_name(id, tap);
	vigil_veth_name(id, veth);
	ck_assert_msg(!if_nametoindex(tap), "interface %s of %s is left", tap, id);
	ck_assert_msg(!if_nametoindex(veth), "interface %s of %s is left", veth, id);
}

/* Nothing of the workload on the host: what a deleted or never created one leaves. */
static void assert_gone_from_host(const struct subject *s)
{
	ck_assert_msg(!exists(s->cgroup), "cgroup %s is left", s->cgroup);
	ck_assert_msg(!exists(s->netns), "namespace %s is left", s->netns);
	assert_no_interfaces(s->id);
	ck_assert_msg(!chains_listed(s), "nftables chains %s_* are left", s->chain_prefix);
}

/* A workload that exists: its objects are all there, and it runs exactly when `state` says. */
static void assert_on_host(const struct subject *s, const char *state)
{
	bool running = strcmp(state, "running") == 0;

	ck_assert_msg(exists(s->cgroup), "cgroup %s is missing", s->cgroup);
	ck_assert_msg(cgroup_has_procs(s->cgroup) == running, "%s is %s, its cgroup %s processes",
		      s->id, state, running ? "has no" : "has");
	if (s->mode == MODE_NONE) {
		assert_no_interfaces(s->id);
		return;
	}
	ck_assert_msg(if_nametoindex(s->ifname), "interface %s is missing", s->ifname);
	ck_assert_msg(chains_listed(s), "nftables chains %s_* are missing", s->chain_prefix);
	ck_assert_msg((s->mode == MODE_VETH) == exists(s->netns), "namespace %s: %s", s->netns,
		      exists(s->netns) ? "there, for a tap" : "missing");
}

/* Every cgroup and namespace under vigild's own directories is a listed workload's. */
static void assert_no_orphans(void)
{
	char names[4096] = " ";
	int status;
	struct json_object *o = vf_wl_cmd(&status, "list", NULL);

	ck_assert_int_eq(status, 0);
	ck_assert(json_object_is_type(o, json_type_array));
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		struct json_object *w = json_object_array_get_idx(o, i);

		if (strcmp(vf_state_of(w), "deleted"))
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s ",
				 vf_jstr(w, "id"));
	}
	json_object_put(o);
	ck_assert_msg(sh("for d in %s/*/; do [ -d \"$d\" ] || continue; n=$(basename \"$d\"); "
			 "case '%s' in *\" $n \"*) ;; *) echo \"orphan cgroup $d\"; exit 1;; esac; "
			 "done",
			 vf.parent, names) == 0,
		      "a cgroup no workload has");
	ck_assert_msg(sh("for f in %s/*; do [ -e \"$f\" ] || continue; n=$(basename \"$f\"); "
			 "case '%s' in *\" $n \"*) ;; *) echo \"orphan namespace $f\"; exit 1;; "
			 "esac; done",
			 vf.netns_dir, names) == 0,
		      "a namespace no workload has");
	/* the host's mounts under the case's directory: its bpffs, and listed workloads' netns */
	ck_assert_msg(sh("awk '{print $5}' /proc/self/mountinfo | grep '^%s/' | "
			 "while read m; do [ \"$m\" = %s ] && continue; n=$(basename \"$m\"); "
			 "case \"$m\" in %s/*) case '%s' in *\" $n \"*) continue;; esac;; esac; "
			 "echo \"orphan mount $m\"; exit 1; done",
			 vf.scratch, vf.bpffs, vf.netns_dir, names) == 0,
		      "a mount no workload has");
}

/* The armed vigild: waits for it to kill itself, and asserts that is how it ended. */
static void assert_crashed(pid_t pid, const char *point)
{
	int status = 0;
	pid_t r = 0;

	for (int i = 0; i < 400 && r == 0; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == 0)
			usleep(25 * 1000);
	}
	ck_assert_msg(r == pid, "vigild did not die at %s within 10 s", point);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "vigild armed at %s ended with status 0x%x, not SIGKILL", point, status);
}

/* vigild armed at `point`; one armed at an epoch may be gone before it answers. */
static pid_t spawn_armed(const char *point, bool wait_up)
{
	pid_t pid;

	vf_stop_vigild();
	setenv("VIGILD_CRASH_AT", point, 1);
	pid = vf_spawn_vigild();
	unsetenv("VIGILD_CRASH_AT");
	if (wait_up)
		ck_assert_msg(vf_vigild_up(), "vigild armed at %s did not come up", point);
	return pid;
}

/* A host address of the test's own veth pair: vigild's watch sees the subnet appear. */
static void add_host_subnet(const char *ifname)
{
	ck_assert_int_eq(sh("ip link add %s type veth peer name %sp && "
			    "ip addr add 198.18.250.1/24 dev %s && ip link set %s up",
			    ifname, ifname, ifname, ifname),
			 0);
}

/* Waits for the failing workload's third exit: its back-off is 4 s then. */
static void wait_third_backoff(const char *id)
{
	for (int i = 0; i < 300; i++) {
		struct json_object *o = vf_show(id);
		bool there =
			strcmp(vf_state_of(o), "restarting") == 0 && vf_jint(o, "restarts") == 2;

		json_object_put(o);
		if (there)
			return;
		usleep(20 * 1000);
	}
	ck_abort_msg("%s did not fail a third time", id);
}

/* What the run does before arming vigild: the workload as the op finds it. */
static void prepare(const struct run *r, const struct subject *s)
{
	char err[512];

	if (r->c->op == OP_CREATE)
		return;
	if (s->behaviour == FAILS_ONCE) {
		vf_write_file(s->runs, "");
		ck_assert_int_eq(chmod(s->runs, 0666), 0);
	}
	ck_assert_msg(create(s, err, sizeof(err)) == 0, "create %s: %s", s->id, err);
	if (r->c->op == OP_START || r->c->op == OP_FAIL)
		return;
	vf_wl_ok("start", s->id);
	if (r->c->op == OP_STOP_BACKOFF) {
		wait_third_backoff(s->id);
		return;
	}
	if (r->c->op == OP_DELETE) {
		vf_wl_ok("stop", s->id);
		return;
	}
	/* some CPU time of its own to be metered: --work burns 50 ms first */
	usleep(200 * 1000);
}

static void act(const struct run *r, const struct subject *s, const char *veth)
{
	char err[512];
	int status;
	struct json_object *o = NULL;

	switch (r->c->op) {
	case OP_CREATE:
		create(s, err, sizeof(err));
		break;
	case OP_START:
	case OP_FAIL:
		o = vf_wl_cmd(&status, "start", s->id);
		break;
	case OP_STOP:
	case OP_STOP_BACKOFF:
		o = vf_wl_cmd(&status, "stop", s->id);
		break;
	case OP_DELETE_RUNNING:
	case OP_DELETE:
		o = vf_wl_cmd(&status, "delete", s->id);
		break;
	case OP_EPOCH:
		break;
	case OP_SUBNETS:
		add_host_subnet(veth);
		break;
	}
	json_object_put(o);
}

/*
 * A delete is complete when its final ledger record is: vigild releases the
 * workload (record and slot) only then, within an epoch (1 s here).
 */
static void assert_delete_complete(const char *id)
{
	struct json_object *o, *final;
	int status = 0;

	for (int i = 0; i < 100 && status == 0; i++) {
		json_object_put(vf_wl_cmd(&status, "show", id));
		if (status == 0)
			usleep(50 * 1000);
	}
	ck_assert_msg(status != 0, "deleted %s is not released 5 s after the restart", id);
	o = vf_last_record(id);
	ck_assert_msg(json_object_object_get_ex(o, "final", &final) &&
			      json_object_get_boolean(final),
		      "the last ledger record of deleted %s is not final", id);
	json_object_put(o);
}

/* Waits for what the restarted vigild finishes (a stop, a delete, a restart) to be over. */
static struct json_object *settled(const char *id)
{
	for (int i = 0; i < 200; i++) {
		int status;
		struct json_object *o = vf_wl_cmd(&status, "show", id);

		/* deleting: its interface is going, on vigild's teardown thread */
		if (status != 0 ||
		    (strcmp(vf_state_of(o), "stopping") && strcmp(vf_state_of(o), "deleting") &&
		     strcmp(vf_state_of(o), "restarting") && !vf_jstr(o, "pending")))
			return o;
		json_object_put(o);
		usleep(50 * 1000);
	}
	ck_abort_msg("%s still stopping, restarting or pending 10 s after the restart", id);
	return NULL;
}

static void check_after(const struct run *r, const struct subject *s, uint64_t cpu_before)
{
	struct json_object *o = settled(s->id);
	const char *want = r->c->then, *state = NULL;
	char err[512], state_buf[32];

	if (!vf_jstr(o, "error")) {
		snprintf(state_buf, sizeof(state_buf), "%s", vf_state_of(o));
		state = state_buf;
	}
	printf("%s/%s: after the restart %s is %s\n", r->c->point, mode_names[r->mode], s->id,
	       state ? state : "absent");
	/* a deleted one may be released already: its final record made it durable */
	if (want && strcmp(want, "deleted") == 0 && !state)
		state = "deleted";
	if (!want)
		ck_assert_msg(!state, "%s came back as %s from a create never recorded", s->id,
			      state);
	else if (!state || strcmp(state, want)) {
		char *log = vf_workload_log(s->id);

		ck_abort_msg("%s is %s, not %s (%s); its output: %s", s->id,
			     state ? state : "absent", want,
			     vf_jstr(o, "exit_reason") ? vf_jstr(o, "exit_reason") : "no exit",
			     log ? log : "none");
	}
	json_object_put(o);
	if (!want || strcmp(want, "deleted") == 0)
		assert_gone_from_host(s);
	else
		assert_on_host(s, want);
	if (want && strcmp(want, "deleted") == 0)
		assert_delete_complete(s->id);
	assert_no_orphans();
	if (want && strcmp(want, "created"))
		ck_assert_msg(cpu_ns_of(s->id) >= cpu_before, "%s: cpu_ns went down from %llu",
			      s->id, (unsigned long long)cpu_before);
	lf_ledger_verifies();
	/* nothing left in the way: the id (when free) and its network can be made again */
	if (!want) {
		ck_assert_msg(create(s, err, sizeof(err)) == 0, "create %s again: %s", s->id, err);
		state = "created";
	}
	if (state && strcmp(state, "running") == 0)
		vf_wl_ok("stop", s->id);
	if (state && strcmp(state, "deleted"))
		vf_wl_ok("delete", s->id);
	assert_gone_from_host(s);
}

START_TEST(test_crash)
{
	const struct run *r = &runs[_i];
	struct subject s = subject_of(_i, r->mode);
	char veth[IF_NAMESIZE];
	uint64_t cpu_before = 0;
	pid_t armed;

	s.behaviour = r->c->op == OP_FAIL	    ? FAILS_ONCE
		      : r->c->op == OP_STOP_BACKOFF ? FAILS
						    : WORKS;
	snprintf(veth, sizeof(veth), "vtort%d", getpid() % 100000);
	printf("%s/%s (%s)\n", r->c->point, mode_names[r->mode], s.id);
	/* each run its own: Check kills the last one's with its process group */
	vf_stop_vigild();
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild is not up");
	prepare(r, &s);
	if (r->c->op != OP_CREATE && r->c->op != OP_START && r->c->op != OP_FAIL)
		cpu_before = cpu_ns_of(s.id);
	armed = spawn_armed(r->c->point, r->c->op != OP_EPOCH);
	act(r, &s, veth);
	assert_crashed(armed, r->c->point);
	vf_spawn_vigild();
	ck_assert_msg(vf_vigild_up(), "vigild did not come back after %s", r->c->point);
	if (r->c->op == OP_SUBNETS) {
		ck_assert_msg(sh("nft list table inet vigil | grep -q 198.18.250.0/24") == 0,
			      "the new host subnet is not denied after the restart");
		sh("ip link del %s 2>/dev/null", veth);
	}
	check_after(r, &s, cpu_before);
}
END_TEST

#define CHURNERS 3

/* Workload `k` of churner `c` in round `round`: the modes take turns. */
static struct subject churn_subject(int round, int c, int k)
{
	return subject_of(1000 + round * 64 + c * 16 + k % 16, (enum mode)((c + k) % N_MODES));
}

/*
 * A client going through create, start, stop and delete over and over, with
 * no care for the answers: vigild dies under it at a random moment.
 */
static void __attribute__((noreturn)) churn(int round, int c)
{
	char text[PATH_MAX + 1024], path[PATH_MAX + 64];
	static const char *const steps[] = { "start", "stop", "delete" };

	for (int k = 0;; k++) {
		struct subject s = churn_subject(round, c, k);
		struct cmd_result r;
		FILE *f;

		snprintf(path, sizeof(path), "%s/churn-%d.json", vf.scratch, c);
		spec_text(&s, text, sizeof(text));
		f = fopen(path, "w");
		if (!f || fputs(text, f) < 0 || fclose(f))
			_exit(1);
		run_vigil(&r, "--socket", vf.sock, "workload", "create", path, NULL);
		cmd_result_free(&r);
		for (size_t i = 0; i < 3; i++) {
			run_vigil(&r, "--socket", vf.sock, "workload", steps[i], s.id, NULL);
			cmd_result_free(&r);
		}
	}
}

/* The churners' workloads after a restart: each as its record says, or gone entirely. */
static void check_churned(int round)
{
	for (int c = 0; c < CHURNERS; c++) {
		for (int k = 0; k < 16; k++) {
			struct subject s = churn_subject(round, c, k);
			struct json_object *o = settled(s.id);
			char state[32] = "";

			if (!vf_jstr(o, "error"))
				snprintf(state, sizeof(state), "%s", vf_state_of(o));
			json_object_put(o);
			if (!state[0] || strcmp(state, "deleted") == 0) {
				assert_gone_from_host(&s);
				continue;
			}
			assert_on_host(&s, state);
			/* cleared for the next round: every workload stopped and deleted */
			if (strcmp(state, "running") == 0)
				vf_wl_ok("stop", s.id);
			vf_wl_ok("delete", s.id);
			assert_gone_from_host(&s);
		}
	}
}

/*
 * The long part of `make torture`: kill -9 at random moments while three
 * clients create, start, stop and delete workloads of every mode.
 */
START_TEST(test_random_kills)
{
	const char *kills_env = getenv("VIGIL_TORTURE_KILLS");
	int kills = kills_env ? atoi(kills_env) : 50;
	struct timespec seed;

	clock_gettime(CLOCK_MONOTONIC, &seed);
	srand((unsigned int)seed.tv_nsec);
	vf_stop_vigild();
	vf_spawn_vigild();
	for (int round = 0; round < kills; round++) {
		pid_t churners[CHURNERS];
		useconds_t delay = (useconds_t)(50 + rand() % 750) * 1000;

		ck_assert_msg(vf_vigild_up(), "vigild is not up in round %d", round);
		for (int c = 0; c < CHURNERS; c++) {
			churners[c] = fork();
			if (churners[c] == 0)
				churn(round, c);
		}
		usleep(delay);
		vf_stop_vigild_hard();
		for (int c = 0; c < CHURNERS; c++) {
			kill(churners[c], SIGKILL);
			waitpid(churners[c], NULL, 0);
		}
		printf("round %d: vigild killed after %u ms\n", round, delay / 1000);
		vf_spawn_vigild();
		ck_assert_msg(vf_vigild_up(), "vigild did not come back in round %d", round);
		check_churned(round);
		assert_no_orphans();
		lf_ledger_verifies();
	}
}
END_TEST

static void remove_env(void)
{
	char veth[IF_NAMESIZE];

	/* a test that failed before it could */
	snprintf(veth, sizeof(veth), "vtort%d", getpid() % 100000);
	sh("ip link del %s 2>/dev/null", veth);
	lf_remove_env();
}

static void make_env(void)
{
	/* more than one workload in flight: each run's own, a deleted one's not yet released */
	snprintf(vf.max_arg, sizeof(vf.max_arg), "16");
	lf_make_env();
}

/* The short pass gives each point one mode, in turns; the full one every mode it has. */
static bool in_plan(const struct crash_case *c, size_t i, enum mode mode, bool full)
{
	/* these do not depend on the workload's network */
	if (c->op == OP_EPOCH || c->op == OP_SUBNETS)
		return mode == MODE_VETH;
	if (c->needs_network && mode == MODE_NONE)
		return false;
	if (full)
		return true;
	return mode ==
	       (c->needs_network ? (enum mode)(MODE_VETH + i % 2) : (enum mode)(i % N_MODES));
}

/* `only`: the runs at this crash point alone (VIGIL_TORTURE_POINT), to look into one */
static void plan(bool full, int rounds, const char *only)
{
	for (int round = 0; round < (full ? rounds : 1); round++) {
		for (size_t i = 0; i < N_CASES; i++) {
			for (int m = 0; m < N_MODES; m++) {
				if (only && strcmp(only, cases[i].point))
					continue;
				if (in_plan(&cases[i], i, (enum mode)m, full))
					runs[n_runs++] = (struct run){ &cases[i], (enum mode)m };
			}
		}
	}
}

/* The workload: 50 ms of CPU, then idle until stopped (it ends on SIGTERM). */
static int __attribute__((noreturn)) work(void)
{
	spin_cpu(50);
	for (;;)
		pause();
}

/* --fail: 50 ms of CPU, then exit 1 (as burn_cpu() does: no exit-time leak check in a jail) */
static void __attribute__((noreturn)) fail_run(void)
{
	spin_cpu(50);
	_exit(1);
}

/* --fail-once FILE: the first run (FILE empty) fails after 300 ms, the others work. */
static void __attribute__((noreturn)) fail_once(const char *file)
{
	int fd = open(file, O_RDWR | O_APPEND | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || write(fd, "x", 1) != 1)
		_exit(2);
	close(fd);
	if (st.st_size)
		work();
	usleep(250 * 1000);
	fail_run();
}

int main(int argc, char **argv)
{
	const char *mode = getenv("VIGIL_TORTURE"), *rounds = getenv("VIGIL_TORTURE_ROUNDS");
	bool full = mode && strcmp(mode, "full") == 0;
	Suite *s = suite_create("vigild_torture");
	TCase *tc;

	vf.suite = "torture";
	if (argc == 2 && strcmp(argv[1], "--work") == 0)
		return work();
	if (argc == 2 && strcmp(argv[1], "--fail") == 0)
		fail_run();
	if (argc == 3 && strcmp(argv[1], "--fail-once") == 0)
		fail_once(argv[2]);
	vf_require("vigild_torture");
	plan(full, rounds ? atoi(rounds) : 3, getenv("VIGIL_TORTURE_POINT"));
	printf("vigild_torture: %zu runs (%s)\n", n_runs, full ? "full" : "short");
	tc = tcase_create("crash");
	tcase_add_unchecked_fixture(tc, make_env, remove_env);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_crash, 0, (int)n_runs);
	suite_add_tcase(s, tc);
	if (full) {
		tc = tcase_create("random");
		tcase_add_unchecked_fixture(tc, make_env, remove_env);
		tcase_set_timeout(tc, 1800);
		tcase_add_test(tc, test_random_kills);
		suite_add_tcase(s, tc);
	}
	return run_suite(s);
}
