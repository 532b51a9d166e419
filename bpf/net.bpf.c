// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Network metering on the host side of each workload's interface (veth or
 * tap), into the pinned accounting maps. The host side sees the workload's
 * traffic mirrored: what arrives there (tc ingress) the workload sent, what
 * leaves there (tc egress) the workload receives. skb->len at tc covers the
 * frame from the Ethernet header on, as the device's own statistics do, so
 * the counters equal the host interface's rx/tx counters.
 *
 * Sent bytes are split by destination: private when the destination address
 * is in vigil_private_v4 or vigil_private_nets (IPv6), public otherwise;
 * frames that are not IP, such as ARP, never leave the link and count as
 * private.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"

/*
 * "No verdict": the packet passes unless a later filter decides otherwise.
 * TC_ACT_OK would end classification and skip filters other parts of vigil
 * add to the same interface after ours.
 */
#define TC_ACT_UNSPEC (-1)

#define ETH_HLEN	 14
#define ETH_P_IP	 0x0800
#define ETH_P_IPV6	 0x86DD
#define ETH_P_8021Q	 0x8100
#define ETH_P_8021AD	 0x88A8
#define VLAN_HLEN	 4
#define IPV4_DADDR_OFF	 16
#define IPV6_DADDR_OFF	 24
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2

/* The host's network namespace, set by the loader from /proc/self/ns/net. */
const volatile __u32 host_netns_ino = 0;

static __always_inline struct vigil_usage *usage_of(__u32 ifindex)
{
	__u32 *slot = bpf_map_lookup_elem(&vigil_if_slot, &ifindex);

	if (!slot)
		return NULL;
	return bpf_map_lookup_elem(&vigil_usage, slot);
}

/*
 * Points at `len` bytes at `off`: straight into the linear data when it
 * holds them (always, for headers on veth and tap), else at `buf`, filled
 * through the helper, which also reads paged data. NULL past the end. The
 * caller reads through the pointer with loads as wide as its type: a copy
 * from packet data of unknown alignment would be made byte by byte.
 */
static __always_inline const void *header(struct __sk_buff *skb, __u32 off, void *buf, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (data + off + len <= data_end)
		return data + off;
	return bpf_skb_load_bytes(skb, off, buf, len) ? NULL : buf;
}

static __always_inline bool dest_private(struct __sk_buff *skb)
{
	struct vigil_prefix4_key key4 = { .prefixlen = 32 };
	struct vigil_prefix_key key6 = { .prefixlen = 128 };
	const __be16 *proto;
	const __u32 *addr;
	__u32 l3 = ETH_HLEN;
	__u32 buf[4];

	proto = header(skb, ETH_HLEN - 2, buf, sizeof(*proto));
	if (!proto)
		return true;
	if (*proto == bpf_htons(ETH_P_8021Q) || *proto == bpf_htons(ETH_P_8021AD)) {
		l3 += VLAN_HLEN;
		proto = header(skb, l3 - 2, buf, sizeof(*proto));
		if (!proto)
			return true;
	}
	if (*proto == bpf_htons(ETH_P_IP)) {
		addr = header(skb, l3 + IPV4_DADDR_OFF, buf, sizeof(key4.addr));
		if (!addr)
			return true;
		__builtin_memcpy(key4.addr, addr, sizeof(key4.addr));
		return bpf_map_lookup_elem(&vigil_private_v4, &key4) != NULL;
	}
	if (*proto == bpf_htons(ETH_P_IPV6)) {
		addr = header(skb, l3 + IPV6_DADDR_OFF, buf, sizeof(key6.addr));
		if (!addr)
			return true;
		__builtin_memcpy(key6.addr, addr, sizeof(key6.addr));
		return bpf_map_lookup_elem(&vigil_private_nets, &key6) != NULL;
	}
	return true;
}

SEC("tc")
int vigil_tc_ingress(struct __sk_buff *skb)
{
	struct vigil_usage *u = usage_of(skb->ifindex);
	__u64 len;

	if (!u)
		return TC_ACT_UNSPEC;
	len = skb->len;
	/* per-CPU values: tc runs with bottom halves off, nothing interleaves */
	u->net_tx_bytes += len;
	u->net_tx_packets++;
	if (dest_private(skb))
		u->net_tx_private_bytes += len;
	else
		u->net_tx_public_bytes += len;
	return TC_ACT_UNSPEC;
}

SEC("tc")
int vigil_tc_egress(struct __sk_buff *skb)
{
	struct vigil_usage *u = usage_of(skb->ifindex);

	if (u) {
		u->net_rx_bytes += skb->len;
		u->net_rx_packets++;
	}
	return TC_ACT_UNSPEC;
}

/*
 * The slot of a workload whose host interface `dev` is. A device in another
 * namespace (the workload's end of a veth) may share an ifindex with one of
 * the host's, hence the namespace check.
 */
static __always_inline struct vigil_usage *usage_of_dev(struct net_device *dev)
{
	if (!dev || BPF_CORE_READ(dev, nd_net.net, ns.inum) != host_netns_ino)
		return NULL;
	return usage_of(BPF_CORE_READ(dev, ifindex));
}

/*
 * Drops of packets from or to a workload. skb->dev is where the packet
 * came in: a workload's interface for what it sends. What is sent to it
 * from elsewhere and dropped before it leaves (vigil's forward chain) came
 * in on another device, so it is the route's device that names the
 * workload; a route to the host itself has the loopback device, so what
 * the host drops of its own is nobody's. skb->dev goes first: a packet
 * between two workloads, dropped by the sender's policy, is the sender's
 * drop and counts once.
 * Multicast and broadcast frames are offered to whoever listens and freed
 * when nobody does (IPv6 neighbour discovery, MLD): the kernel reports that
 * as a drop, but nothing was lost.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(vigil_kfree_skb, struct sk_buff *skb)
{
	struct dst_entry *dst;
	struct vigil_usage *u;
	__u8 pkt_type;

	pkt_type = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
	if (pkt_type == PACKET_BROADCAST || pkt_type == PACKET_MULTICAST)
		return 0;
	u = usage_of_dev(BPF_CORE_READ(skb, dev));
	if (!u) {
		/* the low bit of _skb_refdst marks a dst held without a reference */
		dst = (struct dst_entry *)(BPF_CORE_READ(skb, _skb_refdst) & ~1UL);
		if (dst)
			u = usage_of_dev(BPF_CORE_READ(dst, dev));
	}
	if (u)
		__sync_fetch_and_add(&u->net_drop_packets, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
