/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A microVM's guest, played through its tap as a VMM plays it: an fd of
 * /dev/net/tun attached with TUNSETIFF, Ethernet frames behind a virtio-net
 * header. Plain C, no Check: a workload's command runs it (tap_vmm_main).
 */
#ifndef VIGIL_TAP_GUEST_H
#define VIGIL_TAP_GUEST_H

#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct tap_guest {
	int fd;
	uint8_t mac[ETH_ALEN];	    /* the guest's */
	uint8_t host_mac[ETH_ALEN]; /* the tap's, read from sysfs */
	struct in_addr addr, host;
	char ifname[IF_NAMESIZE];
	/* nonzero: TCP SYNs to this port are answered with a SYN-ACK and reported on stdout */
	uint16_t tcp_port;
};

/* "02:00:5e:00:53:01" into mac; false when it is not one. */
bool tap_guest_parse_mac(const char *text, uint8_t mac[ETH_ALEN]);
/*
 * Attaches to the tap `ifname` with a VMM's flags (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR), or, when `ifname` is a number, uses that descriptor, one
 * a jailed VMM was handed on its tap: the tap is then in no namespace the
 * guest sees, so the host's MAC is asked for with ARP. mac and the
 * addresses are the caller's to set first. 0 or -errno.
 */
int tap_guest_attach(struct tap_guest *g, const char *ifname);
/* An ICMP echo request to the host, sent from src_mac (the guest's: g->mac). */
int tap_guest_echo(struct tap_guest *g, const uint8_t *src_mac, uint16_t id);
/* A UDP datagram to to:port (through the host, its gateway), sent from src_mac. */
int tap_guest_udp(struct tap_guest *g, const uint8_t *src_mac, struct in_addr to, uint16_t port,
		  const char *payload);
/*
 * Reads frames for `ms`, answering the host's ARP requests, echo requests
 * for the guest's address and, with tcp_port set, SYNs to that port (each
 * one said on stdout: "tcp syn from ADDR:PORT to port N"); true when an
 * echo reply of `echo_id` came from the host.
 */
bool tap_guest_serve(struct tap_guest *g, int ms, uint16_t echo_id);

/*
 * The VMM of a tap workload: a suite's main() runs it when re-executed as
 * `--vmm TAP MAC ADDR HOST_ADDR SERVICE_PORT OTHER_PORT MS` (argv[0] is
 * "--vmm"). Attaches, says "attached", sends the host an echo request, a
 * datagram "service" to SERVICE_PORT, one "other" to OTHER_PORT and one
 * "spoofed" to SERVICE_PORT from another MAC, answers the host for MS
 * milliseconds, then says "echo reply: yes" or "no". 0, or 1 on errors.
 */
int tap_vmm_main(int argc, char **argv);

/*
 * A server's guest: `--server TAP MAC ADDR HOST_ADDR PORT MS [DEST...]`
 * (argv[0] is "--server"). Attaches, says "attached", sends a datagram
 * "egress" to each DEST:PORT and says "sent to DEST", then for MS
 * milliseconds answers ARP, echo requests and TCP SYNs to PORT, and says
 * "done". 0, or 1 on errors.
 */
int tap_server_main(int argc, char **argv);

#endif
