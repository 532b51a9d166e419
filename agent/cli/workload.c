// SPDX-License-Identifier: GPL-2.0-or-later
/* vigil workload: asks vigild, over its control socket, to manage workloads. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "objects.h"
#include "print.h"
#include "units.h"
#include "usage_fields.h"
#include "volume_key.h"
#include "workload_spec.h"

#define WORKLOAD_PATH "vigil workload"
#define WORKLOAD_HELP WORKLOAD_PATH " help"

static int do_workload_help(int argc, char **argv)
{
	print_help(
		"Usage: vigil workload create FILE\n"
		"       vigil workload { start | stop | delete | show } ID\n"
		"       vigil workload start ID --volume-key-file { FILE | - }\n"
		"       vigil workload delete ID --keep-volume\n"
		"       vigil workload show ID --seccomp\n"
		"       vigil workload list\n"
		"       vigil workload logs ID [-f|--follow]\n"
		"       vigil workload help\n"
		"\n"
		"Manages workloads through vigild's control socket (--socket). FILE is a\n"
		"workload spec (JSON: id, owner, vcpus, memory_mib, command, network,\n"
		"jail, stop, restart). --seccomp prints the filter a jailed workload runs under, as\n"
		"libseccomp's pseudo filter code. logs prints the workload's output (its\n"
		"stdout and stderr, kept in vigild's state directory); -f follows it until\n"
		"interrupted.\n"
		"A deleted workload's record and counters stay until its usage is exported,\n"
		"so its id cannot be reused until then.\n"
		"A workload with a volume (spec volume.size_mib) starts with the tenant's key\n"
		"(--volume-key-file, 32 to 512 bytes; - reads stdin) while its volume is closed:\n"
		"the key goes to vigild through a pipe, never in a request's JSON. Its delete\n"
		"erases the volume unless --keep-volume.\n");
	return CLI_OK;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Sends `req` (consumed) with `fd` (unless -1); on success *ret is the
 * response, else the error is reported.
 */
static int call_fd(struct json_object *req, int fd, struct json_object **ret)
{
	const char *path = vigil_global.socket_path;
	struct json_object *resp = NULL;
	int err = vigil_control_call_fd(path, req, fd, vigil_global.timeout_sec, &resp);

	json_object_put(req);
	if (err == -ETIMEDOUT) {
		p_err_hint("vigil --timeout SECONDS", "vigild at %s did not answer within %u s",
			   path, vigil_global.timeout_sec);
		return CLI_FAIL;
	}
	if (err == -ENOENT || err == -ECONNREFUSED) {
		p_err_hint("systemctl start vigil",
			   "vigild is not running: nothing listens on %s (start it with "
			   "'systemctl start vigil', or run 'vigild'; --socket PATH for another)",
			   path);
		return CLI_FAIL;
	}
	if (err == -EACCES || err == -EPERM) {
		p_err("vigild's control socket %s is root's only: run vigil as root (sudo)", path);
		return CLI_FAIL;
	}
	if (err < 0) {
		p_err_hint("vigild --socket PATH", "cannot reach vigild at %s: %s", path,
			   strerror(-err));
		return CLI_FAIL;
	}
	if (str(resp, "error")) {
		p_err_hint(str(resp, "hint"), "%s", str(resp, "error"));
		json_object_put(resp);
		return CLI_FAIL;
	}
	*ret = resp;
	return CLI_OK;
}

static int call(struct json_object *req, struct json_object **ret)
{
	return call_fd(req, -1, ret);
}

static struct json_object *request(const char *cmd, const char *id)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (id)
		json_object_object_add(req, "id", json_object_new_string(id));
	return req;
}

static void print_field(struct json_object *w, const char *key, const char *label)
{
	struct json_object *v;
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%-12s %%s\n", label);
	if (!json_object_object_get_ex(w, key, &v) || json_object_is_type(v, json_type_null)) {
		print_null(key);
		print_text("%-12s -\n", label);
	} else if (json_object_is_type(v, json_type_int)) {
		snprintf(fmt, sizeof(fmt), "%-12s %%" PRIu64 "\n", label);
		print_u64(PRINT_ANY, key, fmt, json_object_get_uint64(v));
	} else {
		print_string(PRINT_ANY, key, fmt, json_object_get_string(v));
	}
}

/* A field for JSON only (its text is said otherwise). */
static void print_json_field(struct json_object *w, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(w, key, &v) || json_object_is_type(v, json_type_null))
		print_null(key);
	else if (json_object_is_type(v, json_type_int))
		print_s64(PRINT_JSON, key, NULL, json_object_get_int64(v));
	else
		print_string(PRINT_JSON, key, NULL, json_object_get_string(v));
}

/* A time: raw nanoseconds in JSON, the date and how long ago in text. */
static void print_time_field(struct json_object *w, const char *key, const char *label)
{
	struct json_object *v;
	struct timespec now;
	char when[96];

	if (!json_object_object_get_ex(w, key, &v) || json_object_is_type(v, json_type_null)) {
		print_null(key);
		print_text("%-12s -\n", label);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	print_u64(PRINT_JSON, key, NULL, json_object_get_uint64(v));
	print_text("%-12s %s\n", label,
		   fmt_time(when, sizeof(when), json_object_get_uint64(v),
			    (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec));
}

static void print_network(struct json_object *w)
{
	struct json_object *net;

	if (!json_object_object_get_ex(w, "network", &net) ||
	    json_object_is_type(net, json_type_null)) {
		print_null("network");
		print_text("%-12s %s\n", "network:", "-");
		return;
	}
	open_json_object("network");
	print_string(PRINT_ANY, "mode", "network:     %s", str(net, "mode"));
	print_string(PRINT_ANY, "ipv4", " %s", str(net, "ipv4"));
	print_string(PRINT_ANY, "host_ipv4", " (host %s", str(net, "host_ipv4"));
	print_string(PRINT_ANY, "host_ifname", " on %s)\n", str(net, "host_ifname"));
	if (str(net, "ipv6")) {
		print_string(PRINT_ANY, "ipv6", "ipv6:        %s", str(net, "ipv6"));
		print_string(PRINT_ANY, "host_ipv6", " (host %s)\n", str(net, "host_ipv6"));
	}
	print_field(net, "ifindex", "ifindex:");
	print_field(net, "netns", "netns:");
	print_field(net, "mac", "mac:");
	if (json_object_object_get_ex(net, "vmm_uid", NULL)) {
		print_field(net, "vmm_uid", "vmm uid:");
		print_field(net, "vmm_gid", "vmm gid:");
	}
	close_json_object();
}

static void print_strings(struct json_object *o, const char *key, const char *label)
{
	struct json_object *arr;
	size_t n;

	if (!json_object_object_get_ex(o, key, &arr) || !json_object_is_type(arr, json_type_array))
		return;
	n = json_object_array_length(arr);
	print_text("%-12s", label);
	open_json_array(key);
	for (size_t i = 0; i < n; i++)
		print_string(PRINT_ANY, NULL, " %s",
			     json_object_get_string(json_object_array_get_idx(arr, i)));
	close_json_array();
	print_text("%s\n", n ? "" : " -");
}

static void print_jail(struct json_object *w)
{
	struct json_object *j, *v;

	if (!json_object_object_get_ex(w, "jail", &j) || !json_object_is_type(j, json_type_object))
		return;
	open_json_object("jail");
	json_object_object_get_ex(j, "enabled", &v);
	print_bool(PRINT_ANY, "enabled", "jail:        %s", json_object_get_boolean(v), "yes",
		   "no (unjailed)");
	if (!json_object_get_boolean(v)) {
		print_text("\n");
		close_json_object();
		return;
	}
	print_string(PRINT_ANY, "seccomp", ", seccomp %s", str(j, "seccomp"));
	print_string(PRINT_ANY, "seccomp_mode", " (%s)\n", str(j, "seccomp_mode"));
	print_field(j, "uid", "  uid:");
	print_field(j, "gid", "  gid:");
	print_field(j, "seccomp_sha256", "  filter:");
	print_strings(j, "devices", "  devices:");
	print_strings(j, "ro_paths", "  ro paths:");
	print_strings(j, "rw_paths", "  rw paths:");
	close_json_object();
}

static void print_limits(struct json_object *w)
{
	struct json_object *arr;

	if (!json_object_object_get_ex(w, "limits", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	print_text("limits:\n");
	open_json_array("limits");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *l = json_object_array_get_idx(arr, i), *v;

		open_json_object(NULL);
		print_string(PRINT_ANY, "limit", "  %-8s", str(l, "limit"));
		print_string(PRINT_ANY, "file", " %-16s", str(l, "file"));
		print_string(PRINT_ANY, "value", " %-14s", str(l, "value"));
		json_object_object_get_ex(l, "enforced", &v);
		print_bool(PRINT_ANY, "enforced", " %s", json_object_get_boolean(v), "enforced",
			   "NOT enforced: ");
		if (str(l, "reason"))
			print_string(PRINT_ANY, "reason", "%s", str(l, "reason"));
		else
			print_null("reason");
		print_text("\n");
		close_json_object();
	}
	close_json_array();
}

/* The restart policy, how many it made, and when the next start is due while one is. */
static void print_restart(struct json_object *w)
{
	struct json_object *v;

	print_string(PRINT_ANY, "restart", "restart:     %s", str(w, "restart"));
	json_object_object_get_ex(w, "restarts", &v);
	print_u64(PRINT_ANY, "restarts", ", %" PRIu64 " restarts", json_object_get_uint64(v));
	if (!json_object_object_get_ex(w, "next_start_in_ms", &v) ||
	    json_object_is_type(v, json_type_null)) {
		print_null("next_start_in_ms");
		print_null("next_start_unix_ns");
		print_text("\n");
		return;
	}
	print_u64(PRINT_JSON, "next_start_in_ms", NULL, json_object_get_uint64(v));
	print_text(", next start in %.1f s\n", (double)json_object_get_int64(v) / 1000);
	json_object_object_get_ex(w, "next_start_unix_ns", &v);
	print_u64(PRINT_JSON, "next_start_unix_ns", NULL, json_object_get_uint64(v));
}

static void print_stop(struct json_object *w)
{
	struct json_object *stop, *v;

	if (!json_object_object_get_ex(w, "stop", &stop) ||
	    !json_object_is_type(stop, json_type_object))
		return;
	open_json_object("stop");
	print_string(PRINT_ANY, "method", "stop:        %s", str(stop, "method"));
	print_string(PRINT_ANY, "signal", " (signal %s", str(stop, "signal"));
	json_object_object_get_ex(stop, "timeout_s", &v);
	print_u64(PRINT_ANY, "timeout_s", ", kill after %" PRIu64 " s)\n",
		  json_object_get_uint64(v));
	close_json_object();
}

/* Its volume: size, device, state, and what is wrong with it when something is. */
static void print_volume(struct json_object *w)
{
	struct json_object *vol, *v;

	if (!json_object_object_get_ex(w, "volume", &vol) ||
	    json_object_is_type(vol, json_type_null)) {
		print_null("volume");
		return;
	}
	open_json_object("volume");
	json_object_object_get_ex(vol, "size_mib", &v);
	print_u64(PRINT_ANY, "size_mib", "volume:      %" PRIu64 " MiB", json_object_get_uint64(v));
	print_string(PRINT_ANY, "device", " %s", str(vol, "device"));
	print_string(PRINT_ANY, "state", " (%s)\n", str(vol, "state"));
	if (str(vol, "problem"))
		print_string(PRINT_ANY, "problem", "  problem:   %s\n", str(vol, "problem"));
	close_json_object();
}

static void print_workload_detail(struct json_object *w)
{
	struct json_object *cmd;

	print_field(w, "id", "workload:");
	print_field(w, "owner", "owner:");
	print_field(w, "state", "state:");
	/* after a host's reboot: what it waits for and how to give it */
	if (str(w, "waiting_for"))
		print_string(PRINT_ANY, "waiting_for", "waiting for: %s\n", str(w, "waiting_for"));
	/* a stop or delete under way, or one that failed midway and is to be repeated */
	print_field(w, "pending", "pending:");
	print_field(w, "pid", "pid:");
	/* the reason says it in words ("stopped by SIGTERM"); the raw status stays in JSON */
	if (str(w, "exit_reason")) {
		print_string(PRINT_ANY, "exit_reason", "ended:       %s\n", str(w, "exit_reason"));
		print_json_field(w, "exit_status");
		print_json_field(w, "exit_signal");
	} else {
		print_field(w, "exit_status", "exit status:");
		print_field(w, "exit_signal", "exit signal:");
	}
	print_time_field(w, "started_unix_ns", "started:");
	print_restart(w);
	print_stop(w);
	print_field(w, "slot", "slot:");
	print_field(w, "cgroup", "cgroup:");
	print_field(w, "vcpus", "vcpus:");
	print_field(w, "memory_mib", "memory MiB:");
	print_time_field(w, "created_unix_ns", "created:");
	print_text("%-12s", "command:");
	open_json_array("command");
	if (json_object_object_get_ex(w, "command", &cmd)) {
		for (size_t i = 0; i < json_object_array_length(cmd); i++)
			print_string(PRINT_ANY, NULL, " %s",
				     json_object_get_string(json_object_array_get_idx(cmd, i)));
	}
	close_json_array();
	print_text("\n");
	print_network(w);
	print_volume(w);
	print_jail(w);
	print_limits(w);
}

static void print_usage(struct json_object *u)
{
	open_json_object("usage");
	print_text("usage:\n");
	print_string(PRINT_JSON, "workload", NULL, str(u, "workload"));
	for (size_t i = 0; i < vigil_usage_n_fields; i++) {
		struct json_object *v;
		char label[40], human[48];

		if (!json_object_object_get_ex(u, vigil_usage_fields[i].name, &v))
			continue;
		/* text: aligned, in its unit, the exact figure after it; JSON: the figure */
		snprintf(label, sizeof(label), "%s:", vigil_usage_fields[i].name);
		print_u64(PRINT_JSON, vigil_usage_fields[i].name, NULL, json_object_get_uint64(v));
		print_text("  %-24s %14s", label,
			   fmt_unit(human, sizeof(human), json_object_get_uint64(v),
				    vigil_usage_fields[i].unit));
		if (vigil_usage_fields[i].unit != VIGIL_UNIT_COUNT)
			print_text("  (%" PRIu64 ")", json_object_get_uint64(v));
		print_text("\n");
	}
	close_json_object();
}

/* One workload's answer: the workload object (and the usage for show). */
static int print_one(struct json_object *resp, bool with_usage)
{
	struct json_object *w, *u;

	if (!json_object_object_get_ex(resp, "workload", &w)) {
		p_err("vigild answered without a workload");
		return CLI_FAIL;
	}
	open_json_object(NULL);
	print_workload_detail(w);
	if (with_usage && json_object_object_get_ex(resp, "usage", &u))
		print_usage(u);
	close_json_object();
	return CLI_OK;
}

/* Sends `req` (consumed) with `fd` (unless -1) and prints the workload it answers with. */
static int call_print(struct json_object *req, int fd, bool with_usage)
{
	struct json_object *resp;
	int status = call_fd(req, fd, &resp);

	if (status != CLI_OK)
		return status;
	status = print_one(resp, with_usage);
	json_object_put(resp);
	return status;
}

static int run_id_cmd(int argc, char **argv, const char *cmd, bool with_usage)
{
	char path[64], usage[64];

	snprintf(path, sizeof(path), WORKLOAD_PATH " %s", cmd);
	if (argc != 2) {
		snprintf(usage, sizeof(usage), "%s: expected one workload ID", path);
		return p_usage(WORKLOAD_HELP, "%s", usage);
	}
	return call_print(request(cmd, argv[1]), -1, with_usage);
}

/* What a key file's read failed with, in words. */
static const char *key_file_error(int err, char *buf, size_t len)
{
	switch (err) {
	case -ENODATA:
		return "it is empty";
	case -EINVAL:
		snprintf(buf, len, "it is shorter than %d bytes", VIGIL_VOLUME_KEY_MIN);
		return buf;
	case -EMSGSIZE:
		snprintf(buf, len, "it is longer than %d bytes", VIGIL_VOLUME_KEY_MAX);
		return buf;
	case -ENOMEM:
		return "no lockable memory for it (RLIMIT_MEMLOCK)";
	default:
		return strerror(-err);
	}
}

/*
 * The key into a pipe whose read end goes with the request: it fits the
 * pipe's buffer whole (VIGIL_VOLUME_KEY_MAX <= PIPE_BUF), so vigild reads it
 * without waiting. Our copy is wiped before the request is even sent.
 */
static int key_pipe(const char *file, int *ret_fd)
{
	struct vigil_volume_key *key = NULL;
	int fds[2], r = vigil_volume_key_read_file(file, &key);
	char why[64];
	ssize_t n;

	if (r < 0) {
		p_err("volume key %s: %s", strcmp(file, "-") ? file : "(stdin)",
		      key_file_error(r, why, sizeof(why)));
		return CLI_FAIL;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		vigil_volume_key_free(key);
		p_err("volume key: pipe: %s", strerror(errno));
		return CLI_FAIL;
	}
	n = write(fds[1], key->bytes, key->len);
	r = n == (ssize_t)key->len ? 0 : n < 0 ? -errno : -EIO;
	vigil_volume_key_free(key);
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		p_err("volume key: writing it into a pipe: %s", strerror(-r));
		return CLI_FAIL;
	}
	*ret_fd = fds[0];
	return CLI_OK;
}

static int do_workload_start(int argc, char **argv)
{
	int fd, status;

	if (argc != 4 || strcmp(argv[2], "--volume-key-file") != 0)
		return run_id_cmd(argc, argv, "start", false);
	status = key_pipe(argv[3], &fd);
	if (status != CLI_OK)
		return status;
	status = call_print(request("start", argv[1]), fd, false);
	close(fd);
	return status;
}

static int do_workload_stop(int argc, char **argv)
{
	return run_id_cmd(argc, argv, "stop", false);
}

static int do_workload_delete(int argc, char **argv)
{
	struct json_object *req;

	if (argc != 3 || strcmp(argv[2], "--keep-volume") != 0)
		return run_id_cmd(argc, argv, "delete", false);
	req = request("delete", argv[1]);
	json_object_object_add(req, "keep_volume", json_object_new_boolean(1));
	return call_print(req, -1, false);
}

/* show ID --seccomp: the filter the workload runs under, as libseccomp prints it */
static int show_seccomp(const char *id)
{
	struct json_object *req = request("show", id), *resp;
	int status;

	json_object_object_add(req, "seccomp", json_object_new_boolean(1));
	status = call(req, &resp);
	if (status != CLI_OK)
		return status;
	open_json_object(NULL);
	print_string(PRINT_JSON, "workload", NULL, id);
	print_string(PRINT_ANY, "seccomp_pfc", "%s", str(resp, "seccomp_pfc"));
	close_json_object();
	json_object_put(resp);
	return CLI_OK;
}

static int do_workload_show(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--seccomp") == 0)
		return show_seccomp(argv[1]);
	if (argc == 3 && strcmp(argv[1], "--seccomp") == 0)
		return show_seccomp(argv[2]);
	return run_id_cmd(argc, argv, "show", true);
}

static int do_workload_create(int argc, char **argv)
{
	struct json_object *spec, *req;
	char err[256], *text;
	size_t len = 0;
	FILE *f;
	int r;

	if (argc != 2)
		return p_usage(WORKLOAD_HELP, WORKLOAD_PATH " create: expected one spec FILE");
	f = fopen(argv[1], "re");
	if (!f) {
		p_err("workload spec %s: %s", argv[1], strerror(errno));
		return CLI_FAIL;
	}
	text = calloc(1, VIGIL_CONTROL_MAX_MSG);
	if (text)
		len = fread(text, 1, VIGIL_CONTROL_MAX_MSG - 1, f);
	fclose(f);
	if (!text || len == VIGIL_CONTROL_MAX_MSG - 1) {
		free(text);
		p_err("workload spec %s: %s", argv[1], text ? "too large" : strerror(ENOMEM));
		return CLI_FAIL;
	}
	r = vigil_json_parse(text, &spec, err, sizeof(err));
	free(text);
	if (r < 0) {
		p_err("workload spec %s: %s", argv[1], err);
		return CLI_FAIL;
	}
	req = request("create", NULL);
	json_object_object_add(req, "spec", spec);
	return call_print(req, -1, false);
}

static int do_workload_list(int argc, char **argv)
{
	struct json_object *resp, *arr;
	int status;

	if (argc > 1)
		return p_usage(WORKLOAD_HELP, WORKLOAD_PATH " list: unexpected argument \"%s\"",
			       argv[1]);
	status = call(request("list", NULL), &resp);
	if (status != CLI_OK)
		return status;
	if (!json_object_object_get_ex(resp, "workloads", &arr)) {
		json_object_put(resp);
		p_err("vigild answered without a workload list");
		return CLI_FAIL;
	}
	open_json_array(NULL);
	print_text("%-32s %-10s %-8s %-5s %-5s %-8s %s\n", "ID", "STATE", "PID", "SLOT", "VCPUS",
		   "MEM_MIB", "OWNER");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);

		if (json_output) {
			open_json_object(NULL);
			print_workload_detail(w);
			close_json_object();
			continue;
		}
		print_text("%-32s %-10s %-8s %-5s %-5s %-8s %s\n", str(w, "id"), str(w, "state"),
			   str(w, "pid") ? str(w, "pid") : "-", str(w, "slot"), str(w, "vcpus"),
			   str(w, "memory_mib"), str(w, "owner"));
	}
	close_json_array();
	json_object_put(resp);
	return CLI_OK;
}

static volatile sig_atomic_t logs_interrupted;

static void on_logs_signal(int sig)
{
	logs_interrupted = sig;
}

/* Copies what `fd` holds past where it is to stdout; -errno on a failed read. */
static int copy_out(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -EIO;
	}
	fflush(stdout);
	return n < 0 ? -errno : 0;
}

/* logs ID [-f]: the workload's output, as vigild keeps it in its state directory */
static int do_workload_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_logs_signal };
	struct json_object *resp, *w;
	bool follow = false;
	const char *id = NULL;
	int c, fd, err = 0;

	/* -f before or after the ID, as tail takes it */
	for (int pass = 0; pass < 2; pass++) {
		while ((c = cmd_getopt(argc, argv, WORKLOAD_PATH " logs", WORKLOAD_HELP, "f",
				       longopts)) != -1) {
			if (c != 'f')
				return CLI_USAGE;
			follow = true;
		}
		if (pass == 0 && optind < argc)
			id = argv[optind++];
	}
	if (!id || optind != argc)
		return p_usage(WORKLOAD_HELP, WORKLOAD_PATH " logs: expected one workload ID");
	if (json_output)
		return p_usage(WORKLOAD_HELP,
			       WORKLOAD_PATH " logs: the output is the workload's own text, not "
					     "JSON: run it without -j");
	if (call(request("show", id), &resp) != CLI_OK)
		return CLI_FAIL;
	if (!json_object_object_get_ex(resp, "workload", &w) || !str(w, "log")) {
		json_object_put(resp);
		p_err("vigild answered without the workload's log");
		return CLI_FAIL;
	}
	fd = open(str(w, "log"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* never started: nothing written yet */
		err = errno == ENOENT ? 0 : -errno;
		if (err)
			p_err(WORKLOAD_PATH " logs: %s: %s", str(w, "log"), strerror(errno));
		json_object_put(resp);
		return err ? CLI_FAIL : CLI_OK;
	}
	json_object_put(resp);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	do {
		err = copy_out(fd);
		if (!err && follow && !logs_interrupted)
			usleep(200 * 1000);
	} while (!err && follow && !logs_interrupted);
	close(fd);
	if (err)
		p_err(WORKLOAD_PATH " logs: workload %s: %s", id, strerror(-err));
	return err ? CLI_FAIL : CLI_OK;
}

static const struct cmd workload_cmds[] = {
	{ "create", do_workload_create },
	{ "start", do_workload_start },
	{ "stop", do_workload_stop },
	{ "delete", do_workload_delete },
	{ "list", do_workload_list },
	{ "show", do_workload_show },
	{ "logs", do_workload_logs },
	{ "help", do_workload_help },
	{ NULL, NULL },
};

int do_workload(int argc, char **argv)
{
	return cmd_dispatch(workload_cmds, WORKLOAD_PATH, "command", argc - 1, argv + 1);
}
