// SPDX-License-Identifier: GPL-2.0-or-later
#include "jail_seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail_syscalls.h"

/*
 * clone() flags that make namespaces. CLONE_NEWTIME is not among them: in
 * clone()'s flags its bit is part of the exit signal; only clone3() and
 * unshare() take it, and both are refused.
 */
#define NAMESPACE_FLAGS                                                                \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET)

static const int socket_families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

static int add_rule(scmp_filter_ctx ctx, const struct vigil_syscall *sc)
{
	int nr = seccomp_syscall_resolve_name(sc->name), ret = 0;

	/* a call newer than this libseccomp: it cannot be named, so it stays refused */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	switch (sc->rule) {
	case VIGIL_SC_ALLOW:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	case VIGIL_SC_ENOSYS:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	case VIGIL_SC_CLONE:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, NAMESPACE_FLAGS, 0));
	case VIGIL_SC_SOCKET:
		for (size_t i = 0; !ret && i < sizeof(socket_families) / sizeof(int); i++)
			ret = seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, nr, 1,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)socket_families[i]));
		return ret;
	}
	return -EINVAL;
}

static int make_ctx(enum vigil_seccomp_profile profile, enum vigil_seccomp_mode mode, bool tree,
		    scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx;
	const struct vigil_syscall *calls;
	size_t n;
	int r;

	if (profile >= VIGIL_SECCOMP__COUNT)
		return -EINVAL;
	ctx = seccomp_init(mode == VIGIL_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	/* the native architecture only (seccomp_init adds it): anything else is killed */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!r && tree)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	calls = vigil_syscalls_base(&n);
	for (size_t i = 0; !r && i < n; i++)
		r = add_rule(ctx, &calls[i]);
	calls = vigil_syscalls_profile(profile, &n);
	for (size_t i = 0; !r && i < n; i++)
		r = add_rule(ctx, &calls[i]);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

/* What an export wrote into the memfd `fd`, read back whole. */
static int read_back(int fd, char **ret, size_t *ret_len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf;

	if (size < 0)
		return -errno;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, (size_t)size, 0) != size) {
		free(buf);
		return -EIO;
	}
	buf[size] = '\0';
	*ret = buf;
	*ret_len = (size_t)size;
	return 0;
}

typedef int (*export_fn)(const scmp_filter_ctx ctx, int fd);

static int export(enum vigil_seccomp_profile profile, enum vigil_seccomp_mode mode, bool tree,
		  export_fn fn, char **ret, size_t *ret_len)
{
	scmp_filter_ctx ctx;
	int fd, r;

	r = make_ctx(profile, mode, tree, &ctx);
	if (r < 0)
		return r;
	fd = memfd_create("vigil-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = fn(ctx, fd);
	if (!r)
		r = read_back(fd, ret, ret_len);
	close(fd);
out:
	seccomp_release(ctx);
	return r;
}

int vigil_seccomp_build(enum vigil_seccomp_profile profile, enum vigil_seccomp_mode mode, bool tree,
			struct vigil_seccomp_filter *ret)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	size_t len;
	char *bytes;
	int r;

	r = export(profile, mode, tree, seccomp_export_bpf, &bytes, &len);
	if (r < 0)
		return r;
	if (!len || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		free(bytes);
		return -E2BIG;
	}
	crypto_hash_sha256(hash, (unsigned char *)bytes, len);
	sodium_bin2hex(ret->sha256, sizeof(ret->sha256), hash, sizeof(hash));
	ret->insns = (struct sock_filter *)bytes;
	ret->len = (unsigned short)(len / sizeof(struct sock_filter));
	return 0;
}

void vigil_seccomp_filter_free(struct vigil_seccomp_filter *f)
{
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}

int vigil_seccomp_pfc(enum vigil_seccomp_profile profile, enum vigil_seccomp_mode mode, char **ret)
{
	size_t len;

	return export(profile, mode, VIGIL_SECCOMP_OPTIMIZE_TREE, seccomp_export_pfc, ret, &len);
}

int vigil_seccomp_install(const struct vigil_seccomp_filter *f)
{
	struct sock_fprog prog = { .len = f->len, .filter = f->insns };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);

	/* a positive return is a thread that could not be synchronized */
	if (r < 0)
		return -errno;
	return r > 0 ? -ESRCH : 0;
}
