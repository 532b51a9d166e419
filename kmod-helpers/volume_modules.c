// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an encrypted volume needs of the kernel: device-mapper with its
 * crypt target, and loop devices for a backing file. Where they are
 * modules they are loaded (like modprobe); then the feature probes say
 * whether they work, and their detail is the message when they do not.
 */
#include <errno.h>
#include <stdio.h>

#include "feature.h"
#include "kmod.h"

/* Loads `module` when it is one not yet in; a kernel without it is the probe's to report. */
static void load_if_module(const char *module)
{
	enum vigil_module_state state;

	if (vigil_module_state(module, &state) == 0 && state == VIGIL_MODULE_NOT_LOADED)
		vigil_module_load(module);
}

int vigil_volume_kernel_ready(bool need_loop, char *err, size_t err_len)
{
	struct vigil_feature dm = { 0 }, crypt = { 0 }, loop = { 0 };

	load_if_module("dm_mod");
	vigil_probe_device_mapper(&dm);
	if (!dm.available) {
		snprintf(err, err_len, "this kernel has no device-mapper: %s", dm.detail);
		return -ENOTSUP;
	}
	load_if_module("dm_crypt");
	vigil_probe_dm_crypt(&crypt, true);
	if (!crypt.available) {
		snprintf(err, err_len, "this kernel's device-mapper has no crypt target: %s",
			 crypt.detail);
		return -ENOTSUP;
	}
	if (need_loop) {
		load_if_module("loop");
		vigil_probe_loop(&loop);
		if (!loop.available) {
			snprintf(err, err_len,
				 "this kernel has no loop device for a backing file: %s",
				 loop.detail);
			return -ENOTSUP;
		}
	}
	return 0;
}
