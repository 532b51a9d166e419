// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap_guest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define VNET_LEN sizeof(struct virtio_net_hdr)
#define L3_OFF	 (VNET_LEN + ETH_HLEN)

/* aligned, so the IPv4 header at VNET_LEN + ETH_HLEN = 24 is too */
struct frame {
	uint8_t b[2048] __attribute__((aligned(8)));
};

static struct ether_header *eth_of(struct frame *f)
{
	return (struct ether_header *)(f->b + VNET_LEN);
}

static void *l3_of(struct frame *f)
{
	return f->b + L3_OFF;
}

bool tap_guest_parse_mac(const char *text, uint8_t mac[ETH_ALEN])
{
	return sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0], &mac[1], &mac[2],
		      &mac[3], &mac[4], &mac[5]) == 6;
}

static double now_ms(void);
static int send_frame(struct tap_guest *g, struct frame *f, const uint8_t *src, const uint8_t *dst,
		      uint16_t type, size_t l3_len);

/* The host's MAC, asked for as a guest asks: ARP for the host's address, 2 s at most. */
static int resolve_host(struct tap_guest *g)
{
	static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct frame out = { 0 };
	struct ether_arp *req = l3_of(&out);
	double end = now_ms() + 2000;

	req->ea_hdr = (struct arphdr){ .ar_hrd = htons(ARPHRD_ETHER),
				       .ar_pro = htons(ETHERTYPE_IP),
				       .ar_hln = ETH_ALEN,
				       .ar_pln = 4,
				       .ar_op = htons(ARPOP_REQUEST) };
	memcpy(req->arp_sha, g->mac, ETH_ALEN);
	memcpy(req->arp_spa, &g->addr, 4);
	memcpy(req->arp_tpa, &g->host, 4);
	if (send_frame(g, &out, g->mac, broadcast, ETHERTYPE_ARP, sizeof(*req)) < 0)
		return -EIO;
	while (now_ms() < end) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		struct frame in;
		struct ether_arp *rep = l3_of(&in);
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(g->fd, in.b, sizeof(in.b));
		if (n >= (ssize_t)(L3_OFF + sizeof(*rep)) &&
		    ntohs(eth_of(&in)->ether_type) == ETHERTYPE_ARP &&
		    ntohs(rep->arp_op) == ARPOP_REPLY && !memcmp(rep->arp_spa, &g->host, 4)) {
			memcpy(g->host_mac, rep->arp_sha, ETH_ALEN);
			return 0;
		}
	}
	return -EHOSTUNREACH;
}

/* A descriptor on the tap, handed to the VMM: its name from the tap, the host's MAC by ARP. */
static int attach_fd(struct tap_guest *g, int fd)
{
	struct ifreq ifr = { 0 };

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	g->fd = fd;
	snprintf(g->ifname, sizeof(g->ifname), "%s", ifr.ifr_name);
	return resolve_host(g);
}

int tap_guest_attach(struct tap_guest *g, const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	char path[64], *text, *end;
	long fd = strtol(ifname, &end, 10);
	bool ok;

	if (*ifname && !*end)
		return attach_fd(g, (int)fd);
	snprintf(g->ifname, sizeof(g->ifname), "%s", ifname);
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	text = read_file(path);
	ok = text && tap_guest_parse_mac(text, g->host_mac);
	free(text);
	if (!ok)
		return -ENODEV;
	g->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(g->fd, TUNSETIFF, &ifr) < 0) {
		int ret = -errno;

		close(g->fd);
		g->fd = -1;
		return ret;
	}
	return 0;
}

static int send_frame(struct tap_guest *g, struct frame *f, const uint8_t *src, const uint8_t *dst,
		      uint16_t type, size_t l3_len)
{
	struct ether_header *eth = eth_of(f);
	size_t len = L3_OFF + l3_len;

	memset(f->b, 0, VNET_LEN);
	memcpy(eth->ether_dhost, dst, ETH_ALEN);
	memcpy(eth->ether_shost, src, ETH_ALEN);
	eth->ether_type = htons(type);
	return write(g->fd, f->b, len) == (ssize_t)len ? 0 : -EIO;
}

/* An IPv4 packet of `proto` from the guest to `to`, its payload already in place. */
static int send_ip(struct tap_guest *g, struct frame *f, const uint8_t *src_mac, struct in_addr to,
		   uint8_t proto, size_t payload_len)
{
	struct iphdr *ip = l3_of(f);

	*ip = (struct iphdr){ .version = 4,
			      .ihl = 5,
			      .tot_len = htons((uint16_t)(sizeof(*ip) + payload_len)),
			      .ttl = 64,
			      .protocol = proto,
			      .saddr = g->addr.s_addr,
			      .daddr = to.s_addr };
	ip->check = inet_checksum(ip, sizeof(*ip));
	return send_frame(g, f, src_mac, g->host_mac, ETHERTYPE_IP, sizeof(*ip) + payload_len);
}

int tap_guest_echo(struct tap_guest *g, const uint8_t *src_mac, uint16_t id)
{
	static const char payload[] = "vigil tap guest";
	struct frame f = { 0 };
	struct icmphdr *icmp = (struct icmphdr *)((struct iphdr *)l3_of(&f) + 1);
	size_t len = sizeof(*icmp) + sizeof(payload);

	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(id);
	icmp->un.echo.sequence = htons(1);
	memcpy(icmp + 1, payload, sizeof(payload));
	icmp->checksum = inet_checksum(icmp, len);
	return send_ip(g, &f, src_mac, g->host, IPPROTO_ICMP, len);
}

int tap_guest_udp(struct tap_guest *g, const uint8_t *src_mac, struct in_addr to, uint16_t port,
		  const char *payload)
{
	struct frame f = { 0 };
	struct udphdr *udp = (struct udphdr *)((struct iphdr *)l3_of(&f) + 1);
	size_t len = sizeof(*udp) + strlen(payload);

	/* no checksum: IPv4 allows it */
	*udp = (struct udphdr){ .source = htons(40000),
				.dest = htons(port),
				.len = htons((uint16_t)len) };
	memcpy(udp + 1, payload, strlen(payload));
	return send_ip(g, &f, src_mac, to, IPPROTO_UDP, len);
}

/* The host asks who has the guest's address: the guest answers. */
static void answer_arp(struct tap_guest *g, struct frame *in, size_t n)
{
	struct ether_arp *req = l3_of(in), *rep;
	struct frame out = { 0 };

	if (n < L3_OFF + sizeof(*req) || ntohs(req->arp_op) != ARPOP_REQUEST ||
	    memcmp(req->arp_tpa, &g->addr, 4))
		return;
	rep = l3_of(&out);
	rep->ea_hdr = req->ea_hdr;
	rep->arp_op = htons(ARPOP_REPLY);
	memcpy(rep->arp_sha, g->mac, ETH_ALEN);
	memcpy(rep->arp_spa, &g->addr, 4);
	memcpy(rep->arp_tha, req->arp_sha, ETH_ALEN);
	memcpy(rep->arp_tpa, req->arp_spa, 4);
	send_frame(g, &out, g->mac, req->arp_sha, ETHERTYPE_ARP, sizeof(*rep));
}

/* An echo request to the guest gets its reply; true for the host's reply of `echo_id`. */
static bool icmp_in(struct tap_guest *g, struct frame *in, size_t n, uint16_t echo_id)
{
	struct iphdr *ip = l3_of(in);
	struct icmphdr *icmp = (struct icmphdr *)(ip + 1);
	size_t len;

	if (n < L3_OFF + sizeof(*ip) + sizeof(*icmp) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_ICMP || ip->daddr != g->addr.s_addr ||
	    ntohs(ip->tot_len) > n - L3_OFF)
		return false;
	if (icmp->type == ICMP_ECHOREPLY)
		return ip->saddr == g->host.s_addr && ntohs(icmp->un.echo.id) == echo_id;
	if (icmp->type != ICMP_ECHO)
		return false;
	len = ntohs(ip->tot_len) - sizeof(*ip);
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = 0;
	icmp->checksum = inet_checksum(icmp, len);
	ip->daddr = ip->saddr;
	ip->saddr = g->addr.s_addr;
	ip->check = 0;
	ip->check = inet_checksum(ip, sizeof(*ip));
	send_frame(g, in, g->mac, eth_of(in)->ether_shost, ETHERTYPE_IP, ntohs(ip->tot_len));
	return false;
}

/* The TCP checksum: over the IPv4 pseudo-header and the segment. */
static uint16_t tcp_checksum(const struct iphdr *ip, const void *segment, size_t len)
{
	struct {
		uint32_t saddr, daddr;
		uint8_t zero, proto;
		uint16_t len;
		uint8_t segment[sizeof(struct tcphdr)];
	} __attribute__((packed)) pseudo = { .saddr = ip->saddr,
					     .daddr = ip->daddr,
					     .proto = IPPROTO_TCP,
					     .len = htons((uint16_t)len) };

	memcpy(pseudo.segment, segment, len);
	return inet_checksum(&pseudo, sizeof(pseudo) - sizeof(pseudo.segment) + len);
}

/*
 * A SYN to the guest's tcp_port: said on stdout, and answered with a SYN-ACK
 * without options, which completes the peer's connect(). Nothing else of TCP
 * is answered: what follows the handshake is the peer's to give up on.
 */
static void tcp_in(struct tap_guest *g, struct frame *in, size_t n)
{
	struct iphdr *ip = l3_of(in);
	struct tcphdr *tcp = (struct tcphdr *)(ip + 1), syn;
	struct frame out = { 0 };
	struct iphdr *oip = l3_of(&out);
	struct tcphdr *otcp = (struct tcphdr *)(oip + 1);
	char from[INET_ADDRSTRLEN];

	if (!g->tcp_port || n < L3_OFF + sizeof(*ip) + sizeof(*tcp) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP || ip->daddr != g->addr.s_addr)
		return;
	syn = *tcp;
	if (ntohs(syn.dest) != g->tcp_port || !syn.syn || syn.ack)
		return;
	inet_ntop(AF_INET, &ip->saddr, from, sizeof(from));
	printf("tcp syn from %s:%u to port %u\n", from, ntohs(syn.source), g->tcp_port);
	fflush(stdout);
	*otcp = (struct tcphdr){ .source = syn.dest,
				 .dest = syn.source,
				 .seq = htonl(0x7669676c),
				 .ack_seq = htonl(ntohl(syn.seq) + 1),
				 .doff = sizeof(*otcp) / 4,
				 .syn = 1,
				 .ack = 1,
				 .window = htons(65535) };
	*oip = (struct iphdr){ .version = 4,
			       .ihl = 5,
			       .tot_len = htons((uint16_t)(sizeof(*oip) + sizeof(*otcp))),
			       .ttl = 64,
			       .protocol = IPPROTO_TCP,
			       .saddr = g->addr.s_addr,
			       .daddr = ip->saddr };
	oip->check = inet_checksum(oip, sizeof(*oip));
	otcp->check = tcp_checksum(oip, otcp, sizeof(*otcp));
	send_frame(g, &out, g->mac, eth_of(in)->ether_shost, ETHERTYPE_IP,
		   sizeof(*oip) + sizeof(*otcp));
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

bool tap_guest_serve(struct tap_guest *g, int ms, uint16_t echo_id)
{
	double end = now_ms() + ms;
	bool reply = false;

	for (double left = ms; left > 0; left = end - now_ms()) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		struct frame in;
		ssize_t n;

		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		n = read(g->fd, in.b, sizeof(in.b));
		if (n < (ssize_t)L3_OFF)
			continue;
		/* IPv6 neighbour discovery and MLD come too: only ARP and IPv4 count */
		if (ntohs(eth_of(&in)->ether_type) == ETHERTYPE_ARP)
			answer_arp(g, &in, (size_t)n);
		else if (ntohs(eth_of(&in)->ether_type) == ETHERTYPE_IP) {
			tcp_in(g, &in, (size_t)n);
			reply |= icmp_in(g, &in, (size_t)n, echo_id);
		}
	}
	return reply;
}

#define VMM_ECHO_ID 0x7674

/* argv[2..4] of a VMM's command line, MAC ADDR HOST_ADDR, into g. */
static bool guest_args(struct tap_guest *g, char **argv)
{
	return tap_guest_parse_mac(argv[2], g->mac) && inet_pton(AF_INET, argv[3], &g->addr) == 1 &&
	       inet_pton(AF_INET, argv[4], &g->host) == 1;
}

/* Attaches g to `tap` and says "attached IFNAME", or why not. */
static int guest_attach_said(struct tap_guest *g, const char *tap)
{
	int ret = tap_guest_attach(g, tap);

	if (ret < 0)
		printf("attaching to %s: %s\n", tap, strerror(-ret));
	else
		printf("attached %s\n", g->ifname);
	fflush(stdout);
	return ret;
}

int tap_vmm_main(int argc, char **argv)
{
	struct tap_guest g = { .fd = -1 };
	uint8_t other[ETH_ALEN];
	int ret, service, port, ms;

	if (argc != 8 || !guest_args(&g, argv)) {
		fprintf(stderr, "usage: --vmm TAP MAC ADDR HOST_ADDR SERVICE_PORT OTHER_PORT MS\n");
		return 1;
	}
	service = atoi(argv[5]);
	port = atoi(argv[6]);
	ms = atoi(argv[7]);
	if (guest_attach_said(&g, argv[1]) < 0)
		return 1;
	memcpy(other, g.mac, ETH_ALEN);
	other[ETH_ALEN - 1] ^= 0x01;
	ret = tap_guest_echo(&g, g.mac, VMM_ECHO_ID);
	if (!ret)
		ret = tap_guest_udp(&g, g.mac, g.host, (uint16_t)service, "service");
	if (!ret)
		ret = tap_guest_udp(&g, g.mac, g.host, (uint16_t)port, "other");
	if (!ret)
		ret = tap_guest_udp(&g, other, g.host, (uint16_t)service, "spoofed");
	if (ret < 0) {
		printf("sending: %s\n", strerror(-ret));
		return 1;
	}
	printf("echo reply: %s\n", tap_guest_serve(&g, ms, VMM_ECHO_ID) ? "yes" : "no");
	close(g.fd);
	return 0;
}

int tap_server_main(int argc, char **argv)
{
	struct tap_guest g = { .fd = -1 };
	int port;

	if (argc < 7 || !guest_args(&g, argv)) {
		fprintf(stderr, "usage: --server TAP MAC ADDR HOST_ADDR PORT MS [DEST...]\n");
		return 1;
	}
	port = atoi(argv[5]);
	g.tcp_port = (uint16_t)port;
	if (guest_attach_said(&g, argv[1]) < 0)
		return 1;
	for (int i = 7; i < argc; i++) {
		struct in_addr to;

		if (inet_pton(AF_INET, argv[i], &to) != 1 ||
		    tap_guest_udp(&g, g.mac, to, (uint16_t)port, "egress") < 0) {
			printf("sending to %s failed\n", argv[i]);
			return 1;
		}
		printf("sent to %s\n", argv[i]);
	}
	fflush(stdout);
	tap_guest_serve(&g, atoi(argv[6]), 0);
	printf("done\n");
	close(g.fd);
	return 0;
}
