// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tenants' volumes on a real dm-crypt (the guest lane: Debian 12's 6.1
 * kernel; this host has no device-mapper and skips): written through
 * /dev/mapper/vigil-<id>, closed, reopened and read back; refused with a
 * wrong key or a header vigil did not write; busy while held; erased on an
 * admin's loop device; exported from one state directory and imported
 * into another. The header and KDF logic on files is check_volume's.
 *
 * Each test works in its own directory under the suite's scratch
 * directory, on volumes named d<pid>-<test>, so the fixture's teardown (in
 * the parent, failed tests included) can close every mapping the suite
 * left and detach every loop device over its files.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libcryptsetup.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmod.h"
#include "testutil.h"
#include "volume.h"

#define MIB (1024 * 1024)
/* 16 bytes that repeat through the pattern, to look for in the ciphertext */
#define PATTERN	      "vigil-dm-pattern"
#define PATTERN_LEN   16
#define PATTERN_BYTES MIB
#define KEY_LEN	      64
#define VOLUME_MIB    8

static char scratch[PATH_MAX];
/* "d<pid>-": the suite's volume ids, and "vigil-d<pid>-" its mappings */
static char id_prefix[24];

/* One test's volume: its directory, state directory, id and key. */
struct dm_case {
	char dir[PATH_MAX];
	char state[PATH_MAX];
	struct vigil_volume_store st;
	char id[33];
	char mapper[VIGIL_VOLUME_MAPPER_SIZE];
	char name[VIGIL_VOLUME_MAPPER_SIZE];
	char backing[PATH_MAX];
	struct vigil_volume_key *key;
};

static struct vigil_volume_key *random_key(void)
{
	unsigned char bytes[KEY_LEN];
	struct vigil_volume_key *key = NULL;

	ck_assert_int_eq(getrandom(bytes, sizeof(bytes), 0), sizeof(bytes));
	ck_assert_int_eq(vigil_volume_key_from(bytes, sizeof(bytes), &key), 0);
	explicit_bzero(bytes, sizeof(bytes));
	return key;
}

static void case_begin(struct dm_case *c, const char *test)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s/%s", scratch, test);
	snprintf(c->state, sizeof(c->state), "%s/state", c->dir);
	ck_assert_int_eq(mkdir(c->dir, 0700), 0);
	ck_assert_int_eq(mkdir(c->state, 0700), 0);
	c->st.state_dir = c->state;
	snprintf(c->id, sizeof(c->id), "%s%s", id_prefix, test);
	snprintf(c->name, sizeof(c->name), "vigil-%s", c->id);
	vigil_volume_mapper_path(c->id, c->mapper, sizeof(c->mapper));
	snprintf(c->backing, sizeof(c->backing), "%s/volumes/%s.img", c->state, c->id);
	c->key = random_key();
}

static void case_create(struct dm_case *c)
{
	struct vigil_volume_create_opts opts = { .id = c->id, .size_mib = VOLUME_MIB };
	char err[512] = "";

	ck_assert_msg(vigil_volume_create(&c->st, &opts, c->key, err, sizeof(err)) == 0,
		      "create %s: %s", c->id, err);
}

static void case_open(struct dm_case *c, unsigned int flags)
{
	char err[512] = "";

	ck_assert_msg(vigil_volume_open(&c->st, c->id, c->key, flags, err, sizeof(err)) == 0,
		      "open %s: %s", c->id, err);
}

static void case_close(struct dm_case *c)
{
	char err[512] = "";

	ck_assert_msg(vigil_volume_close(&c->st, c->id, err, sizeof(err)) == 0, "close %s: %s",
		      c->id, err);
}

/* The mapping exists, as device-mapper and /dev/mapper see it. */
static bool mapping_exists(const char *name)
{
	char path[VIGIL_VOLUME_MAPPER_SIZE + 16];
	crypt_status_info st = crypt_status(NULL, name);

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	return st == CRYPT_ACTIVE || st == CRYPT_BUSY || access(path, F_OK) == 0;
}

/*
 * Calls fn(device, value) for each block device named `prefix`N with the
 * sysfs attribute `attr` (loop devices attached: "loop/backing_file";
 * mappings: "dm/name").
 */
static void for_each_block(const char *prefix, const char *attr,
			   void (*fn)(const char *dev, const char *value, void *arg), void *arg)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], *value;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/%s", de->d_name, attr);
		value = read_file(path);
		if (!value)
			continue;
		value[strcspn(value, "\n")] = '\0';
		fn(de->d_name, value, arg);
		free(value);
	}
	closedir(d);
}

struct loop_search {
	const char *backing;
	bool found;
};

static void loop_match(const char *dev, const char *backing, void *arg)
{
	struct loop_search *s = arg;

	s->found |= strcmp(backing, s->backing) == 0;
}

static bool loop_attached_to(const char *backing)
{
	struct loop_search s = { backing, false };

	for_each_block("loop", "loop/backing_file", loop_match, &s);
	return s.found;
}

/* The volume is closed and nothing holds its backing file. */
static void assert_nothing_left(const struct dm_case *c)
{
	ck_assert_msg(!mapping_exists(c->name), "%s is still mapped", c->mapper);
	ck_assert_msg(!loop_attached_to(c->backing), "a loop device still holds %s", c->backing);
}

static void *aligned_buffer(size_t len)
{
	void *buf = NULL;

	ck_assert_int_eq(posix_memalign(&buf, 4096, len), 0);
	return buf;
}

static void fill_pattern(unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i += PATTERN_LEN)
		memcpy(buf + i, PATTERN, PATTERN_LEN);
}

/* PATTERN_BYTES of the pattern at the start of `dev`, written past every cache. */
static void write_pattern(const char *dev)
{
	unsigned char *buf = aligned_buffer(PATTERN_BYTES);
	int fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", dev, strerror(errno));
	fill_pattern(buf, PATTERN_BYTES);
	ck_assert_int_eq(pwrite(fd, buf, PATTERN_BYTES, 0), PATTERN_BYTES);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	free(buf);
}

static void assert_pattern(const char *dev)
{
	unsigned char *buf = aligned_buffer(PATTERN_BYTES), *want = aligned_buffer(PATTERN_BYTES);
	int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", dev, strerror(errno));
	ck_assert_int_eq(pread(fd, buf, PATTERN_BYTES, 0), PATTERN_BYTES);
	close(fd);
	fill_pattern(want, PATTERN_BYTES);
	ck_assert_msg(memcmp(buf, want, PATTERN_BYTES) == 0,
		      "%s does not read back the pattern written to it", dev);
	free(buf);
	free(want);
}

/* The file at `path` holds `len` bytes of `needle` somewhere. */
static bool file_contains(const char *path, const void *needle, size_t len)
{
	size_t size = 0;
	char *text = read_file_size(path, &size);
	bool found;

	ck_assert_msg(text, "cannot read %s", path);
	found = memmem(text, size, needle, len) != NULL;
	free(text);
	return found;
}

static const struct vigil_volume_key *key_sought;
static char key_found_in[PATH_MAX];

static int find_key(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	char hex[2 * PATTERN_LEN + 1];

	if (type != FTW_F || !S_ISREG(sb->st_mode))
		return 0;
	for (int i = 0; i < PATTERN_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key_sought->bytes[i]);
	/* the key, its first 16 bytes alone, or those in hex */
	if (file_contains(path, key_sought->bytes, key_sought->len) ||
	    file_contains(path, key_sought->bytes, PATTERN_LEN) ||
	    file_contains(path, hex, strlen(hex))) {
		snprintf(key_found_in, sizeof(key_found_in), "%s", path);
		return 1;
	}
	return 0;
}

static void assert_no_key_under(const char *dir, const struct vigil_volume_key *key)
{
	key_sought = key;
	key_found_in[0] = '\0';
	ck_assert_int_eq(nftw(dir, find_key, 16, FTW_PHYS), 0);
	ck_assert_msg(!key_found_in[0], "%s holds the volume's key", key_found_in);
}

START_TEST(test_write_close_reopen_read)
{
	unsigned char zeros[4096] = { 0 }, block[4096];
	struct dm_case c;
	int fd;

	case_begin(&c, "rw");
	case_create(&c);
	case_open(&c, VIGIL_VOLUME_OPEN_NO_WORKQUEUE);
	write_pattern(c.mapper);
	case_close(&c);
	assert_nothing_left(&c);

	/* the ciphertext is there (not zeros), and no plaintext anywhere */
	fd = open(c.backing, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, block, sizeof(block), VIGIL_VOLUME_HEADER_BYTES), sizeof(block));
	close(fd);
	ck_assert_msg(memcmp(block, zeros, sizeof(block)),
		      "the backing's first data block is zeros: nothing was written");
	ck_assert_msg(!file_contains(c.backing, PATTERN, PATTERN_LEN),
		      "the backing file %s holds the plaintext pattern", c.backing);

	case_open(&c, VIGIL_VOLUME_OPEN_NO_WORKQUEUE);
	assert_pattern(c.mapper);
	case_close(&c);
	assert_nothing_left(&c);
	assert_no_key_under(c.state, c.key);
	vigil_volume_key_free(c.key);
}
END_TEST

START_TEST(test_wrong_key_refused)
{
	struct vigil_volume_key *wrong = random_key();
	char err[512] = "";
	struct dm_case c;

	case_begin(&c, "wrongkey");
	case_create(&c);
	ck_assert_int_eq(vigil_volume_open(&c.st, c.id, wrong, VIGIL_VOLUME_OPEN_NO_WORKQUEUE, err,
					   sizeof(err)),
			 -EPERM);
	ck_assert_msg(strstr(err, c.id) && strstr(err, "the key does not open it"), "err: %s", err);
	assert_nothing_left(&c);
	ck_assert_int_eq(vigil_volume_check_key(&c.st, c.id, wrong, err, sizeof(err)), -EPERM);
	ck_assert_msg(vigil_volume_check_key(&c.st, c.id, c.key, err, sizeof(err)) == 0,
		      "the right key: %s", err);
	vigil_volume_key_free(wrong);
	vigil_volume_key_free(c.key);
}
END_TEST

static struct crypt_device *load_header(const char *backing)
{
	struct crypt_device *cd = NULL;

	ck_assert_int_eq(crypt_init(&cd, backing), 0);
	ck_assert_int_eq(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	return cd;
}

/* A fast KDF for the keyslots the tests add: what vigil uses for a high-entropy key */
static struct crypt_pbkdf_type fast_pbkdf = {
	.type = CRYPT_KDF_PBKDF2,
	.hash = "sha256",
	.iterations = 1000,
	.flags = CRYPT_PBKDF_NO_BENCHMARK,
};

/* Opening the volume is refused as a header vigil did not write, naming `problem`. */
static void assert_header_refused(struct dm_case *c, const char *problem)
{
	char err[512] = "";

	ck_assert_int_eq(vigil_volume_open(&c->st, c->id, c->key, VIGIL_VOLUME_OPEN_NO_WORKQUEUE,
					   err, sizeof(err)),
			 -EBADMSG);
	ck_assert_msg(strstr(err, "not the one vigil wrote") && strstr(err, problem),
		      "err (wanted \"%s\"): %s", problem, err);
	assert_nothing_left(c);
	/* refused before any key is tried */
	ck_assert_int_eq(vigil_volume_check_key(&c->st, c->id, c->key, err, sizeof(err)), -EBADMSG);
}

START_TEST(test_extra_keyslot_refused)
{
	const char other[] = "a second passphrase the provider added";
	struct crypt_device *cd;
	struct dm_case c;

	case_begin(&c, "slot");
	case_create(&c);
	cd = load_header(c.backing);
	ck_assert_int_eq(crypt_set_pbkdf_type(cd, &fast_pbkdf), 0);
	ck_assert_int_eq(crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT,
							 (const char *)c.key->bytes, c.key->len,
							 other, strlen(other)),
			 1);
	crypt_free(cd);
	assert_header_refused(&c, "2 keyslots");
	vigil_volume_key_free(c.key);
}
END_TEST

/*
 * The header written anew with serpent, under the same key, UUID, label
 * and subsystem: only the cipher tells it from vigil's.
 */
START_TEST(test_other_cipher_refused)
{
	char uuid[64];
	struct crypt_params_luks2 params = {
		.pbkdf = &fast_pbkdf,
		.sector_size = 4096,
		.subsystem = "vigil",
	};
	struct crypt_device *cd;
	struct dm_case c;

	case_begin(&c, "cipher");
	case_create(&c);
	cd = load_header(c.backing);
	snprintf(uuid, sizeof(uuid), "%s", crypt_get_uuid(cd));
	crypt_free(cd);

	params.label = c.id;
	ck_assert_int_eq(crypt_init(&cd, c.backing), 0);
	ck_assert_int_eq(
		crypt_format(cd, CRYPT_LUKS2, "serpent", "xts-plain64", uuid, NULL, 64, &params),
		0);
	ck_assert_int_eq(crypt_keyslot_add_by_volume_key(cd, 0, NULL, 0, (const char *)c.key->bytes,
							 c.key->len),
			 0);
	crypt_free(cd);
	cd = load_header(c.backing);
	ck_assert_str_eq(crypt_get_uuid(cd), uuid);
	ck_assert_str_eq(crypt_get_cipher(cd), "serpent");
	crypt_free(cd);
	assert_header_refused(&c, "serpent-xts-plain64");
	vigil_volume_key_free(c.key);
}
END_TEST

static uint32_t active_flags(const char *name)
{
	struct crypt_active_device cad = { 0 };
	struct crypt_device *cd = NULL;

	ck_assert_int_eq(crypt_init_by_name(&cd, name), 0);
	ck_assert_int_eq(crypt_get_active_device(cd, name, &cad), 0);
	crypt_free(cd);
	return cad.flags;
}

START_TEST(test_workqueue_flags)
{
	const uint32_t bypass =
		CRYPT_ACTIVATE_NO_READ_WORKQUEUE | CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE;
	struct dm_case c;
	uint32_t flags;

	case_begin(&c, "wq");
	case_create(&c);
	case_open(&c, VIGIL_VOLUME_OPEN_NO_WORKQUEUE);
	flags = active_flags(c.name);
	ck_assert_msg((flags & bypass) == bypass,
		      "opened by default, %s has flags 0x%x: no_read/no_write_workqueue not both "
		      "set",
		      c.mapper, flags);
	case_close(&c);

	case_open(&c, 0);
	flags = active_flags(c.name);
	ck_assert_msg(!(flags & bypass), "opened with the work queues, %s has flags 0x%x", c.mapper,
		      flags);
	case_close(&c);
	assert_nothing_left(&c);
	vigil_volume_key_free(c.key);
}
END_TEST

START_TEST(test_close_while_held_is_busy)
{
	char err[512] = "";
	struct dm_case c;
	int fd;

	case_begin(&c, "busy");
	case_create(&c);
	case_open(&c, VIGIL_VOLUME_OPEN_NO_WORKQUEUE);
	fd = open(c.mapper, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vigil_volume_close(&c.st, c.id, err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, c.id) && strstr(err, "in use"), "err: %s", err);
	ck_assert_msg(mapping_exists(c.name), "%s went away while held", c.mapper);
	close(fd);
	case_close(&c);
	assert_nothing_left(&c);
	vigil_volume_key_free(c.key);
}
END_TEST

/* An admin's block device: a loop device over a file in the test's directory. */
static void attach_loop(const char *file, uint64_t bytes, char *dev, size_t dev_len)
{
	struct cmd_result r = { 0 };
	int fd = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)bytes), 0);
	close(fd);
	ck_assert_int_eq(
		run_cmd((char *[]){ "losetup", "--find", "--show", (char *)file, NULL }, &r), 0);
	ck_assert_msg(r.status == 0, "losetup: %s", r.err);
	snprintf(dev, dev_len, "%.*s", (int)strcspn(r.out, "\n"), r.out);
	cmd_result_free(&r);
}

static void detach_loop(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioctl(fd, LOOP_CLR_FD, 0), 0);
	close(fd);
}

START_TEST(test_erase_device_refuses_old_key)
{
	static const char *const dev_dir[] = { "/dev", NULL };
	struct vigil_volume_create_opts opts = { .size_mib = VOLUME_MIB };
	struct vigil_volume_info info;
	char file[PATH_MAX + 16], dev[64], err[512] = "";
	unsigned char *head;
	struct crypt_device *cd = NULL;
	struct dm_case c;
	size_t nonzero;
	int fd;

	case_begin(&c, "erase");
	c.st.backing_dirs = dev_dir;
	snprintf(file, sizeof(file), "%s/device.img", c.dir);
	attach_loop(file, VIGIL_VOLUME_HEADER_BYTES + VOLUME_MIB * MIB, dev, sizeof(dev));
	opts.id = c.id;
	opts.backing = dev;
	ck_assert_msg(vigil_volume_create(&c.st, &opts, c.key, err, sizeof(err)) == 0,
		      "create on %s: %s", dev, err);
	case_open(&c, VIGIL_VOLUME_OPEN_NO_WORKQUEUE);
	write_pattern(c.mapper);
	ck_assert_msg(vigil_volume_erase(&c.st, c.id, err, sizeof(err)) == 0, "erase: %s", err);
	ck_assert_msg(!mapping_exists(c.name), "%s is still mapped after erase", c.mapper);
	ck_assert_int_eq(vigil_volume_info(&c.st, c.id, &info, err, sizeof(err)), -ENOENT);

	/* the device stays, its header area zeros: no keyslot left for the old key */
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s is gone after erase: %s", dev, strerror(errno));
	head = aligned_buffer(VIGIL_VOLUME_HEADER_BYTES);
	ck_assert_int_eq(pread(fd, head, VIGIL_VOLUME_HEADER_BYTES, 0), VIGIL_VOLUME_HEADER_BYTES);
	close(fd);
	/* one assertion, not one a byte: each is a message to Check's parent */
	for (nonzero = 0; nonzero < VIGIL_VOLUME_HEADER_BYTES && !head[nonzero]; nonzero++)
		;
	ck_assert_msg(nonzero == VIGIL_VOLUME_HEADER_BYTES,
		      "byte %zu of the header area is 0x%02x after erase", nonzero, head[nonzero]);
	free(head);
	ck_assert_int_eq(crypt_init(&cd, dev), 0);
	ck_assert_int_lt(crypt_load(cd, NULL, NULL), 0);
	ck_assert_int_lt(crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT,
						      (const char *)c.key->bytes, c.key->len, 0),
			 0);
	crypt_free(cd);
	assert_no_key_under(c.state, c.key);
	detach_loop(dev);
	vigil_volume_key_free(c.key);
}
END_TEST

/* Runs `vigil ARGS...` and asserts it succeeded; its stdout (free it). */
static char *vigil_ok(const char *const *args, size_t n)
{
	struct cmd_result r = { 0 };
	char *out;

	ck_assert_int_eq(run_vigil_args(&r, args, n), 0);
	ck_assert_msg(r.status == 0, "vigil %s %s exited %d: %s", args[1], args[2], r.status,
		      r.err);
	out = r.out;
	r.out = NULL;
	cmd_result_free(&r);
	return out;
}

static char *json_string_of(const char *text, const char *key)
{
	struct json_object *doc = parse_json(text), *v = NULL;
	char *s;

	ck_assert_msg(doc && json_object_object_get_ex(doc, key, &v), "no \"%s\" in %s", key, text);
	s = strdup(json_object_get_string(v));
	json_object_put(doc);
	return s;
}

static void write_key_file(const char *path, const struct vigil_volume_key *key)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, key->bytes, key->len), (ssize_t)key->len);
	close(fd);
}

/*
 * The CLI end to end: created and written in state A, exported, imported
 * into state B, opened there with the key file: the pattern is intact.
 */
START_TEST(test_export_import_cli)
{
	char key_file[PATH_MAX + 8], stream[PATH_MAX + 16], state_b[PATH_MAX + 8];
	char *out, *sum_out, *sum_in, *state;
	struct dm_case c;

	case_begin(&c, "move");
	snprintf(key_file, sizeof(key_file), "%s/key", c.dir);
	snprintf(stream, sizeof(stream), "%s/volume.export", c.dir);
	snprintf(state_b, sizeof(state_b), "%s/state-b", c.dir);
	ck_assert_int_eq(mkdir(state_b, 0700), 0);
	write_key_file(key_file, c.key);

	free(vigil_ok((const char *[]){ "volume", "create", c.id, "--size-mib", "8", "--key-file",
					key_file, "--state-dir", c.state },
		      9));
	free(vigil_ok((const char *[]){ "volume", "open", c.id, "--key-file", key_file,
					"--state-dir", c.state },
		      7));
	write_pattern(c.mapper);
	free(vigil_ok((const char *[]){ "volume", "close", c.id, "--state-dir", c.state }, 5));
	out = vigil_ok((const char *[]){ "-j", "volume", "export", c.id, "--output", stream,
					 "--state-dir", c.state },
		       8);
	sum_out = json_string_of(out, "sha256");
	free(out);
	ck_assert_msg(!file_contains(stream, PATTERN, PATTERN_LEN),
		      "the export stream holds the plaintext pattern");

	out = vigil_ok((const char *[]){ "-j", "volume", "import", "--input", stream, "--state-dir",
					 state_b },
		       7);
	sum_in = json_string_of(out, "sha256");
	free(out);
	ck_assert_str_eq(sum_in, sum_out);
	free(vigil_ok((const char *[]){ "volume", "open", c.id, "--key-file", key_file,
					"--state-dir", state_b },
		      7));
	out = vigil_ok((const char *[]){ "-j", "volume", "show", c.id, "--state-dir", state_b }, 6);
	state = json_string_of(out, "state");
	ck_assert_str_eq(state, "open");
	free(state);
	free(out);
	assert_pattern(c.mapper);
	free(vigil_ok((const char *[]){ "volume", "close", c.id, "--state-dir", state_b }, 5));
	ck_assert(!mapping_exists(c.name));
	assert_no_key_under(c.state, c.key);
	assert_no_key_under(state_b, c.key);
	free(sum_in);
	free(sum_out);
	vigil_volume_key_free(c.key);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The fixture: the scratch directory, and what a failed test left     */

static void make_scratch(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/vigil-volume-dm.XXXXXX");
	if (!mkdtemp(scratch)) {
		fprintf(stderr, "volume_dm: mkdtemp: %s\n", strerror(errno));
		abort();
	}
}

static void close_if_ours(const char *dev, const char *name, void *arg)
{
	const char *prefix = arg;

	if (strncmp(name, prefix, strlen(prefix)) == 0 &&
	    crypt_deactivate_by_name(NULL, name, CRYPT_DEACTIVATE_FORCE) < 0)
		fprintf(stderr, "volume_dm: cannot close the leftover mapping %s\n", name);
}

static void detach_if_ours(const char *dev, const char *backing, void *arg)
{
	char path[64];
	int fd;

	if (strncmp(backing, scratch, strlen(scratch)) || backing[strlen(scratch)] != '/')
		return;
	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, LOOP_CLR_FD, 0) < 0)
		fprintf(stderr, "volume_dm: cannot detach the leftover %s (%s): %s\n", path,
			backing, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void remove_scratch(void)
{
	char prefix[48];

	/* the mappings first: they hold the loop devices under them */
	snprintf(prefix, sizeof(prefix), "vigil-%s", id_prefix);
	for_each_block("dm-", "dm/name", close_if_ours, prefix);
	for_each_block("loop", "loop/backing_file", detach_if_ours, NULL);
	sh("rm -rf '%s'", scratch);
}

static Suite *volume_dm_suite(void)
{
	Suite *s = suite_create("volume_dm");
	TCase *tc = tcase_create("dm-crypt");

	tcase_add_unchecked_fixture(tc, make_scratch, remove_scratch);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_write_close_reopen_read);
	tcase_add_test(tc, test_wrong_key_refused);
	tcase_add_test(tc, test_extra_keyslot_refused);
	tcase_add_test(tc, test_other_cipher_refused);
	tcase_add_test(tc, test_workqueue_flags);
	tcase_add_test(tc, test_close_while_held_is_busy);
	tcase_add_test(tc, test_erase_device_refuses_old_key);
	tcase_add_test(tc, test_export_import_cli);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char why[256];

	require_root("volume_dm");
	if (vigil_volume_kernel_ready(true, why, sizeof(why)) < 0) {
		printf("volume_dm: skipped: %s\n", why);
		return EXIT_SKIP;
	}
	snprintf(id_prefix, sizeof(id_prefix), "d%d-", (int)getpid());
	return run_suite(volume_dm_suite());
}
