// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil volume: tenants' encrypted volumes, managed directly (like
 * cryptsetup), with or without vigild running. The key is read from a file
 * or stdin into locked memory and wiped when the command is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decimal.h"
#include "objects.h"
#include "paths.h"
#include "print.h"
#include "units.h"
#include "volume.h"

#define VOLUME_PATH	 "vigil volume"
#define VOLUME_HELP	 VOLUME_PATH " help"
#define MAX_BACKING_DIRS 16

static int do_volume_help(int argc, char **argv)
{
	print_help("Usage: vigil volume create ID --size-mib N --key-file FILE [--passphrase]\n"
		   "                           [--backing PATH] [--preallocate]\n"
		   "       vigil volume open ID --key-file FILE [--workqueue]\n"
		   "       vigil volume { close | show } ID\n"
		   "       vigil volume erase ID --yes\n"
		   "       vigil volume { show | list }\n"
		   "       vigil volume export ID [--output FILE]\n"
		   "       vigil volume import [ID] [--input FILE]\n"
		   "       vigil volume help\n"
		   "\n"
		   "Tenants' LUKS2 volumes (aes-xts-plain64, 512-bit key, 4096-byte sectors),\n"
		   "opened as /dev/mapper/vigil-ID. The key is the tenant's: 32 to 512 bytes from\n"
		   "FILE ('-': stdin); vigil never stores it. A high-entropy key (32 random bytes\n"
		   "or more) is wrapped with PBKDF2 at 1000 iterations; --passphrase wraps a\n"
		   "passphrase with argon2id (128 MiB, 4 passes, 2 lanes).\n"
		   "\n"
		   "  create   a volume of N MiB of data in STATE/volumes/ID.img (sparse unless\n"
		   "           --preallocate), or on --backing PATH: a block device or a new\n"
		   "           file under a --backing-dir\n"
		   "  open     checks the header is the one vigil wrote, then maps the volume\n"
		   "           (dm-crypt's work queues bypassed unless --workqueue)\n"
		   "  close    removes the mapping\n"
		   "  erase    crypto-erase: closes it, destroys its keyslots and wipes both\n"
		   "           LUKS2 headers; without them its data is noise, even with the key\n"
		   "  export   the volume (closed) as one stream: header, ciphertext and a\n"
		   "           SHA-256, to stdout or --output; no key travels with it\n"
		   "  import   recreates an exported volume (as ID, or its own id) from stdin\n"
		   "           or --input; the tenant's key opens it\n"
		   "\n"
		   "  --state-dir DIR     vigil's state (default " VIGIL_DEFAULT_STATE_DIR ")\n"
		   "  --backing-dir DIR   a directory where --backing may point (repeatable)\n");
	return CLI_OK;
}

struct volume_args {
	struct vigil_volume_store store;
	const char *backing_dirs[MAX_BACKING_DIRS + 1];
	size_t n_backing_dirs;
	const char *id;
	const char *key_file;
	const char *backing;
	const char *output, *input;
	unsigned long size_mib;
	bool has_size, passphrase, preallocate, workqueue, yes;
};

enum {
	OPT_STATE_DIR = 0x100,
	OPT_BACKING_DIR,
	OPT_KEY_FILE,
	OPT_SIZE_MIB,
	OPT_PASSPHRASE,
	OPT_BACKING,
	OPT_PREALLOCATE,
	OPT_WORKQUEUE,
	OPT_YES,
	OPT_OUTPUT,
	OPT_INPUT,
};

/* Which options each command takes, beyond --state-dir and --backing-dir. */
struct volume_cmd {
	const char *path;
	const struct option *opts;
	bool id_required, id_allowed;
};

#define COMMON_OPTS                                                     \
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },        \
	{                                                               \
		"backing-dir", required_argument, NULL, OPT_BACKING_DIR \
	}

static const struct option create_opts[] = {
	COMMON_OPTS,
	{ "size-mib", required_argument, NULL, OPT_SIZE_MIB },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "passphrase", no_argument, NULL, OPT_PASSPHRASE },
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "preallocate", no_argument, NULL, OPT_PREALLOCATE },
	{ NULL, 0, NULL, 0 },
};
static const struct option open_opts[] = {
	COMMON_OPTS,
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "workqueue", no_argument, NULL, OPT_WORKQUEUE },
	{ NULL, 0, NULL, 0 },
};
static const struct option plain_opts[] = { COMMON_OPTS, { NULL, 0, NULL, 0 } };
static const struct option erase_opts[] = {
	COMMON_OPTS,
	{ "yes", no_argument, NULL, OPT_YES },
	{ NULL, 0, NULL, 0 },
};
static const struct option export_opts[] = {
	COMMON_OPTS,
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ NULL, 0, NULL, 0 },
};
static const struct option import_opts[] = {
	COMMON_OPTS,
	{ "input", required_argument, NULL, OPT_INPUT },
	{ NULL, 0, NULL, 0 },
};

static int take_option(int c, struct volume_args *a, const char *path)
{
	switch (c) {
	case OPT_STATE_DIR:
		a->store.state_dir = optarg;
		return CLI_OK;
	case OPT_BACKING_DIR:
		if (a->n_backing_dirs == MAX_BACKING_DIRS)
			return p_usage(VOLUME_HELP, "%s: at most %d --backing-dir", path,
				       MAX_BACKING_DIRS);
		a->backing_dirs[a->n_backing_dirs++] = optarg;
		return CLI_OK;
	case OPT_SIZE_MIB:
		if (vigil_parse_decimal(optarg, VIGIL_VOLUME_SIZE_MIB_MIN,
					VIGIL_VOLUME_SIZE_MIB_MAX, &a->size_mib) < 0)
			return p_usage(VOLUME_HELP, "%s: --size-mib must be between %d and %d",
				       path, VIGIL_VOLUME_SIZE_MIB_MIN, VIGIL_VOLUME_SIZE_MIB_MAX);
		a->has_size = true;
		return CLI_OK;
	case OPT_KEY_FILE:
		a->key_file = optarg;
		return CLI_OK;
	case OPT_PASSPHRASE:
		a->passphrase = true;
		return CLI_OK;
	case OPT_BACKING:
		a->backing = optarg;
		return CLI_OK;
	case OPT_PREALLOCATE:
		a->preallocate = true;
		return CLI_OK;
	case OPT_WORKQUEUE:
		a->workqueue = true;
		return CLI_OK;
	case OPT_YES:
		a->yes = true;
		return CLI_OK;
	case OPT_OUTPUT:
		a->output = optarg;
		return CLI_OK;
	case OPT_INPUT:
		a->input = optarg;
		return CLI_OK;
	}
	return CLI_USAGE;
}

static int parse_args(int argc, char **argv, const struct volume_cmd *cmd, struct volume_args *a)
{
	int c, err = CLI_OK;

	memset(a, 0, sizeof(*a));
	a->store.state_dir = VIGIL_DEFAULT_STATE_DIR;
	a->store.backing_dirs = a->backing_dirs;
	/* options before and after the ID, as admins write them */
	for (int pass = 0; pass < 2 && err == CLI_OK; pass++) {
		while (err == CLI_OK &&
		       (c = cmd_getopt(argc, argv, cmd->path, VOLUME_HELP, "", cmd->opts)) != -1)
			err = c == CMD_OPT_ERROR ? CLI_USAGE : take_option(c, a, cmd->path);
		if (err == CLI_OK && pass == 0 && optind < argc && cmd->id_allowed)
			a->id = argv[optind++];
	}
	if (err != CLI_OK)
		return err;
	if (cmd->id_required && !a->id)
		return p_usage(VOLUME_HELP, "%s: which volume? (an ID)", cmd->path);
	err = cmd_no_more_args(argc, argv, cmd->path, VOLUME_HELP);
	if (err != CLI_OK)
		return err;
	return cmd_require_root(cmd->path, "volumes live in vigil's state directory, and opening "
					   "one maps a device (CAP_SYS_ADMIN)");
}

static int read_key(const struct volume_args *a, const char *path, struct vigil_volume_key **ret)
{
	const char *from = strcmp(a->key_file, "-") == 0 ? "stdin" : a->key_file;
	int r = vigil_volume_key_read_file(a->key_file, ret);

	switch (r) {
	case 0:
		(*ret)->passphrase = a->passphrase;
		return CLI_OK;
	case -ENODATA:
		p_err("%s: the key from %s is empty", path, from);
		break;
	case -EINVAL:
		p_err("%s: the key from %s is shorter than %d bytes", path, from,
		      VIGIL_VOLUME_KEY_MIN);
		break;
	case -EMSGSIZE:
		p_err("%s: the key from %s is longer than %d bytes", path, from,
		      VIGIL_VOLUME_KEY_MAX);
		break;
	case -ENOMEM:
		p_err("%s: no locked memory for the key (RLIMIT_MEMLOCK)", path);
		break;
	default:
		p_err("%s: cannot read the key from %s: %s", path, from, strerror(-r));
	}
	return CLI_FAIL;
}

static int need_key_file(const struct volume_args *a, const char *path)
{
	if (!a->key_file)
		return p_usage(VOLUME_HELP,
			       "%s: the tenant's key is needed: --key-file FILE ('-': "
			       "stdin)",
			       path);
	return CLI_OK;
}

static int lib_result(int r, const char *err)
{
	if (r < 0) {
		p_err("%s", err);
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int do_volume_create(int argc, char **argv)
{
	static const struct volume_cmd cmd = { VOLUME_PATH " create", create_opts, true, true };
	struct vigil_volume_key *key = NULL;
	struct vigil_volume_create_opts opts;
	struct volume_args a;
	char err[512];
	int r;

	r = parse_args(argc, argv, &cmd, &a);
	if (r != CLI_OK)
		return r;
	if (!a.has_size)
		return p_usage(VOLUME_HELP, "%s: how large? --size-mib N", cmd.path);
	r = need_key_file(&a, cmd.path);
	if (r == CLI_OK)
		r = read_key(&a, cmd.path, &key);
	if (r != CLI_OK)
		return r;
	opts = (struct vigil_volume_create_opts){ .id = a.id,
						  .size_mib = a.size_mib,
						  .backing = a.backing,
						  .preallocate = a.preallocate };
	r = vigil_volume_create(&a.store, &opts, key, err, sizeof(err));
	vigil_volume_key_free(key);
	if (r == 0)
		print_text("volume %s: created, %lu MiB\n", a.id, a.size_mib);
	return lib_result(r, err);
}

static int do_volume_open(int argc, char **argv)
{
	static const struct volume_cmd cmd = { VOLUME_PATH " open", open_opts, true, true };
	struct vigil_volume_key *key = NULL;
	char err[512], mapper[VIGIL_VOLUME_MAPPER_SIZE];
	struct volume_args a;
	int r;

	r = parse_args(argc, argv, &cmd, &a);
	if (r == CLI_OK)
		r = need_key_file(&a, cmd.path);
	if (r == CLI_OK)
		r = read_key(&a, cmd.path, &key);
	if (r != CLI_OK)
		return r;
	r = vigil_volume_open(&a.store, a.id, key, a.workqueue ? 0 : VIGIL_VOLUME_OPEN_NO_WORKQUEUE,
			      err, sizeof(err));
	vigil_volume_key_free(key);
	vigil_volume_mapper_path(a.id, mapper, sizeof(mapper));
	if (r == 0)
		print_text("volume %s: open as %s\n", a.id, mapper);
	return lib_result(r, err);
}

static int do_volume_close(int argc, char **argv)
{
	static const struct volume_cmd cmd = { VOLUME_PATH " close", plain_opts, true, true };
	struct volume_args a;
	char err[512];
	int r;

	r = parse_args(argc, argv, &cmd, &a);
	if (r != CLI_OK)
		return r;
	r = vigil_volume_close(&a.store, a.id, err, sizeof(err));
	if (r == 0)
		print_text("volume %s: closed\n", a.id);
	return lib_result(r, err);
}

static int do_volume_erase(int argc, char **argv)
{
	static const struct volume_cmd cmd = { VOLUME_PATH " erase", erase_opts, true, true };
	struct volume_args a;
	char err[512];
	int r;

	r = parse_args(argc, argv, &cmd, &a);
	if (r != CLI_OK)
		return r;
	if (!a.yes)
		return p_usage(VOLUME_HELP,
			       "%s: erasing destroys volume \"%s\"'s keys for good: add --yes",
			       cmd.path, a.id);
	r = vigil_volume_erase(&a.store, a.id, err, sizeof(err));
	if (r == 0)
		print_text("volume %s: erased (keyslots destroyed, headers wiped)\n", a.id);
	return lib_result(r, err);
}

static void show_one(const struct vigil_volume_info *v)
{
	char size[32], dev[24], created[40];
	time_t secs = (time_t)(v->created_unix_ns / 1000000000ull);
	struct tm tm;

	snprintf(dev, sizeof(dev), "%u:%u", v->dev_major, v->dev_minor);
	if (gmtime_r(&secs, &tm))
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(created, sizeof(created), "?");
	open_json_object(NULL);
	print_string(PRINT_ANY, "id", "volume %s\n", v->id);
	print_string(PRINT_ANY, "state", "\tstate: %s", v->open ? "open" : "closed");
	if (v->open)
		print_string(PRINT_TEXT, NULL, " as %s", v->mapper);
	print_text("\n");
	print_string(PRINT_JSON, "device", NULL, v->mapper);
	if (v->open)
		print_string(PRINT_JSON, "dev", NULL, dev);
	print_u64(PRINT_JSON, "size_bytes", NULL, v->size_bytes);
	print_string(PRINT_TEXT, NULL, "\tsize: %s", fmt_bytes(size, sizeof(size), v->size_bytes));
	print_u64(PRINT_ANY, "backing_bytes", " (%" PRIu64 " bytes with its header)\n",
		  v->backing_bytes);
	print_string(PRINT_ANY, "backing", "\tbacking: %s", v->backing);
	print_bool(PRINT_ANY, "backing_is_device", " (%s)\n", v->backing_is_device, "block device",
		   "file");
	print_string(PRINT_ANY, "kdf", "\tkdf: %s\n", vigil_volume_kdf_name(v->kdf));
	print_u64(PRINT_JSON, "created_unix_ns", NULL, v->created_unix_ns);
	print_string(PRINT_TEXT, NULL, "\tcreated: %s\n", created);
	print_bool(PRINT_ANY, "header_ok", "\theader: %s", v->header_ok, "as vigil wrote it",
		   "REFUSED");
	if (!v->header_ok)
		print_string(PRINT_ANY, "header_problem", " (%s)", v->header_problem);
	print_text("\n");
	close_json_object();
}

static int show(int argc, char **argv, const char *path)
{
	const struct volume_cmd cmd = { path, plain_opts, false,
					strcmp(path, VOLUME_PATH " show") == 0 };
	struct vigil_volume_info one, *all = NULL;
	struct volume_args a;
	size_t n = 0;
	char err[512];
	int r;

	r = parse_args(argc, argv, &cmd, &a);
	if (r != CLI_OK)
		return r;
	if (a.id) {
		r = vigil_volume_info(&a.store, a.id, &one, err, sizeof(err));
		if (r == 0)
			show_one(&one);
		return lib_result(r, err);
	}
	r = vigil_volume_list(&a.store, &all, &n, err, sizeof(err));
	if (r < 0)
		return lib_result(r, err);
	open_json_array(NULL);
	for (size_t i = 0; i < n; i++)
		show_one(&all[i]);
	close_json_array();
	if (!n)
		print_text("No volumes.\n");
	free(all);
	return CLI_OK;
}

static int do_volume_show(int argc, char **argv)
{
	return show(argc, argv, VOLUME_PATH " show");
}

static int do_volume_list(int argc, char **argv)
{
	return show(argc, argv, VOLUME_PATH " list");
}

/* A bar on stderr when it is a terminal: "export  [#####     ]  45%  120 MiB of 266 MiB" */
struct progress {
	const char *what;
	bool tty;
	int last_percent;
};

static void progress_draw(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;
	char d[32], t[32], bar[31];
	int percent = total ? (int)(done * 100 / total) : 100;

	if (!p->tty || percent == p->last_percent)
		return;
	p->last_percent = percent;
	for (int i = 0; i < 30; i++)
		bar[i] = i < percent * 30 / 100 ? '#' : ' ';
	bar[30] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%%  %s of %s", p->what, bar, percent,
		fmt_bytes(d, sizeof(d), done), fmt_bytes(t, sizeof(t), total));
	if (done == total)
		fputc('\n', stderr);
}

/* A new file (`made`), or a device or pipe that exists; never over an existing file. */
static int open_output(const char *path, bool *made)
{
	struct stat sb;

	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		return open(path, O_WRONLY | O_CLOEXEC);
	*made = true;
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

static int do_volume_export(int argc, char **argv)
{
	static const struct volume_cmd cmd = { VOLUME_PATH " export", export_opts, true, true };
	struct progress bar = { "export", isatty(STDERR_FILENO), -1 };
	char err[512], sum[VIGIL_VOLUME_SHA256_HEX];
	struct volume_args a;
	int fd = STDOUT_FILENO, r;
	bool made = false;

	r = parse_args(argc, argv, &cmd, &a);
	if (r != CLI_OK)
		return r;
	if (json_output && !a.output)
		return p_usage(VOLUME_HELP,
			       "%s: with -j, stdout is the JSON result: give "
			       "--output FILE",
			       cmd.path);
	if (a.output && strcmp(a.output, "-")) {
		fd = open_output(a.output, &made);
		if (fd < 0) {
			p_err("%s: %s: %s", cmd.path, a.output, strerror(errno));
			return CLI_FAIL;
		}
	} else if (isatty(STDOUT_FILENO)) {
		return p_usage(VOLUME_HELP,
			       "%s: stdout is a terminal: redirect it or give "
			       "--output FILE",
			       cmd.path);
	}
	r = vigil_volume_export(&a.store, a.id, fd, progress_draw, &bar, sum, err, sizeof(err));
	if (made && r == 0 && fsync(fd) < 0)
		r = -errno, snprintf(err, sizeof(err), "%s: %s", a.output, strerror(errno));
	if (fd != STDOUT_FILENO)
		close(fd);
	if (made && r < 0)
		unlink(a.output);
	if (r < 0)
		return lib_result(r, err);
	p_info("volume %s: exported, sha256 %s", a.id, sum);
	open_json_object(NULL);
	print_string(PRINT_JSON, "id", NULL, a.id);
	print_string(PRINT_JSON, "sha256", NULL, sum);
	close_json_object();
	return CLI_OK;
}

static int do_volume_import(int argc, char **argv)
{
	static const struct volume_cmd cmd = { VOLUME_PATH " import", import_opts, false, true };
	struct progress bar = { "import", isatty(STDERR_FILENO), -1 };
	char err[512], sum[VIGIL_VOLUME_SHA256_HEX];
	struct volume_args a;
	int fd = STDIN_FILENO, r;

	r = parse_args(argc, argv, &cmd, &a);
	if (r != CLI_OK)
		return r;
	if (a.input && strcmp(a.input, "-")) {
		fd = open(a.input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			p_err("%s: %s: %s", cmd.path, a.input, strerror(errno));
			return CLI_FAIL;
		}
	}
	r = vigil_volume_import(&a.store, a.id, fd, progress_draw, &bar, sum, err, sizeof(err));
	if (fd != STDIN_FILENO)
		close(fd);
	if (r < 0)
		return lib_result(r, err);
	p_info("volume imported, sha256 %s", sum);
	open_json_object(NULL);
	print_string(PRINT_JSON, "sha256", NULL, sum);
	close_json_object();
	return CLI_OK;
}

static const struct cmd volume_cmds[] = {
	{ "create", do_volume_create }, { "open", do_volume_open },
	{ "close", do_volume_close },	{ "erase", do_volume_erase },
	{ "show", do_volume_show },	{ "list", do_volume_list },
	{ "export", do_volume_export }, { "import", do_volume_import },
	{ "help", do_volume_help },	{ NULL, NULL },
};

int do_volume(int argc, char **argv)
{
	return cmd_dispatch(volume_cmds, VOLUME_PATH, "command", argc - 1, argv + 1);
}
