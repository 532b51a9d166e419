// SPDX-License-Identifier: GPL-2.0-or-later
/* vigil ledger verify and vigil ledger proof. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_cli.h"
#include "objects.h"
#include "print.h"

#define VERIFY_PATH LEDGER_PATH " verify"
#define PROOF_PATH  LEDGER_PATH " proof"

static char *read_text(const char *path, int *ret_err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (!f) {
		*ret_err = -errno;
		return NULL;
	}
	mem = open_memstream(&text, &len);
	if (mem) {
		char buf[65536];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, mem);
		fclose(mem);
	}
	*ret_err = ferror(f) ? -EIO : mem ? 0 : -ENOMEM;
	if (f != stdin)
		fclose(f);
	if (*ret_err) {
		free(text);
		return NULL;
	}
	return text;
}

int ledger_parse_pubkey(const char *arg, uint8_t key[VIGIL_LEDGER_KEY_BYTES])
{
	char *text = NULL;
	int err;

	if (!vigil_ledger_parse_key(arg, key))
		return CLI_OK;
	text = read_text(arg, &err);
	if (text)
		text[strcspn(text, " \t\r\n")] = '\0';
	if (!text || vigil_ledger_parse_key(text, key)) {
		p_err("--pubkey %s: not 64 hex digits, nor a readable file holding them", arg);
		free(text);
		return CLI_USAGE;
	}
	free(text);
	return CLI_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int verify_file(const char *path, const uint8_t *key, struct vigil_ledger_check *c)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	int err;

	if (!f) {
		err = -errno;
		memset(c, 0, sizeof(*c));
		snprintf(c->reason, sizeof(c->reason), "%s", strerror(-err));
		return err;
	}
	err = vigil_ledger_verify_lines(f, key, c);
	if (f != stdin)
		fclose(f);
	return err;
}

int do_ledger_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "pubkey", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *file = NULL, *source;
	uint8_t key[VIGIL_LEDGER_KEY_BYTES];
	struct vigil_ledger_check c;
	bool have_key = false;
	double t0, secs;
	int opt, err;

	for (;;) {
		opt = cmd_getopt(argc, argv, VERIFY_PATH, LEDGER_HELP, "", longopts);
		if (opt == -1 && optind < argc && !file) {
			file = argv[optind++];
			continue;
		}
		if (opt == -1)
			break;
		if (opt == 'd') {
			db = optarg;
		} else if (opt == 'k') {
			err = ledger_parse_pubkey(optarg, key);
			if (err)
				return err;
			have_key = true;
		} else {
			return CLI_USAGE;
		}
	}
	err = cmd_no_more_args(argc, argv, VERIFY_PATH, LEDGER_HELP);
	if (err != CLI_OK)
		return err;
	if (!!db == !!file)
		return p_usage(LEDGER_HELP, "%s: give either FILE or --db PATH", VERIFY_PATH);
	source = db ? db : file;
	t0 = now_s();
	err = db ? vigil_ledger_verify_db(db, have_key ? key : NULL, &c)
		 : verify_file(file, have_key ? key : NULL, &c);
	secs = now_s() - t0;
	if (err == -EBADMSG) {
		p_err("%s does not verify: %s", source, c.reason);
		return CLI_FAIL;
	}
	if (err) {
		p_err("verifying %s: %s", source, c.reason);
		return CLI_FAIL;
	}
	open_json_object(NULL);
	print_bool(PRINT_JSON, "valid", NULL, true, NULL, NULL);
	print_string(PRINT_ANY, "source", "%s: valid: ", source);
	print_u64(PRINT_ANY, "records", "%llu records", c.records);
	print_u64(PRINT_ANY, "first_seq", " (seq %llu", c.first_seq);
	print_u64(PRINT_ANY, "last_seq", "..%llu)", c.last_seq);
	if (db)
		print_u64(PRINT_ANY, "epochs", ", %llu Merkle roots", c.epochs);
	print_string(PRINT_ANY, "host_key", ", host key %s\n", c.host_key);
	print_bool(PRINT_ANY, "pubkey_given", "  %s", have_key,
		   "signatures checked with the key given\n",
		   "signatures checked with the key the ledger names (pin it with --pubkey)\n");
	print_double(PRINT_ANY, "seconds", "  %.3f s", secs, 6);
	print_double(PRINT_ANY, "records_per_second", ", %.0f records/s\n",
		     secs > 0 ? (double)c.records / secs : 0, 0);
	close_json_object();
	return CLI_OK;
}

static void print_proof(const struct vigil_ledger_proof *p)
{
	char hex[2 * VIGIL_LEDGER_HASH_BYTES + 1];

	if (json_output) {
		vigil_ledger_proof_to_json(p, print_json_writer());
		return;
	}
	printf("record %llu is leaf %llu of %llu in epoch %llu (records %llu..%llu)\n",
	       (unsigned long long)p->seq, (unsigned long long)p->leaf_index,
	       (unsigned long long)p->tree_size, (unsigned long long)p->epoch.epoch,
	       (unsigned long long)p->epoch.first_seq, (unsigned long long)p->epoch.last_seq);
	printf("  %s\n", p->record);
	for (size_t i = 0; i < p->path_len; i++) {
		for (int b = 0; b < VIGIL_LEDGER_HASH_BYTES; b++)
			sprintf(hex + 2 * b, "%02x", p->path[i][b]);
		printf("  path[%zu] %s\n", i, hex);
	}
	for (int b = 0; b < VIGIL_LEDGER_HASH_BYTES; b++)
		sprintf(hex + 2 * b, "%02x", p->epoch.root[b]);
	printf("  root    %s (signed)\n", hex);
	printf("Save it for a tenant with 'vigil -j ledger proof %llu > FILE'; "
	       "'vigil ledger proof --check FILE' checks it.\n",
	       (unsigned long long)p->seq);
}

static int check_proof(const char *file, const uint8_t *key)
{
	struct vigil_ledger_proof *p;
	char err[VIGIL_LEDGER_REASON_MAX];
	char *text;
	int r;

	text = read_text(file, &r);
	if (!text) {
		p_err("reading proof %s: %s", file, strerror(-r));
		return CLI_FAIL;
	}
	r = vigil_ledger_proof_parse(text, &p, err, sizeof(err));
	free(text);
	if (r) {
		p_err("proof %s: %s", file, err);
		return CLI_FAIL;
	}
	r = vigil_ledger_proof_check(p, key, err, sizeof(err));
	if (r) {
		p_err("proof %s does not hold: record %llu: %s", file, (unsigned long long)p->seq,
		      err);
	} else {
		open_json_object(NULL);
		print_bool(PRINT_JSON, "valid", NULL, true, NULL, NULL);
		print_string(PRINT_ANY, "proof", "%s: valid: ", file);
		print_u64(PRINT_ANY, "seq", "record %llu", p->seq);
		print_u64(PRINT_ANY, "epoch", " is in epoch %llu", p->epoch.epoch);
		print_text(", whose Merkle root is signed by %s\n",
			   key ? "the key given" : "the host key the proof names");
		close_json_object();
	}
	vigil_ledger_proof_free(p);
	return r ? CLI_FAIL : CLI_OK;
}

int do_ledger_proof(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "check", required_argument, NULL, 'c' },
		{ "pubkey", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = LEDGER_DEFAULT_DB, *check = NULL, *seq_arg = NULL;
	uint8_t key[VIGIL_LEDGER_KEY_BYTES];
	struct vigil_ledger_proof *p;
	struct vigil_ledger *l;
	bool have_key = false;
	unsigned long long seq;
	char *end;
	int opt, err;

	for (;;) {
		opt = cmd_getopt(argc, argv, PROOF_PATH, LEDGER_HELP, "", longopts);
		if (opt == -1 && optind < argc && !seq_arg) {
			seq_arg = argv[optind++];
			continue;
		}
		if (opt == -1)
			break;
		if (opt == 'd') {
			db = optarg;
		} else if (opt == 'c') {
			check = optarg;
		} else if (opt == 'k') {
			err = ledger_parse_pubkey(optarg, key);
			if (err)
				return err;
			have_key = true;
		} else {
			return CLI_USAGE;
		}
	}
	err = cmd_no_more_args(argc, argv, PROOF_PATH, LEDGER_HELP);
	if (err != CLI_OK)
		return err;
	if (check && !seq_arg)
		return check_proof(check, have_key ? key : NULL);
	if (check || !seq_arg)
		return p_usage(LEDGER_HELP, "%s: give either SEQ or --check FILE", PROOF_PATH);
	errno = 0;
	seq = strtoull(seq_arg, &end, 10);
	if (errno || *end || end == seq_arg || seq_arg[0] == '-' || !seq)
		return p_usage(LEDGER_HELP, "%s: SEQ must be a record number, not \"%s\"",
			       PROOF_PATH, seq_arg);
	if (ledger_open_ro(db, &l))
		return CLI_FAIL;
	err = vigil_ledger_proof(l, seq, &p);
	if (err) {
		p_err("%s", vigil_ledger_error(l));
	} else {
		print_proof(p);
		vigil_ledger_proof_free(p);
	}
	vigil_ledger_close(l);
	return err ? CLI_FAIL : CLI_OK;
}
