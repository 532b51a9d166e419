// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The isolation fields of a workload spec's "network" object: what it may
 * receive, from where, which host services it may use, its host port
 * forwards and its limits. Parsed here, checked by the nft policy itself.
 */
#include "net_policy_spec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "json_fields.h"

/*
 * `*n` is set only once the array is accepted: the caller allocates that
 * many entries, and the policy's free walks them.
 */
static int get_array(struct json_object *net, const char *key, struct json_object **ret, size_t *n,
		     char *err, size_t len)
{
	size_t count;

	*n = 0;
	if (!json_object_object_get_ex(net, key, ret))
		return 0;
	if (!json_object_is_type(*ret, json_type_array))
		return vigil_invalid(err, len, "network.%s must be an array", key);
	count = json_object_array_length(*ret);
	if (count > VIGIL_NFT_MAX_PORTS)
		return vigil_invalid(err, len, "network.%s has %zu entries, at most %d", key, count,
				     VIGIL_NFT_MAX_PORTS);
	*n = count;
	return 0;
}

static int proto_of(const char *s, enum vigil_nft_proto *ret)
{
	if (!strcmp(s, "tcp"))
		*ret = VIGIL_NFT_TCP;
	else if (!strcmp(s, "udp"))
		*ret = VIGIL_NFT_UDP;
	else
		return -EINVAL;
	return 0;
}

/* 3001 (TCP), "tcp/3001" or "udp/53". */
static int port_of(struct json_object *v, struct vigil_nft_port *ret)
{
	char proto[4], tail;
	int64_t port;

	if (json_object_is_type(v, json_type_int)) {
		ret->proto = VIGIL_NFT_TCP;
		port = json_object_get_int64(v);
	} else if (!json_object_is_type(v, json_type_string) ||
		   sscanf(json_object_get_string(v), "%3[a-z]/%" SCNd64 "%c", proto, &port,
			  &tail) != 2 ||
		   proto_of(proto, &ret->proto)) {
		return -EINVAL;
	}
	if (port < 1 || port > 65535)
		return -ERANGE;
	ret->port = (unsigned int)port;
	return 0;
}

static int parse_ports(struct json_object *net, const char *key, struct vigil_nft_port **ret,
		       size_t *n, char *err, size_t len)
{
	struct json_object *a;
	int r = get_array(net, key, &a, n, err, len);

	if (r || !*n)
		return r;
	*ret = calloc(*n, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		r = port_of(json_object_array_get_idx(a, i), &(*ret)[i]);
		if (r == -ERANGE)
			return vigil_invalid(err, len, "network.%s[%zu]: port must be 1 to 65535",
					     key, i);
		if (r)
			return vigil_invalid(
				err, len,
				"network.%s[%zu] must be a port number, \"tcp/PORT\" or "
				"\"udp/PORT\"",
				key, i);
	}
	return 0;
}

/* A list of prefixes as strings; what they say is the nft policy's to check. */
static int parse_prefixes(struct json_object *net, const char *key, char ***ret, size_t *n,
			  char *err, size_t len)
{
	struct json_object *a;
	int r = get_array(net, key, &a, n, err, len);

	if (r || !*n)
		return r;
	*ret = calloc(*n, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		if (!json_object_is_type(v, json_type_string))
			return vigil_invalid(err, len, "network.%s[%zu] must be a string", key, i);
		(*ret)[i] = strdup(json_object_get_string(v));
		if (!(*ret)[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * An empty list would read as "no new flow anywhere" to one reader and as
 * "no limit" (what an absent list means) to another: it is refused.
 */
static int parse_egress_to(struct json_object *net, struct vigil_net_policy *p, char *err,
			   size_t len)
{
	struct json_object *a;

	if (json_object_object_get_ex(net, "egress_to", &a) &&
	    json_object_is_type(a, json_type_array) && !json_object_array_length(a))
		return vigil_invalid(err, len,
				     "network.egress_to is empty: list the prefixes new flows "
				     "may go to, or leave it out for any destination");
	return parse_prefixes(net, "egress_to", &p->egress_to, &p->n_egress_to, err, len);
}

static unsigned int port_field(struct json_object *o, const char *key)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n < 0 || n > 65535 ? 0 : (unsigned int)n;
}

static const char *const forward_fields[] = { "proto", "host_port", "port", NULL };

static int parse_forwards(struct json_object *net, struct vigil_net_policy *p, char *err,
			  size_t len)
{
	struct json_object *a, *proto;
	int r = get_array(net, "forwards", &a, &p->n_forwards, err, len);

	if (r || !p->n_forwards)
		return r;
	p->forwards = calloc(p->n_forwards, sizeof(*p->forwards));
	if (!p->forwards)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_forwards; i++) {
		struct json_object *f = json_object_array_get_idx(a, i);
		struct vigil_nft_forward *out = &p->forwards[i];
		const char *unknown;

		if (!json_object_is_type(f, json_type_object))
			return vigil_invalid(err, len, "network.forwards[%zu] must be an object",
					     i);
		unknown = vigil_json_unknown_field(f, forward_fields);
		if (unknown)
			return vigil_invalid(err, len, "unknown field \"network.forwards[%zu].%s\"",
					     i, unknown);
		out->proto = VIGIL_NFT_TCP;
		if (json_object_object_get_ex(f, "proto", &proto) &&
		    (!json_object_is_type(proto, json_type_string) ||
		     proto_of(json_object_get_string(proto), &out->proto)))
			return vigil_invalid(
				err, len, "network.forwards[%zu].proto must be \"tcp\" or \"udp\"",
				i);
		out->host_port = port_field(f, "host_port");
		out->port = port_field(f, "port");
		if (!out->host_port || !out->port)
			return vigil_invalid(
				err, len,
				"network.forwards[%zu]: host_port and port must be 1 to 65535", i);
	}
	return 0;
}

static int parse_limit(struct json_object *net, const char *key, unsigned int max, uint32_t *ret,
		       char *err, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(net, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
	    json_object_get_int64(v) > max)
		return vigil_invalid(err, len, "network.%s must be between 1 and %u", key, max);
	*ret = (uint32_t)json_object_get_int64(v);
	return 0;
}

int vigil_net_policy_parse(struct json_object *net, struct vigil_net_policy *ret, char *err,
			   size_t len)
{
	struct vigil_net_policy p = { 0 };
	int r;

	r = parse_ports(net, "inbound", &p.inbound, &p.n_inbound, err, len);
	if (!r)
		r = parse_ports(net, "host_services", &p.host_services, &p.n_host_services, err,
				len);
	if (!r)
		r = parse_prefixes(net, "inbound_from", &p.inbound_from, &p.n_inbound_from, err,
				   len);
	if (!r)
		r = parse_egress_to(net, &p, err, len);
	if (!r)
		r = parse_forwards(net, &p, err, len);
	if (!r)
		r = parse_limit(net, "egress_mbit", VIGIL_NFT_MAX_MBIT, &p.egress_mbit, err, len);
	if (!r)
		r = parse_limit(net, "max_connections", VIGIL_NFT_MAX_CONNECTIONS,
				&p.max_connections, err, len);
	if (r) {
		vigil_net_policy_free(&p);
		return r;
	}
	*ret = p;
	return 0;
}

static struct json_object *ports_json(const struct vigil_nft_port *p, size_t n)
{
	struct json_object *a = json_object_new_array();
	char text[16];

	for (size_t i = 0; a && i < n; i++) {
		snprintf(text, sizeof(text), "%s/%u", vigil_nft_proto_name(p[i].proto), p[i].port);
		json_object_array_add(a, json_object_new_string(text));
	}
	return a;
}

static struct json_object *strings_json(char *const *s, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(s[i]));
	return a;
}

void vigil_net_policy_to_json(const struct vigil_net_policy *p, struct json_object *net)
{
	if (p->n_inbound)
		json_object_object_add(net, "inbound", ports_json(p->inbound, p->n_inbound));
	if (p->n_host_services)
		json_object_object_add(net, "host_services",
				       ports_json(p->host_services, p->n_host_services));
	if (p->n_inbound_from)
		json_object_object_add(net, "inbound_from",
				       strings_json(p->inbound_from, p->n_inbound_from));
	if (p->n_egress_to)
		json_object_object_add(net, "egress_to",
				       strings_json(p->egress_to, p->n_egress_to));
	if (p->n_forwards) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; a && i < p->n_forwards; i++) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(
				f, "proto",
				json_object_new_string(vigil_nft_proto_name(p->forwards[i].proto)));
			json_object_object_add(f, "host_port",
					       json_object_new_int64(p->forwards[i].host_port));
			json_object_object_add(f, "port",
					       json_object_new_int64(p->forwards[i].port));
			json_object_array_add(a, f);
		}
		json_object_object_add(net, "forwards", a);
	}
	if (p->egress_mbit)
		json_object_object_add(net, "egress_mbit", json_object_new_int64(p->egress_mbit));
	if (p->max_connections)
		json_object_object_add(net, "max_connections",
				       json_object_new_int64(p->max_connections));
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

void vigil_net_policy_free(struct vigil_net_policy *p)
{
	free_strings(p->inbound_from, p->n_inbound_from);
	free_strings(p->egress_to, p->n_egress_to);
	free(p->inbound);
	free(p->host_services);
	free(p->forwards);
	memset(p, 0, sizeof(*p));
}

void vigil_net_policy_workload(const struct vigil_net_policy *p, struct vigil_nft_workload *w)
{
	w->inbound = p->inbound;
	w->n_inbound = p->n_inbound;
	w->inbound_from = (const char *const *)p->inbound_from;
	w->n_inbound_from = p->n_inbound_from;
	w->egress_to = (const char *const *)p->egress_to;
	w->n_egress_to = p->n_egress_to;
	w->host_services = p->host_services;
	w->n_host_services = p->n_host_services;
	w->forwards = p->forwards;
	w->n_forwards = p->n_forwards;
	w->egress_mbit = p->egress_mbit;
	w->max_connections = p->max_connections;
}
