/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_WORKLOAD_SPEC_H
#define VIGIL_WORKLOAD_SPEC_H

#include <json-c/json.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "jail_spec.h"
#include "json_doc.h"
#include "lifecycle_spec.h"
#include "meter.h"
#include "net_policy_spec.h"

#define VIGIL_OWNER_MAX	     64
#define VIGIL_ARGS_MAX	     256
#define VIGIL_VCPUS_MAX	     1024
#define VIGIL_MEMORY_MIB_MIN 64
#define VIGIL_MEMORY_MIB_MAX 1048576
#define VIGIL_VOLUME_MIB_MAX 16777216
/* the highest uid or gid a tap's VMM may have */
#define VIGIL_VMM_ID_MAX 2147483647
/* "xx:xx:xx:xx:xx:xx" and the NUL */
#define VIGIL_MAC_SIZE 18

enum vigil_net_mode {
	VIGIL_NET_NONE,
	VIGIL_NET_VETH, /* a process workload in its own network namespace */
	VIGIL_NET_TAP,	/* a microVM's tap device */
};

/* A validated workload spec (DESIGN.md, "Workload spec"). */
struct vigil_workload_spec {
	char id[VIGIL_ID_SIZE];
	char owner[VIGIL_OWNER_MAX + 1];
	uint32_t vcpus;
	uint32_t memory_mib;
	/* NULL-terminated, as given: placeholders are filled in at start */
	char **argv;
	size_t argc;
	enum vigil_net_mode net_mode;
	char ipv4[VIGIL_CIDR_SIZE];	 /* the workload's address */
	char host_ipv4[VIGIL_CIDR_SIZE]; /* the host side's address */
	/* optional, both or neither ("": none): the same, for IPv6 */
	char ipv6[VIGIL_CIDR6_SIZE];
	char host_ipv6[VIGIL_CIDR6_SIZE];
	/*
	 * The workload's MAC, which its frames must come from: in tap mode the
	 * guest's as given ("" when not given: not checked), in veth mode the
	 * one vigil_workload_mac() derives from the id (not a spec field).
	 */
	char mac[VIGIL_MAC_SIZE];
	/*
	 * tap mode, unjailed: the user and group the VMM runs as, the tap's
	 * owners (a jailed VMM runs as the workload's own uid, which owns it)
	 */
	bool has_vmm_uid;
	uint32_t vmm_uid, vmm_gid;
	struct vigil_net_policy policy; /* its isolation */
	uint64_t volume_size_mib;	/* 0: no volume */
	struct vigil_jail_spec jail;
	struct vigil_stop_spec stop;
	enum vigil_restart_policy restart;
};

/* Validates `obj` into `ret` (freed with vigil_workload_spec_free). -EINVAL with `err` set. */
int vigil_workload_spec_from_json(struct json_object *obj, struct vigil_workload_spec *ret,
				  char *err, size_t err_len);
/* vigil_json_parse + vigil_workload_spec_from_json */
int vigil_workload_spec_parse(const char *text, struct vigil_workload_spec *ret, char *err,
			      size_t err_len);
/* The spec as JSON, in the same form it is parsed from; NULL without memory. */
struct json_object *vigil_workload_spec_to_json(const struct vigil_workload_spec *s);
void vigil_workload_spec_free(struct vigil_workload_spec *s);
/* Adds the network addresses to `net`, as vigil_workload_spec_to_json() does. */
void vigil_workload_spec_addrs_json(const struct vigil_workload_spec *s, struct json_object *net);

/* The workload's addresses without their prefix lengths, as nft_policy.h takes them. */
struct vigil_workload_addrs {
	char ipv4[VIGIL_CIDR_SIZE];
	char ipv6[VIGIL_CIDR6_SIZE];
};

/*
 * The isolation of a workload with a network, for nft_policy.h: pointing into
 * s and into addrs, which gets its addresses.
 */
void vigil_workload_spec_nft(const struct vigil_workload_spec *s, const char *ifname,
			     struct vigil_workload_addrs *addrs, struct vigil_nft_workload *ret);

/* true when `id` matches [a-z0-9][a-z0-9-]{0,31} */
bool vigil_workload_id_valid(const char *id);
const char *vigil_net_mode_name(enum vigil_net_mode mode);

/*
 * The MAC of a veth workload's own end: 02 (locally administered, unicast)
 * and the low 40 bits of the FNV-1a 64 hash of the id, so the same on every
 * (re)creation. Persisted in effect (the rules check it): must not change.
 */
void vigil_workload_mac(const char *id, char ret[VIGIL_MAC_SIZE]);

/* true when the command has a "{qmp}" placeholder: the jail then has its runtime directory. */
bool vigil_workload_spec_has_qmp(const struct vigil_workload_spec *s);

/*
 * The command with its placeholders filled in: "{id}" by the workload id,
 * "{tap}" (tap mode, unjailed) by its tap's name, "{tap_fd}" (tap mode) by
 * the number of the descriptor on the tap that the VMM is handed,
 * VIGIL_TAP_FD, "{qmp}" (jailed) by the QMP socket's path in the jail,
 * VIGIL_JAIL_QMP_PATH, "{volume}" (with a volume) by its device,
 * /dev/mapper/vigil-<id>. Free with vigil_argv_free.
 */
int vigil_workload_spec_argv(const struct vigil_workload_spec *s, char ***ret);

void vigil_argv_free(char **argv);

#endif
