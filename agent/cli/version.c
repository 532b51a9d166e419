// SPDX-License-Identifier: GPL-2.0-or-later
#include <bpf/libbpf.h>
#include <json-c/json_c_version.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "objects.h"
#include "print.h"

int do_version(int argc, char **argv)
{
	const struct scmp_version *seccomp = seccomp_version();
	struct utsname uts;
	char seccomp_str[32];

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		print_help("Usage: vigil version\n"
			   "\n"
			   "vigil's version and git commit, the libraries it runs with, and the\n"
			   "kernel's release.\n");
		return CLI_OK;
	}
	if (argc > 1)
		return p_usage("vigil help", "vigil version: unexpected argument \"%s\"", argv[1]);
	snprintf(seccomp_str, sizeof(seccomp_str), "%u.%u.%u", seccomp->major, seccomp->minor,
		 seccomp->micro);
	if (uname(&uts) < 0)
		uts.release[0] = '\0';

	open_json_object(NULL);
	print_string(PRINT_ANY, "version", "vigil %s", VIGIL_VERSION);
	print_string(PRINT_ANY, "git_commit", " (git %s)\n", VIGIL_GIT_COMMIT);
	print_string(PRINT_ANY, "libbpf", "  libbpf        %s\n", libbpf_version_string());
	print_string(PRINT_ANY, "libcryptsetup", "  libcryptsetup %s\n",
		     VIGIL_LIBCRYPTSETUP_VERSION);
	print_string(PRINT_ANY, "libseccomp", "  libseccomp    %s\n", seccomp_str);
	print_string(PRINT_ANY, "json_c", "  json-c        %s\n", json_c_version());
	print_string(PRINT_ANY, "kernel", "  kernel        %s\n", uts.release);
	close_json_object();
	return CLI_OK;
}
