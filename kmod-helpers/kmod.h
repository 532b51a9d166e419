/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_KMOD_H
#define VIGIL_KMOD_H

#include <stdbool.h>
#include <stddef.h>

enum vigil_module_state {
	VIGIL_MODULE_NO_SUPPORT, /* the kernel cannot load modules */
	VIGIL_MODULE_UNKNOWN,	 /* not in this kernel's module index */
	VIGIL_MODULE_BUILTIN,
	VIGIL_MODULE_LIVE,
	VIGIL_MODULE_NOT_LOADED,
};

/* What libkmod knows of `name` (a module name or alias) on this kernel. */
int vigil_module_state(const char *name, enum vigil_module_state *ret);
/* Loads `name` with its dependencies, like modprobe. 0 when it is in. */
int vigil_module_load(const char *name);
const char *vigil_module_state_name(enum vigil_module_state state);

/*
 * Makes sure the kernel can open an encrypted volume: device-mapper, its
 * crypt target and (`need_loop`) loop devices, loading the modules that are
 * modules. -ENOTSUP with `err` naming what this kernel lacks.
 */
int vigil_volume_kernel_ready(bool need_loop, char *err, size_t err_len);

#endif
