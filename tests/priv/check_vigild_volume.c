// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A workload's encrypted volume through the real vigild and CLI. Anywhere:
 * the spec's volume and "{volume}", a start refused without its key, with
 * a key the CLI refuses, and (without device-mapper, as on the build host)
 * with a good key, leaving nothing behind; the key's pipe over SCM_RIGHTS
 * and the requests that carry descriptors they must not; the key nowhere
 * in vigild's memory or state directory after a start; delete erasing the
 * volume or keeping it. Where dm-crypt works (the guest lane): a jailed
 * workload writes a pattern to {volume} and reads it back after a stop and
 * a start with the key, and after kill -9 of vigild; its /dev holds its
 * volume's node and no other block device; after a "reboot" (the workload
 * and the mapping gone while vigild was down) it waits for its key and the
 * restart policy does not spin; vigild killed at the volume's crash points.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vigild_fixture.h"
#include "volume.h"

/* defined by kmod-helpers/volume_modules.c */
int vigil_volume_kernel_ready(bool need_loop, char *err, size_t err_len);

#define PATTERN	       "vigil volume pattern 5a17c3e9: written by the workload\n"
#define KEY_BYTES      64
#define VOLUME_MIB     16
#define VOLUME_MIB_TXT "16"

static unsigned char key[KEY_BYTES];

/* A key file of `n` random bytes in the scratch directory; its path in `path`. */
static void write_key(char *path, size_t len, const char *name, unsigned char *bytes, size_t n)
{
	int fd;

	snprintf(path, len, "%s/%s", vf.scratch, name);
	for (size_t at = 0; at < n; at += 256)
		ck_assert_int_eq(getentropy(bytes + at, n - at > 256 ? 256 : n - at), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bytes, n), (ssize_t)n);
	close(fd);
}

/* A workload with a volume running this suite's binary as `--volume-io {volume}`, jailed. */
static void create_volume_workload(const char *id, const char *restart)
{
	char text[PATH_MAX + 1024], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"%s\",\"--volume-io\",\"{volume}\"],"
		 "\"jail\":{\"ro_paths\":[\"%s\"]},\"restart\":\"%s\","
		 "\"volume\":{\"size_mib\":" VOLUME_MIB_TXT "}}",
		 id, vf_self(), vf_self(), restart);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create %s: %s", id, err);
}

/* `vigil -j workload start ID --volume-key-file F`: the output; the status in *status. */
static struct json_object *start_with_key(const char *id, const char *key_file, int *status,
					  char **err_text)
{
	const char *args[] = { "--socket",	    vf.sock,  "-j", "workload", "start", id,
			       "--volume-key-file", key_file, NULL };
	struct json_object *o;
	struct cmd_result r;

	run_vigil_args(&r, args, 9);
	o = parse_json(r.out);
	ck_assert_msg(o, "not JSON: %s / %s", r.out, r.err);
	*status = r.status;
	if (err_text)
		*err_text = strdup(vf_jstr(o, "error") ? vf_jstr(o, "error") : "");
	cmd_result_free(&r);
	return o;
}

static void start_with_key_ok(const char *id, const char *key_file)
{
	int status;
	struct json_object *o = start_with_key(id, key_file, &status, NULL);

	ck_assert_msg(status == 0, "start %s: %s", id, vf_jstr(o, "error"));
	json_object_put(o);
}

/* The "volume" object of `workload show ID`; put `show` when done. */
static struct json_object *volume_of(const char *id, struct json_object **show)
{
	struct json_object *v;

	*show = vf_show(id);
	ck_assert_msg(json_object_object_get_ex(*show, "volume", &v) &&
			      json_object_is_type(v, json_type_object),
		      "workload %s shows no volume", id);
	return v;
}

static void assert_volume_state(const char *id, const char *state)
{
	struct json_object *show, *v = volume_of(id, &show);

	ck_assert_msg(strcmp(vf_jstr(v, "state"), state) == 0, "volume of %s is %s, not %s", id,
		      vf_jstr(v, "state"), state);
	json_object_put(show);
}

static void assert_state(const char *id, const char *state)
{
	struct json_object *show = vf_show(id);

	ck_assert_msg(strcmp(vf_state_of(show), state) == 0, "%s is %s, not %s", id,
		      vf_state_of(show), state);
	json_object_put(show);
}

static bool dm_ready(void)
{
	char err[256];

	return vigil_volume_kernel_ready(true, err, sizeof(err)) == 0;
}

static void store(struct vigil_volume_store *st)
{
	st->state_dir = vf.state;
	st->backing_dirs = NULL;
}

static bool volume_exists(const char *id)
{
	struct vigil_volume_store st;
	struct vigil_volume_info info;
	char err[512];

	store(&st);
	return vigil_volume_info(&st, id, &info, err, sizeof(err)) == 0;
}

/* Files under <state>/volumes/ (none when it is absent). */
static int volume_files(void)
{
	char path[PATH_MAX + 16];
	struct dirent *de;
	int n = 0;
	DIR *dh;

	snprintf(path, sizeof(path), "%s/volumes", vf.state);
	dh = opendir(path);
	if (!dh)
		return 0;
	while ((de = readdir(dh)))
		n += de->d_name[0] != '.';
	closedir(dh);
	return n;
}

/*
 * Whether the memory of process `pid` holds `needle` anywhere it can be
 * read. Mappings over 1 GiB are left out: they are reserves (ASan's shadow
 * memory spans terabytes) whose reading would fault in pages never
 * written; vigild's heap and stacks are far smaller.
 */
static bool memory_holds(pid_t pid, const void *needle, size_t n)
{
	char path[64], line[512];
	size_t cap = 1 << 20;
	char *buf = malloc(cap + n);
	bool found = false;
	FILE *maps;
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert(buf && maps && mem >= 0);
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' ||
		    end - start > (1ul << 30))
			continue;
		for (unsigned long at = start; !found && at < end; at += cap) {
			size_t want = end - at < cap + n ? end - at : cap + n;
			ssize_t got = pread(mem, buf, want, (off_t)at);

			if (got <= 0)
				break;
			found = memmem(buf, (size_t)got, needle, n) != NULL;
		}
	}
	fclose(maps);
	close(mem);
	free(buf);
	return found;
}

static const char *file_with_key;

static int scan_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char *text;
	size_t len;

	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	text = read_file_size(path, &len);
	if (text && memmem(text, len, key, sizeof(key)))
		file_with_key = strdup(path);
	free(text);
	return file_with_key ? 1 : 0;
}

/* The key is in no file under the state directory, nor in vigild's log or memory. */
static void assert_key_nowhere(void)
{
	char *log = read_file(vf.log_path);

	file_with_key = NULL;
	nftw(vf.state, scan_file, 16, FTW_PHYS);
	ck_assert_msg(!file_with_key, "the volume key is in %s", file_with_key);
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_null(memmem(log, strlen(log), key, sizeof(key)));
	free(log);
	/* the scan finds what is there: the key is in this process's own memory */
	ck_assert(memory_holds(getpid(), key, sizeof(key)));
	ck_assert_msg(!memory_holds(vf_vigild_pid(), key, sizeof(key)),
		      "the volume key is in vigild's memory after the start");
}

START_TEST(test_spec)
{
	char text[1024], err[512], id[64], device[128], line[160];
	struct json_object *show, *v;
	struct cmd_result r;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(id, sizeof(id), "v");
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"tester\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"{volume}\"]}",
		 id);
	ck_assert_int_ne(vf_create(text, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "command[1]: \"{volume}\" needs a volume (volume.size_mib)"),
		      "%s", err);
	create_volume_workload(id, "no");
	v = volume_of(id, &show);
	snprintf(device, sizeof(device), "/dev/mapper/vigil-%s", id);
	ck_assert_int_eq(vf_jint(v, "size_mib"), VOLUME_MIB);
	ck_assert_str_eq(vf_jstr(v, "device"), device);
	ck_assert_str_eq(vf_jstr(v, "state"), "absent");
	json_object_put(show);
	ck_assert_int_eq(run_vigil(&r, "--socket", vf.sock, "workload", "show", id, NULL), 0);
	snprintf(line, sizeof(line), "\nvolume:      16 MiB /dev/mapper/vigil-%s (absent)\n", id);
	ck_assert_msg(strstr(r.out, line), "%s", r.out);
	cmd_result_free(&r);
}
END_TEST

/* The CLI refuses a key file it would not send, naming the problem; vigild sees nothing. */
static void assert_cli_refuses(const char *id, const char *name, size_t n, const char *why)
{
	unsigned char bytes[600];
	char path[PATH_MAX], *err;
	struct json_object *o;
	int status;

	write_key(path, sizeof(path), name, bytes, n);
	o = start_with_key(id, path, &status, &err);
	ck_assert_int_ne(status, 0);
	ck_assert_msg(strstr(err, why), "key of %zu bytes: %s", n, err);
	free(err);
	json_object_put(o);
}

/*
 * Starts refused: no key (the volume is locked), keys the CLI refuses, and
 * (without device-mapper) a good key, which the library's message names;
 * nothing changes, and the key is nowhere in vigild or its state directory.
 */
START_TEST(test_start_refused)
{
	char id[64], path[PATH_MAX], *err;
	struct json_object *o;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(id, sizeof(id), "r");
	create_volume_workload(id, "no");
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_ne(status, 0);
	ck_assert_msg(strstr(vf_jstr(o, "error"), "its volume is locked: start it with the volume "
						  "key (vigil workload start"),
		      "%s", vf_jstr(o, "error"));
	json_object_put(o);
	assert_cli_refuses(id, "empty.key", 0, "it is empty");
	assert_cli_refuses(id, "short.key", 31, "it is shorter than 32 bytes");
	assert_cli_refuses(id, "long.key", 513, "it is longer than 512 bytes");
	assert_state(id, "created");
	if (dm_ready())
		return;
	write_key(path, sizeof(path), "good.key", key, sizeof(key));
	o = start_with_key(id, path, &status, &err);
	ck_assert_int_ne(status, 0);
	ck_assert_msg(strstr(err, "device-mapper"), "%s", err);
	free(err);
	json_object_put(o);
	/* the volume made for the start went with it: the next start makes it again */
	assert_state(id, "created");
	assert_volume_state(id, "absent");
	ck_assert_int_eq(volume_files(), 0);
	assert_key_nowhere();
}
END_TEST

/* A raw request with `n_fds` descriptors riding on it; vigild's reply. */
static char *request_with_fds(const char *req, const int *fds, size_t n_fds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl = { 0 };
	struct iovec iov = { .iov_base = (void *)req, .iov_len = strlen(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int fd = vf_control_connect();
	char *reply;

	if (n_fds) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	ck_assert_int_eq(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)strlen(req));
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	reply = vf_reply_within(fd, 3000);
	close(fd);
	ck_assert_ptr_nonnull(reply);
	return reply;
}

static int fds_of(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *dh;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dh = opendir(path);
	ck_assert_ptr_nonnull(dh);
	while ((de = readdir(dh)))
		n += de->d_name[0] != '.';
	closedir(dh);
	return n;
}

static void assert_reply_has(char *reply, const char *what)
{
	ck_assert_msg(strstr(reply, what), "reply: %s", reply);
	free(reply);
}

/*
 * Descriptors a request must not carry: two, one on a request that takes
 * none, one that is not a pipe, a pipe still open for writing (answered at
 * once: the loop never waits on it). vigild keeps none of them.
 */
START_TEST(test_scm_rights)
{
	char id[64], req[256];
	int pipe_a[2], pipe_b[2], before, file;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(id, sizeof(id), "s");
	create_volume_workload(id, "no");
	snprintf(req, sizeof(req), "{\"cmd\":\"start\",\"id\":\"%s\"}", id);
	ck_assert_int_eq(pipe2(pipe_a, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(pipe_b, O_CLOEXEC), 0);
	before = fds_of(vf_vigild_pid());
	assert_reply_has(request_with_fds(req, (int[]){ pipe_a[0], pipe_b[0] }, 2),
			 "request: carries more than one file descriptor");
	assert_reply_has(request_with_fds("{\"cmd\":\"list\"}", pipe_a, 1),
			 "request \\\"list\\\" takes no file descriptor");
	file = open(vf.log_path, O_RDONLY | O_CLOEXEC);
	assert_reply_has(request_with_fds(req, &file, 1),
			 "the volume key must come as a pipe's read end");
	close(file);
	ck_assert_int_eq(write(pipe_a[1], key, sizeof(key)), (ssize_t)sizeof(key));
	assert_reply_has(request_with_fds(req, pipe_a, 1),
			 "the volume key's pipe is still open for writing");
	ck_assert_int_eq(fds_of(vf_vigild_pid()), before);
	for (int i = 0; i < 2; i++) {
		close(pipe_a[i]);
		close(pipe_b[i]);
	}
	assert_state(id, "created");
}
END_TEST

/* A volume made as vigil volume create would, for a workload that has not started. */
static void make_volume(const char *id, uint64_t mib)
{
	struct vigil_volume_create_opts o = { .id = id, .size_mib = mib };
	struct vigil_volume_store st;
	struct vigil_volume_key *k;
	char err[512];

	store(&st);
	ck_assert_int_eq(vigil_volume_key_from(key, sizeof(key), &k), 0);
	ck_assert_msg(vigil_volume_create(&st, &o, k, err, sizeof(err)) == 0, "%s", err);
	vigil_volume_key_free(k);
}

/* Delete erases the volume; --keep-volume keeps it; a volume of another size is refused. */
START_TEST(test_delete)
{
	char erased[64], kept[64], plain[64], path[PATH_MAX], *err;
	const char *keep_args[] = { "--socket", vf.sock,	 "-j", "workload", "delete",
				    kept,	"--keep-volume", NULL };
	struct cmd_result r;
	struct json_object *o;
	int status;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(erased, sizeof(erased), "e");
	vf_id_of(kept, sizeof(kept), "k");
	vf_id_of(plain, sizeof(plain), "p");
	create_volume_workload(erased, "no");
	create_volume_workload(kept, "no");
	vf_create_ok(plain, "[\"sleep\",\"100\"]");
	make_volume(erased, VOLUME_MIB);
	make_volume(kept, VOLUME_MIB * 2);
	assert_volume_state(erased, "closed");
	write_key(path, sizeof(path), "good.key", key, sizeof(key));
	o = start_with_key(kept, path, &status, &err);
	ck_assert_int_ne(status, 0);
	ck_assert_msg(strstr(err, "its volume holds 32 MiB, the spec says 16 MiB"), "%s", err);
	free(err);
	json_object_put(o);
	vf_wl_ok("delete", erased);
	ck_assert(!volume_exists(erased));
	run_vigil_args(&r, keep_args, 8);
	ck_assert_msg(r.status == 0, "%s", r.out);
	cmd_result_free(&r);
	ck_assert(volume_exists(kept));
	keep_args[5] = plain;
	run_vigil_args(&r, keep_args, 8);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.out, "has no volume: there is no volume to keep"), "%s", r.out);
	cmd_result_free(&r);
	assert_state(plain, "created");
}
END_TEST

/* The workload's /dev, as its jail made it: every entry, and its block devices in detail. */
static void list_dev(const char *dir, int depth, int *n_block)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dh = opendir(dir);

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		printf("dev %s\n", path);
		if (S_ISBLK(st.st_mode)) {
			(*n_block)++;
			printf("block %s %u:%u mode %o uid %u\n", path, major(st.st_rdev),
			       minor(st.st_rdev), st.st_mode & 07777, st.st_uid);
		}
		if (S_ISDIR(st.st_mode) && depth < 3)
			list_dev(path, depth + 1, n_block);
	}
	closedir(dh);
}

/*
 * The workload (`--volume-io DEVICE`): says what its /dev and /sys/dev/block
 * hold, then finds the pattern on its volume or writes it, and waits to be
 * stopped.
 */
static int volume_io_main(const char *dev)
{
	char buf[4096] = { 0 };
	int n_block = 0, fd;
	DIR *dh;

	list_dev("/dev", 0, &n_block);
	printf("block devices: %d\n", n_block);
	dh = opendir("/sys/dev/block");
	printf("sys dev block: %s\n", dh ? "present" : strerror(errno));
	if (dh)
		closedir(dh);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		printf("volume %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (memcmp(buf, PATTERN, strlen(PATTERN)) == 0) {
		printf("found pattern\n");
	} else {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, PATTERN, strlen(PATTERN));
		if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) || fsync(fd) < 0) {
			printf("volume %s: writing: %s\n", dev, strerror(errno));
			return 1;
		}
		printf("wrote pattern\n");
	}
	close(fd);
	fflush(stdout);
	for (;;)
		pause();
}

/* How often `what` is in the workload's output. */
static int log_count(const char *id, const char *what)
{
	char *log = vf_workload_log(id);
	int n = 0;

	for (const char *at = log ? strstr(log, what) : NULL; at; at = strstr(at + 1, what))
		n++;
	free(log);
	return n;
}

static void wait_log_count(const char *id, const char *what, int n)
{
	for (int i = 0; i < 600 && log_count(id, what) < n; i++)
		usleep(50 * 1000);
	ck_assert_msg(log_count(id, what) >= n, "workload %s: \"%s\" %d times, not %d", id, what,
		      log_count(id, what), n);
}

static void assert_start_refused(const char *id, const char *key_file, const char *why)
{
	struct json_object *o;
	int status;
	char *err = NULL;

	if (key_file)
		o = start_with_key(id, key_file, &status, &err);
	else
		o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_ne(status, 0);
	ck_assert_msg(strstr(vf_jstr(o, "error"), why), "start %s: %s", id, vf_jstr(o, "error"));
	free(err);
	json_object_put(o);
}

/* The jailed workload's /dev: its volume's node (its uid's, 0600) and no other block device. */
static void assert_jail_dev(const char *id)
{
	char *log = vf_workload_log(id), want[160];
	struct json_object *show = vf_show(id), *j;

	ck_assert(json_object_object_get_ex(show, "jail", &j));
	snprintf(want, sizeof(want), "block /dev/mapper/vigil-%s ", id);
	ck_assert_msg(log && strstr(log, want), "%s", log);
	snprintf(want, sizeof(want), " mode 600 uid %lld\n", (long long)vf_jint(j, "uid"));
	ck_assert_msg(strstr(log, want), "%s", log);
	ck_assert_msg(strstr(log, "block devices: 1\n"), "%s", log);
	ck_assert_msg(strstr(log, "sys dev block: No such file or directory\n"), "%s", log);
	free(log);
	json_object_put(show);
}

/*
 * dm-crypt for real: the pattern written through {volume} is read back
 * after a stop and a start with the key, and after kill -9 of vigild; no
 * key or a wrong one is refused; delete erases the volume.
 */
START_TEST(test_dm_roundtrip)
{
	char id[64], good[PATH_MAX], wrong[PATH_MAX];
	unsigned char other[KEY_BYTES];

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(id, sizeof(id), "d");
	create_volume_workload(id, "no");
	write_key(good, sizeof(good), "good.key", key, sizeof(key));
	write_key(wrong, sizeof(wrong), "wrong.key", other, sizeof(other));
	start_with_key_ok(id, good);
	wait_log_count(id, "wrote pattern", 1);
	assert_volume_state(id, "open");
	assert_jail_dev(id);
	vf_wl_ok("stop", id);
	assert_volume_state(id, "closed");
	assert_start_refused(id, NULL, "its volume is locked");
	assert_start_refused(id, wrong, "the key does not open it");
	assert_state(id, "stopped");
	assert_volume_state(id, "closed");
	start_with_key_ok(id, good);
	wait_log_count(id, "found pattern", 1);
	/* the mapping is the kernel's: vigild's death does not close it */
	vf_stop_vigild_hard();
	vf_spawn_vigild();
	ck_assert(vf_vigild_up());
	assert_state(id, "running");
	assert_volume_state(id, "open");
	vf_wl_ok("stop", id);
	start_with_key_ok(id, good);
	wait_log_count(id, "found pattern", 2);
	assert_key_nowhere();
	vf_wl_ok("delete", id);
	ck_assert(!volume_exists(id));
}
END_TEST

/* Closes the mapping as a host's shutdown would, once nothing holds it. */
static void close_mapping(const char *id)
{
	struct vigil_volume_store st;
	char err[512];
	int r = -EBUSY;

	store(&st);
	for (int i = 0; i < 50 && r == -EBUSY; i++) {
		r = vigil_volume_close(&st, id, err, sizeof(err));
		if (r == -EBUSY)
			usleep(100 * 1000);
	}
	ck_assert_msg(r == 0, "closing %s: %s", id, err);
}

/* `vigil volume open ID --key-file F` on vigild's state directory, as an admin would. */
static bool cli_open_volume(const char *id, const char *key_file)
{
	const char *args[] = { "volume", "open",	id,	  "--key-file",
			       key_file, "--state-dir", vf.state, NULL };
	struct cmd_result r;
	bool ok;

	run_vigil_args(&r, args, 8);
	ok = r.status == 0;
	if (!ok)
		fprintf(stderr, "vigil volume open %s: %s%s\n", id, r.out, r.err);
	cmd_result_free(&r);
	return ok;
}

/*
 * A "reboot": vigild killed, then the workload's processes, cgroup and
 * mapping gone. vigild comes back to a workload waiting for its key, which
 * its restart policy does not spin on; the key starts it on its data.
 */
START_TEST(test_dm_reboot)
{
	char id[64], good[PATH_MAX], wrong[PATH_MAX], cgroup[PATH_MAX], want[160];
	unsigned char other[KEY_BYTES];
	struct json_object *show;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(id, sizeof(id), "b");
	create_volume_workload(id, "on-failure");
	write_key(good, sizeof(good), "good.key", key, sizeof(key));
	start_with_key_ok(id, good);
	wait_log_count(id, "wrote pattern", 1);
	show = vf_show(id);
	snprintf(cgroup, sizeof(cgroup), "%s", vf_jstr(show, "cgroup"));
	json_object_put(show);
	vf_stop_vigild_hard();
	cgroup_kill_remove(cgroup);
	close_mapping(id);
	vf_spawn_vigild();
	ck_assert(vf_vigild_up());
	/* longer than the policy's first back-off: it must not have tried */
	sleep(2);
	show = vf_show(id);
	ck_assert_str_eq(vf_state_of(show), "waiting");
	snprintf(want, sizeof(want), "volume key: vigil workload start %s --volume-key-file F", id);
	ck_assert_str_eq(vf_jstr(show, "waiting_for"), want);
	ck_assert_int_eq(vf_jint(show, "restarts"), 0);
	json_object_put(show);
	assert_volume_state(id, "locked");
	assert_start_refused(id, NULL, "its volume is locked");
	/* a stop ends the wait */
	vf_wl_ok("stop", id);
	assert_state(id, "stopped");
	assert_volume_state(id, "closed");
	start_with_key_ok(id, good);
	wait_log_count(id, "found pattern", 1);
	assert_state(id, "running");
	/* a key given while the volume is open is checked all the same */
	write_key(wrong, sizeof(wrong), "wrong.key", other, sizeof(other));
	vf_wl_ok("stop", id);
	ck_assert(cli_open_volume(id, good));
	assert_start_refused(id, wrong, "the key does not open it");
	assert_state(id, "stopped");
	start_with_key_ok(id, good);
	wait_log_count(id, "found pattern", 2);
	vf_wl_ok("stop", id);
	vf_wl_ok("delete", id);
}
END_TEST

/* vigild, armed to kill itself at `point`, is started in place of the running one. */
static pid_t spawn_armed(const char *point)
{
	pid_t pid;

	vf_stop_vigild();
	setenv("VIGILD_CRASH_AT", point, 1);
	pid = vf_spawn_vigild();
	unsetenv("VIGILD_CRASH_AT");
	ck_assert(vf_vigild_up());
	return pid;
}

static void assert_killed_then_restart(pid_t pid, const char *point)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "vigild did not die at %s", point);
	vf_spawn_vigild();
	ck_assert(vf_vigild_up());
}

/* A delete is over when vigild releases the workload (its final ledger record is durable). */
static void assert_delete_finished(const char *id)
{
	int status = 0;

	for (int i = 0; i < 200 && status == 0; i++) {
		json_object_put(vf_wl_cmd(&status, "show", id));
		if (status == 0)
			usleep(50 * 1000);
	}
	ck_assert_msg(status != 0, "deleted %s is not released 10 s after the restart", id);
}

/*
 * vigild killed right after the volume opened (the start not yet spawned),
 * right after it closed at a stop, and right after a delete erased it: the
 * next vigild finishes or undoes what was under way.
 */
START_TEST(test_dm_crash_points)
{
	char id[64], good[PATH_MAX];
	struct json_object *o;
	int status;
	pid_t pid;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");

	vf_id_of(id, sizeof(id), "c");
	create_volume_workload(id, "no");
	write_key(good, sizeof(good), "good.key", key, sizeof(key));
	pid = spawn_armed("volume.opened");
	o = start_with_key(id, good, &status, NULL);
	ck_assert_int_ne(status, 0);
	json_object_put(o);
	assert_killed_then_restart(pid, "volume.opened");
	assert_state(id, "created");
	assert_volume_state(id, "closed");
	start_with_key_ok(id, good);
	wait_log_count(id, "wrote pattern", 1);
	pid = spawn_armed("volume.closed");
	o = vf_wl_cmd(&status, "stop", id);
	json_object_put(o);
	assert_killed_then_restart(pid, "volume.closed");
	assert_state(id, "stopped");
	assert_volume_state(id, "closed");
	pid = spawn_armed("delete.volume");
	o = vf_wl_cmd(&status, "delete", id);
	json_object_put(o);
	assert_killed_then_restart(pid, "delete.volume");
	assert_delete_finished(id);
	ck_assert(!volume_exists(id));
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("vigild_volume");

	vf.suite = "volume";
	if (argc == 3 && strcmp(argv[1], "--volume-io") == 0)
		return volume_io_main(argv[2]);
	vf_require("vigild_volume");
	vf_add_case(s, "spec", test_spec, vf_make_env, vf_remove_env);
	vf_add_case(s, "start_refused", test_start_refused, vf_make_env, vf_remove_env);
	vf_add_case(s, "scm_rights", test_scm_rights, vf_make_env, vf_remove_env);
	vf_add_case(s, "delete", test_delete, vf_make_env, vf_remove_env);
	if (!dm_ready()) {
		char err[256];

		vigil_volume_kernel_ready(true, err, sizeof(err));
		printf("vigild_volume: dm-crypt cases skipped: %s\n", err);
	} else {
		vf_add_case(s, "dm_roundtrip", test_dm_roundtrip, vf_make_env, vf_remove_env);
		vf_add_case(s, "dm_reboot", test_dm_reboot, vf_make_env, vf_remove_env);
		vf_add_case(s, "dm_crash_points", test_dm_crash_points, vf_make_env, vf_remove_env);
	}
	return run_suite(s);
}
