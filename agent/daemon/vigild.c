// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild: the host agent. It checks that the host can run vigil, loads or
 * adopts the metering programs, brings its workload registry and the host
 * back in line, and serves the control socket in the foreground until
 * SIGTERM or SIGINT. Workloads outlive it; so does everything pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_log.h"
#include "cgroup.h"
#include "control.h"
#include "crash_point.h"
#include "daemon.h"
#include "decimal.h"
#include "log.h"
#include "errmsg.h"
#include "feature.h"
#include "paths.h"

struct daemon_opts {
	const char *state_dir;
	const char *bpffs;
	const char *pin_dir;
	const char *socket_path;
	const char *cgroup_parent;
	unsigned long max_workloads;
	unsigned long stop_timeout_sec;
	unsigned long epoch_sec;
	const char *boot_id_file;
	const char *listen;
	const char *tls_cert;
	const char *tls_key;
	const char *tls_client_ca;
	const char *deny[VIGIL_NFT_MAX_PREFIXES];
	size_t n_deny;
	const char *image_dirs[VIGIL_MAX_IMAGE_DIRS];
	size_t n_image_dirs;
	const char *backing_dirs[VIGILD_MAX_BACKING_DIRS + 1];
	size_t n_backing_dirs;
	unsigned long uid_base;
	bool allow_unjailed;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vigild [--state-dir DIR] [--bpffs DIR] [--pin-dir DIR] [--socket PATH]\n"
		"              [--cgroup-parent NAME] [--max-workloads N] [--stop-timeout SEC]\n"
		"              [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE\n"
		"              [--tls-client-ca FILE]] [--epoch SEC] [--boot-id-file FILE]\n"
		"              [--deny PREFIX]... [--image-dir DIR]... [--backing-dir DIR]...\n"
		"              [--uid-base UID] [--allow-unjailed] [--log-level LEVEL]\n"
		"       vigild --help | --version\n"
		"\n"
		"  --state-dir DIR       workload registry and logs (default " VIGIL_DEFAULT_STATE_DIR
		")\n"
		"  --bpffs DIR           bpffs mount holding vigil's pins (default " VIGIL_DEFAULT_BPFFS
		")\n"
		"  --pin-dir DIR         vigil's pinned BPF objects (default BPFFS/vigil)\n"
		"  --socket PATH         control socket (default " VIGIL_DEFAULT_SOCKET
		"); workload\n"
		"                        network namespaces live in its directory's netns/\n"
		"  --cgroup-parent NAME  parent of workload cgroups below the cgroup v2 mount\n"
		"                        (default " VIGIL_DEFAULT_CGROUP_PARENT ")\n"
		"  --max-workloads N     workload slots, 1 to %d (default %d)\n"
		"  --stop-timeout SEC    SIGTERM to SIGKILL when stopping a workload (default 10)\n"
		"  --listen HOST:PORT    /metrics, /healthz, /v1/records (default " VIGIL_DEFAULT_LISTEN
		")\n"
		"  --tls-cert FILE       serve HTTPS with this PEM certificate (and --tls-key)\n"
		"  --tls-key FILE        its PEM private key\n"
		"  --tls-client-ca FILE  require client certificates signed by this PEM CA (mTLS)\n"
		"  --epoch SEC           ledger epoch: one record per workload (default 60)\n"
		"  --boot-id-file FILE   where the host's boot id is read (default\n"
		"                        /proc/sys/kernel/random/boot_id)\n"
		"  --deny PREFIX         a destination no workload may reach (IPv4 or IPv6),\n"
		"                        beside RFC 1918, 100.64/10, link-local, ULA, IPv6\n"
		"                        site-local and the host's own subnets; repeatable\n"
		"  --image-dir DIR       a directory whose files (kernel images, disks) jailed\n"
		"                        workloads may declare in jail.ro_paths and\n"
		"                        jail.rw_paths; repeatable, at most %d\n"
		"  --backing-dir DIR     a directory whose block devices or files may back\n"
		"                        volumes (STATE/volumes/ always may); repeatable, at\n"
		"                        most %d\n"
		"  --uid-base UID        workload slot N runs as uid and gid UID+N (default %u);\n"
		"                        no account of the host may be in the range\n"
		"  --allow-unjailed      accept specs with \"jail\": {\"enabled\": false}\n"
		"  --log-level LEVEL     err, warning, notice, info (default) or debug; each\n"
		"                        line on stderr carries its syslog priority (<3>..<7>)\n",
		VIGIL_MAX_WORKLOADS, VIGIL_MAX_WORKLOADS, VIGIL_MAX_IMAGE_DIRS,
		VIGILD_MAX_BACKING_DIRS, VIGIL_DEFAULT_UID_BASE);
}

static int parse_ulong(const char *opt, const char *arg, unsigned long min, unsigned long max,
		       unsigned long *ret)
{
	if (vigil_parse_decimal(arg, min, max, ret) < 0) {
		vlog(LOG_ERR, "%s must be a number between %lu and %lu, not \"%s\"", opt, min, max,
		     arg);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0 to run, 1 after --help/--version, or -EINVAL after a usage error. */
static int parse_opts(int argc, char **argv, struct daemon_opts *o)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 'S' },
		{ "cgroup-parent", required_argument, NULL, 'c' },
		{ "max-workloads", required_argument, NULL, 'm' },
		{ "stop-timeout", required_argument, NULL, 't' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "boot-id-file", required_argument, NULL, 'B' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-client-ca", required_argument, NULL, 'A' },
		{ "deny", required_argument, NULL, 'D' },
		{ "image-dir", required_argument, NULL, 'I' },
		{ "backing-dir", required_argument, NULL, 'G' },
		{ "uid-base", required_argument, NULL, 'U' },
		{ "allow-unjailed", no_argument, NULL, 'J' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->state_dir = optarg;
			break;
		case 'b':
			o->bpffs = optarg;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'S':
			o->socket_path = optarg;
			break;
		case 'c':
			o->cgroup_parent = optarg;
			break;
		case 'm':
			if (parse_ulong("--max-workloads", optarg, 1, VIGIL_MAX_WORKLOADS,
					&o->max_workloads) < 0)
				return -EINVAL;
			break;
		case 't':
			if (parse_ulong("--stop-timeout", optarg, 0, 3600, &o->stop_timeout_sec) <
			    0)
				return -EINVAL;
			break;
		case 'e':
			if (parse_ulong("--epoch", optarg, 1, 86400, &o->epoch_sec) < 0)
				return -EINVAL;
			break;
		case 'B':
			o->boot_id_file = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'C':
			o->tls_cert = optarg;
			break;
		case 'K':
			o->tls_key = optarg;
			break;
		case 'A':
			o->tls_client_ca = optarg;
			break;
		case 'D':
			if (o->n_deny == VIGIL_NFT_MAX_PREFIXES) {
				vlog(LOG_ERR, "at most %d --deny prefixes", VIGIL_NFT_MAX_PREFIXES);
				return -EINVAL;
			}
			o->deny[o->n_deny++] = optarg;
			break;
		case 'I':
			if (o->n_image_dirs == VIGIL_MAX_IMAGE_DIRS) {
				vlog(LOG_ERR, "at most %d --image-dir directories",
				     VIGIL_MAX_IMAGE_DIRS);
				return -EINVAL;
			}
			o->image_dirs[o->n_image_dirs++] = optarg;
			break;
		case 'G':
			if (o->n_backing_dirs == VIGILD_MAX_BACKING_DIRS) {
				vlog(LOG_ERR, "at most %d --backing-dir directories",
				     VIGILD_MAX_BACKING_DIRS);
				return -EINVAL;
			}
			o->backing_dirs[o->n_backing_dirs++] = optarg;
			break;
		case 'U':
			if (parse_ulong("--uid-base", optarg, 1, UINT32_MAX - VIGIL_MAX_WORKLOADS,
					&o->uid_base) < 0)
				return -EINVAL;
			break;
		case 'J':
			o->allow_unjailed = true;
			break;
		case 'L':
			if (vigild_log_level_parse(optarg, &vigild_log_level) < 0) {
				vlog(LOG_ERR,
				     "--log-level \"%s\": must be err, warning, notice, info or debug",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("vigild %s (git %s)\n", VIGIL_VERSION, VIGIL_GIT_COMMIT);
			return 1;
		case ':':
			vlog(LOG_ERR, "option \"%s\" needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			vlog(LOG_ERR, "unknown option \"%s\"", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		vlog(LOG_ERR, "unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	if (!o->tls_cert != !o->tls_key) {
		vlog(LOG_ERR, "--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (o->tls_client_ca && !o->tls_cert) {
		vlog(LOG_ERR, "--tls-client-ca needs --tls-cert and --tls-key");
		return -EINVAL;
	}
	return 0;
}

static int check_host(const struct daemon_opts *o)
{
	struct vigil_feature_opts fopts = { .bpffs_path = o->bpffs, .skip_programs = true };
	struct vigil_feature_report *report = calloc(1, sizeof(*report));
	int missing = 0;

	if (!report)
		return -ENOMEM;
	vigil_feature_probe(&fopts, report);
	for (int id = 0; id < VF__COUNT; id++) {
		const struct vigil_feature *f = &report->items[id];

		if (f->required && !f->available) {
			vlog(LOG_ERR, "required feature %s missing: %s", f->name, f->detail);
			missing++;
		}
	}
	free(report);
	return missing ? -EOPNOTSUPP : 0;
}

static int open_signalfd(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		vlog(LOG_ERR, "directory %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* One daemon per state directory: a second one would fight over slots and cgroups. */
static int lock_state(const char *state_dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/vigild.lock", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		vlog(LOG_ERR, "%s: %s", path,
		     errno == EWOULDBLOCK ? "another vigild is running with this state directory"
					  : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EBUSY;
	}
	return fd;
}

static int setup_dirs(struct vigild *d)
{
	char buf[PATH_MAX];
	int ret;

	if (make_dir(d->state_dir, 0700) < 0)
		return -1;
	snprintf(d->logs_dir, sizeof(d->logs_dir), "%s/logs", d->state_dir);
	if (make_dir(d->logs_dir, 0700) < 0)
		return -1;
	ret = vigil_registry_init(d->state_dir);
	if (ret < 0) {
		vlog(LOG_ERR, "registry in %s: %s", d->state_dir, strerror(-ret));
		return ret;
	}
	snprintf(buf, sizeof(buf), "%s", d->socket_path);
	snprintf(d->netns_dir, sizeof(d->netns_dir), "%s/netns", dirname(buf));
	return 0;
}

static int setup_cgroup(struct vigild *d, unsigned int *ret_level)
{
	struct vigil_cgroup2 cg2;
	unsigned int level;
	int ret;

	ret = vigil_cgroup2_detect(&cg2);
	if (ret < 0) {
		vlog(LOG_ERR,
		     "cgroup v2 is not mounted (cgroups here: %s); vigil needs a "
		     "cgroup v2 hierarchy, pure or beside v1\n",
		     vigil_cgroup_mode_name(cg2.mode));
		return ret;
	}
	snprintf(d->cgroup_mount, sizeof(d->cgroup_mount), "%s", cg2.mount);
	snprintf(d->cgroup_parent, sizeof(d->cgroup_parent), "%s/%s", cg2.mount,
		 d->cgroup_parent_name);
	if (make_dir(d->cgroup_parent, 0755) < 0)
		return -1;
	ret = vigil_cgroup_level(cg2.mount, d->cgroup_parent, &level);
	if (ret < 0) {
		vlog(LOG_ERR, "cgroup parent %s: %s", d->cgroup_parent, strerror(-ret));
		return ret;
	}
	*ret_level = level + 1;
	return 0;
}

static int open_meter(struct vigild *d, unsigned int level)
{
	struct vigil_meter_opts mo = { .pin_dir = d->pin_dir, .workload_cgroup_level = level };
	char tail[2048];
	int ret = vigil_meter_open(&mo, &d->meter);

	if (ret < 0) {
		vlog(LOG_ERR, "loading the metering programs into %s: %s", d->pin_dir,
		     strerror(-ret));
		vigil_bpf_log_tail(tail, sizeof(tail), 12);
		if (tail[0])
			vlog(LOG_ERR, "the last lines of libbpf's log:\n%s", tail);
	}
	return ret;
}

/* Another daemon answering on the socket must not have it taken away. */
#define CLAIM_TIMEOUT_SEC 5

static int claim_socket(struct vigild *d)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string("list"));
	ret = vigil_control_call(d->socket_path, req, CLAIM_TIMEOUT_SEC, &resp);
	json_object_put(req);
	json_object_put(resp);
	if (ret == 0) {
		vlog(LOG_ERR, "another vigild answers on %s", d->socket_path);
		return -EADDRINUSE;
	}
	ret = vigil_control_listen(d->socket_path, &d->listen_fd);
	if (ret < 0)
		vlog(LOG_ERR, "control socket %s: %s", d->socket_path, strerror(-ret));
	return ret;
}

static int run(struct vigild *d)
{
	unsigned int level;
	int lock_fd, ret;

	if (setup_dirs(d) < 0)
		return 1;
	lock_fd = lock_state(d->state_dir);
	if (lock_fd < 0)
		return 1;
	ret = setup_cgroup(d, &level);
	if (!ret)
		ret = open_meter(d, level);
	if (ret < 0)
		goto out;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = open_signalfd();
	if (d->epfd < 0 || d->sigfd < 0) {
		vlog(LOG_ERR, "epoll and signalfd: %s", strerror(errno));
		ret = -1;
		goto out;
	}
	ret = jail_setup(d);
	if (ret < 0)
		goto out;
	ret = repair_state(d);
	if (ret < 0) {
		vlog(LOG_ERR, "bringing the host to the registry in %s: %s", d->state_dir,
		     strerror(-ret));
		goto out;
	}
	ret = accounting_start(d);
	if (!ret)
		ret = exporter_start(d);
	if (!ret && (ret = net_teardown_start(d)) < 0)
		vlog(LOG_ERR, "the thread that deletes interfaces: %s", strerror(-ret));
	if (!ret)
		ret = claim_socket(d);
	if (ret < 0)
		goto out;
	vlog(LOG_INFO, "version %s running, state in %s, %zu workloads, socket %s", VIGIL_VERSION,
	     d->state_dir, d->n_wls, d->socket_path);
	ret = run_loop(d);
	if (ret < 0)
		vlog(LOG_ERR, "event loop: %s", strerror(-ret));
	unlink(d->socket_path);
out:
	net_teardown_stop(d);
	exporter_stop(d);
	accounting_stop(d);
	isolation_stop(d);
	jail_teardown(d);
	for (size_t i = 0; i < d->n_wls; i++) {
		if (d->wls[i]->pidfd >= 0)
			close(d->wls[i]->pidfd);
		if (d->wls[i]->status_fd >= 0)
			close(d->wls[i]->status_fd);
		wl_qmp_close(d, d->wls[i]);
		vigil_workload_spec_free(&d->wls[i]->rec.spec);
		free(d->wls[i]);
	}
	free(d->wls);
	conns_close_all(d);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	/* leaves every program and map pinned and counting */
	vigil_meter_close(d->meter);
	close(lock_fd);
	return ret < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct daemon_opts o = {
		.state_dir = VIGIL_DEFAULT_STATE_DIR,
		.bpffs = VIGIL_DEFAULT_BPFFS,
		.socket_path = VIGIL_DEFAULT_SOCKET,
		.cgroup_parent = VIGIL_DEFAULT_CGROUP_PARENT,
		.max_workloads = VIGIL_MAX_WORKLOADS,
		.stop_timeout_sec = 10,
		.epoch_sec = 60,
		.uid_base = VIGIL_DEFAULT_UID_BASE,
	};
	struct vigild d = {
		.epfd = -1,
		.sigfd = -1,
		.listen_fd = -1,
		.epoch_fd = -1,
		.addr_fd = -1,
		.teardown_fd = -1,
		.ledger_lock = PTHREAD_MUTEX_INITIALIZER,
		.alloc_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	const char *known_points;
	int err;

	vigild_log_open();
	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	if (crash_point_init(&known_points) < 0) {
		char name[64];

		vlog(LOG_ERR, "VIGILD_CRASH_AT: unknown crash point \"%s\" (known: %s)",
		     vigil_escape(getenv("VIGILD_CRASH_AT"), name, sizeof(name)), known_points);
		return 2;
	}
	if (jail_check_uid_range((unsigned int)o.uid_base, (unsigned int)o.max_workloads) < 0)
		return 2;
	vigil_bpf_log_install(NULL);

	err = check_host(&o);
	if (err == -EOPNOTSUPP) {
		vlog(LOG_ERR, "this host cannot run vigil ('vigil feature probe' explains)");
		return 1;
	}
	if (err < 0) {
		vlog(LOG_ERR, "probing the host failed: %s", strerror(-err));
		return 1;
	}
	d.state_dir = o.state_dir;
	d.bpffs = o.bpffs;
	d.socket_path = o.socket_path;
	d.cgroup_parent_name = o.cgroup_parent;
	d.max_workloads = (unsigned int)o.max_workloads;
	d.stop_timeout_ms = (unsigned int)o.stop_timeout_sec * 1000;
	d.epoch_sec = (unsigned int)o.epoch_sec;
	d.boot_id_file = o.boot_id_file;
	d.listen = o.listen;
	d.tls_cert_file = o.tls_cert;
	d.tls_key_file = o.tls_key;
	d.tls_client_ca_file = o.tls_client_ca;
	d.deny = o.deny;
	d.n_deny = o.n_deny;
	memcpy(d.image_dirs, o.image_dirs, sizeof(o.image_dirs));
	d.n_image_dirs = o.n_image_dirs;
	memcpy(d.backing_dirs, o.backing_dirs, sizeof(o.backing_dirs));
	d.uid_base = (unsigned int)o.uid_base;
	d.allow_unjailed = o.allow_unjailed;
	if (o.pin_dir)
		snprintf(d.pin_dir, sizeof(d.pin_dir), "%s", o.pin_dir);
	else
		snprintf(d.pin_dir, sizeof(d.pin_dir), "%s/vigil", o.bpffs);
	return run(&d);
}
