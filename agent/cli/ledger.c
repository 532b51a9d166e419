// SPDX-License-Identifier: GPL-2.0-or-later
/* vigil ledger: show and export records; verify and proof are in ledger_check.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "ledger_cli.h"
#include "objects.h"
#include "paths.h"
#include "print.h"
#include "units.h"

#define SHOW_DEFAULT_LIMIT 20

static int do_ledger_help(int argc, char **argv)
{
	print_help("Usage: vigil ledger show [--db PATH] [--limit N]\n"
		   "       vigil ledger export [--db PATH] [--after SEQ]\n"
		   "       vigil ledger verify (FILE | --db PATH) [--pubkey KEY]\n"
		   "       vigil ledger proof SEQ [--db PATH]\n"
		   "       vigil ledger proof --check FILE [--pubkey KEY]\n"
		   "       vigil ledger help\n"
		   "\n"
		   "The signed, hash-chained usage ledger (default " LEDGER_DEFAULT_DB ").\n"
		   "\n"
		   "  show     the last N records (default 20)\n"
		   "  export   records after SEQ as JSON lines (with -j: one JSON array)\n"
		   "  verify   the chain, counters that never go backwards and the signatures:\n"
		   "           every record's in an export FILE ('-': stdin); in a database\n"
		   "           every epoch's signed Merkle root, which covers its records.\n"
		   "           Exit 1 names the first bad record.\n"
		   "  proof    the inclusion proof of record SEQ in its epoch's signed Merkle\n"
		   "           root (save it with -j); --check checks one offline\n"
		   "\n"
		   "  --pubkey KEY  the host's public key (64 hex digits, or a file holding\n"
		   "                them); default: the key the ledger names\n");
	return CLI_OK;
}

void ledger_emit_json(struct json_object *o)
{
	struct json_writer *jw = print_json_writer();

	switch (json_object_get_type(o)) {
	case json_type_object:
		jw_start_object(jw);
		json_object_object_foreach(o, key, val)
		{
			jw_name(jw, key);
			ledger_emit_json(val);
		}
		jw_end_object(jw);
		break;
	case json_type_array:
		jw_start_array(jw);
		for (size_t i = 0; i < json_object_array_length(o); i++)
			ledger_emit_json(json_object_array_get_idx(o, i));
		jw_end_array(jw);
		break;
	case json_type_int:
		jw_u64(jw, json_object_get_uint64(o));
		break;
	case json_type_boolean:
		jw_bool(jw, json_object_get_boolean(o));
		break;
	case json_type_string:
		jw_string(jw, json_object_get_string(o));
		break;
	default:
		jw_null(jw);
	}
}

int ledger_open_ro(const char *db, struct vigil_ledger **ret)
{
	struct vigil_ledger_opts opts = { .db_path = db, .read_only = true };
	char err[512];
	int r = vigil_ledger_open(&opts, ret, err, sizeof(err));

	if (r)
		p_err("%s", err);
	return r;
}

static uint64_t counter(struct json_object *rec, const char *obj, const char *key)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(rec, obj, &o) || !json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_uint64(v);
}

static const char *str(struct json_object *rec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(rec, key, &v) ? json_object_get_string(v) : "";
}

static void show_text(struct json_object *rec)
{
	char cpu[32], dcpu[32], mem[32], tx[32], rx[32];
	struct json_object *flags;

	printf("%-6llu %-20s %-12s cpu %s (+%s)  mem peak %s  net tx %s rx %s",
	       (unsigned long long)json_object_get_uint64(json_object_object_get(rec, "seq")),
	       str(rec, "workload"), str(rec, "owner"),
	       fmt_ns(cpu, sizeof(cpu), counter(rec, "counters", "cpu_ns")),
	       fmt_ns(dcpu, sizeof(dcpu), counter(rec, "delta", "cpu_ns")),
	       fmt_bytes(mem, sizeof(mem), counter(rec, "gauges", "mem_peak_bytes")),
	       fmt_bytes(tx, sizeof(tx), counter(rec, "counters", "net_tx_bytes")),
	       fmt_bytes(rx, sizeof(rx), counter(rec, "counters", "net_rx_bytes")));
	if (json_object_object_get_ex(rec, "final", &flags) && json_object_get_boolean(flags))
		printf("  final");
	if (json_object_object_get_ex(rec, "flags", &flags)) {
		for (size_t i = 0; i < json_object_array_length(flags); i++)
			printf("  !%s",
			       json_object_get_string(json_object_array_get_idx(flags, i)));
	}
	printf("\n");
}

/* show: records as objects (JSON) or one line each (text); export: the lines as they are */
struct walk {
	bool raw;
	uint64_t n;
};

static int walk_one(const char *line, size_t len, void *arg)
{
	struct walk *w = arg;
	struct json_object *rec;

	w->n++;
	if (w->raw && !json_output) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	rec = json_tokener_parse(line);
	if (!rec)
		return -EBADMSG;
	if (json_output)
		ledger_emit_json(rec);
	else
		show_text(rec);
	json_object_put(rec);
	return 0;
}

static int parse_u64_arg(const char *path, const char *opt, const char *arg, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-')
		return p_usage(LEDGER_HELP, "%s: %s wants a number, not \"%s\"", path, opt, arg);
	*ret = v;
	return CLI_OK;
}

static int walk(bool raw, int argc, char **argv)
{
	const char *path = raw ? LEDGER_PATH " export" : LEDGER_PATH " show";
	static const struct option show_opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option export_opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "after", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct walk w = { .raw = raw };
	const char *db = LEDGER_DEFAULT_DB;
	uint64_t limit = raw ? 0 : SHOW_DEFAULT_LIMIT, after = 0, last;
	struct vigil_ledger *l;
	int c, err = CLI_OK;

	while (err == CLI_OK && (c = cmd_getopt(argc, argv, path, LEDGER_HELP, "",
						raw ? export_opts : show_opts)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'n')
			err = parse_u64_arg(path, "--limit", optarg, &limit);
		else if (c == 'a')
			err = parse_u64_arg(path, "--after", optarg, &after);
		else
			err = CLI_USAGE;
	}
	if (err != CLI_OK)
		return err;
	err = cmd_no_more_args(argc, argv, path, LEDGER_HELP);
	if (err != CLI_OK)
		return err;
	if (ledger_open_ro(db, &l))
		return CLI_FAIL;
	last = vigil_ledger_last_seq(l);
	if (!raw)
		after = last > limit ? last - limit : 0;
	if (!raw)
		print_text("ledger %s: %llu records, host key %s\n", db, (unsigned long long)last,
			   vigil_ledger_host_key(l));
	open_json_array(NULL);
	err = vigil_ledger_records(l, after, limit, walk_one, &w);
	close_json_array();
	if (err)
		p_err("reading %s: %s", db,
		      err == -EBADMSG ? "a record is not JSON" : vigil_ledger_error(l));
	else if (!raw && !w.n)
		print_text("No records.\n");
	vigil_ledger_close(l);
	return err ? CLI_FAIL : CLI_OK;
}

static int do_ledger_show(int argc, char **argv)
{
	return walk(false, argc, argv);
}

static int do_ledger_export(int argc, char **argv)
{
	return walk(true, argc, argv);
}

static const struct cmd ledger_cmds[] = {
	{ "show", do_ledger_show },
	{ "list", do_ledger_show },
	{ "export", do_ledger_export },
	{ "verify", do_ledger_verify },
	{ "proof", do_ledger_proof },
	{ "help", do_ledger_help },
	{ NULL, NULL },
};

int do_ledger(int argc, char **argv)
{
	return cmd_dispatch(ledger_cmds, LEDGER_PATH, "command", argc - 1, argv + 1);
}
