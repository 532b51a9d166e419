// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A real microVM under vigild, end to end: qemu-system-x86_64 -M microvm
 * under TCG, booting Debian's own kernel with the workload image of
 * scripts/guest/build-microvm.sh, started as a jailed tap workload under the
 * qemu seccomp profile. Its guest burns CPU for a known time, writes a known
 * amount to its virtio-blk disk, sends a known number of bytes to a peer
 * namespace over its tap and gets an answer, and tries what its isolation
 * forbids: the host, a denied prefix, another workload, a spoofed source
 * address and a spoofed MAC; it is stopped through QMP, its power button,
 * and powers off. The metering is held against the kernel's own
 * figures: CPU against the cgroup's cpu.stat and QEMU's own CPU time, disk
 * against what the guest wrote, every network figure against the tap's
 * counters, what isolation dropped against its rules' counters; and the
 * ledger carries it all and verifies.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "meter_fixture.h"
#include "tap.h"
#include "testutil.h"
#include "vigild_fixture.h"

#define GUEST_MAC "02:00:5e:00:53:4d"
#define SPOOF_MAC "02:00:5e:00:53:99"
/* seconds of CPU the guest burns */
#define GUEST_BURN 2
#define DISK_MIB   8
/* TCP payload to the peer, and its answer */
#define SEND_BYTES  100000
#define REPLY_BYTES 20000
#define PEER_PORT   5001
/* QEMU's CPU time (getrusage's figure) against the meter's: the reaper is metered too */
#define QEMU_CPU_TOLERANCE_PERCENT 2.0
/* what QEMU writes of the guest's disk writes, against them */
#define DISK_TOLERANCE_PERCENT 5.0

static const char *guest_dir;
/* the peer namespace and its link; the denied prefix and the address tried there */
static char peer_ns[32], peer_host_if[IFNAMSIZ], peer_if[IFNAMSIZ];
static char peer_host_addr[32], peer_addr[32], deny_prefix[32], deny_addr[32], deny_arg[48];

/*
 * vigild with a denied prefix, and a peer: a namespace behind a veth whose
 * host end has only a /32 of its own, so the peer's address is no host
 * subnet (those are denied) and is public to the meter. The denied prefix
 * is routed to the peer too, so nothing leaves the host even if a rule were
 * missing. Unchecked fixtures: removed whatever a test did.
 */
static void remove_env(void);

static void make_env(void)
{
	int x = getpid() & 0xff;

	snprintf(peer_ns, sizeof(peer_ns), "vigil-mvpeer-%d", getpid());
	snprintf(peer_host_if, sizeof(peer_host_if), "vmp%d", getpid());
	snprintf(peer_if, sizeof(peer_if), "vmq%d", getpid());
	snprintf(peer_host_addr, sizeof(peer_host_addr), "198.18.%d.1", x);
	snprintf(peer_addr, sizeof(peer_addr), "198.18.%d.2", x);
	snprintf(deny_prefix, sizeof(deny_prefix), "198.18.%d.0/24", (x + 128) & 0xff);
	snprintf(deny_addr, sizeof(deny_addr), "198.18.%d.1", (x + 128) & 0xff);
	snprintf(deny_arg, sizeof(deny_arg), "%s", deny_prefix);
	vf.extra_args[0] = "--deny";
	vf.extra_args[1] = deny_arg;
	vf_make_env();
	if (sh("ip netns add %s && ip link add %s type veth peer name %s netns %s && "
	       "ip addr add %s/32 dev %s && ip link set %s up && "
	       "ip route add %s/32 dev %s && sysctl -qw net.ipv4.conf.%s.forwarding=1 && "
	       "ip -n %s addr add %s/32 dev %s && ip -n %s link set %s up && "
	       "ip -n %s route add %s/32 dev %s && ip -n %s route add default via %s && "
	       "ip route add %s dev %s",
	       peer_ns, peer_host_if, peer_if, peer_ns, peer_host_addr, peer_host_if, peer_host_if,
	       peer_addr, peer_host_if, peer_host_if, peer_ns, peer_addr, peer_if, peer_ns, peer_if,
	       peer_ns, peer_host_addr, peer_if, peer_ns, peer_host_addr, deny_prefix,
	       peer_host_if) != 0) {
		fprintf(stderr, "microvm: setting up the peer namespace failed\n");
		remove_env();
		abort();
	}
}

static void remove_env(void)
{
	sh("ip link del %s 2>/dev/null; ip netns del %s 2>/dev/null", peer_host_if, peer_ns);
	vf_remove_env();
}

/*
 * The peer: in its namespace, accepts one connection on peer_addr:port,
 * reads it to its end, answers REPLY_BYTES and closes; it exits with 0 when
 * it received exactly SEND_BYTES.
 */
static pid_t peer_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };
	int ready[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		static char buf[65536], reply[REPLY_BYTES];
		size_t got = 0;
		ssize_t n;
		int s, c1, one = 1;

		enter_netns(peer_ns);
		inet_pton(AF_INET, peer_addr, &a.sin_addr);
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		c1 = accept(s, NULL, NULL);
		if (c1 < 0)
			_exit(2);
		while ((n = read(c1, buf, sizeof(buf))) > 0)
			got += (size_t)n;
		if (write(c1, reply, sizeof(reply)) != (ssize_t)sizeof(reply))
			_exit(3);
		close(c1);
		_exit(got == SEND_BYTES ? 0 : 1);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void copy_in(const char *name, char *ret, size_t len)
{
	snprintf(ret, len, "%s/%s", vf.images, name);
	ck_assert_int_eq(sh("cp %s/%s %s", guest_dir, name, ret), 0);
	ck_assert_int_eq(chmod(ret, 0644), 0);
}

static uint64_t usage_of(struct json_object *show, const char *field)
{
	struct json_object *u;

	ck_assert(json_object_object_get_ex(show, "usage", &u));
	return (uint64_t)vf_jint(u, field);
}

/* QEMU: the reaper's only child, the second process of the workload's cgroup. */
static int qemu_pid(const char *id)
{
	char path[PATH_MAX + 32], *procs;
	int pid;

	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", vf.parent, id);
	procs = read_file(path);
	ck_assert_ptr_nonnull(procs);
	ck_assert_int_eq(sscanf(strchr(procs, '\n') + 1, "%d", &pid), 1);
	free(procs);
	return pid;
}

static void check_jailed_qemu(int pid, int64_t uid)
{
	char path[64], want[64], *status;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	status = read_file(path);
	ck_assert_ptr_nonnull(status);
	snprintf(want, sizeof(want), "\nUid:\t%lld\t%lld\t%lld\t%lld\n", (long long)uid,
		 (long long)uid, (long long)uid, (long long)uid);
	ck_assert_msg(strstr(status, want), "qemu is not uid %lld", (long long)uid);
	ck_assert(strstr(status, "\nCapEff:\t0000000000000000\n"));
	ck_assert(strstr(status, "\nCapBnd:\t0000000000000000\n"));
	ck_assert(strstr(status, "\nNoNewPrivs:\t1\n"));
	ck_assert(strstr(status, "\nSeccomp:\t2\n"));
	/* in a PID namespace of its own: its second process */
	ck_assert_msg(strstr(status, "\nNSpid:\t") && strstr(strstr(status, "\nNSpid:\t"), "\t2\n"),
		      "qemu is not pid 2 of its own namespace");
	free(status);
}

/* Every thread of QEMU is in the workload's cgroup: its CPU is the workload's. */
static int check_threads_in_cgroup(int pid, const char *id)
{
	char dir[64], path[PATH_MAX], want[PATH_MAX];
	struct dirent *e;
	int threads = 0;
	DIR *d;

	snprintf(want, sizeof(want), "0::%s/%s\n", vf.parent + strlen(vf.cg2.mount), id);
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		char *cg;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/cgroup", dir, e->d_name);
		cg = read_file(path);
		ck_assert_ptr_nonnull(cg);
		ck_assert_msg(strstr(cg, want), "qemu thread %s is in %s, not %s", e->d_name, cg,
			      want);
		free(cg);
		threads++;
	}
	closedir(d);
	return threads;
}

/* utime + stime of a process and all its threads, in ns: what getrusage gives of it. */
static uint64_t process_cpu_ns(int pid)
{
	char path[64], *stat, *p;
	unsigned long long utime = 0, stime = 0;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = read_file(path);
	ck_assert_ptr_nonnull(stat);
	/* fields 14 and 15, after the command in parentheses */
	p = strrchr(stat, ')');
	ck_assert(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			      &utime, &stime) == 2);
	free(stat);
	return (utime + stime) * 1000000000ull / (unsigned long long)hz;
}

struct tap_counts {
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets, tx_dropped;
};

static struct tap_counts tap_counts(const char *ifname)
{
	return (struct tap_counts){ interface_stat(ifname, "rx_bytes"),
				    interface_stat(ifname, "rx_packets"),
				    interface_stat(ifname, "tx_bytes"),
				    interface_stat(ifname, "tx_packets"),
				    interface_stat(ifname, "tx_dropped") };
}

/*
 * The workload's show and the tap's counters of one moment: the host may
 * still send the tap a frame (a neighbour probe) after QEMU is gone, so the
 * show is one read between two equal reads of the tap.
 */
static struct json_object *show_with_tap(const char *id, const char *ifname, struct tap_counts *ret)
{
	for (int i = 0; i < 20; i++) {
		struct tap_counts before = tap_counts(ifname);
		struct json_object *o = vf_show(id);

		*ret = tap_counts(ifname);
		if (!memcmp(&before, ret, sizeof(before)))
			return o;
		json_object_put(o);
		usleep(100 * 1000);
	}
	ck_abort_msg("the tap's counters of %s never held still", ifname);
	return NULL;
}

/* A drop counter of a workload's rules, from `vigil -j net show ID`. */
static uint64_t rule_drops(const char *id, const char *reason, const char *what)
{
	struct json_object *o, *drops, *why, *v;
	struct cmd_result r;
	uint64_t n;

	ck_assert_int_eq(run_vigil(&r, "-j", "net", "show", id, NULL), 0);
	ck_assert_msg(r.status == 0, "net show %s: %s", id, r.out);
	o = parse_json(r.out);
	ck_assert(o && json_object_object_get_ex(o, "drops", &drops) &&
		  json_object_object_get_ex(drops, reason, &why) &&
		  json_object_object_get_ex(why, what, &v));
	n = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
	cmd_result_free(&r);
	return n;
}

static void create_other(const char *id, int x)
{
	char text[512], err[512];

	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":1,\"memory_mib\":64,"
		 "\"command\":[\"sleep\",\"600\"],\"network\":{\"mode\":\"veth\","
		 "\"ipv4\":\"198.19.%d.2/30\",\"host_ipv4\":\"198.19.%d.1/30\"}}",
		 id, x, x);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create %s: %s", id, err);
}

/*
 * What isolation dropped of what the guest sent, from its rules' counters:
 * frames and their bytes as the meter counts them (the counters count from
 * the network header: each frame has its 14 bytes of Ethernet header more).
 */
static void rule_drops_sent(const char *id, uint64_t *ret_frames, uint64_t *ret_bytes)
{
	static const char *const reasons[] = { "host", "deny", "w2w", "spoof" };

	*ret_frames = *ret_bytes = 0;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		uint64_t frames = rule_drops(id, reasons[i], "packets");

		printf("microvm: isolation dropped %llu frames as %s\n", (unsigned long long)frames,
		       reasons[i]);
		ck_assert_msg(frames > 0, "nothing was dropped as %s", reasons[i]);
		*ret_frames += frames;
		*ret_bytes += rule_drops(id, reasons[i], "bytes") + 14 * frames;
	}
}

START_TEST(test_microvm)
{
	char id[64], other[64], kernel[PATH_MAX], initrd[PATH_MAX], disk[PATH_MAX],
		text[8 * PATH_MAX], err[512], ifname[IF_NAMESIZE], guest[32], host[32],
		other_addr[32], cpu_stat[PATH_MAX + 32], db[PATH_MAX + 16], *log;
	uint64_t stat_ns, metered, qemu_ns, dropped_frames, dropped_bytes, tx;
	int x = getpid() & 0xff, status, pid, threads;
	struct json_object *o, *j, *rec, *counters;
	struct tap_counts tap;
	struct cmd_result r;
	int64_t uid;
	pid_t peer;
	double start, stop_began;

	ck_assert_msg(vf_vigild_up(), "vigild did not come up");
	vf_id_of(id, sizeof(id), "vm");
	vf_id_of(other, sizeof(other), "other");
	vigil_tap_name(id, ifname);
	snprintf(guest, sizeof(guest), "198.19.%d.10", x);
	snprintf(host, sizeof(host), "198.19.%d.9", x);
	snprintf(other_addr, sizeof(other_addr), "198.19.%d.2", x ^ 0x40);
	create_other(other, x ^ 0x40);
	copy_in("vmlinuz", kernel, sizeof(kernel));
	copy_in("initrd.img", initrd, sizeof(initrd));
	snprintf(disk, sizeof(disk), "%s/disk.img", vf.images);
	ck_assert_int_eq(sh("truncate -s 16M %s && chmod 0666 %s", disk, disk), 0);
	snprintf(
		text, sizeof(text),
		"{\"id\":\"%s\",\"owner\":\"o\",\"vcpus\":2,\"memory_mib\":256,"
		"\"command\":[\"qemu-system-x86_64\",\"-M\",\"microvm\",\"-accel\",\"tcg\","
		"\"-nographic\",\"-no-reboot\",\"-m\",\"256\",\"-kernel\",\"%s\",\"-initrd\",\"%s\","
		"\"-append\",\"console=ttyS0 quiet tsc_early_khz=%lu ipv6.disable=1 "
		"vigil.addr=%s/30 vigil.host=%s vigil.wait=1 vigil.forbid=%s,%s,%s "
		"vigil.spoof_ip=198.19.%d.77 vigil.spoof_mac=" SPOOF_MAC " vigil.burn=%d "
		"vigil.disk_write=%d vigil.send=%d vigil.send_to=%s:%d vigil.mode=run\","
		"\"-netdev\",\"tap,id=n0,fd={tap_fd}\","
		"\"-device\",\"virtio-net-device,netdev=n0,mac=" GUEST_MAC "\","
		"\"-drive\",\"id=d0,file=%s,format=raw,if=none\","
		"\"-device\",\"virtio-blk-device,drive=d0\","
		"\"-qmp\",\"unix:{qmp},server=on,wait=off\"],"
		"\"network\":{\"mode\":\"tap\",\"ipv4\":\"%s/30\",\"host_ipv4\":\"%s/30\","
		"\"mac\":\"" GUEST_MAC "\"},"
		"\"jail\":{\"seccomp\":\"qemu\",\"ro_paths\":[\"%s\",\"%s\"],\"rw_paths\":[\"%s\"]},"
		"\"stop\":{\"method\":\"qmp\",\"timeout_s\":30}}",
		id, kernel, initrd, host_tsc_khz(), guest, host, host, deny_addr, other_addr, x,
		GUEST_BURN, DISK_MIB, SEND_BYTES, peer_addr, PEER_PORT, disk, guest, host, kernel,
		initrd, disk);
	ck_assert_msg(vf_create(text, err, sizeof(err)) == 0, "create: %s", err);
	o = vf_show(id);
	ck_assert(json_object_object_get_ex(o, "jail", &j));
	uid = vf_jint(j, "uid");
	ck_assert_str_eq(vf_jstr(j, "seccomp"), "qemu");
	json_object_put(o);
	ck_assert_int_eq(chown(disk, (uid_t)uid, (gid_t)uid), 0);
	/* routed on to the peer, as a provider's host would */
	ck_assert_int_eq(sh("sysctl -qw net.ipv4.conf.%s.forwarding=1", ifname), 0);
	peer = peer_server();

	start = now_s();
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_msg(status == 0, "start: %s", vf_jstr(o, "error"));
	json_object_put(o);
	ck_assert_msg(vf_wait_log(id, "vigil-guest: running until stopped", 120),
		      "the guest did not do its work: %s",
		      (log = vf_workload_log(id)) ? log : "no log");
	printf("microvm: work done after %.1f s\n", now_s() - start);
	ck_assert_int_eq(waitpid(peer, &status, 0), peer);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the peer did not receive %d bytes (status %d)", SEND_BYTES, status);

	/* the VMM, every thread of it, in the workload's cgroup; jailed */
	pid = qemu_pid(id);
	check_jailed_qemu(pid, uid);
	threads = check_threads_in_cgroup(pid, id);
	/* CPU: the meter against QEMU's own account, at one moment */
	o = vf_show(id);
	qemu_ns = process_cpu_ns(pid);
	metered = usage_of(o, "cpu_ns");
	json_object_put(o);
	printf("microvm: qemu is pid %d with %d threads, cpu %llu ns; metered %llu ns\n", pid,
	       threads, (unsigned long long)qemu_ns, (unsigned long long)metered);
	ck_assert_uint_gt(qemu_ns, GUEST_BURN * 1000000000ull);
	mf_assert_within_percent(metered, qemu_ns, QEMU_CPU_TOLERANCE_PERCENT, "microvm cpu_ns",
				 "qemu's utime + stime");

	/* a stop through QMP: the guest's power button, and QEMU exits by itself */
	stop_began = now_s();
	o = vf_wl_cmd(&status, "stop", id);
	ck_assert_msg(status == 0, "stop: %s", vf_jstr(o, "error"));
	printf("microvm: stopped through QMP in %.2f s: %s\n", now_s() - stop_began,
	       vf_jstr(o, "exit_reason"));
	ck_assert_str_eq(vf_state_of(o), "stopped");
	ck_assert_str_eq(vf_jstr(o, "exit_reason"), "exited with status 0");
	json_object_put(o);
	o = show_with_tap(id, ifname, &tap);
	log = vf_workload_log(id);
	printf("microvm console:\n%s\n", log);
	ck_assert_msg(strstr(log, "vigil-guest: userspace, kernel 6."), "%s", log);
	ck_assert_msg(strstr(log, "vigil-guest: wrote 8 MiB to /dev/vda"), "%s", log);
	ck_assert_msg(strstr(log, "vigil-guest: sent 100000 bytes to"), "%s", log);
	ck_assert_msg(strstr(log, "received 20000 bytes"), "%s", log);
	ck_assert_msg(strstr(log, "vigil-guest: power button: powering off"), "%s", log);
	ck_assert_msg(strstr(log, "vigil-guest: done"), "%s", log);
	free(log);

	/* CPU: the meter against the cgroup's own account */
	snprintf(cpu_stat, sizeof(cpu_stat), "%s/%s", vf.parent, id);
	stat_ns = cgroup_cpu_stat_ns(cpu_stat);
	metered = usage_of(o, "cpu_ns");
	mf_assert_within_percent(metered, stat_ns, MF_CPU_TOLERANCE_PERCENT, "microvm cpu_ns",
				 "cpu.stat ns");
	/* disk: what QEMU wrote of the guest's writes */
	printf("microvm: disk_write_bytes %llu for %d MiB written by the guest\n",
	       (unsigned long long)usage_of(o, "disk_write_bytes"), DISK_MIB);
	ck_assert_uint_ge(usage_of(o, "disk_write_bytes"), DISK_MIB << 20);
	mf_assert_within_percent(usage_of(o, "disk_write_bytes"), DISK_MIB << 20,
				 DISK_TOLERANCE_PERCENT, "microvm disk_write_bytes",
				 "bytes the guest wrote");

	/* the network, against the tap's counters, QEMU gone: nothing more comes */
	printf("microvm: net_tx %llu B %llu frames (tap rx %llu B %llu); net_rx %llu B %llu frames "
	       "(tap tx %llu B %llu, dropped %llu); public %llu, private %llu, dropped %llu B "
	       "%llu frames; lost %llu\n",
	       (unsigned long long)usage_of(o, "net_tx_bytes"),
	       (unsigned long long)usage_of(o, "net_tx_packets"), (unsigned long long)tap.rx_bytes,
	       (unsigned long long)tap.rx_packets, (unsigned long long)usage_of(o, "net_rx_bytes"),
	       (unsigned long long)usage_of(o, "net_rx_packets"), (unsigned long long)tap.tx_bytes,
	       (unsigned long long)tap.tx_packets, (unsigned long long)tap.tx_dropped,
	       (unsigned long long)usage_of(o, "net_tx_public_bytes"),
	       (unsigned long long)usage_of(o, "net_tx_private_bytes"),
	       (unsigned long long)usage_of(o, "net_tx_dropped_bytes"),
	       (unsigned long long)usage_of(o, "net_tx_dropped_packets"),
	       (unsigned long long)usage_of(o, "net_drop_packets"));
	ck_assert_uint_eq(usage_of(o, "net_tx_bytes"), tap.rx_bytes);
	ck_assert_uint_eq(usage_of(o, "net_tx_packets"), tap.rx_packets);
	ck_assert_uint_eq(usage_of(o, "net_rx_bytes"), tap.tx_bytes);
	ck_assert_uint_eq(usage_of(o, "net_rx_packets"), tap.tx_packets);
	tx = usage_of(o, "net_tx_bytes");
	ck_assert_uint_eq(usage_of(o, "net_tx_public_bytes") + usage_of(o, "net_tx_private_bytes") +
				  usage_of(o, "net_tx_dropped_bytes"),
			  tx);
	/* the payload went to a public destination, and is billed as such */
	ck_assert_uint_gt(usage_of(o, "net_tx_public_bytes"), SEND_BYTES);
	ck_assert_uint_gt(usage_of(o, "net_rx_bytes"), REPLY_BYTES);
	/* every forbidden attempt dropped, counted by reason, and not billed */
	rule_drops_sent(id, &dropped_frames, &dropped_bytes);
	ck_assert_uint_eq(usage_of(o, "net_tx_dropped_packets"), dropped_frames);
	ck_assert_uint_eq(usage_of(o, "net_tx_dropped_bytes"), dropped_bytes);
	/* lost: what isolation dropped, and what reached the tap once QEMU was gone */
	ck_assert_uint_eq(usage_of(o, "net_drop_packets"), dropped_frames + tap.tx_dropped);
	json_object_put(o);

	/* the ledger: the final record carries the same figures, and the whole chain verifies */
	o = vf_wl_cmd(&status, "delete", id);
	ck_assert_msg(status == 0, "delete: %s", vf_jstr(o, "error"));
	json_object_put(o);
	rec = vf_last_record(id);
	ck_assert(json_object_object_get_ex(rec, "final", &j) && json_object_get_boolean(j));
	ck_assert(json_object_object_get_ex(rec, "counters", &counters));
	ck_assert_uint_eq((uint64_t)vf_jint(counters, "net_tx_bytes"), tx);
	ck_assert_uint_eq((uint64_t)vf_jint(counters, "net_tx_dropped_bytes"), dropped_bytes);
	ck_assert_uint_eq((uint64_t)vf_jint(counters, "cpu_ns"), metered);
	ck_assert_msg(json_object_object_get_ex(rec, "flags", &j) &&
			      json_object_array_length(j) == 0,
		      "the final record is flagged: %s", json_object_to_json_string(rec));
	json_object_put(rec);
	snprintf(db, sizeof(db), "%s/ledger.db", vf.state);
	ck_assert_int_eq(run_vigil(&r, "ledger", "verify", "--db", db, NULL), 0);
	ck_assert_msg(r.status == 0, "ledger verify: %s%s", r.out, r.err);
	cmd_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s;

	vf.suite = "microvm";
	vf_require("microvm");
	guest_dir = require_microvm("microvm");
	s = suite_create("microvm");
	vf_add_case(s, "microvm", test_microvm, make_env, remove_env);
	return run_suite(s);
}
