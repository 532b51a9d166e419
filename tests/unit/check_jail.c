// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The jail's building blocks: the spec's "jail" object, the seccomp filters
 * (installed in a child against the real kernel), the image-directory
 * checks (real symlinks on a real filesystem) and the cgroup limit values.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_limits.h"
#include "jail.h"
#include "jail_paths.h"
#include "jail_seccomp.h"
#include "jail_spec.h"
#include "testutil.h"

static int parse(const char *text, struct vigil_jail_spec *j, char *err, size_t len)
{
	struct json_object *o = json_tokener_parse(text);
	int r;

	ck_assert_ptr_nonnull(o);
	r = vigil_jail_spec_parse(o, VIGIL_SECCOMP_GENERIC, j, err, len);
	json_object_put(o);
	return r;
}

static void expect_error(const char *text, const char *msg)
{
	struct vigil_jail_spec j;
	char err[512] = "";

	ck_assert_int_eq(parse(text, &j, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, msg), "for %s: expected \"%s\" in \"%s\"", text, msg, err);
}

START_TEST(test_default_is_strict)
{
	struct vigil_jail_spec j;
	char err[256] = "";

	ck_assert_int_eq(parse("{\"id\":\"a\"}", &j, err, sizeof(err)), 0);
	ck_assert(j.enabled);
	ck_assert_int_eq(j.seccomp, VIGIL_SECCOMP_GENERIC);
	ck_assert_int_eq(j.seccomp_mode, VIGIL_SECCOMP_KILL);
	ck_assert_uint_eq(j.devices, 0);
	ck_assert_uint_eq(j.n_ro_paths + j.n_rw_paths, 0);
	vigil_jail_spec_free(&j);
}
END_TEST

START_TEST(test_full_and_round_trip)
{
	const char *text = "{\"jail\":{\"seccomp\":\"qemu\",\"seccomp_mode\":\"log\","
			   "\"devices\":[\"tun\",\"kvm\"],\"ro_paths\":[\"/srv/img/vmlinuz\"],"
			   "\"rw_paths\":[\"/srv/img/disk.img\"]}}";
	struct vigil_jail_spec j, k;
	struct json_object *o, *wrap;
	char err[256] = "";

	ck_assert_int_eq(parse(text, &j, err, sizeof(err)), 0);
	ck_assert_int_eq(j.seccomp, VIGIL_SECCOMP_QEMU);
	ck_assert_int_eq(j.seccomp_mode, VIGIL_SECCOMP_LOG);
	ck_assert_uint_eq(j.devices, VIGIL_JAIL_DEV_TUN | VIGIL_JAIL_DEV_KVM);
	ck_assert_str_eq(j.ro_paths[0], "/srv/img/vmlinuz");
	ck_assert_str_eq(j.rw_paths[0], "/srv/img/disk.img");
	o = vigil_jail_spec_to_json(&j);
	wrap = json_object_new_object();
	json_object_object_add(wrap, "jail", o);
	ck_assert_int_eq(vigil_jail_spec_parse(wrap, VIGIL_SECCOMP_GENERIC, &k, err, sizeof(err)),
			 0);
	ck_assert_int_eq(k.seccomp, j.seccomp);
	ck_assert_int_eq(k.seccomp_mode, j.seccomp_mode);
	ck_assert_uint_eq(k.devices, j.devices);
	ck_assert_str_eq(k.rw_paths[0], j.rw_paths[0]);
	json_object_put(wrap);
	vigil_jail_spec_free(&j);
	vigil_jail_spec_free(&k);
}
END_TEST

START_TEST(test_bad_jail_objects)
{
	expect_error("{\"jail\":[]}", "jail must be an object");
	expect_error("{\"jail\":{\"chroot\":\"/\"}}", "unknown field \"jail.chroot\"");
	expect_error("{\"jail\":{\"enabled\":\"no\"}}", "jail.enabled must be true or false");
	expect_error("{\"jail\":{\"enabled\":false,\"seccomp\":\"qemu\"}}",
		     "jail.seccomp applies to a jailed workload");
	expect_error("{\"jail\":{\"seccomp\":\"docker\"}}", "jail.seccomp must be a profile");
	expect_error("{\"jail\":{\"seccomp_mode\":\"errno\"}}",
		     "jail.seccomp_mode must be \"kill\" or \"log\"");
	expect_error("{\"jail\":{\"devices\":\"tun\"}}", "jail.devices must be an array");
	expect_error("{\"jail\":{\"devices\":[\"sda\"]}}",
		     "jail.devices[0] must be \"tun\" or \"kvm\"");
	expect_error("{\"jail\":{\"ro_paths\":[\"img/vmlinuz\"]}}",
		     "jail.ro_paths[0] must be an absolute, normalized path");
	expect_error("{\"jail\":{\"ro_paths\":[\"/srv/../etc/shadow\"]}}",
		     "jail.ro_paths[0] must be an absolute, normalized path");
	expect_error("{\"jail\":{\"rw_paths\":[\"/\"]}}", "jail.rw_paths[0] must be");
	expect_error("{\"jail\":{\"ro_paths\":[\"/srv/img\"],\"rw_paths\":[\"/srv/img/d\"]}}",
		     "jail.rw_paths[0] \"/srv/img/d\" overlaps jail.ro_paths[0]");
}
END_TEST

START_TEST(test_path_helpers)
{
	ck_assert(vigil_path_normalized("/srv/img/a.img"));
	ck_assert(!vigil_path_normalized("/srv//img"));
	ck_assert(!vigil_path_normalized("/srv/img/"));
	ck_assert(!vigil_path_normalized("/srv/./img"));
	ck_assert(!vigil_path_normalized("srv"));
	ck_assert(vigil_path_within("/srv/img/a", "/srv/img"));
	ck_assert(vigil_path_within("/srv/img", "/srv/img"));
	ck_assert(!vigil_path_within("/srv/images", "/srv/img"));
}
END_TEST

/*
 * Runs `body` in a child with the filter installed as the jail installs it
 * (no_new_privs, then seccomp), and returns the child's wait status. The
 * child leaves with _exit: the sanitizers' exit-time work is not on the
 * allow-list.
 */
static int run_filtered(enum vigil_seccomp_mode mode, int (*body)(void))
{
	struct vigil_seccomp_filter f;
	pid_t pid;
	int status;

	ck_assert_int_eq(
		vigil_seccomp_build(VIGIL_SECCOMP_GENERIC, mode, VIGIL_SECCOMP_OPTIMIZE_TREE, &f),
		0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || vigil_seccomp_install(&f) < 0)
			_exit(100);
		_exit(body());
	}
	vigil_seccomp_filter_free(&f);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static int allowed_calls(void)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	char buf[16];
	int fd;

	if (getpid() <= 0)
		return 1;
	/* answered ENOSYS, so that libc falls back to clone */
	if (syscall(SYS_clone3, &args, sizeof(args)) != -1 || errno != ENOSYS)
		return 2;
	fd = open("/proc/self/stat", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return 3;
	close(fd);
	return 0;
}

static int forbidden_call(void)
{
	syscall(SYS_kexec_load, 0, 0, 0, 0);
	return 0;
}

static int namespace_clone(void)
{
	syscall(SYS_unshare, CLONE_NEWUSER);
	return 0;
}

START_TEST(test_seccomp_allows_profile)
{
	int status = run_filtered(VIGIL_SECCOMP_KILL, allowed_calls);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}
END_TEST

START_TEST(test_seccomp_kills_outside_profile)
{
	int status = run_filtered(VIGIL_SECCOMP_KILL, forbidden_call);

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x", status);
	status = run_filtered(VIGIL_SECCOMP_KILL, namespace_clone);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x", status);
}
END_TEST

START_TEST(test_seccomp_log_mode_allows)
{
	int status = run_filtered(VIGIL_SECCOMP_LOG, forbidden_call);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}
END_TEST

START_TEST(test_seccomp_builds_are_stable)
{
	struct vigil_seccomp_filter a, b, linear;
	char *pfc = NULL;

	ck_assert_int_eq(vigil_seccomp_build(VIGIL_SECCOMP_QEMU, VIGIL_SECCOMP_KILL, true, &a), 0);
	ck_assert_int_eq(vigil_seccomp_build(VIGIL_SECCOMP_QEMU, VIGIL_SECCOMP_KILL, true, &b), 0);
	ck_assert_int_eq(
		vigil_seccomp_build(VIGIL_SECCOMP_QEMU, VIGIL_SECCOMP_KILL, false, &linear), 0);
	ck_assert_str_eq(a.sha256, b.sha256);
	ck_assert_str_ne(a.sha256, linear.sha256);
	ck_assert_int_gt(a.len, 0);
	ck_assert_int_eq(vigil_seccomp_pfc(VIGIL_SECCOMP_QEMU, VIGIL_SECCOMP_KILL, &pfc), 0);
	ck_assert_ptr_nonnull(strstr(pfc, "ioctl"));
	ck_assert_ptr_nonnull(strstr(pfc, "KILL_PROCESS"));
	free(pfc);
	vigil_seccomp_filter_free(&a);
	vigil_seccomp_filter_free(&b);
	vigil_seccomp_filter_free(&linear);
}
END_TEST

static char tmpdir[] = "/tmp/vigil-jail-unit.XXXXXX";

static void make_tree(void)
{
	char p[256];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(p, sizeof(p), "%s/images", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/state", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/images/vmlinuz", tmpdir);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/images/escape", tmpdir);
	ck_assert_int_eq(symlink("../state", p), 0);
	snprintf(p, sizeof(p), "%s/images/inside", tmpdir);
	ck_assert_int_eq(symlink("vmlinuz", p), 0);
}

static void remove_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_image_paths)
{
	char images[256], state[256], p[300], err[512];
	const char *dirs[1] = { images }, *private[1] = { state };
	int fd;

	make_tree();
	snprintf(images, sizeof(images), "%s/images", tmpdir);
	snprintf(state, sizeof(state), "%s/state", tmpdir);

	ck_assert_int_eq(vigil_image_dir_check(images, private, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(vigil_image_dir_check(tmpdir, private, 1, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "overlaps vigil's own"));
	ck_assert_int_eq(vigil_image_dir_check("/", NULL, 0, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(vigil_image_dir_check("/proc/self", NULL, 0, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is in /proc"));

	snprintf(p, sizeof(p), "%s/vmlinuz", images);
	ck_assert_int_eq(vigil_jail_path_open(dirs, 1, p, &fd), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/inside", images);
	ck_assert_int_eq(vigil_jail_path_open(dirs, 1, p, &fd), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/escape", images);
	ck_assert_int_eq(vigil_jail_path_open(dirs, 1, p, &fd), -EXDEV);
	snprintf(p, sizeof(p), "%s/missing", images);
	ck_assert_int_eq(vigil_jail_path_open(dirs, 1, p, &fd), -ENOENT);
	ck_assert_int_eq(vigil_jail_path_open(dirs, 1, state, &fd), -EACCES);
	remove_tree();
}
END_TEST

/* A command is run only if the jail sees it, through its symlinks too. */
START_TEST(test_command_in_jail)
{
	struct vigil_jail_spec j = { .enabled = true };
	char dir[] = "/tmp/vigil-jail-cmd-XXXXXX", prog[64], link[64], path[PATH_MAX];
	char *ro[] = { prog };

	ck_assert_int_eq(vigil_jail_command(&j, "sh", path, sizeof(path)), 0);
	ck_assert_msg(strncmp(path, "/usr/", 5) == 0 || strncmp(path, "/bin/", 5) == 0, "%s", path);
	ck_assert_int_eq(vigil_jail_command(&j, "vigil-no-such-command", path, sizeof(path)),
			 -ENOENT);
	ck_assert_int_eq(vigil_jail_command(&j, "./sh", path, sizeof(path)), -EACCES);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(close(open(prog, O_WRONLY | O_CREAT | O_CLOEXEC, 0755)), 0);
	ck_assert_int_eq(symlink("/usr/bin/env", link), 0);
	/* outside /usr and /etc: seen only when declared */
	ck_assert_int_eq(vigil_jail_command(&j, prog, path, sizeof(path)), -EACCES);
	j.ro_paths = ro;
	j.n_ro_paths = 1;
	ck_assert_int_eq(vigil_jail_command(&j, prog, path, sizeof(path)), 0);
	ck_assert_str_eq(path, prog);
	/* a link the jail does not have, to a program it has */
	ck_assert_int_eq(vigil_jail_command(&j, link, path, sizeof(path)), -EACCES);
	unlink(link);
	unlink(prog);
	rmdir(dir);
}
END_TEST

START_TEST(test_limit_values)
{
	struct vigil_limits l;

	vigil_limits_values(2, 512, false, &l);
	ck_assert_str_eq(l.l[VIGIL_LIMIT_CPU].value, "200000 100000");
	ck_assert_str_eq(l.l[VIGIL_LIMIT_MEMORY].value, "536870912");
	ck_assert_str_eq(l.l[VIGIL_LIMIT_SWAP].value, "0");
	ck_assert_str_eq(l.l[VIGIL_LIMIT_PIDS].value, "1024");
	ck_assert_uint_eq(vigil_limits_enforced(&l), 0);
	ck_assert_uint_eq(vigil_limit_memory_bytes(512, true), (512ull + VIGIL_VMM_OVERHEAD_MIB)
								       << 20);
	ck_assert_str_eq(vigil_limit_file(VIGIL_LIMIT_SWAP), "memory.swap.max");
	ck_assert_str_eq(vigil_limit_name(VIGIL_LIMIT_PIDS), "pids");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jail");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_default_is_strict);
	tcase_add_test(tc, test_full_and_round_trip);
	tcase_add_test(tc, test_bad_jail_objects);
	tcase_add_test(tc, test_path_helpers);
	tcase_add_test(tc, test_seccomp_allows_profile);
	tcase_add_test(tc, test_seccomp_kills_outside_profile);
	tcase_add_test(tc, test_seccomp_log_mode_allows);
	tcase_add_test(tc, test_seccomp_builds_are_stable);
	tcase_add_test(tc, test_image_paths);
	tcase_add_test(tc, test_limit_values);
	tcase_add_test(tc, test_command_in_jail);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
