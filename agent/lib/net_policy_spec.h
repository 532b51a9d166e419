/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_NET_POLICY_SPEC_H
#define VIGIL_NET_POLICY_SPEC_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "nft_policy.h"

/*
 * A spec's "network" isolation fields:
 *   "inbound": [3001, "udp/3001"]          ports open to the outside (a number: TCP)
 *   "inbound_from": ["198.51.100.7/32"]    if given, inbound only from these prefixes
 *   "egress_to": ["198.51.100.7/32"]       if given, new flows out only to these prefixes
 *   "host_services": ["udp/53"]            host ports the workload may reach
 *   "forwards": [{"proto": "tcp", "host_port": 3001, "port": 3001}]
 *   "egress_mbit": 100, "max_connections": 1000
 */
struct vigil_net_policy {
	struct vigil_nft_port *inbound;
	size_t n_inbound;
	char **inbound_from;
	size_t n_inbound_from;
	char **egress_to;
	size_t n_egress_to;
	struct vigil_nft_port *host_services;
	size_t n_host_services;
	struct vigil_nft_forward *forwards;
	size_t n_forwards;
	uint32_t egress_mbit;	  /* 0: unlimited */
	uint32_t max_connections; /* 0: unlimited */
};

/*
 * Reads the fields from `net` (types and shapes; the values are checked by
 * vigil_nft_workload_check()). -EINVAL with err naming the field.
 */
int vigil_net_policy_parse(struct json_object *net, struct vigil_net_policy *ret, char *err,
			   size_t len);
/* Adds the fields that are set to `net`, in the form they are parsed from. */
void vigil_net_policy_to_json(const struct vigil_net_policy *p, struct json_object *net);
void vigil_net_policy_free(struct vigil_net_policy *p);
/* Points w's policy fields at p's (p must outlive w). */
void vigil_net_policy_workload(const struct vigil_net_policy *p, struct vigil_nft_workload *w);

#endif
