// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Network metering of each workload's interface (veth or tap) into the
 * pinned accounting maps. The host side sees the workload's traffic
 * mirrored: what arrives there (tc ingress) the workload sent, what leaves
 * there (tc egress) is for the workload. skb->len at tc covers the frame
 * from the Ethernet header on, as the device's own statistics do.
 *
 * Sent: every frame is counted at tc ingress, before the host's packet
 * filter, and split by destination: private when the destination address
 * is in vigil_private_v4 or vigil_private_nets (IPv6), public otherwise;
 * frames that are not IP, such as ARP, never leave the link and count as
 * private. When the filter then drops it (vigil's isolation), the drop
 * tracer counts the same bytes, of the same class, as dropped: what was let
 * through is the difference.
 *
 * Received: a veth's frames are counted at tc egress and, if the veth then
 * cannot hand them over, as undelivered; a tap's when the VMM reads them
 * (the tap's own counters count the same moment), so frames that wait in
 * its queue and are dropped there never count as received.
 *
 * Both are counted into the bank of the current epoch; a frame's drop goes
 * to the bank its count went to (see struct vigil_usage).
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
/* what a tap's reader is given first when the frame carries a VLAN tag */
#define VLAN_TAG_OFFSET 12

/* The host's network namespace, set by the loader from /proc/self/ns/net. */
const volatile __u32 host_netns_ino = 0;
/* Depth of workload cgroups below the v2 root, as the CPU meter has it. */
const volatile __u32 workload_cgroup_level = 0;

/* The epoch whose low bit is the bank counts go to; moved on by readers. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_net_epoch SEC(".maps");

enum direction {
	DIR_NONE,
	DIR_TX,
	DIR_RX,
};

/*
 * The frame a tc program counted last on this CPU. Its verdict (a drop by
 * the packet filter, or by the veth) comes before tc runs here for another
 * frame: everything from tc to the verdict runs with bottom halves off.
 */
struct pending {
	__u64 frame; /* address of its first byte, the Ethernet header */
	__u64 len;   /* the bytes counted */
	__u32 slot;
	__u8 dir;
	__u8 bank;
	__u8 dest_private;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vigil_net_pending SEC(".maps");

static __always_inline __u32 current_bank(void)
{
	__u32 zero = 0, *epoch = bpf_map_lookup_elem(&vigil_net_epoch, &zero);

	return epoch ? *epoch & (VIGIL_NET_BANKS - 1) : 0;
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

static __always_inline void set_pending(struct __sk_buff *skb, __u32 slot, __u8 dir, __u32 bank,
					bool private_dest)
{
	__u32 zero = 0;
	struct pending *p = bpf_map_lookup_elem(&vigil_net_pending, &zero);

	if (!p)
		return;
	p->frame = (__u64)(long)skb->data;
	p->len = skb->len;
	p->slot = slot;
	p->dir = dir;
	p->bank = (__u8)bank;
	p->dest_private = private_dest;
}

/* The counters of the workload whose interface the frame is on, in the current bank. */
static __always_inline struct vigil_net_bank *bank_of(struct __sk_buff *skb, __u32 *ret_slot,
						      __u32 *ret_bank)
{
	__u32 ifindex = skb->ifindex, *slot = bpf_map_lookup_elem(&vigil_if_slot, &ifindex);
	struct vigil_usage *u;

	if (!slot)
		return NULL;
	*ret_slot = *slot;
	u = bpf_map_lookup_elem(&vigil_usage, ret_slot);
	if (!u)
		return NULL;
	*ret_bank = current_bank();
	return &u->net[*ret_bank];
}

SEC("tc")
int vigil_tc_ingress(struct __sk_buff *skb)
{
	__u32 slot, bank;
	struct vigil_net_bank *n = bank_of(skb, &slot, &bank);
	bool private_dest;
	__u64 len;

	if (!n)
		return TC_ACT_UNSPEC;
	len = skb->len;
	private_dest = dest_private(skb);
	/* per-CPU values: tc runs with bottom halves off, nothing interleaves */
	n->tx_bytes += len;
	n->tx_packets++;
	if (private_dest)
		n->tx_private_bytes += len;
	else
		n->tx_public_bytes += len;
	set_pending(skb, slot, DIR_TX, bank, private_dest);
	return TC_ACT_UNSPEC;
}

/* Attached to veths only: a tap's frames count when its VMM reads them. */
SEC("tc")
int vigil_tc_egress(struct __sk_buff *skb)
{
	__u32 slot, bank;
	struct vigil_net_bank *n = bank_of(skb, &slot, &bank);

	if (!n)
		return TC_ACT_UNSPEC;
	n->rx_bytes += skb->len;
	n->rx_packets++;
	set_pending(skb, slot, DIR_RX, bank, false);
	return TC_ACT_UNSPEC;
}

/*
 * The slot of a workload whose host interface `dev` is. A device in another
 * namespace (the workload's end of a veth) may share an ifindex with one of
 * the host's, hence the namespace check.
 */
static __always_inline __u32 *slot_of_dev(struct net_device *dev)
{
	__u32 ifindex;

	if (!dev || BPF_CORE_READ(dev, nd_net.net, ns.inum) != host_netns_ino)
		return NULL;
	ifindex = BPF_CORE_READ(dev, ifindex);
	return bpf_map_lookup_elem(&vigil_if_slot, &ifindex);
}

/*
 * A tap's frames as its VMM reads them: tun copies each to the reader
 * (once, or in two pieces around a VLAN tag it inserts), and counts it in
 * its tx statistics. Only the workload's own tasks reading its own tap
 * count: a host process reading a frame the workload sent (a socket of
 * the host, or a capture on the tap) reads it from the same device.
 */
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(vigil_tap_read, const struct sk_buff *skb, int len)
{
	__u32 *slot = slot_of_dev(BPF_CORE_READ(skb, dev)), *reader_slot, bank, skb_len;
	struct vigil_usage *u;
	__u64 cgroup;

	if (!slot || len <= 0)
		return 0;
	cgroup = bpf_get_current_ancestor_cgroup_id(workload_cgroup_level);
	reader_slot = bpf_map_lookup_elem(&vigil_cg_slot, &cgroup);
	if (!reader_slot || *reader_slot != *slot)
		return 0;
	u = bpf_map_lookup_elem(&vigil_usage, slot);
	if (!u)
		return 0;
	bank = current_bank();
	skb_len = BPF_CORE_READ(skb, len);
	__sync_fetch_and_add(&u->net[bank].rx_bytes, len);
	/* the piece that ends the frame counts it: all of it, or what follows the tag */
	if ((__u32)len == skb_len || (__u32)len + VLAN_TAG_OFFSET == skb_len)
		__sync_fetch_and_add(&u->net[bank].rx_packets, 1);
	return 0;
}

/* Drop reasons that exist only on newer kernels than the objects are built for. */
enum skb_drop_reason___new {
	SKB_DROP_REASON_SOCKET_CLOSE___new,
	SKB_DROP_REASON_UNIX_DISCONNECT___new,
	SKB_DROP_REASON_UNIX_SKIP_OOB___new,
	SKB_DROP_REASON_TCP_AUTH_HDR___new,
	SKB_DROP_REASON_TCP_AONOTFOUND___new,
	SKB_DROP_REASON_TCP_AOUNEXPECTED___new,
	SKB_DROP_REASON_TCP_AOKEYNOTFOUND___new,
	SKB_DROP_REASON_TCP_AOFAILURE___new,
	SKB_DROP_REASON_TCP_ABORT_ON_DATA___new,
	SKB_DROP_REASON_TCP_RFC7323_PAWS_ACK___new,
	SKB_DROP_REASON_TCP_RFC7323_TW_PAWS___new,
	SKB_DROP_REASON_TCP_RFC7323_TSECR___new,
	SKB_DROP_REASON_TCP_LISTEN_OVERFLOW___new,
	SKB_DROP_REASON_TCP_OLD_SEQUENCE___new,
	SKB_DROP_REASON_TCP_INVALID_END_SEQUENCE___new,
	SKB_DROP_REASON_TCP_INVALID_ACK_SEQUENCE___new,
	SKB_DROP_REASON_TCP_MINTTL___new,
};

#define REASON(name) bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_##name)
#define NEWER_REASON(name)                                                                         \
	(bpf_core_enum_value_exists(enum skb_drop_reason___new, SKB_DROP_REASON_##name##___new) && \
	 reason ==                                                                                 \
		 bpf_core_enum_value(enum skb_drop_reason___new, SKB_DROP_REASON_##name##___new))

/*
 * Drops that are no loss on the way: the kernel did not say why, or the
 * host's own stack received the frame and had no use for it (no socket, a
 * full socket buffer, TCP's own discards). An echo reply the host received
 * is one: its raw socket took a copy and ICMP reports the original as
 * dropped for want of a ping socket.
 */
static __always_inline bool no_loss(__u32 reason)
{
	return reason == REASON(NOT_SPECIFIED) || reason == REASON(NO_SOCKET) ||
	       reason == REASON(PKT_TOO_SMALL) || reason == REASON(SOCKET_FILTER) ||
	       reason == REASON(SOCKET_RCVBUFF) || reason == REASON(SOCKET_BACKLOG) ||
	       reason == REASON(PROTO_MEM) || reason == REASON(IP_NOPROTO) ||
	       reason == REASON(UDP_CSUM) || reason == REASON(ICMP_CSUM) ||
	       reason == REASON(TCP_CSUM) || reason == REASON(TCP_MD5NOTFOUND) ||
	       reason == REASON(TCP_MD5UNEXPECTED) || reason == REASON(TCP_MD5FAILURE) ||
	       reason == REASON(TCP_FLAGS) || reason == REASON(TCP_ZEROWINDOW) ||
	       reason == REASON(TCP_OLD_DATA) || reason == REASON(TCP_OVERWINDOW) ||
	       reason == REASON(TCP_OFOMERGE) || reason == REASON(TCP_RFC7323_PAWS) ||
	       reason == REASON(TCP_INVALID_SEQUENCE) || reason == REASON(TCP_RESET) ||
	       reason == REASON(TCP_INVALID_SYN) || reason == REASON(TCP_CLOSE) ||
	       reason == REASON(TCP_FASTOPEN) || reason == REASON(TCP_OLD_ACK) ||
	       reason == REASON(TCP_TOO_OLD_ACK) || reason == REASON(TCP_ACK_UNSENT_DATA) ||
	       reason == REASON(TCP_OFO_QUEUE_PRUNE) || reason == REASON(TCP_OFO_DROP) ||
	       NEWER_REASON(SOCKET_CLOSE) || NEWER_REASON(UNIX_DISCONNECT) ||
	       NEWER_REASON(UNIX_SKIP_OOB) || NEWER_REASON(TCP_AUTH_HDR) ||
	       NEWER_REASON(TCP_AONOTFOUND) || NEWER_REASON(TCP_AOUNEXPECTED) ||
	       NEWER_REASON(TCP_AOKEYNOTFOUND) || NEWER_REASON(TCP_AOFAILURE) ||
	       NEWER_REASON(TCP_ABORT_ON_DATA) || NEWER_REASON(TCP_RFC7323_PAWS_ACK) ||
	       NEWER_REASON(TCP_RFC7323_TW_PAWS) || NEWER_REASON(TCP_RFC7323_TSECR) ||
	       NEWER_REASON(TCP_LISTEN_OVERFLOW) || NEWER_REASON(TCP_OLD_SEQUENCE) ||
	       NEWER_REASON(TCP_INVALID_END_SEQUENCE) || NEWER_REASON(TCP_INVALID_ACK_SEQUENCE) ||
	       NEWER_REASON(TCP_MINTTL);
}

/*
 * The frame tc counted last on this CPU, if `skb` is it, taken so it is used
 * once: the same workload and direction, and the same first byte, where the
 * frame's link header is (`frame`). A datagram reassembled from fragments
 * is not: it was never counted whole, and `max_len` (what the frame holds
 * now) rules it out when its first fragment happens to be the last counted.
 */
static __always_inline struct pending *take_pending(__u32 slot, __u8 dir, __u64 frame,
						    __u64 max_len)
{
	__u32 zero = 0;
	struct pending *p = bpf_map_lookup_elem(&vigil_net_pending, &zero);

	if (!p || p->dir != dir || p->slot != slot || p->frame != frame || max_len > p->len)
		return NULL;
	p->dir = DIR_NONE;
	return p;
}

/* The frame `skb` starts at: its link header, which tc saw first. */
static __always_inline __u64 frame_of(struct sk_buff *skb)
{
	return (__u64)(long)BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, mac_header);
}

/*
 * The workload sent it, and it was dropped. The host's packet filter's
 * drops are isolation's (vigil's rules, or another table's): they are taken
 * out of what was let through, and are losses whoever they were addressed
 * to (a spoofed ARP request is broadcast). A frame tc did not count whole (a
 * datagram reassembled from fragments) is a loss like any other: its
 * fragments were let through by tc before the verdict.
 */
static __always_inline void sent_dropped(struct sk_buff *skb, __u32 slot, struct vigil_usage *u,
					 __u32 reason, bool unicast)
{
	struct pending *p = NULL;
	__u64 link_len;

	if (reason == REASON(NETFILTER_DROP)) {
		link_len = (__u64)(long)BPF_CORE_READ(skb, data) - frame_of(skb);
		p = take_pending(slot, DIR_TX, frame_of(skb), BPF_CORE_READ(skb, len) + link_len);
	}
	if (p && p->bank < VIGIL_NET_BANKS) {
		struct vigil_net_bank *n = &u->net[p->bank];

		if (p->dest_private)
			n->tx_dropped_private_bytes += p->len;
		else
			n->tx_dropped_public_bytes += p->len;
		n->tx_dropped_packets++;
	}
	if (reason == REASON(NETFILTER_DROP) || (unicast && !no_loss(reason)))
		__sync_fetch_and_add(&u->net_drop_packets, 1);
}

/*
 * On its way to the workload, and dropped at its interface: not delivered,
 * whatever the reason. A veth's frame that tc egress counted comes off its
 * received figures.
 */
static __always_inline void delivery_failed(struct sk_buff *skb, __u32 slot, struct vigil_usage *u)
{
	__u64 frame = (__u64)(long)BPF_CORE_READ(skb, data);
	struct pending *p = take_pending(slot, DIR_RX, frame, BPF_CORE_READ(skb, len));

	if (p && p->bank < VIGIL_NET_BANKS) {
		u->net[p->bank].rx_undelivered_bytes += p->len;
		u->net[p->bank].rx_undelivered_packets++;
	}
	__sync_fetch_and_add(&u->net_drop_packets, 1);
}

/*
 * Drops of frames from or to a workload. skb->dev is where the frame is:
 * the workload's interface for what it sent (it came in there, skb_iif)
 * and for what could not be handed to it. What is sent to it from
 * elsewhere and dropped before it reaches its interface (vigil's forward
 * chain) is on another device, so it is the route's device that names the
 * workload; a route to the host itself has the loopback device, so what the
 * host drops of its own is nobody's. skb->dev goes first: a packet between
 * two workloads, dropped by the sender's policy, is the sender's drop and
 * counts once.
 * Multicast and broadcast frames are offered to whoever listens and freed
 * when nobody does (IPv6 neighbour discovery, MLD): the kernel reports that
 * as a drop, but nothing was lost; unless it is the packet filter's.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(vigil_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct dst_entry *dst;
	struct vigil_usage *u;
	__u32 *slot, s;
	bool unicast;
	__u8 pkt_type;

	pkt_type = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
	unicast = pkt_type != PACKET_BROADCAST && pkt_type != PACKET_MULTICAST;
	slot = slot_of_dev(dev);
	if (slot) {
		s = *slot;
		u = bpf_map_lookup_elem(&vigil_usage, &s);
		if (!u)
			return 0;
		if (BPF_CORE_READ(skb, skb_iif) == BPF_CORE_READ(dev, ifindex))
			sent_dropped(skb, s, u, reason, unicast);
		else
			delivery_failed(skb, s, u);
		return 0;
	}
	if (reason != REASON(NETFILTER_DROP) && (!unicast || no_loss(reason)))
		return 0;
	/* the low bit of _skb_refdst marks a dst held without a reference */
	dst = (struct dst_entry *)(BPF_CORE_READ(skb, _skb_refdst) & ~1UL);
	slot = dst ? slot_of_dev(BPF_CORE_READ(dst, dev)) : NULL;
	if (slot) {
		s = *slot;
		u = bpf_map_lookup_elem(&vigil_usage, &s);
		if (u)
			__sync_fetch_and_add(&u->net_drop_packets, 1);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
