// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An import stream comes from another host: whatever its bytes, the import
 * never crashes, refuses it with one printable line, and leaves nothing in
 * the state directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "volume.h"

static char state[] = "/tmp/vigil-fuzz-volume-XXXXXX";

/* The entries of `sub` in <state>/volumes besides . and .. (and .locks, a directory) */
static int entries(const char *sub)
{
	char dir[96];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/volumes%s", state, sub);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		     strcmp(de->d_name, ".locks");
	closedir(d);
	return n;
}

static int volume_files(void)
{
	return entries("") + entries("/.locks");
}

static void remove_state(void)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "%s/volumes/.locks", state);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/volumes", state);
	rmdir(dir);
	rmdir(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool made;
	struct vigil_volume_store st = { .state_dir = state };
	char err[512], sum[VIGIL_VOLUME_SHA256_HEX];
	int fd, ret;

	if (!made) {
		if (!mkdtemp(state))
			abort();
		atexit(remove_state);
		made = true;
	}
	fd = memfd_create("stream", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	err[0] = '\0';
	/* as the admin names it, or as the stream does (an id that must be checked) */
	ret = vigil_volume_import(&st, size % 2 ? NULL : "f", fd, NULL, NULL, sum, err,
				  sizeof(err));
	close(fd);
	/* a stream that passes its SHA-256 and the header check is a real export: not here */
	FUZZ_ASSERT(ret < 0 && err[0]);
	for (const char *c = err; *c; c++)
		FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
	FUZZ_ASSERT(volume_files() == 0);
	return 0;
}
