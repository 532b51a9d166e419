/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigild's state, shared by its files (one job each). */
#ifndef VIGILD_DAEMON_H
#define VIGILD_DAEMON_H

#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cgroup_limits.h"
#include "http_server.h"
#include "jail_paths.h"
#include "jail_seccomp.h"
#include "ledger.h"
#include "meter_loader.h"
#include "metrics.h"
#include "nft_policy.h"
#include "registry.h"

struct wl {
	struct vigil_workload rec;
	/* pidfd of the main process while running, watched by the loop; -1 */
	int pidfd;
	/* started by this daemon, so its exit status can be collected */
	bool child;
	/* deleted, and its final ledger record is durable: its slot can go */
	bool final_recorded;
	/* a jailed one's reaper reports the workload's wait status here; -1 */
	int status_fd;
	/* as written at its last start */
	bool has_limits;
	struct vigil_limits limits;
	/*
	 * Stopping: SIGTERM sent, the loop waits for its cgroup to empty (then
	 * SIGKILL at the deadline) without blocking, and then answers the
	 * request that asked, which waits meanwhile.
	 */
	bool stopping;
	bool killed;
	uint64_t stop_deadline_ms;
	/* the request waiting for the stop: "stop" or "delete" */
	struct vigil_control_conn *waiting;
	const char *waiting_cmd;
	/* deleted but for its interface, which the teardown thread is removing */
	bool tearing_down;
	/* what its stop sent ("QMP system_powerdown", "SIGTERM"), for the log */
	const char *stop_sent;
	/* a stop through QMP: the exchange with the VMM while it lasts; NULL */
	struct wl_qmp *qmp;
	/* its restart is due at this CLOCK_MONOTONIC ms; 0: none is scheduled */
	uint64_t restart_due_ms;
	/* its volume was still busy when vigild last tried to close it */
	bool volume_busy;
};

/* What /metrics shows of a workload beside its counters, copied for the HTTP threads. */
struct alloc_entry {
	char id[VIGIL_ID_SIZE];
	struct vigil_workload_alloc alloc;
};

/* --backing-dir directories at most */
#define VIGILD_MAX_BACKING_DIRS 16

/* Control connections open at once; one more is refused with an error. */
#define VIGILD_MAX_CONNS 64

struct vigil_control_conn;
struct vigil_volume_key;

struct vigild {
	const char *state_dir;
	const char *bpffs;
	const char *socket_path;
	const char *cgroup_parent_name;
	char pin_dir[PATH_MAX];
	char cgroup_mount[PATH_MAX];
	char cgroup_parent[PATH_MAX];
	char netns_dir[PATH_MAX];
	char logs_dir[PATH_MAX];
	unsigned int max_workloads;
	unsigned int stop_timeout_ms;

	/* the jails (jail.c) */
	const char *image_dirs[VIGIL_MAX_IMAGE_DIRS];
	size_t n_image_dirs;
	/* workload slot N runs as uid and gid uid_base + N */
	unsigned int uid_base;
	bool allow_unjailed;
	char jail_root[PATH_MAX];
	/* where volumes may be backed beside <state>/volumes/ (NULL-terminated) */
	const char *backing_dirs[VIGILD_MAX_BACKING_DIRS + 1];
	struct vigil_seccomp_filter filters[VIGIL_SECCOMP__COUNT][2];

	struct vigil_meter *meter;
	/* every workload with a record, deleted ones included */
	struct wl **wls;
	size_t n_wls, cap_wls;
	/* how many are stopping: the loop looks at them every 20 ms while any are */
	size_t n_stopping;
	/* how many have a restart scheduled */
	size_t n_restarting;
	int epfd, sigfd, listen_fd;
	/* the control connections being read or answered (control_conns.c) */
	struct vigil_control_conn *conns[VIGILD_MAX_CONNS];
	size_t n_conns;

	/* isolation (isolation.c): the nftables table and the extra denied prefixes */
	struct vigil_nft *nft;
	const char *const *deny;
	size_t n_deny;
	/* the host's own subnets as denied now, and the notices of their changes */
	char **host_subnets;
	size_t n_host_subnets;
	int addr_fd;
	/* the thread that deletes interfaces (net_teardown.c), and its eventfd */
	struct net_teardown *teardown;
	int teardown_fd;

	/* the ledger (accounting.c) */
	struct vigil_ledger *ledger;
	unsigned int epoch_sec;
	const char *boot_id_file;
	char boot_id[64];
	uint64_t window_start_ns;
	int epoch_fd;
	/* the ledger and its status, between the loop and the HTTP threads */
	pthread_mutex_t ledger_lock;
	struct vigil_ledger_status ledger_status;

	/* the HTTP endpoint (exporter.c) */
	const char *listen;
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_client_ca_file;
	struct vigil_metrics *metrics;
	struct vigil_http_server *http;
	pthread_mutex_t alloc_lock;
	struct alloc_entry *allocs;
	size_t n_allocs;
};

/* Errors for the client: the message names the object and the reason. */
struct req_err {
	char msg[512];
	char hint[256];
};

int req_fail(struct req_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* workloads.c */
struct wl *wl_find(struct vigild *d, const char *id);
int wl_add(struct vigild *d, struct wl *w);
int wl_cgroup_procs(const struct wl *w, int *pids, size_t max, size_t *ret_n);
/* `sig` to every process in its cgroup, each checked to be there through a pidfd. */
void wl_cgroup_signal(const struct vigild *d, const struct wl *w, int sig);
/* SIGKILL to every process in it; one forked meanwhile may be left for the next call. */
void wl_cgroup_kill(const struct vigild *d, const struct wl *w);
/* true when it has no process (or cannot be read) */
bool wl_cgroup_empty(const struct wl *w);
/*
 * Writes the record with `why` as its pending operation, and only then
 * sets it in the daemon; 0 at once when it is recorded already.
 */
int wl_record_pending(struct vigild *d, struct wl *w, enum vigil_workload_pending why);
/*
 * Writes a workload's record, and then what it says the workload is doing
 * into its slot, where readers of the maps alone (`vigil usage show`, `vigil
 * top`, /metrics) find it. The record's result: a slot that cannot be
 * written is logged.
 */
int wl_save(struct vigild *d, const struct vigil_workload *r);

/* workload_create.c */
int wl_create(struct vigild *d, struct json_object *spec, struct wl **ret, struct req_err *e);

/* workload_run.c */
/*
 * The admin's start: the restart policy's count starts over. `key` (or
 * NULL) opens its volume; the caller frees it.
 */
int wl_start(struct vigild *d, struct wl *w, const struct vigil_volume_key *key, struct req_err *e);
/* Spawns its command and records it running: a start, the admin's or the restart policy's. */
int wl_run(struct vigild *d, struct wl *w, struct req_err *e);
/*
 * Records why (a stop, or a delete that follows it), sends SIGTERM and marks
 * it stopping; the loop finishes it (wl_stop_progress).
 */
int wl_stop_begin(struct vigild *d, struct wl *w, enum vigil_workload_pending why,
		  struct req_err *e);
/*
 * At start, a stop or delete that a killed vigild left recorded is begun
 * again, with nobody waiting for its answer: the loop completes it.
 */
void wl_resume_pending(struct vigild *d, struct wl *w);
/*
 * For a stopping workload: 1 when its stop is over (stopped, or -EBUSY in
 * *ret_err when processes outlived SIGKILL), 0 while it goes on; SIGKILL at
 * the deadline.
 */
int wl_stop_progress(struct vigild *d, struct wl *w, int *ret_err, struct req_err *e);
/* ms until the next stopping workload should be looked at again, -1 with none */
int wl_stop_timeout_ms(const struct vigild *d);
/* Its QMP exchange failed (`why`): the stop goes on with the spec's signal. */
void wl_stop_fallback(struct vigild *d, struct wl *w, const char *why);
/* The main process exited (its pidfd is readable): the workload is stopped. */
void wl_exited(struct vigild *d, struct wl *w);
/* Watches the pidfd of a running workload in the loop. */
int wl_watch(struct vigild *d, struct wl *w);

/* workload_qmp.c: a stop through the VMM's QMP socket */
/*
 * Connects to the socket in the jail and begins the exchange (at most
 * half of `timeout_ms`, at most 2 s); -errno with `why` when it cannot.
 */
int wl_qmp_begin(struct vigild *d, struct wl *w, uint32_t timeout_ms, char *why, size_t len);
/* `ptr` is the epoll data of a workload's QMP exchange */
bool wl_qmp_own(const struct vigild *d, const void *ptr);
/* Its socket is ready: the exchange goes on, succeeds or fails (wl_stop_fallback). */
void wl_qmp_event(struct vigild *d, void *ptr, uint32_t events);
/* An exchange past its deadline fails. */
void wl_qmp_expire(struct vigild *d, struct wl *w);
/* Ends it, over or not. */
void wl_qmp_close(struct vigild *d, struct wl *w);

/* workload_restart.c: the restart policy */
/* Its exit (recorded) is one the policy restarts after. */
bool wl_restart_wanted(const struct wl *w);
/* Schedules the next start in the record and the daemon (the caller saves); the delay in ms. */
uint32_t wl_restart_schedule(struct vigild *d, struct wl *w);
/* A scheduled restart is cancelled, in the record first; 0 when none was. */
int wl_restart_cancel(struct vigild *d, struct wl *w, struct req_err *e);
/* Drops a schedule from the daemon and the record (not saved): the admin started it. */
void wl_restart_forget(struct vigild *d, struct wl *w);
/*
 * At start: the schedule of the record goes on; `ended_unseen`: repair found
 * it ended while vigild was down, which counts as a failure.
 */
void wl_restart_resume(struct vigild *d, struct wl *w, bool ended_unseen);
/* ms until the next restart is due, -1 with none */
int wl_restart_timeout_ms(const struct vigild *d);
/* Starts those whose restart is due. */
void wl_restarts_due(struct vigild *d);

/* jail.c */
struct vigil_spawn_opts;
/* Refuses (and says why) a uid range that an account of this host, user or group, falls into. */
int jail_check_uid_range(unsigned int uid_base, unsigned int max_workloads);
/* Checks the image directories, makes the jails' root, enables the limits' controllers. */
int jail_setup(struct vigild *d);
void jail_teardown(struct vigild *d);
/* What the spec's jail asks for, the host can give; nothing is made. */
int jail_check_spec(struct vigild *d, const struct vigil_workload_spec *s, struct req_err *e);
/* The limits of its allocation into its cgroup, and which the host enforces into w->limits. */
int jail_write_limits(struct vigild *d, struct wl *w, struct req_err *e);
/* Starts it jailed; on success w->status_fd is the reaper's pipe. */
int jail_spawn(struct vigild *d, struct wl *w, struct vigil_spawn_opts *o, char **argv, pid_t *pid,
	       int *pidfd, struct req_err *e);

/* workload_volume.c: a workload's encrypted volume (id = the workload's) */
struct vigil_volume_store;
void wl_volume_store(const struct vigild *d, struct vigil_volume_store *ret);
/*
 * The key a start request carried: the read end of a pipe its writer has
 * closed, read without blocking. The descriptor stays the caller's.
 */
int wl_volume_key_read(const struct wl *w, int fd, struct vigil_volume_key **ret,
		       struct req_err *e);
/*
 * Before a start: its volume opened with `key` (made first when it does
 * not exist); nothing needed when it is open already (`*ret_opened` false
 * then). -ENOKEY without a key for a closed volume.
 */
int wl_volume_attach(struct vigild *d, struct wl *w, const struct vigil_volume_key *key,
		     bool *ret_opened, bool *ret_created, struct req_err *e);
/* A start that failed after wl_volume_attach: what it did is undone. */
void wl_volume_detach(struct vigild *d, struct wl *w, bool opened, bool created);
/* Whether its volume's mapping exists (false without a volume). */
bool wl_volume_is_open(const struct vigild *d, const struct wl *w);
/* Its run is over: its volume is closed (a busy one is retried, then logged and left open). */
void wl_volume_close(struct vigild *d, struct wl *w);
/*
 * It cannot start without its volume's key (a restart found it closed):
 * recorded, and a restart scheduled is dropped.
 */
void wl_volume_wait_key(struct vigild *d, struct wl *w, const char *why);
/* At a delete: erased, or (rec.keep_volume) closed and kept. */
int wl_volume_delete(struct vigild *d, struct wl *w, struct req_err *e);
/* After repair: a volume whose workload ended unseen, or that nothing uses any more. */
void wl_volume_repair(struct vigild *d, struct wl *w, bool ended_unseen);
/* What `workload show` says of it; NULL without a volume. */
struct json_object *wl_volume_view(const struct vigild *d, const struct wl *w);

/* workload_delete.c */
#define WL_DELETE_WAITS 1
/*
 * Deletes all but the interface; WL_DELETE_WAITS when there is one, handed
 * to the teardown thread, and wl_delete_finish follows once it is gone.
 */
int wl_delete(struct vigild *d, struct wl *w, struct req_err *e);
/* The rest, after the interface (`ret`: how its removal went, at step `failed`). */
int wl_delete_finish(struct vigild *d, struct wl *w, int ret, const char *failed,
		     struct req_err *e);

/* control_conns.c: the loop's control connections */
void conns_accept(struct vigild *d);
/* `ptr` is the epoll data of one of them */
bool conns_own(const struct vigild *d, const void *ptr);
void conns_event(struct vigild *d, void *ptr, uint32_t events);
/* ms until the loop has something to do without an event (a deadline, a stop, a restart), or -1 */
int conns_timeout_ms(const struct vigild *d);
/* Answers (or drops) the connections past their deadline. */
void conns_expire(struct vigild *d);
void conns_close_all(struct vigild *d);
/* `c` waits for a stop: its deadline is lifted until conns_answer. */
void conns_park(struct vigild *d, struct vigil_control_conn *c);
/* Answers a parked connection with `resp` (consumed). */
void conns_answer(struct vigild *d, struct vigil_control_conn *c, struct json_object *resp);

/* requests.c */
/*
 * The answer to `req` from `conn`; NULL when the request waits for a stop
 * (the workload holds `conn` until request_stops_progress answers it).
 */
struct json_object *handle_request(struct vigild *d, struct json_object *req,
				   struct vigil_control_conn *conn);
/* Finishes the stops whose time has come and answers the requests that waited for them. */
void request_stops_progress(struct vigild *d);
/* Its interface gone (`ret` 0) or not (`failed`: the step), a delete is finished and answered. */
void request_delete_continue(struct vigild *d, struct wl *w, int ret, const char *failed);

/* repair.c: loads the registry and makes the host match it */
int repair_state(struct vigild *d);

/* net_teardown.c: deleted workloads' interfaces, off the loop */
int net_teardown_start(struct vigild *d);
void net_teardown_stop(struct vigild *d);
/* Hands the interface of `w` (its meter's filters, then the link) to the thread. */
int net_teardown_submit(struct vigild *d, struct wl *w);
/* The teardown fd is readable: each finished delete goes on (request_delete_continue). */
void net_teardown_collect(struct vigild *d);

/* loop.c */
int run_loop(struct vigild *d);
/* CLOCK_MONOTONIC in ms: the deadlines of connections, stops and restarts */
uint64_t loop_now_ms(void);
/* CLOCK_REALTIME in ns: what records keep */
uint64_t loop_unix_ns(void);

/* accounting.c: the ledger's epochs and final records */
int accounting_start(struct vigild *d);
void accounting_stop(struct vigild *d);
/* The epoch timer fired. */
void accounting_epoch(struct vigild *d);
/* `w` was just deleted: its final record, now if the ledger can take it. */
void accounting_final(struct vigild *d, struct wl *w);

/* isolation.c: the workloads' nftables rules */
/* Claims the table and brings it to the registered workloads. */
int isolation_start(struct vigild *d);
/* Lets go of the table, which keeps enforcing the rules. */
void isolation_stop(struct vigild *d);
/* The host's addresses changed (addr_fd is readable): its subnets are denied anew. */
void isolation_addresses_changed(struct vigild *d);
int isolation_apply(struct vigild *d, struct wl *w, struct req_err *e);
/* Removes a workload's rules; having none is no error. */
int isolation_remove(struct vigild *d, struct wl *w, struct req_err *e);

/* exporter.c: /metrics, /healthz, /v1/records */
int exporter_start(struct vigild *d);
void exporter_stop(struct vigild *d);
/* The workloads changed: what /metrics shows of them is copied again. */
void exporter_refresh(struct vigild *d);

/*
 * Adds a workload's subnets (veth or tap; IPv4, and IPv6 when it has it) to
 * the private destinations (idempotent).
 */
int workload_subnet_private(struct vigild *d, const struct vigil_workload *r);

/* workload_net.c: a workload's interface, veth (with its namespace) or tap */
/* Its interface's name and, for veth, its namespace's path, from the id. */
void net_names(struct vigild *d, struct vigil_workload *r);
/*
 * Makes them, the link down; sets r->ifindex. On failure nothing is left,
 * and *ret_failed names what could not be made.
 */
int net_make(struct vigil_workload *r, const char **ret_failed);
/* Why net_make() failed, in words, for a message that has named what failed. */
const char *net_strerror(int err);
/* Whether they are there, as recorded. */
bool net_present(const struct vigil_workload *r);
/* A veth's own end gets its fixed MAC back; 1 when it had another. */
int net_check_mac(const struct vigil_workload *r);
int net_link_up(const struct vigil_workload *r);
/* Meters its interface into its slot (the filters replaced when they are there). */
int net_meter_attach(const struct vigild *d, const struct vigil_workload *r);
/* -ENODEV when the interface is gone. */
int net_link_delete(const struct vigil_workload *r);
/* Removes whichever of them is there. */
void net_unmake(const struct vigil_workload *r);

#endif
