// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Volumes on this host, without device-mapper: the LUKS2 header vigil
 * writes and refuses to accept any other, its keyslot and PBKDF, every bad
 * input leaving nothing changed, crypto-erase on a block device, the export
 * stream, the key never on disk nor left in a process's memory, and the
 * open that names device-mapper where the kernel lacks it. dm-crypt itself
 * is check_volume_dm's, in the guest lane.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <linux/loop.h>
#include <signal.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luks.h"
#include "volume_store.h"
#include "testutil.h"
#include "volume.h"

#define KEY_LEN 64
#define MIB	(1u << 20)

static char state[64], other[64], key_path[96];
static unsigned char key_bytes[KEY_LEN];
static struct vigil_volume_key *key, *other_key;
static struct vigil_volume_store store, other_store;
static char loop_dev[32];

/* memmem, fast under ASan too (its interceptor is quadratic on a backing's megabytes) */
static bool contains(const void *hay, size_t n, const void *needle, size_t len)
{
	const unsigned char *p = hay, *end = p + n, *first = needle;

	while (n >= len && (p = memchr(p, first[0], (size_t)(end - p - (ptrdiff_t)len + 1)))) {
		if (memcmp(p, needle, len) == 0)
			return true;
		p++;
		if ((size_t)(end - p) < len)
			break;
	}
	return false;
}

static void random_bytes(void *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void setup(void)
{
	unsigned char other_bytes[KEY_LEN];
	int fd;

	snprintf(state, sizeof(state), "/tmp/vigil-vol-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state));
	snprintf(other, sizeof(other), "/tmp/vigil-vol2-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(other));
	random_bytes(key_bytes, sizeof(key_bytes));
	random_bytes(other_bytes, sizeof(other_bytes));
	ck_assert_int_eq(vigil_volume_key_from(key_bytes, KEY_LEN, &key), 0);
	ck_assert_int_eq(vigil_volume_key_from(other_bytes, KEY_LEN, &other_key), 0);
	/* the key file lives outside the state dirs, as the tenant's would */
	snprintf(key_path, sizeof(key_path), "%s.key", state);
	fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, key_bytes, KEY_LEN), KEY_LEN);
	close(fd);
	store = (struct vigil_volume_store){ .state_dir = state };
	other_store = (struct vigil_volume_store){ .state_dir = other };
	loop_dev[0] = '\0';
}

static void teardown(void)
{
	char cmd[256];

	if (loop_dev[0]) {
		int fd = open(loop_dev, O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", state, other, key_path);
	ck_assert_int_eq(system(cmd), 0);
	vigil_volume_key_free(key);
	vigil_volume_key_free(other_key);
}

static void create(const char *id, uint64_t mib)
{
	struct vigil_volume_create_opts o = { .id = id, .size_mib = mib };
	char err[512];

	ck_assert_msg(vigil_volume_create(&store, &o, key, err, sizeof(err)) == 0, "%s", err);
}

static void backing_of(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/volumes/%s.img", state, id);
}

/* The files under `dir`, one name per line, sorted: a listing to compare before and after. */
static char *listing(const char *dir)
{
	struct dirent **names;
	char *out = calloc(1, 4096);
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		strncat(out, names[i]->d_name, 4096 - strlen(out) - 2);
		strcat(out, "\n");
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return out;
}

START_TEST(test_header_is_vigils)
{
	struct crypt_pbkdf_type pbkdf;
	struct vigil_volume_info info;
	struct crypt_device *cd;
	char path[128], err[512];

	create("v1", 8);
	backing_of("v1", path, sizeof(path));
	ck_assert_int_eq(crypt_init(&cd, path), 0);
	ck_assert_int_eq(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	ck_assert_str_eq(crypt_get_cipher(cd), "aes");
	ck_assert_str_eq(crypt_get_cipher_mode(cd), "xts-plain64");
	ck_assert_int_eq(crypt_get_volume_key_size(cd), 64);
	ck_assert_int_eq(crypt_get_sector_size(cd), 4096);
	ck_assert_int_eq(crypt_get_data_offset(cd) * 512, VIGIL_VOLUME_HEADER_BYTES);
	ck_assert_str_eq(crypt_get_label(cd), "v1");
	ck_assert_str_eq(crypt_get_subsystem(cd), "vigil");
	ck_assert_int_eq(crypt_keyslot_status(cd, 0), CRYPT_SLOT_ACTIVE_LAST);
	ck_assert_int_eq(crypt_keyslot_get_pbkdf(cd, 0, &pbkdf), 0);
	ck_assert_str_eq(pbkdf.type, CRYPT_KDF_PBKDF2);
	ck_assert_str_eq(pbkdf.hash, "sha256");
	ck_assert_int_eq(pbkdf.iterations, 1000);
	for (int t = 0; t < crypt_token_max(CRYPT_LUKS2); t++)
		ck_assert_int_eq(crypt_token_status(cd, t, NULL), CRYPT_TOKEN_INACTIVE);
	crypt_free(cd);

	ck_assert_int_eq(vigil_volume_info(&store, "v1", &info, err, sizeof(err)), 0);
	ck_assert(info.header_ok);
	ck_assert(!info.open);
	ck_assert_int_eq(info.size_bytes, 8 * MIB);
	ck_assert_str_eq(info.mapper, "/dev/mapper/vigil-v1");
	ck_assert_int_eq(info.kdf, VIGIL_VOLUME_KDF_PBKDF2);
	ck_assert_int_eq(vigil_volume_check_key(&store, "v1", key, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_check_key(&store, "v1", other_key, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err, "volume \"v1\": the key does not open it");
}
END_TEST

START_TEST(test_passphrase_uses_argon2id)
{
	struct crypt_pbkdf_type pbkdf;
	struct crypt_device *cd;
	char path[128], err[512];

	key->passphrase = true;
	create("p1", 8);
	backing_of("p1", path, sizeof(path));
	ck_assert_int_eq(crypt_init(&cd, path), 0);
	ck_assert_int_eq(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	ck_assert_int_eq(crypt_keyslot_get_pbkdf(cd, 0, &pbkdf), 0);
	ck_assert_str_eq(pbkdf.type, CRYPT_KDF_ARGON2ID);
	ck_assert_int_eq(pbkdf.max_memory_kb, VIGIL_LUKS_ARGON2_MEMORY_KIB);
	ck_assert_int_eq(pbkdf.iterations, VIGIL_LUKS_ARGON2_TIME);
	ck_assert_int_eq(pbkdf.parallel_threads, VIGIL_LUKS_ARGON2_THREADS);
	crypt_free(cd);
	ck_assert_int_eq(vigil_volume_check_key(&store, "p1", key, err, sizeof(err)), 0);
}
END_TEST

/* The backing's header changed by `how`; the check and `volume show` must refuse it, naming `why`. */
enum tamper { EXTRA_KEYSLOT, TOKEN, OTHER_CIPHER, SECTOR_512, OTHER_SUBSYSTEM, ZEROS };

/*
 * The attack on LUKS2 headers: the data segment's cipher changed in the
 * JSON metadata and both headers' checksums recomputed, as anyone who can
 * write the disk can. Here to a same-length mode, CBC, which a tenant's
 * data would then be written under.
 */
static void rewrite_segment_cipher(const char *path)
{
	const size_t csum_off = 448, hdr_size_off = 8;
	size_t hdr_size = 0;
	char *disk = malloc(32768);
	FILE *f = fopen(path, "r+e");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fread(disk, 1, 32768, f), 32768);
	for (int i = 0; i < 8; i++)
		hdr_size = hdr_size << 8 | (unsigned char)disk[hdr_size_off + i];
	ck_assert_uint_eq(hdr_size, 16384);
	for (size_t hdr = 0; hdr < 2 * hdr_size; hdr += hdr_size) {
		char *seg = memmem(disk + hdr, hdr_size, "\"segments\"", 10), *enc;

		/* memmem: 16 KiB of JSON */

		ck_assert_ptr_nonnull(seg);
		enc = memmem(seg, hdr_size - (size_t)(seg - disk - hdr), "aes-xts-plain64", 15);
		ck_assert_ptr_nonnull(enc);
		memcpy(enc, "aes-cbc-plain64", 15);
		memset(disk + hdr + csum_off, 0, 64);
		crypto_hash_sha256((unsigned char *)disk + hdr + csum_off,
				   (unsigned char *)disk + hdr, hdr_size);
	}
	rewind(f);
	ck_assert_int_eq(fwrite(disk, 1, 2 * hdr_size, f), 2 * hdr_size);
	fclose(f);
	free(disk);
}

static void tamper(const char *path, enum tamper how)
{
	struct crypt_params_luks2 params = { .sector_size = 4096,
					     .label = "t1",
					     .subsystem = "vigil" };
	struct crypt_pbkdf_type fast = { .type = CRYPT_KDF_PBKDF2,
					 .hash = "sha256",
					 .iterations = 1000,
					 .flags = CRYPT_PBKDF_NO_BENCHMARK };
	struct crypt_device *cd;

	ck_assert_int_eq(crypt_init(&cd, path), 0);
	if (how == EXTRA_KEYSLOT || how == TOKEN || how == OTHER_SUBSYSTEM) {
		ck_assert_int_eq(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
		ck_assert_int_eq(crypt_set_pbkdf_type(cd, &fast), 0);
		if (how == EXTRA_KEYSLOT)
			ck_assert_int_eq(crypt_keyslot_add_by_passphrase(cd, 1, (char *)key_bytes,
									 KEY_LEN, "attacker", 8),
					 1);
		else if (how == TOKEN)
			ck_assert_int_eq(crypt_token_json_set(cd, 0,
							      "{\"type\":\"x-attacker\","
							      "\"keyslots\":[]}"),
					 0);
		else
			ck_assert_int_eq(crypt_set_label(cd, "t1", "someone"), 0);
		crypt_free(cd);
		return;
	}
	if (how == ZEROS) {
		crypt_free(cd);
		ck_assert_int_eq(truncate(path, 0), 0);
		ck_assert_int_eq(truncate(path, 24 * MIB), 0);
		return;
	}
	if (how == OTHER_CIPHER) {
		crypt_free(cd);
		rewrite_segment_cipher(path);
		return;
	}
	params.pbkdf = &fast;
	params.sector_size = 512;
	ck_assert_int_eq(
		crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL, 64, &params), 0);
	ck_assert_int_eq(
		crypt_keyslot_add_by_volume_key(cd, 0, NULL, 0, (char *)key_bytes, KEY_LEN), 0);
	crypt_free(cd);
}

static const struct {
	enum tamper how;
	const char *why;
} tampered[] = {
	{ EXTRA_KEYSLOT, "it has 2 keyslots (vigil writes one, \"0\")" },
	{ TOKEN, "it has 1 tokens (vigil writes none)" },
	{ OTHER_CIPHER, "its data is encrypted with \"aes-cbc-plain64\"" },
	{ SECTOR_512, "its sector size is 512 (vigil writes 4096)" },
	{ OTHER_SUBSYSTEM, "its subsystem label is not \"vigil\"" },
	{ ZEROS, "no LUKS2 header vigil can read" },
};

START_TEST(test_tampered_header_refused)
{
	struct vigil_volume_info info;
	struct cmd_result res;
	char path[128], err[512];

	create("t1", 8);
	backing_of("t1", path, sizeof(path));
	tamper(path, tampered[_i].how);
	ck_assert_int_eq(vigil_volume_check_key(&store, "t1", key, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, "volume \"t1\": refused") && strstr(err, tampered[_i].why), "%s",
		      err);
	ck_assert_int_eq(vigil_volume_info(&store, "t1", &info, err, sizeof(err)), 0);
	ck_assert(!info.header_ok);
	ck_assert_msg(strstr(info.header_problem, tampered[_i].why), "%s", info.header_problem);
	ck_assert_int_eq(run_vigil(&res, "volume", "show", "t1", "--state-dir", state, NULL), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_ptr_nonnull(strstr(res.out, "header: REFUSED"));
	cmd_result_free(&res);
	ck_assert_int_eq(run_vigil(&res, "volume", "export", "t1", "--state-dir", state, "--output",
				   "/dev/null", NULL),
			 0);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.err, "not the one vigil wrote"));
	cmd_result_free(&res);
}
END_TEST

START_TEST(test_backing_missing)
{
	char path[128], err[512];

	create("g1", 4);
	backing_of("g1", path, sizeof(path));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(vigil_volume_check_key(&store, "g1", key, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "volume \"g1\": its backing ") &&
			      strstr(err, "g1.img is missing: No such file or directory"),
		      "%s", err);
	/* erasing what is left: the record goes */
	ck_assert_int_eq(vigil_volume_erase(&store, "g1", err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_check_key(&store, "g1", key, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "volume \"g1\": no such volume");
}
END_TEST

/* One operation at a time on a volume, whichever process runs it: the next is refused at once. */
START_TEST(test_busy_volume)
{
	struct cmd_result res;
	char err[512];
	int lock;

	create("l1", 4);
	ck_assert_int_eq(volume_lock(&store, "l1", &lock), 0);
	ck_assert_int_eq(vigil_volume_erase(&store, "l1", err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, "volume \"l1\": busy: another vigil command or vigild is working on "
			      "it");
	ck_assert_int_eq(run_vigil(&res, "volume", "export", "l1", "--output", "/dev/null",
				   "--state-dir", state, NULL),
			 0);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.err, "busy"));
	cmd_result_free(&res);
	volume_unlock(&store, "l1", lock);
	ck_assert_int_eq(vigil_volume_erase(&store, "l1", err, sizeof(err)), 0);
	/* its lock file went with it */
	ck_assert_int_eq(access(strcat(strcpy(err, state), "/volumes/.locks/l1"), F_OK), -1);
}
END_TEST

START_TEST(test_key_lengths)
{
	static const struct {
		size_t len;
		int ret;
	} cases[] = { { 0, -ENODATA }, { 31, -EINVAL },	   { 32, 0 },
		      { 512, 0 },      { 513, -EMSGSIZE }, { 4096, -EMSGSIZE } };
	unsigned char buf[4096];

	memset(buf, 'k', sizeof(buf));
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct vigil_volume_key *k = NULL;
		int p[2];

		ck_assert_int_eq(pipe(p), 0);
		if (cases[i].len)
			ck_assert_int_eq(write(p[1], buf, cases[i].len), (ssize_t)cases[i].len);
		close(p[1]);
		ck_assert_int_eq(vigil_volume_key_read_fd(p[0], &k), cases[i].ret);
		close(p[0]);
		if (!cases[i].ret)
			ck_assert_int_eq(k->len, cases[i].len);
		vigil_volume_key_free(k);
	}
}
END_TEST

/* The CLI's refusals: each says why, and the state directory stays as it was. */
START_TEST(test_cli_refusals_change_nothing)
{
	char short_key[128], *before, *after, vols[128];
	static const struct {
		const char *args[12];
		int status;
		const char *msg;
	} cases[] = {
		{ { "volume", "create", "c2", "--size-mib", "8", "--key-file", "SHORT" },
		  1,
		  "is shorter than 32 bytes" },
		{ { "volume", "create", "c2", "--size-mib", "8", "--key-file", "/nonexistent" },
		  1,
		  "cannot read the key from /nonexistent: No such file or directory" },
		{ { "volume", "create", "c2", "--size-mib", "0", "--key-file", "KEY" },
		  2,
		  "--size-mib must be between 1 and 16777216" },
		{ { "volume", "create", "c2", "--size-mib", "16777217", "--key-file", "KEY" },
		  2,
		  "--size-mib must be between 1 and 16777216" },
		{ { "volume", "create", "c2", "--key-file", "KEY" }, 2, "how large? --size-mib N" },
		{ { "volume", "create", "c2", "--size-mib", "8" },
		  2,
		  "the tenant's key is needed" },
		{ { "volume", "create", "Bad_Id", "--size-mib", "8", "--key-file", "KEY" },
		  1,
		  "volume \"Bad_Id\": not a valid name" },
		{ { "volume", "create", "c1", "--size-mib", "8", "--key-file", "KEY" },
		  1,
		  "volume \"c1\": exists already" },
		{ { "volume", "open", "nope", "--key-file", "KEY" },
		  1,
		  "volume \"nope\": no such volume" },
		{ { "volume", "erase", "c1" }, 2, "add --yes" },
		{ { "volume", "close", "nope" }, 1, "volume \"nope\": no such volume" },
	};
	int fd;

	snprintf(short_key, sizeof(short_key), "%s.short", state);
	fd = open(short_key, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_eq(write(fd, key_bytes, 31), 31);
	close(fd);
	create("c1", 8);
	snprintf(vols, sizeof(vols), "%s/volumes", state);
	before = listing(vols);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *args[16];
		struct cmd_result res;
		size_t n = 0;

		for (const char *const *a = cases[i].args; *a; a++)
			args[n++] = strcmp(*a, "SHORT") == 0 ? short_key
				    : strcmp(*a, "KEY") == 0 ? key_path
							     : *a;
		args[n++] = "--state-dir";
		args[n++] = state;
		args[n] = NULL;
		ck_assert_int_eq(run_vigil_args(&res, args, 16), 0);
		ck_assert_msg(res.status == cases[i].status, "case %zu: status %d: %s", i,
			      res.status, res.err);
		ck_assert_msg(strstr(res.err, cases[i].msg), "case %zu: %s", i, res.err);
		cmd_result_free(&res);
	}
	after = listing(vols);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	unlink(short_key);
	/* the volume that was there is untouched: its key still opens it */
	{
		char err[512];

		ck_assert_int_eq(vigil_volume_check_key(&store, "c1", key, err, sizeof(err)), 0);
	}
}
END_TEST

/* Backing paths the admin gives: under an allowed directory, no symlink on the way. */
START_TEST(test_backing_paths)
{
	char allowed[128], outside[128], link_dir[160], path[200], err[512], *before;
	const char *dirs[2] = { allowed, NULL };
	struct vigil_volume_create_opts o = { .id = "b1", .size_mib = 8 };
	static const struct {
		const char *rel;
		int ret;
		const char *msg;
	} cases[] = {
		{ "OUT/b1.img", -EACCES, "is not under a directory allowed for backing stores" },
		{ "ALLOWED/via-link/b1.img", -ELOOP, "its path goes through a symlink" },
		{ "ALLOWED/link.img", -ELOOP, "is a symlink" },
		{ "ALLOWED/exists.img", -EEXIST, "exists and is not a block device" },
		{ "ALLOWED/../x/b1.img", -EINVAL, "must be an absolute, normalized path" },
		{ "ALLOWED/missing-dir/b1.img", -ENOENT, "No such file or directory" },
	};

	snprintf(allowed, sizeof(allowed), "%s/allowed", other);
	snprintf(outside, sizeof(outside), "%s/outside", other);
	ck_assert_int_eq(mkdir(allowed, 0700), 0);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	snprintf(link_dir, sizeof(link_dir), "%s/via-link", allowed);
	ck_assert_int_eq(symlink(outside, link_dir), 0);
	snprintf(path, sizeof(path), "%s/link.img", allowed);
	ck_assert_int_eq(symlink("/tmp/whatever.img", path), 0);
	snprintf(path, sizeof(path), "%s/exists.img", allowed);
	ck_assert_int_eq(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	store.backing_dirs = dirs;
	before = listing(allowed);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *rel = cases[i].rel;

		if (strncmp(rel, "OUT", 3) == 0)
			snprintf(path, sizeof(path), "%s%s", outside, rel + 3);
		else
			snprintf(path, sizeof(path), "%s%s", allowed, rel + 7);
		o.backing = path;
		ck_assert_int_eq(vigil_volume_create(&store, &o, key, err, sizeof(err)),
				 cases[i].ret);
		ck_assert_msg(strstr(err, cases[i].msg), "case %zu: %s", i, err);
	}
	{
		char *after = listing(allowed), *out = listing(outside);

		ck_assert_str_eq(before, after);
		ck_assert_str_eq(out, ".\n..\n");
		free(after);
		free(out);
	}
	free(before);
	/* a new file under the allowed directory is a backing */
	snprintf(path, sizeof(path), "%s/b1.img", allowed);
	o.backing = path;
	ck_assert_msg(vigil_volume_create(&store, &o, key, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(vigil_volume_check_key(&store, "b1", key, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_erase(&store, "b1", err, sizeof(err)), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

static void attach_loop(const char *file)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), n, fd, ffd;

	ck_assert_int_ge(ctl, 0);
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	ck_assert_int_ge(n, 0);
	snprintf(loop_dev, sizeof(loop_dev), "/dev/loop%d", n);
	fd = open(loop_dev, O_RDWR | O_CLOEXEC);
	ffd = open(file, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(ffd, 0);
	ck_assert_int_eq(ioctl(fd, LOOP_SET_FD, ffd), 0);
	close(ffd);
	close(fd);
}

static bool all_zero(const char *path, size_t len)
{
	char *buf = malloc(len);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool zero = fd >= 0 && read(fd, buf, len) == (ssize_t)len;

	for (size_t i = 0; zero && i < len; i++)
		zero = buf[i] == 0;
	if (fd >= 0)
		close(fd);
	free(buf);
	return zero;
}

/* A block device backing: too small and busy refused; erase leaves a device no key opens. */
START_TEST(test_block_device_and_erase)
{
	const char *dirs[2] = { "/dev", NULL };
	struct vigil_volume_create_opts o = { .id = "d1", .backing = NULL };
	char file[128], err[512];
	int fd;

	snprintf(file, sizeof(file), "%s/disk", other);
	ck_assert_int_eq(close(open(file, O_CREAT | O_WRONLY, 0600)), 0);
	ck_assert_int_eq(truncate(file, 20 * MIB), 0);
	attach_loop(file);
	store.backing_dirs = dirs;
	o.backing = "/dev/vigil-test-no-such-disk";
	o.size_mib = 4;
	ck_assert_int_eq(vigil_volume_create(&store, &o, key, err, sizeof(err)), -ENODEV);
	ck_assert_str_eq(err, "volume \"d1\": backing /dev/vigil-test-no-such-disk: no such block "
			      "device");
	ck_assert_int_eq(access(o.backing, F_OK), -1);
	o.backing = loop_dev;
	o.size_mib = 8;
	ck_assert_int_eq(vigil_volume_create(&store, &o, key, err, sizeof(err)), -ENOSPC);
	ck_assert_msg(strstr(err, "is too small: 20 MiB, the volume needs 24 MiB"), "%s", err);
	o.size_mib = 4;
	fd = open(loop_dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vigil_volume_create(&store, &o, key, err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, "in use"), "%s", err);
	close(fd);
	ck_assert_msg(vigil_volume_create(&store, &o, key, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(vigil_volume_check_key(&store, "d1", key, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_erase(&store, "d1", err, sizeof(err)), 0);
	/* the record is gone, the device stays, its header area is zeros and no key opens it */
	ck_assert_int_eq(vigil_volume_check_key(&store, "d1", key, err, sizeof(err)), -ENOENT);
	ck_assert(all_zero(loop_dev, VIGIL_VOLUME_HEADER_BYTES));
	ck_assert_int_lt(vigil_luks_try_key(loop_dev, key, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_erase(&store, "d1", err, sizeof(err)), -ENOENT);
}
END_TEST

START_TEST(test_open_names_device_mapper)
{
	struct cmd_result res;
	char err[512];

	if (proc_misc_has("device-mapper"))
		return; /* check_volume_dm opens for real on such a kernel */
	create("o1", 8);
	ck_assert_int_eq(vigil_volume_open(&store, "o1", key, 0, err, sizeof(err)), -ENOTSUP);
	ck_assert_msg(strstr(err, "volume \"o1\": cannot open it: this kernel has no "
				  "device-mapper"),
		      "%s", err);
	ck_assert_int_eq(run_vigil(&res, "-j", "volume", "open", "o1", "--key-file", key_path,
				   "--state-dir", state, NULL),
			 0);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.out, "\"error\":\"volume \\\"o1\\\": cannot open it: "
					      "this kernel has no device-mapper"));
	cmd_result_free(&res);
}
END_TEST

static void export_to(const char *id, const char *file, char sum[VIGIL_VOLUME_SHA256_HEX])
{
	char err[512];
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(vigil_volume_export(&store, id, fd, NULL, NULL, sum, err, sizeof(err)) == 0,
		      "%s", err);
	close(fd);
}

static int import_from(const char *file, const char *id, char *err, size_t len)
{
	char sum[VIGIL_VOLUME_SHA256_HEX];
	int fd = open(file, O_RDONLY | O_CLOEXEC), r;

	ck_assert_int_ge(fd, 0);
	r = vigil_volume_import(&other_store, id, fd, NULL, NULL, sum, err, len);
	close(fd);
	return r;
}

/* Writes `file`'s first `len` bytes (or all, flipped at `flip`, or with `extra` after) to `out`. */
static void variant(const char *file, const char *out, size_t len, long flip, bool extra)
{
	size_t size;
	char *data = read_file_size(file, &size);
	FILE *f = fopen(out, "we");

	ck_assert_ptr_nonnull(data);
	if (flip >= 0)
		data[flip] ^= 1;
	ck_assert_int_eq(fwrite(data, 1, len < size ? len : size, f), len < size ? len : size);
	if (extra)
		fputc('x', f);
	fclose(f);
	free(data);
}

START_TEST(test_export_import)
{
	char file[128], bad[128], err[512], vols[128], locks[160], sum[VIGIL_VOLUME_SHA256_HEX];
	struct vigil_volume_info info;
	size_t size, total = 24 * MIB;
	char *stream;
	static const struct {
		size_t len;
		long flip;
		bool extra;
		const char *msg;
	} bad_streams[] = {
		{ 5, -1, false, "not a vigil volume export" },
		{ 40, -1, false, "truncated in its header" },
		{ 4 * MIB, -1, false, "the stream is truncated: " },
		{ SIZE_MAX - 1, -1, true, "goes on after its checksum" },
		{ SIZE_MAX, 20 * MIB, false, "checksum does not match" },
		{ SIZE_MAX, 3, false, "not a vigil volume export" },
	};

	create("e1", 8);
	snprintf(file, sizeof(file), "%s/e1.vol", other);
	snprintf(bad, sizeof(bad), "%s/bad.vol", other);
	export_to("e1", file, sum);
	stream = read_file_size(file, &size);
	ck_assert_uint_gt(size, total);
	ck_assert(!contains(stream, size, key_bytes, KEY_LEN));
	free(stream);
	snprintf(vols, sizeof(vols), "%s/volumes", other);
	snprintf(locks, sizeof(locks), "%s/volumes/.locks", other);
	for (size_t i = 0; i < sizeof(bad_streams) / sizeof(*bad_streams); i++) {
		size_t len = bad_streams[i].len == SIZE_MAX - 1 ? SIZE_MAX : bad_streams[i].len;
		char *left;

		variant(file, bad, len, bad_streams[i].flip, bad_streams[i].extra);
		ck_assert_int_eq(import_from(bad, "e1", err, sizeof(err)), -EBADMSG);
		ck_assert_msg(strstr(err, bad_streams[i].msg), "case %zu: %s", i, err);
		/* a stream refused before its volume was held has not even made the directory */
		left = listing(vols);
		ck_assert_msg(!*left || strcmp(left, ".\n..\n.locks\n") == 0, "case %zu left %s", i,
			      left);
		free(left);
		left = listing(locks);
		ck_assert_msg(!*left || strcmp(left, ".\n..\n") == 0, "case %zu left the lock %s",
			      i, left);
		free(left);
	}
	/* whole: the same checksum, the key opens it there, as exported or renamed */
	{
		char sum2[VIGIL_VOLUME_SHA256_HEX];
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		ck_assert_int_eq(vigil_volume_import(&other_store, NULL, fd, NULL, NULL, sum2, err,
						     sizeof(err)),
				 0);
		close(fd);
		ck_assert_str_eq(sum, sum2);
	}
	ck_assert_int_eq(vigil_volume_check_key(&other_store, "e1", key, err, sizeof(err)), 0);
	ck_assert_int_eq(import_from(file, "e1", err, sizeof(err)), -EEXIST);
	ck_assert_int_eq(import_from(file, "moved", err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_info(&other_store, "moved", &info, err, sizeof(err)), 0);
	ck_assert(info.header_ok);
	ck_assert_int_eq(info.size_bytes, 8 * MIB);
	ck_assert_int_eq(vigil_volume_check_key(&other_store, "moved", key, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_volume_check_key(&other_store, "moved", other_key, err, sizeof(err)),
			 -EPERM);
}
END_TEST

/* No file vigil wrote holds the key: not the record, not the backing, not an export. */
START_TEST(test_key_never_on_disk)
{
	char cmd[512], file[128];
	FILE *found;
	char line[512];
	int n = 0;

	key->passphrase = true;
	create("k1", 4);
	key->passphrase = false;
	create("k2", 4);
	snprintf(file, sizeof(file), "%s/k2.vol", state);
	{
		char sum[VIGIL_VOLUME_SHA256_HEX];

		export_to("k2", file, sum);
	}
	ck_assert_int_eq(import_from(file, NULL, cmd, sizeof(cmd)), 0);
	snprintf(cmd, sizeof(cmd), "find %s %s -type f", state, other);
	found = popen(cmd, "r");
	while (fgets(line, sizeof(line), found)) {
		size_t size;
		char *data;

		line[strcspn(line, "\n")] = '\0';
		data = read_file_size(line, &size);
		ck_assert_ptr_nonnull(data);
		ck_assert_msg(!contains(data, size, key_bytes, KEY_LEN), "%s holds the key", line);
		ck_assert_msg(!contains(data, size, key_bytes, 16), "%s holds part of the key",
			      line);
		free(data);
		n++;
	}
	pclose(found);
	ck_assert_int_ge(n, 6); /* 2 records, 2 backings, the export, the import's two */
}
END_TEST

/* Whether `pid`'s memory holds `needle`, read through /proc like a debugger, no core dump. */
static bool memory_holds(pid_t pid, const void *needle, size_t len)
{
	char path[64], line[512];
	bool found = false;
	FILE *maps;
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_ptr_nonnull(maps);
	ck_assert_int_ge(mem, 0);
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8];
		char *buf;

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' ||
		    strstr(line, "[vvar") || end - start > (1ul << 30))
			continue;
		buf = malloc(end - start);
		ssize_t n = pread(mem, buf, end - start, (off_t)start);

		if (n > 0 && contains(buf, (size_t)n, needle, len))
			found = true;
		free(buf);
	}
	fclose(maps);
	close(mem);
	return found;
}

/*
 * A process that read the key, created a volume with it and tried it, then
 * freed it: its memory holds no copy (libcryptsetup's included). While it
 * held the key, the same scan found it, so the scan sees what it should.
 */
START_TEST(test_key_not_left_in_memory)
{
	int to_child[2], from_child[2], key_pipe[2];
	char c = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(to_child), 0);
	ck_assert_int_eq(pipe(from_child), 0);
	ck_assert_int_eq(pipe(key_pipe), 0);
	ck_assert_int_eq(write(key_pipe[1], key_bytes, KEY_LEN), KEY_LEN);
	close(key_pipe[1]);
	/* the test's own copy is in this process only: the child gets it through the pipe */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct vigil_volume_create_opts o = { .id = "m1", .size_mib = 4 };
		struct vigil_volume_key *k;
		char err[512];

		explicit_bzero(key_bytes, sizeof(key_bytes));
		if (vigil_volume_key_read_fd(key_pipe[0], &k) < 0)
			_exit(2);
		if (write(from_child[1], "h", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(3);
		if (vigil_volume_create(&store, &o, k, err, sizeof(err)) < 0 ||
		    vigil_volume_check_key(&store, "m1", k, err, sizeof(err)) < 0)
			_exit(4);
		vigil_volume_key_free(k);
		if (write(from_child[1], "d", 1) != 1)
			_exit(5);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(from_child[0], &c, 1), 1);
	ck_assert_msg(memory_holds(pid, key_bytes, KEY_LEN), "the scan does not find a held key");
	ck_assert_int_eq(write(to_child[1], "g", 1), 1);
	ck_assert_int_eq(read(from_child[0], &c, 1), 1);
	ck_assert_int_eq(c, 'd');
	ck_assert_msg(!memory_holds(pid, key_bytes, KEY_LEN), "the key is left in memory");
	ck_assert_msg(!memory_holds(pid, key_bytes, 16), "part of the key is left in memory");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_cli_show_and_list)
{
	struct json_object *doc, *v;
	struct cmd_result res;

	create("s1", 8);
	key->passphrase = true;
	create("s0", 4);
	ck_assert_int_eq(run_vigil(&res, "-j", "volume", "list", "--state-dir", state, NULL), 0);
	ck_assert_int_eq(res.status, 0);
	doc = parse_json(res.out);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_object_array_length(doc), 2);
	v = json_object_array_get_idx(doc, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "id")), "s0");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "kdf")), "argon2id");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "state")), "closed");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "device")),
			 "/dev/mapper/vigil-s0");
	ck_assert_int_eq(json_object_get_uint64(json_object_object_get(v, "size_bytes")), 4 * MIB);
	ck_assert(json_object_get_boolean(json_object_object_get(v, "header_ok")));
	v = json_object_array_get_idx(doc, 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "kdf")), "pbkdf2");
	json_object_put(doc);
	cmd_result_free(&res);
	ck_assert_int_eq(
		run_vigil(&res, "volume", "erase", "s1", "--yes", "--state-dir", state, NULL), 0);
	ck_assert_int_eq(res.status, 0);
	cmd_result_free(&res);
	ck_assert_int_eq(run_vigil(&res, "volume", "show", "--state-dir", state, NULL), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "volume s0\n"));
	ck_assert_ptr_null(strstr(res.out, "volume s1"));
	cmd_result_free(&res);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("volume");
	TCase *tc = tcase_create("volume");

	require_root("volume");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_header_is_vigils);
	tcase_add_test(tc, test_passphrase_uses_argon2id);
	tcase_add_loop_test(tc, test_tampered_header_refused, 0,
			    sizeof(tampered) / sizeof(*tampered));
	tcase_add_test(tc, test_backing_missing);
	tcase_add_test(tc, test_busy_volume);
	tcase_add_test(tc, test_key_lengths);
	tcase_add_test(tc, test_cli_refusals_change_nothing);
	tcase_add_test(tc, test_backing_paths);
	tcase_add_test(tc, test_block_device_and_erase);
	tcase_add_test(tc, test_open_names_device_mapper);
	tcase_add_test(tc, test_export_import);
	tcase_add_test(tc, test_key_never_on_disk);
	tcase_add_test(tc, test_key_not_left_in_memory);
	tcase_add_test(tc, test_cli_show_and_list);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
