// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil top: every workload's usage as rates, refreshed, read from the
 * pinned maps (and the drop counters of vigil's nftables table), so it works
 * while vigild is down. On a terminal it redraws in place and takes keys to
 * sort; otherwise it prints one table per refresh. With -j it prints one
 * snapshot: two readings `--delay` apart.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "decimal.h"
#include "meter_loader.h"
#include "nft_policy.h"
#include "objects.h"
#include "print.h"
#include "units.h"

#define TOP_PATH "vigil top"
#define TOP_HELP TOP_PATH " help"

#define DEFAULT_DELAY_MS 1000
#define MIN_DELAY_MS	 100
#define MAX_DELAY_MS	 3600000

enum sort_key { SORT_CPU, SORT_MEM, SORT_DISK, SORT_NET, SORT_DROPS, SORT_ID, N_SORT };

static const struct {
	const char *name;
	char key;
} sorts[N_SORT] = {
	[SORT_CPU] = { "cpu", 'c' }, [SORT_MEM] = { "mem", 'm' },     [SORT_DISK] = { "disk", 'd' },
	[SORT_NET] = { "net", 'n' }, [SORT_DROPS] = { "drops", 'x' }, [SORT_ID] = { "id", 'i' },
};

/* One workload in one reading, and its rates since the reading before. */
struct row {
	struct vigil_slot slot;
	uint32_t slot_index;
	struct vigil_workload_usage u;
	bool has_rates;
	double cpu_percent;
	double disk_read_bps, disk_write_bps;
	double rx_bps, tx_bps, tx_dropped_bps;
	double drops_per_s;
	bool has_rules;
	struct vigil_nft_counter drops[VIGIL_NFT_N_REASONS];
};

struct reading {
	struct row *rows;
	size_t n, cap;
	double at; /* CLOCK_MONOTONIC, s */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_top_help(int argc, char **argv)
{
	print_help("Usage: vigil top [-d|--delay SECONDS] [-n|--iterations N] [-s|--sort KEY]\n"
		   "       vigil top help\n"
		   "\n"
		   "Every workload's usage as rates, refreshed every SECONDS (default 1), read\n"
		   "from the pinned maps, so it works while vigild is down: CPU (100% is one\n"
		   "CPU), resident memory, disk reads and writes, what the workload received and\n"
		   "sent (let through, and dropped by the host's packet filter), lost frames, and\n"
		   "its isolation's drops by reason (from table inet vigil).\n"
		   "\n"
		   "  -d, --delay SECONDS   time between readings, 0.1 to 3600\n"
		   "  -n, --iterations N    stop after N refreshes (default: until q or Ctrl-C)\n"
		   "  -s, --sort KEY        cpu (default), mem, disk, net, drops or id\n"
		   "\n"
		   "On a terminal the keys c, m, d, n, x and i sort the same ways, q quits.\n"
		   "With -j it prints one JSON array: each workload's figures (as `vigil usage\n"
		   "show` has them) and its rates over one delay.\n");
	return CLI_OK;
}

static int collect(uint32_t slot, const struct vigil_slot *s, const struct vigil_workload_usage *u,
		   void *arg)
{
	struct reading *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct row *more = realloc(r->rows, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		r->rows = more;
		r->cap = cap;
	}
	memset(&r->rows[r->n], 0, sizeof(r->rows[r->n]));
	r->rows[r->n].slot = *s;
	r->rows[r->n].slot_index = slot;
	r->rows[r->n].u = *u;
	r->n++;
	return 0;
}

/* The same workload in the reading before: the same slot, made at the same time. */
static const struct row *before(const struct reading *prev, const struct row *now)
{
	for (size_t i = 0; prev && i < prev->n; i++) {
		const struct row *p = &prev->rows[i];

		if (p->slot_index == now->slot_index &&
		    p->slot.created_unix_ns == now->slot.created_unix_ns)
			return p;
	}
	return NULL;
}

static double per_s(uint64_t now, uint64_t then, double seconds)
{
	return now >= then ? (double)(now - then) / seconds : 0.0;
}

static void rates(struct row *r, const struct row *p, double seconds)
{
	r->has_rates = true;
	r->cpu_percent = per_s(r->u.cpu_ns, p->u.cpu_ns, seconds) / 1e7;
	r->disk_read_bps = per_s(r->u.disk_read_bytes, p->u.disk_read_bytes, seconds);
	r->disk_write_bps = per_s(r->u.disk_write_bytes, p->u.disk_write_bytes, seconds);
	r->rx_bps = per_s(r->u.net_rx_bytes, p->u.net_rx_bytes, seconds);
	r->tx_bps = per_s(r->u.net_tx_public_bytes + r->u.net_tx_private_bytes,
			  p->u.net_tx_public_bytes + p->u.net_tx_private_bytes, seconds);
	r->tx_dropped_bps = per_s(r->u.net_tx_dropped_bytes, p->u.net_tx_dropped_bytes, seconds);
	r->drops_per_s = per_s(r->u.net_drop_packets, p->u.net_drop_packets, seconds);
}

/* The drop counters of each workload in vigil's table; none when there is no table. */
static void add_rule_drops(struct reading *r)
{
	struct vigil_nft_listed *all = NULL;
	size_t n = 0;

	if (vigil_nft_list(&all, &n) < 0)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < n; k++) {
			if (strncmp(all[k].id, r->rows[i].slot.workload, VIGIL_ID_SIZE) == 0) {
				r->rows[i].has_rules = true;
				memcpy(r->rows[i].drops, all[k].drops, sizeof(all[k].drops));
			}
		}
	}
	free(all);
}

static int take_reading(struct vigil_meter *m, struct reading *r, const struct reading *prev)
{
	int err;

	r->n = 0;
	err = vigil_meter_read_all(m, collect, r);
	r->at = monotonic_s();
	if (err)
		return err;
	add_rule_drops(r);
	for (size_t i = 0; prev && i < r->n; i++) {
		const struct row *p = before(prev, &r->rows[i]);

		if (p && r->at > prev->at)
			rates(&r->rows[i], p, r->at - prev->at);
	}
	return 0;
}

static enum sort_key sort_by;

static double sort_value(const struct row *r)
{
	switch (sort_by) {
	case SORT_CPU:
		return r->cpu_percent;
	case SORT_MEM:
		return (double)r->u.mem_bytes;
	case SORT_DISK:
		return r->disk_read_bps + r->disk_write_bps;
	case SORT_NET:
		return r->rx_bps + r->tx_bps + r->tx_dropped_bps;
	case SORT_DROPS:
		return r->drops_per_s;
	default:
		return 0;
	}
}

/* Largest first; by id where equal, and for SORT_ID. */
static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double vx = sort_value(x), vy = sort_value(y);

	if (vx != vy)
		return vx > vy ? -1 : 1;
	return strncmp(x->slot.workload, y->slot.workload, sizeof(x->slot.workload));
}

static const char *rate(char *buf, size_t len, double bps)
{
	char tmp[32];

	snprintf(buf, len, "%s/s", fmt_bytes(tmp, sizeof(tmp), (uint64_t)(bps + 0.5)));
	return buf;
}

/* "host 12, deny 3": the reasons that dropped anything, with their packets. */
static void reasons_text(const struct row *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = 0; k < VIGIL_NFT_N_REASONS && used < len; k++) {
		int n;

		if (!r->drops[k].packets)
			continue;
		n = snprintf(buf + used, len - used, "%s%s %llu", used ? ", " : "",
			     vigil_nft_reason_name(k), (unsigned long long)r->drops[k].packets);
		used += n > 0 ? (size_t)n : 0;
	}
	if (!buf[0])
		snprintf(buf, len, "%s", r->has_rules ? "none" : "-");
}

static void print_table(const struct reading *r, double delay_s, bool redraw)
{
	char a[32], b[32], c[32], d[32], e[32], f[32], why[160], when[32];
	time_t t = time(NULL);

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	if (redraw)
		print_text("\033[H\033[2J");
	print_text("vigil top  %s  %zu workload%s, every %.1f s, sorted by %s%s\n", when, r->n,
		   r->n == 1 ? "" : "s", delay_s, sorts[sort_by].name,
		   redraw ? "  (keys: c m d n x i sort, q quits)" : "");
	print_text("%-20s %-10s %6s %10s %11s %11s %11s %11s %11s %7s  %s\n", "WORKLOAD", "STATE",
		   "CPU%", "MEMORY", "DISK READ", "DISK WRITE", "NET RX", "NET TX", "TX DROPPED",
		   "LOST/s", "DROPS BY REASON (total)");
	for (size_t i = 0; i < r->n; i++) {
		const struct row *w = &r->rows[i];
		char cpu[16], lost[16];

		if (w->has_rates) {
			snprintf(cpu, sizeof(cpu), "%.1f", w->cpu_percent);
			snprintf(lost, sizeof(lost), "%.0f", w->drops_per_s);
		} else {
			snprintf(cpu, sizeof(cpu), "-");
			snprintf(lost, sizeof(lost), "-");
		}
		reasons_text(w, why, sizeof(why));
		print_text("%-20.*s %-10s %6s %10s %11s %11s %11s %11s %11s %7s  %s\n",
			   (int)strnlen(w->slot.workload, sizeof(w->slot.workload)),
			   w->slot.workload, vigil_slot_state_name(&w->slot), cpu,
			   fmt_bytes(a, sizeof(a), w->u.mem_bytes),
			   w->has_rates ? rate(b, sizeof(b), w->disk_read_bps) : "-",
			   w->has_rates ? rate(c, sizeof(c), w->disk_write_bps) : "-",
			   w->has_rates ? rate(d, sizeof(d), w->rx_bps) : "-",
			   w->has_rates ? rate(e, sizeof(e), w->tx_bps) : "-",
			   w->has_rates ? rate(f, sizeof(f), w->tx_dropped_bps) : "-", lost, why);
	}
	if (!r->n)
		print_text("No workloads are metered.\n");
	fflush(stdout);
}

static void print_json(const struct reading *r, double delay_s)
{
	open_json_array(NULL);
	for (size_t i = 0; i < r->n; i++) {
		const struct row *w = &r->rows[i];

		open_json_object(NULL);
		print_string(PRINT_JSON, "workload", NULL, w->slot.workload);
		print_u64(PRINT_JSON, "slot", NULL, w->slot_index);
		print_string(PRINT_JSON, "state", NULL, vigil_slot_state_name(&w->slot));
		print_double(PRINT_JSON, "interval_seconds", NULL, delay_s, 3);
		if (w->has_rates) {
			print_double(PRINT_JSON, "cpu_percent", NULL, w->cpu_percent, 2);
			print_double(PRINT_JSON, "disk_read_bytes_per_second", NULL,
				     w->disk_read_bps, 0);
			print_double(PRINT_JSON, "disk_write_bytes_per_second", NULL,
				     w->disk_write_bps, 0);
			print_double(PRINT_JSON, "net_rx_bytes_per_second", NULL, w->rx_bps, 0);
			print_double(PRINT_JSON, "net_tx_bytes_per_second", NULL, w->tx_bps, 0);
			print_double(PRINT_JSON, "net_tx_dropped_bytes_per_second", NULL,
				     w->tx_dropped_bps, 0);
			print_double(PRINT_JSON, "net_drop_packets_per_second", NULL,
				     w->drops_per_s, 2);
		}
		open_json_object("usage");
		for (size_t k = 0; k < vigil_usage_n_fields; k++)
			print_u64(PRINT_JSON, vigil_usage_fields[k].name, NULL,
				  vigil_usage_field_get(&w->u, &vigil_usage_fields[k]));
		close_json_object();
		if (w->has_rules) {
			open_json_object("drops");
			for (int k = 0; k < VIGIL_NFT_N_REASONS; k++)
				print_u64(PRINT_JSON, vigil_nft_reason_name(k), NULL,
					  w->drops[k].packets);
			close_json_object();
		}
		close_json_object();
	}
	close_json_array();
}

/* Reads keys without echo while it runs on a terminal; restored by keys_end(). */
static struct termios saved_termios;
static bool keys_on;

static void keys_begin(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	raw = saved_termios;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	keys_on = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

static void keys_end(void)
{
	if (keys_on)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	keys_on = false;
}

/* Waits up to `ms` for a key; false when it is time to quit. */
static bool wait_keys(int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	double end = monotonic_s() + ms / 1000.0;

	while (!interrupted) {
		int left = (int)((end - monotonic_s()) * 1000);
		char key;

		if (left <= 0)
			return true;
		if (!keys_on) {
			poll(NULL, 0, left);
			continue;
		}
		if (poll(&p, 1, left) <= 0 || read(STDIN_FILENO, &key, 1) != 1)
			continue;
		if (key == 'q')
			return false;
		for (int i = 0; i < N_SORT; i++)
			if (key == sorts[i].key)
				sort_by = (enum sort_key)i;
		return true;
	}
	return false;
}

static int parse_sort(const char *s)
{
	for (int i = 0; i < N_SORT; i++)
		if (strcmp(s, sorts[i].name) == 0)
			return i;
	return -1;
}

static int open_meter(struct vigil_meter **ret)
{
	int err = vigil_meter_open_pinned(vigil_global.pin_dir, ret);

	if (err == -ENOENT)
		p_err(TOP_PATH ": the meter is not loaded: no pinned maps in %s (start vigild, or "
			       "pass --pin-dir)",
		      vigil_global.pin_dir);
	else if (err == -EPERM || err == -EACCES)
		p_err(TOP_PATH ": reading the pinned maps in %s needs root (CAP_BPF and "
			       "CAP_SYS_ADMIN): %s",
		      vigil_global.pin_dir, strerror(-err));
	else if (err)
		p_err(TOP_PATH ": opening the pinned maps in %s: %s", vigil_global.pin_dir,
		      strerror(-err));
	return err;
}

/*
 * Rates need two readings: the first is shown at once only on a terminal (its
 * rates as "-"); each refresh after it counts as one of `iterations`.
 */
static int run(struct vigil_meter *m, int delay_ms, long iterations)
{
	struct reading a = { 0 }, b = { 0 }, *now = &a, *prev;
	bool redraw = !json_output && isatty(STDOUT_FILENO);
	double delay_s = delay_ms / 1000.0;
	int err;

	err = take_reading(m, now, NULL);
	if (!err && redraw) {
		qsort(now->rows, now->n, sizeof(*now->rows), row_cmp);
		print_table(now, delay_s, redraw);
	}
	for (long i = 0; !err && (iterations <= 0 || i < iterations); i++) {
		if (!wait_keys(delay_ms))
			break;
		prev = now;
		now = now == &a ? &b : &a;
		err = take_reading(m, now, prev);
		if (err)
			break;
		qsort(now->rows, now->n, sizeof(*now->rows), row_cmp);
		if (json_output) {
			print_json(now, delay_s);
			break;
		}
		print_table(now, delay_s, redraw);
	}
	free(a.rows);
	free(b.rows);
	if (err)
		p_err(TOP_PATH ": reading the pinned maps in %s: %s", vigil_global.pin_dir,
		      strerror(-err));
	return err ? CLI_FAIL : CLI_OK;
}

static int do_top_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int delay_ms = DEFAULT_DELAY_MS, c, status, sort;
	long iterations = 0;
	struct vigil_meter *m;
	unsigned long v;
	char *end;

	while ((c = cmd_getopt(argc, argv, TOP_PATH, TOP_HELP, "d:n:s:h", longopts)) != -1) {
		switch (c) {
		case 'd':
			if (vigil_parse_fixed(optarg, 3, MIN_DELAY_MS, MAX_DELAY_MS, &v) < 0)
				return p_usage(TOP_HELP,
					       TOP_PATH
					       ": --delay \"%s\" is not a number of seconds "
					       "from 0.1 to 3600",
					       optarg);
			delay_ms = (int)v;
			break;
		case 'n':
			errno = 0;
			iterations = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || iterations < 1 ||
			    iterations > 1000000)
				return p_usage(TOP_HELP,
					       TOP_PATH
					       ": --iterations \"%s\" is not a whole number "
					       "from 1 to 1000000",
					       optarg);
			break;
		case 's':
			sort = parse_sort(optarg);
			if (sort < 0)
				return p_usage(TOP_HELP,
					       TOP_PATH ": --sort \"%s\": one of cpu, mem, disk, "
							"net, drops, id",
					       optarg);
			sort_by = (enum sort_key)sort;
			break;
		case 'h':
			return do_top_help(argc, argv);
		default:
			return CLI_USAGE;
		}
	}
	status = cmd_no_more_args(argc, argv, TOP_PATH, TOP_HELP);
	if (status != CLI_OK)
		return status;
	if (open_meter(&m))
		return CLI_FAIL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!json_output)
		keys_begin();
	status = run(m, delay_ms, iterations);
	keys_end();
	vigil_meter_close(m);
	return status;
}

int do_top(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "help") == 0)
		return do_top_help(argc, argv);
	return do_top_run(argc, argv);
}
