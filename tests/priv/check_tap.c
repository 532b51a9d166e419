// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TAP devices for microVMs on the real kernel, with real traffic.
 *
 * The "host" is a namespace this suite makes (vgtap-PID), removed by an
 * unchecked fixture even when a test fails, which takes every TAP in it
 * along. Each test's forked process enters it, with a sysfs of its own
 * mounted so /sys/class/net shows that namespace. The test process plays
 * the VMM: it holds the TAP's fd and writes and reads the guest's frames.
 * Each test has its own TAP name and /30 from 198.18.0.0/15.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

#define VMM_UID 65534
#define VMM_GID 65534
/* the flags a VMM (Firecracker) attaches with */
#define VMM_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
/* a VMM's frames start with the virtio-net header */
#define VNET_LEN sizeof(struct virtio_net_hdr)

static char ns[32];

static void make_namespace(void)
{
	snprintf(ns, sizeof(ns), "vgtap-%d", getpid());
	sh("ip netns add %s && ip -n %s link set lo up", ns, ns);
}

static void remove_namespace(void)
{
	sh("ip netns delete %s 2>/dev/null", ns);
}

/* Into the suite's namespace, with a sysfs that shows it. */
static void setup(void)
{
	enter_netns(ns);
	/* as `ip netns exec` does, in a mount namespace of this process alone */
	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL), 0);
	ck_assert_int_eq(umount2("/sys", MNT_DETACH), 0);
	ck_assert_msg(mount("sysfs", "/sys", "sysfs", 0, NULL) == 0, "sysfs: %s", strerror(errno));
}

static int create(const char *ifname, const char *cidr)
{
	struct vigil_tap_opts o = {
		.ifname = ifname,
		.owner_uid = VMM_UID,
		.owner_gid = VMM_GID,
		.host_cidr = cidr,
	};
	int ifindex = 0, ret = vigil_tap_create(&o, &ifindex);

	if (!ret)
		ck_assert_int_eq(ifindex, (int)if_nametoindex(ifname));
	return ret;
}

static void create_ok(const char *ifname, const char *cidr)
{
	int ret = create(ifname, cidr);

	ck_assert_msg(ret == 0, "create %s: %s", ifname, strerror(-ret));
}

/* TUNSETIFF on an open /dev/net/tun as a VMM does it; 0 or -errno. */
static int tun_attach(int fd, const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = VMM_FLAGS };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
}

/* An fd attached to the TAP, held by this (root) process. */
static int vmm_open(const char *ifname)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), ret;

	ck_assert_msg(fd >= 0, "/dev/net/tun: %s", strerror(errno));
	ret = tun_attach(fd, ifname);
	ck_assert_msg(ret == 0, "attach %s: %s", ifname, strerror(-ret));
	return fd;
}

/*
 * Attaches from a child that has become uid:gid, with no capabilities left;
 * 0 or the errno of TUNSETIFF. /dev/net/tun is root's (0600), so the child
 * opens it before dropping root, as a jailer hands the VMM its node.
 */
static int attach_as(const char *ifname, uid_t uid, gid_t gid)
{
	int status;
	pid_t pid = fork();

	ck_assert(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

		if (fd < 0 || setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(255);
		_exit(-tun_attach(fd, ifname));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 255, "attacher: status %d",
		      status);
	return WEXITSTATUS(status);
}

static bool has_address(const char *ifname, const char *cidr)
{
	return sh("ip -4 -o addr show dev %s | grep -q ' inet %s '", ifname, cidr) == 0;
}

/* How many links the namespace has. */
static size_t links(void)
{
	struct if_nameindex *all = if_nameindex();
	size_t n = 0;

	ck_assert_ptr_nonnull(all);
	while (all[n].if_index)
		n++;
	if_freenameindex(all);
	return n;
}

START_TEST(test_create)
{
	char ifname[IF_NAMESIZE], master[64];

	/* a shortened name, as long workload ids get */
	vigil_tap_name("relay-cardano-mainnet-01", ifname);
	ck_assert_str_eq(ifname, "vt-relay-c0b550");
	create_ok(ifname, "198.18.0.1/30");
	ck_assert_uint_eq(interface_attr(ifname, "tun_flags"),
			  IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_PERSIST);
	ck_assert_uint_eq(interface_attr(ifname, "owner"), VMM_UID);
	ck_assert_uint_eq(interface_attr(ifname, "group"), VMM_GID);
	ck_assert_uint_eq(interface_attr(ifname, "type"), ARPHRD_ETHER);
	/* down until the caller has its meters on it */
	ck_assert_uint_eq(interface_attr(ifname, "flags") & IFF_UP, 0);
	ck_assert_msg(has_address(ifname, "198.18.0.1/30"), "no host address");
	/* routed point to point: no bridge above it */
	snprintf(master, sizeof(master), "/sys/class/net/%s/master", ifname);
	ck_assert_int_eq(access(master, F_OK), -1);

	ck_assert_int_eq(vigil_tap_up(ifname), 0);
	ck_assert_uint_eq(interface_attr(ifname, "flags") & IFF_UP, IFF_UP);
	/* the /30 is the connected route to the guest */
	ck_assert_int_eq(
		sh("ip -4 -o route show dev %s | grep -q '^198.18.0.0/30 .*src 198.18.0.1'",
		   ifname),
		0);
	ck_assert_int_eq(vigil_tap_delete(ifname), 0);
}
END_TEST

START_TEST(test_only_the_owner_attaches)
{
	create_ok("vt-owner", "198.18.0.5/30");
	ck_assert_int_eq(attach_as("vt-owner", VMM_UID, VMM_GID), 0);
	ck_assert_int_eq(attach_as("vt-owner", VMM_UID - 1, VMM_GID), EPERM);
	ck_assert_int_eq(attach_as("vt-owner", VMM_UID, VMM_GID - 1), EPERM);
	/* the VMM came and went: the TAP stays, as it was */
	ck_assert_uint_ne(if_nametoindex("vt-owner"), 0);
	ck_assert_msg(has_address("vt-owner", "198.18.0.5/30"), "the address went");
	ck_assert_int_eq(vigil_tap_delete("vt-owner"), 0);
}
END_TEST

/*
 * The guest's side of the wire: frames as the VMM writes and reads them,
 * after the virtio-net header. The buffer is aligned so the IPv4 header,
 * at VNET_LEN + ETH_HLEN = 24, is too.
 */
struct frame {
	uint8_t b[2048] __attribute__((aligned(8)));
};

static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x0a };
#define GUEST_IP "198.18.0.10"
#define HOST_IP	 "198.18.0.9"
#define ECHO_ID	 0x7674
#define PAYLOAD	 "vigil tap test: guest to host"

static struct ether_header *eth_of(struct frame *f)
{
	return (struct ether_header *)(f->b + VNET_LEN);
}

static void *l3_of(struct frame *f)
{
	return f->b + VNET_LEN + ETH_HLEN;
}

static void vmm_write(int fd, struct frame *f, const uint8_t *dst, uint16_t type, size_t l3_len)
{
	struct ether_header *eth = eth_of(f);
	size_t len = VNET_LEN + ETH_HLEN + l3_len;

	memset(f->b, 0, VNET_LEN);
	memcpy(eth->ether_dhost, dst, ETH_ALEN);
	memcpy(eth->ether_shost, guest_mac, ETH_ALEN);
	eth->ether_type = htons(type);
	ck_assert_int_eq(write(fd, f->b, len), (ssize_t)len);
}

static void send_echo_request(int fd, const uint8_t *host_mac)
{
	struct frame f = { 0 };
	struct iphdr *ip = l3_of(&f);
	struct icmphdr *icmp = (struct icmphdr *)(ip + 1);
	size_t icmp_len = sizeof(*icmp) + sizeof(PAYLOAD);

	*ip = (struct iphdr){ .version = 4,
			      .ihl = 5,
			      .tot_len = htons((uint16_t)(sizeof(*ip) + icmp_len)),
			      .ttl = 64,
			      .protocol = IPPROTO_ICMP };
	inet_pton(AF_INET, GUEST_IP, &ip->saddr);
	inet_pton(AF_INET, HOST_IP, &ip->daddr);
	ip->check = inet_checksum(ip, sizeof(*ip));
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(ECHO_ID);
	icmp->un.echo.sequence = htons(1);
	memcpy(icmp + 1, PAYLOAD, sizeof(PAYLOAD));
	icmp->checksum = inet_checksum(icmp, icmp_len);
	vmm_write(fd, &f, host_mac, ETHERTYPE_IP, sizeof(*ip) + icmp_len);
}

/* The host asks who has the guest's address: the guest answers. */
static bool answer_arp(int fd, struct frame *in, const uint8_t *host_mac)
{
	struct ether_arp *req = l3_of(in), *rep;
	struct frame out = { 0 };
	struct in_addr guest, host;

	inet_pton(AF_INET, GUEST_IP, &guest);
	inet_pton(AF_INET, HOST_IP, &host);
	if (ntohs(req->arp_op) != ARPOP_REQUEST || memcmp(req->arp_tpa, &guest, 4))
		return false;
	ck_assert_msg(!memcmp(req->arp_spa, &host, 4) && !memcmp(req->arp_sha, host_mac, ETH_ALEN),
		      "the ARP request is not from the host end");
	rep = l3_of(&out);
	rep->ea_hdr = req->ea_hdr;
	rep->arp_op = htons(ARPOP_REPLY);
	memcpy(rep->arp_sha, guest_mac, ETH_ALEN);
	memcpy(rep->arp_spa, &guest, 4);
	memcpy(rep->arp_tha, host_mac, ETH_ALEN);
	memcpy(rep->arp_tpa, &host, 4);
	vmm_write(fd, &out, host_mac, ETHERTYPE_ARP, sizeof(*rep));
	return true;
}

static bool is_echo_reply(struct frame *in)
{
	struct iphdr *ip = l3_of(in);
	struct icmphdr *icmp = (struct icmphdr *)((uint8_t *)ip + ip->ihl * 4);
	struct in_addr guest, host;

	inet_pton(AF_INET, GUEST_IP, &guest);
	inet_pton(AF_INET, HOST_IP, &host);
	if (ip->protocol != IPPROTO_ICMP || icmp->type != ICMP_ECHOREPLY ||
	    icmp->un.echo.id != htons(ECHO_ID))
		return false;
	ck_assert(ip->saddr == host.s_addr && ip->daddr == guest.s_addr);
	ck_assert(!memcmp(eth_of(in)->ether_dhost, guest_mac, ETH_ALEN));
	ck_assert_str_eq((char *)(icmp + 1), PAYLOAD);
	return true;
}

START_TEST(test_guest_pings_host)
{
	uint8_t host_mac[ETH_ALEN];
	bool arp = false, reply = false;
	char *text;
	int fd;

	create_ok("vt-ping", HOST_IP "/30");
	text = read_file("/sys/class/net/vt-ping/address");
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &host_mac[0], &host_mac[1],
				&host_mac[2], &host_mac[3], &host_mac[4], &host_mac[5]),
			 6);
	free(text);
	ck_assert_int_eq(vigil_tap_up("vt-ping"), 0);
	fd = vmm_open("vt-ping");
	send_echo_request(fd, host_mac);
	/* IPv6 neighbour discovery and MLD come too: only ARP and the reply count */
	for (int i = 0; i < 50 && !reply; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct frame in;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, in.b, sizeof(in.b));
		ck_assert_int_gt(n, (ssize_t)(VNET_LEN + ETH_HLEN));
		if (ntohs(eth_of(&in)->ether_type) == ETHERTYPE_ARP &&
		    (size_t)n >= VNET_LEN + ETH_HLEN + sizeof(struct ether_arp))
			arp |= answer_arp(fd, &in, host_mac);
		else if (ntohs(eth_of(&in)->ether_type) == ETHERTYPE_IP &&
			 (size_t)n >= VNET_LEN + ETH_HLEN + sizeof(struct iphdr) + 8)
			reply = is_echo_reply(&in);
	}
	ck_assert_msg(arp, "the host did not ask for the guest's address");
	ck_assert_msg(reply, "no echo reply from the host");
	close(fd);
	ck_assert_int_eq(vigil_tap_delete("vt-ping"), 0);
}
END_TEST

/*
 * In a user namespace that maps root alone, the VMM's uid has no kernel
 * uid: TUNSETOWNER fails after the device was made, and it must go. The
 * child's exit status: 0, or what went wrong.
 */
static int create_fails_midway(void)
{
	static const char *const maps[][2] = { { "/proc/self/setgroups", "deny" },
					       { "/proc/self/uid_map", "0 0 1" },
					       { "/proc/self/gid_map", "0 0 1" } };
	int status;
	pid_t pid = fork();

	ck_assert(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(10);
		for (size_t i = 0; i < 3; i++) {
			int fd = open(maps[i][0], O_WRONLY | O_CLOEXEC);

			if (fd < 0 || write(fd, maps[i][1], strlen(maps[i][1])) < 0)
				_exit(11);
			close(fd);
		}
		if (create("vt-midway", "198.18.0.21/30") != -EINVAL)
			_exit(1);
		_exit(if_nametoindex("vt-midway") || links() != 1 ? 2 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(test_bad_input_leaves_nothing)
{
	static const struct {
		const char *ifname, *cidr;
		int ret;
	} bad[] = {
		{ "vt-0123456789abc", "198.18.0.13/30", -EINVAL }, /* 16 characters */
		{ "", "198.18.0.13/30", -EINVAL },
		{ "vt bad", "198.18.0.13/30", -EINVAL },
		{ "vt%d", "198.18.0.13/30", -EINVAL },
		{ "vt-bad", "198.18.0.13", -EINVAL },
		{ "vt-bad", "198.18.0.13/33", -EINVAL },
		{ "vt-bad", "198.18.0.13/31", -EINVAL },
		{ "vt-bad", "198.18.0.13/", -EINVAL },
		{ "vt-bad", "198.18.0.256/30", -EINVAL },
		{ "vt-bad", "fd00::1/64", -EINVAL },
		{ "vt-bad", "198.18.0.13/30 ", -EINVAL },
		{ "vt-bad", "", -EINVAL },
		{ "lo", "198.18.0.13/30", -EEXIST }, /* taken by another kind of link */
	};
	/* taken by a TAP, of another owner that must not get it */
	struct vigil_tap_opts o = { .ifname = "vt-dup",
				    .owner_uid = 1000,
				    .owner_gid = 1000,
				    .host_cidr = "198.18.0.13/30" };
	size_t before;
	int ifindex = -1, ret;

	create_ok("vt-dup", "198.18.0.17/30");
	before = links();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ret = create(bad[i].ifname, bad[i].cidr);
		ck_assert_msg(ret == bad[i].ret, "\"%s\" \"%s\": %d, expected %d", bad[i].ifname,
			      bad[i].cidr, ret, bad[i].ret);
		ck_assert_uint_eq(links(), before);
		ck_assert_uint_eq(if_nametoindex("vt-bad"), 0);
	}
	ck_assert_int_eq(vigil_tap_create(&o, &ifindex), -EEXIST);
	o.ifname = "vt-bad";
	o.owner_gid = (gid_t)-1;
	ck_assert_int_eq(vigil_tap_create(&o, &ifindex), -EINVAL);
	ck_assert_int_eq(ifindex, -1);
	o.host_cidr = NULL;
	ck_assert_int_eq(vigil_tap_create(&o, &ifindex), -EINVAL);
	ck_assert_uint_eq(links(), before);
	/* the existing TAP was not taken over */
	ck_assert_uint_eq(interface_attr("vt-dup", "owner"), VMM_UID);
	ck_assert_uint_eq(interface_attr("vt-dup", "group"), VMM_GID);
	ck_assert_msg(has_address("vt-dup", "198.18.0.17/30"), "the address went");
	ck_assert_msg(!has_address("vt-dup", "198.18.0.13/30"), "an address was added");
	ck_assert_uint_eq(interface_attr("lo", "flags") & IFF_UP, IFF_UP);
	ck_assert_msg(!has_address("lo", "198.18.0.13/30"), "an address was added to lo");

	ret = create_fails_midway();
	ck_assert_msg(ret == 0, "failing after the device was made: %s",
		      ret == 1	  ? "not -EINVAL"
		      : ret == 2  ? "the device was left"
		      : ret >= 10 ? "no user namespace"
				  : "the child died");
	ck_assert_int_eq(vigil_tap_up("vt-0123456789abc"), -EINVAL);
	ck_assert_int_eq(vigil_tap_delete("vt/x"), -EINVAL);
	ck_assert_int_eq(vigil_tap_delete("vt-dup"), 0);
}
END_TEST

/* The host side's IPv6 address, usable at once (no DAD), or nothing where IPv6 is off. */
START_TEST(test_ipv6)
{
	struct vigil_tap_opts o = { .ifname = "vt-six",
				    .owner_uid = VMM_UID,
				    .owner_gid = VMM_GID,
				    .host_cidr = "198.18.0.29/30",
				    .host_cidr6 = "2001:2:0:7::1/64" };
	size_t before = links();
	int ifindex = -1, ret;

	ck_assert_int_eq(vigil_tap_create(&o, &ifindex), 0);
	ck_assert_int_eq(
		sh("ip -6 -o addr show dev vt-six | grep -q ' inet6 2001:2:0:7::1/64 scope global "
		   "nodad'"),
		0);
	ck_assert_int_eq(vigil_tap_up("vt-six"), 0);
	ck_assert_int_eq(sh("ip -6 -o route show dev vt-six | grep -q '^2001:2:0:7::/64 '"), 0);
	ck_assert_int_eq(vigil_tap_delete("vt-six"), 0);

	o.host_cidr6 = "198.18.0.29/30";
	ck_assert_int_eq(vigil_tap_create(&o, &ifindex), -EINVAL);
	o.host_cidr6 = "2001:2:0:7::1/128";
	ck_assert_int_eq(vigil_tap_create(&o, &ifindex), -EINVAL);
	/* new interfaces of this namespace without IPv6: refused, and nothing left */
	o.host_cidr6 = "2001:2:0:7::1/64";
	ck_assert_int_eq(sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1"), 0);
	ret = vigil_tap_create(&o, &ifindex);
	ck_assert_int_eq(sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=0"), 0);
	ck_assert_int_eq(ret, -EAFNOSUPPORT);
	ck_assert_uint_eq(links(), before);
}
END_TEST

START_TEST(test_delete)
{
	int fd;

	create_ok("vt-del", "198.18.0.25/30");
	ck_assert_int_eq(vigil_tap_delete("vt-del"), 0);
	ck_assert_uint_eq(if_nametoindex("vt-del"), 0);
	ck_assert_int_eq(vigil_tap_delete("vt-del"), -ENODEV);
	ck_assert_int_eq(vigil_tap_up("vt-del"), -ENODEV);
	ck_assert_msg(sh("ip -4 -o addr | grep -q 198.18.0.25") != 0, "the address is left");

	/* a VMM still holding it open does not keep it */
	create_ok("vt-del", "198.18.0.25/30");
	fd = vmm_open("vt-del");
	ck_assert_int_eq(vigil_tap_delete("vt-del"), 0);
	ck_assert_uint_eq(if_nametoindex("vt-del"), 0);
	ck_assert_int_eq(write(fd, "x", 1), -1);
	close(fd);
	ck_assert_int_eq(vigil_tap_delete("vt-del"), -ENODEV);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tap");
	TCase *tc = tcase_create("tap");

	require_root("tap");
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		printf("tap: skipped: /dev/net/tun: %s (no CONFIG_TUN?)\n", strerror(errno));
		return EXIT_SKIP;
	}
	tcase_add_unchecked_fixture(tc, make_namespace, remove_namespace);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_only_the_owner_attaches);
	tcase_add_test(tc, test_guest_pings_host);
	tcase_add_test(tc, test_bad_input_leaves_nothing);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_ipv6);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
