// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an encrypted volume needs of the kernel: device-mapper with its
 * crypt target, and loop devices for a backing file. Where they are
 * modules they are loaded (like modprobe); where the kernel lacks them the
 * message names what is missing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmod.h"

/* "device-mapper" in /proc/misc: dm_mod is in (built in or loaded). */
static bool misc_device_present(const char *name)
{
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/misc", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *word = strchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		found = word && strcmp(word + 1, name) == 0;
	}
	fclose(f);
	return found;
}

/* Loads `name` when it is a module not yet in; its state afterwards. */
static enum vigil_module_state ensure_module(const char *name)
{
	enum vigil_module_state state;

	if (vigil_module_state(name, &state) < 0)
		return VIGIL_MODULE_UNKNOWN;
	if (state == VIGIL_MODULE_NOT_LOADED && vigil_module_load(name) == 0)
		state = VIGIL_MODULE_LIVE;
	return state;
}

int vigil_volume_kernel_ready(bool need_loop, char *err, size_t err_len)
{
	enum vigil_module_state dm_crypt;

	ensure_module("dm_mod");
	if (!misc_device_present("device-mapper")) {
		snprintf(err, err_len,
			 "this kernel has no device-mapper (dm_mod is neither built in nor "
			 "loadable): dm-crypt volumes cannot be opened on this host");
		return -ENOTSUP;
	}
	dm_crypt = ensure_module("dm_crypt");
	if (dm_crypt == VIGIL_MODULE_UNKNOWN || dm_crypt == VIGIL_MODULE_NOT_LOADED) {
		snprintf(err, err_len,
			 "this kernel's device-mapper has no crypt target (dm_crypt is %s)",
			 dm_crypt == VIGIL_MODULE_UNKNOWN ? "not available" : "not loadable");
		return -ENOTSUP;
	}
	if (need_loop) {
		ensure_module("loop");
		if (access("/dev/loop-control", F_OK) < 0) {
			snprintf(err, err_len,
				 "this kernel has no loop devices (/dev/loop-control): a backing "
				 "file cannot be attached");
			return -ENOTSUP;
		}
	}
	return 0;
}
