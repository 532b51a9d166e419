/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit status that test harnesses (and tests/run-suites.sh) read as "skipped". */
#define EXIT_SKIP 77

/* Exits 77 with the reason when not root. */
void require_root(const char *suite);

struct cmd_result {
	int status; /* exit status, or 128 + signal */
	char *out;
	char *err;
};

/* Runs argv (NULL-terminated) and collects stdout, stderr and the exit status. */
int run_cmd(char *const argv[], struct cmd_result *ret);
void cmd_result_free(struct cmd_result *r);

/* Path of the vigil binary under test ($VIGIL, else build/vigil). */
const char *vigil_bin(void);
/* Runs `vigil ARGS...` (NULL-terminated). */
int run_vigil(struct cmd_result *ret, ...) __attribute__((sentinel));

/* Runs `vigil` with up to `max` words of args, stopping at the first NULL. */
int run_vigil_args(struct cmd_result *ret, const char *const *args, size_t max);

/* Runs a Check suite with fork isolation; returns the process exit status. */
struct Suite;
int run_suite(struct Suite *suite);

/* Parses exactly one JSON document, or returns NULL. */
struct json_object *parse_json(const char *text);

/* Reads a whole file (NUL-terminated); NULL when it cannot be read. */
char *read_file(const char *path);
/* The same, with its size (the file may hold NULs). */
char *read_file_size(const char *path, size_t *ret_size);
/* Reads /proc/config.gz or /boot/config-RELEASE; NULL when neither exists. */
char *read_kernel_config(void);
/* "y", "m" or NULL for CONFIG_<name> in the config text. */
const char *kernel_config_value(const char *config, const char *name);
/* true when a line of /proc/misc names `device` */
bool proc_misc_has(const char *device);

/* Redirects stdout into a buffer; the returned text is owned by the caller. */
void capture_stdout_begin(void);
char *capture_stdout_end(void);

/*
 * Workloads for metering tests: a suite's main() runs burn_cpu(argv[2]) when
 * re-executed as `--burn MS`; it spins for MS milliseconds and exits 0.
 */
int burn_cpu(const char *ms_arg) __attribute__((noreturn));
/* Keeps a CPU busy for `ms` milliseconds of wall time. */
void spin_cpu(long ms);
/*
 * Runs `n` burners of `ms` milliseconds (the suite re-executed as --burn MS)
 * straight in the cgroup v2 directory `dir`, waits for them and for their
 * final switch. Unchecked: aborts naming what failed, for fixtures.
 */
void burn_in_cgroup(const char *dir, int n, const char *ms);
/* Sets kernel.bpf_stats_enabled to '0' or '1'; returns the value it had ('0' if unreadable). */
char set_bpf_stats(char value);
/* cpu.stat usage_usec of the cgroup v2 directory `dir`, in ns (asserts it is readable). */
uint64_t cgroup_cpu_stat_ns(const char *dir);
/* Kills whatever a failed test left in the cgroup, then removes it. */
void cgroup_kill_remove(const char *path);

/*
 * How many loaded programs use the BPF map `map_id`. Programs of other
 * suites running at the same time do not count, so this holds on a busy host.
 */
int bpf_programs_using_map(unsigned int map_id);

/*
 * /sys/class/net/IFNAME/ATTR as a number, decimal or 0x-hex (asserts it is
 * readable). sysfs shows the namespace of whoever mounted it, not the reader's.
 */
uint64_t interface_attr(const char *ifname, const char *attr);
/* /sys/class/net/IFNAME/statistics/NAME (asserts it is readable). */
uint64_t interface_stat(const char *ifname, const char *name);

/* The Internet checksum of `len` bytes, in network byte order, ready to store. */
uint16_t inet_checksum(const void *data, size_t len);

/*
 * Moves the calling thread into the namespace `ip netns add NAME` made, or,
 * when NAME has a slash, the one bound at that path (asserts).
 */
void enter_netns(const char *name);

/*
 * Sends n UDP datagrams of 100 to 1080 bytes from the namespace `netns` (as
 * enter_netns() takes it; NULL: this one) to addr:port, IPv4 or IPv6;
 * returns once all are sent.
 */
void udp_burst(const char *netns, const char *addr, int port, int n);
/* The same from the source address `from`, one of the namespace's. */
void udp_burst_from(const char *netns, const char *from, const char *addr, int port, int n);
/* The bytes of the Ethernet frames those n datagrams make, to IPv6 or IPv4. */
uint64_t udp_burst_frame_bytes(int n, bool ipv6);

/*
 * A TCP listener on addr:port, IPv4 or IPv6 (NULL: any IPv4 address) in the namespace `ip netns
 * add` made (NULL: this one), forked and ready on return, until killed:
 * accepting (and closing) each connection, or, if hold, never accepting, so
 * that up to 64 connections stay established in its backlog.
 */
pid_t tcp_listener(const char *netns, const char *addr, int port, bool hold);
/* SIGKILL, and reaps it. */
void kill_wait(pid_t pid);

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/*
 * The host's TSC rate in kHz (rdtsc against CLOCK_MONOTONIC_RAW over 100 ms),
 * for a TCG guest's tsc_early_khz=: its PIT calibration fails now and then
 * (DESIGN.md); 0 off x86-64.
 */
unsigned long host_tsc_khz(void);

/*
 * The directory of the tests' microVM (scripts/guest/build-microvm.sh):
 * $VIGIL_GUEST_DIR, else build/guest. Exits 77 saying why when it has no
 * kernel or there is no qemu-system-x86_64.
 */
const char *require_microvm(const char *suite);

/* Runs the formatted shell command; its exit status (128 when it did not exit). */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Its standard output when it exits with 0, else NULL. Free it. */
char *sh_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
