// SPDX-License-Identifier: GPL-2.0-or-later
#include "kmod.h"

#include <errno.h>
#include <libkmod.h>
#include <unistd.h>

/* /proc/modules exists exactly when the kernel has CONFIG_MODULES. */
static bool kernel_has_modules(void)
{
	return access("/proc/modules", F_OK) == 0;
}

static int open_module(const char *name, struct kmod_ctx **ret_ctx, struct kmod_module **ret_mod)
{
	struct kmod_list *list = NULL;
	struct kmod_ctx *ctx;
	int err;

	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	err = kmod_module_new_from_lookup(ctx, name, &list);
	if (err < 0) {
		kmod_unref(ctx);
		return err;
	}
	if (!list) {
		kmod_unref(ctx);
		return -ENOENT;
	}
	*ret_mod = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	*ret_ctx = ctx;
	return 0;
}

int vigil_module_state(const char *name, enum vigil_module_state *ret)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int err;

	if (!kernel_has_modules()) {
		*ret = VIGIL_MODULE_NO_SUPPORT;
		return 0;
	}
	err = open_module(name, &ctx, &mod);
	if (err == -ENOENT) {
		*ret = VIGIL_MODULE_UNKNOWN;
		return 0;
	}
	if (err < 0)
		return err;
	switch (kmod_module_get_initstate(mod)) {
	case KMOD_MODULE_BUILTIN:
		*ret = VIGIL_MODULE_BUILTIN;
		break;
	case KMOD_MODULE_LIVE:
	case KMOD_MODULE_COMING:
		*ret = VIGIL_MODULE_LIVE;
		break;
	default:
		*ret = VIGIL_MODULE_NOT_LOADED;
		break;
	}
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return 0;
}

int vigil_module_load(const char *name)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int err;

	if (!kernel_has_modules())
		return -ENOSYS;
	err = open_module(name, &ctx, &mod);
	if (err < 0)
		return err;
	err = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL,
					      NULL);
	kmod_module_unref(mod);
	kmod_unref(ctx);
	if (err > 0)
		return -EPERM; /* blacklisted or refused by an install command */
	return err;
}

const char *vigil_module_state_name(enum vigil_module_state state)
{
	switch (state) {
	case VIGIL_MODULE_NO_SUPPORT:
		return "kernel without module support";
	case VIGIL_MODULE_UNKNOWN:
		return "no such module";
	case VIGIL_MODULE_BUILTIN:
		return "built in";
	case VIGIL_MODULE_LIVE:
		return "loaded";
	case VIGIL_MODULE_NOT_LOADED:
		break;
	}
	return "not loaded";
}
