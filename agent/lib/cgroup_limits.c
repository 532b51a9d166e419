// SPDX-License-Identifier: GPL-2.0-or-later
#include "cgroup_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

struct limit_desc {
	const char *name, *file, *controller;
};

static const struct limit_desc limits[VIGIL_LIMIT__COUNT] = {
	[VIGIL_LIMIT_CPU] = { "cpu", "cpu.max", "cpu" },
	[VIGIL_LIMIT_MEMORY] = { "memory", "memory.max", "memory" },
	[VIGIL_LIMIT_SWAP] = { "swap", "memory.swap.max", "memory" },
	[VIGIL_LIMIT_PIDS] = { "pids", "pids.max", "pids" },
};

static const char *const controllers[] = { "cpu", "memory", "pids" };

const char *vigil_limit_name(enum vigil_limit limit)
{
	return limit < VIGIL_LIMIT__COUNT ? limits[limit].name : "unknown";
}

const char *vigil_limit_file(enum vigil_limit limit)
{
	return limit < VIGIL_LIMIT__COUNT ? limits[limit].file : "unknown";
}

uint64_t vigil_limit_memory_bytes(uint32_t memory_mib, bool vmm)
{
	return ((uint64_t)memory_mib + (vmm ? VIGIL_VMM_OVERHEAD_MIB : 0)) << 20;
}

void vigil_limits_values(uint32_t vcpus, uint32_t memory_mib, bool vmm, struct vigil_limits *ret)
{
	struct vigil_limit_status *l = ret->l;

	memset(ret, 0, sizeof(*ret));
	snprintf(l[VIGIL_LIMIT_CPU].value, sizeof(l[0].value), "%" PRIu64 " %u",
		 (uint64_t)vcpus * VIGIL_CPU_PERIOD_US, VIGIL_CPU_PERIOD_US);
	snprintf(l[VIGIL_LIMIT_MEMORY].value, sizeof(l[0].value), "%" PRIu64,
		 vigil_limit_memory_bytes(memory_mib, vmm));
	snprintf(l[VIGIL_LIMIT_SWAP].value, sizeof(l[0].value), "0");
	snprintf(l[VIGIL_LIMIT_PIDS].value, sizeof(l[0].value), "%d", VIGIL_PIDS_MAX);
}

/* Whether the space-separated list `list` holds `word`. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n) {
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	}
	return false;
}

void vigil_limits_enable(const char *mount, const char *parent)
{
	char dir[PATH_MAX], have[512];
	size_t len = strlen(mount);

	snprintf(dir, sizeof(dir), "%s", mount);
	/* each level from the mount down to `parent` enables them for the next */
	for (const char *p = parent + len;;) {
		char want[32];

		if (vigil_cgroup_read(dir, "cgroup.controllers", have, sizeof(have)) < 0)
			return;
		for (size_t i = 0; i < sizeof(controllers) / sizeof(*controllers); i++) {
			if (!has_word(have, controllers[i]))
				continue;
			snprintf(want, sizeof(want), "+%s", controllers[i]);
			vigil_cgroup_write(dir, "cgroup.subtree_control", want);
		}
		if (strlen(dir) >= strlen(parent))
			return;
		p += strspn(p, "/");
		p += strcspn(p, "/");
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - parent), parent);
	}
}

/* Why the cgroup `cgroup` has no `controller`: the hierarchy's root lacks it, or an ancestor. */
static void why_missing(const char *mount, const char *controller, char *why, size_t len)
{
	char root[512];
	struct vigil_cgroup2 cg;

	if (vigil_cgroup_read(mount, "cgroup.controllers", root, sizeof(root)) == 0 &&
	    has_word(root, controller)) {
		snprintf(why, len,
			 "the %s controller is on cgroup v2 but not enabled for vigil's cgroup "
			 "parent (cgroup.subtree_control of its ancestors)",
			 controller);
		return;
	}
	if (vigil_cgroup2_detect(&cg) == 0 && cg.mode == VIGIL_CGROUP_HYBRID)
		snprintf(why, len,
			 "the %s controller is not on cgroup v2: this hybrid host has it on "
			 "cgroup v1",
			 controller);
	else
		snprintf(why, len, "the kernel's cgroup v2 has no %s controller", controller);
}

int vigil_limits_apply(const char *mount, const char *cgroup, struct vigil_limits *l)
{
	char have[512];
	int ret;

	ret = vigil_cgroup_read(cgroup, "cgroup.controllers", have, sizeof(have));
	if (ret < 0)
		return ret;
	for (int i = 0; i < VIGIL_LIMIT__COUNT; i++) {
		struct vigil_limit_status *s = &l->l[i];

		s->enforced = false;
		s->reason[0] = '\0';
		if (!has_word(have, limits[i].controller)) {
			why_missing(mount, limits[i].controller, s->reason, sizeof(s->reason));
			continue;
		}
		ret = vigil_cgroup_write(cgroup, limits[i].file, s->value);
		if (ret == -ENOENT && i == VIGIL_LIMIT_SWAP)
			snprintf(s->reason, sizeof(s->reason),
				 "memory.swap.max is missing: the kernel does not account swap "
				 "(CONFIG_MEMCG_SWAP, or swapaccount=0)");
		else if (ret < 0)
			snprintf(s->reason, sizeof(s->reason), "writing %s: %s", limits[i].file,
				 strerror(-ret));
		else
			s->enforced = true;
	}
	return 0;
}

size_t vigil_limits_enforced(const struct vigil_limits *l)
{
	size_t n = 0;

	for (int i = 0; i < VIGIL_LIMIT__COUNT; i++)
		n += l->l[i].enforced;
	return n;
}
