// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild: the host agent. At this stage it checks that the host can run
 * vigil, prepares its state directory, and runs in the foreground until
 * SIGTERM or SIGINT; metering and isolation build on this loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_log.h"
#include "feature.h"

struct daemon_opts {
	const char *state_dir;
	const char *bpffs;
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigild [--state-dir DIR] [--bpffs DIR]\n"
		     "       vigild --help | --version\n"
		     "\n"
		     "  --state-dir DIR  workload registry and ledger (default /var/lib/vigil)\n"
		     "  --bpffs DIR      bpffs mount holding vigil's pins (default /sys/fs/bpf)\n");
}

/* Returns 0 to run, 1 after --help/--version, or -EINVAL after a usage error. */
static int parse_opts(int argc, char **argv, struct daemon_opts *o)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "bpffs", required_argument, NULL, 'b' },
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
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("vigild %s (git %s)\n", VIGIL_VERSION, VIGIL_GIT_COMMIT);
			return 1;
		case ':':
			fprintf(stderr, "vigild: option \"%s\" needs an argument\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "vigild: unknown option \"%s\"\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int check_host(const struct daemon_opts *o)
{
	struct vigil_feature_opts fopts = { .bpffs_path = o->bpffs };
	struct vigil_feature_report *report = calloc(1, sizeof(*report));
	int missing = 0;

	if (!report)
		return -ENOMEM;
	vigil_feature_probe(&fopts, report);
	for (int id = 0; id < VF__COUNT; id++) {
		const struct vigil_feature *f = &report->items[id];

		if (f->required && !f->available) {
			fprintf(stderr, "vigild: required feature %s missing: %s\n", f->name,
				f->detail);
			missing++;
		}
	}
	free(report);
	return missing ? -EOPNOTSUPP : 0;
}

static int wait_for_stop_signal(void)
{
	struct signalfd_siginfo si;
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (read(fd, &si, sizeof(si)) < 0) {
		if (errno != EINTR) {
			int err = -errno;

			close(fd);
			return err;
		}
	}
	close(fd);
	fprintf(stderr, "vigild: %s received, stopping\n", strsignal((int)si.ssi_signo));
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_opts o = { .state_dir = "/var/lib/vigil", .bpffs = "/sys/fs/bpf" };
	int err;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	vigil_bpf_log_install(NULL);

	err = check_host(&o);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr,
			"vigild: this host cannot run vigil ('vigil feature probe' explains)\n");
		return 1;
	}
	if (err < 0) {
		fprintf(stderr, "vigild: probing the host failed: %s\n", strerror(-err));
		return 1;
	}
	if (mkdir(o.state_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "vigild: state directory %s: %s\n", o.state_dir, strerror(errno));
		return 1;
	}
	fprintf(stderr, "vigild %s: running, state in %s\n", VIGIL_VERSION, o.state_dir);
	err = wait_for_stop_signal();
	if (err < 0) {
		fprintf(stderr, "vigild: waiting for signals: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
