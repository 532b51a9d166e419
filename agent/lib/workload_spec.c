// SPDX-License-Identifier: GPL-2.0-or-later
#include "workload_spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fields.h"
#include "tap.h"
#include "volume.h"

static const char *const top_fields[] = { "id",	     "owner",	"vcpus",  "memory_mib",
					  "command", "network", "volume", "jail",
					  "stop",    "restart", NULL };
static const char *const network_fields[] = {
	"mode",	     "ipv4",	      "ipv6",	  "host_ipv4",	 "host_ipv6",
	"vmm_uid",   "vmm_gid",	      "mac",	  "inbound",	 "inbound_from",
	"egress_to", "host_services", "forwards", "egress_mbit", "max_connections",
	NULL
};
/* the network fields of tap mode alone */
static const char *const tap_fields[] = { "vmm_uid", "vmm_gid", "mac", NULL };
static const char *const volume_fields[] = { "size_mib", NULL };

/* Every message names the workload once its id is known. */
static int __attribute__((format(printf, 4, 5)))
spec_err(char *err, size_t len, const char *id, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (id)
		snprintf(err, len, "workload \"%s\": %s", id, msg);
	else
		snprintf(err, len, "workload spec: %s", msg);
	return -EINVAL;
}

bool vigil_workload_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 1 || n > 32 || id[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!(islower((unsigned char)id[i]) || isdigit((unsigned char)id[i]) ||
		      id[i] == '-'))
			return false;
	}
	return true;
}

const char *vigil_net_mode_name(enum vigil_net_mode mode)
{
	switch (mode) {
	case VIGIL_NET_VETH:
		return "veth";
	case VIGIL_NET_TAP:
		return "tap";
	default:
		return "none";
	}
}

static int check_fields(struct json_object *obj, const char *const *known, const char *where,
			const char *id, char *err, size_t len)
{
	const char *key = vigil_json_unknown_field(obj, known);

	if (key)
		return spec_err(err, len, id, "unknown field \"%s%s\"", where, key);
	return 0;
}

/* An integer field; `where` prefixes its name in messages ("network."). */
static int get_range(struct json_object *obj, const char *where, const char *key, int64_t min,
		     int64_t max, const char *id, int64_t *ret, char *err, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return spec_err(err, len, id, "%s%s is required", where, key);
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < min ||
	    json_object_get_int64(v) > max)
		return spec_err(err, len, id, "%s%s must be between %lld and %lld", where, key,
				(long long)min, (long long)max);
	*ret = json_object_get_int64(v);
	return 0;
}

static int parse_owner(struct json_object *obj, struct vigil_workload_spec *s, char *err,
		       size_t len)
{
	struct json_object *v;
	const char *owner;

	if (!json_object_object_get_ex(obj, "owner", &v))
		return spec_err(err, len, s->id, "owner is required");
	if (!json_object_is_type(v, json_type_string))
		return spec_err(err, len, s->id, "owner must be a string");
	owner = json_object_get_string(v);
	if (!owner[0] || strlen(owner) > VIGIL_OWNER_MAX)
		return spec_err(err, len, s->id, "owner must be 1 to %d characters",
				VIGIL_OWNER_MAX);
	for (const char *c = owner; *c; c++) {
		if (!isprint((unsigned char)*c))
			return spec_err(err, len, s->id, "owner must be printable ASCII");
	}
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	return 0;
}

static int parse_command(struct json_object *obj, struct vigil_workload_spec *s, char *err,
			 size_t len)
{
	struct json_object *v;
	size_t n;

	if (!json_object_object_get_ex(obj, "command", &v))
		return spec_err(err, len, s->id, "command is required");
	if (!json_object_is_type(v, json_type_array))
		return spec_err(err, len, s->id, "command must be an array of strings");
	n = json_object_array_length(v);
	if (n < 1 || n > VIGIL_ARGS_MAX)
		return spec_err(err, len, s->id, "command must have 1 to %d arguments",
				VIGIL_ARGS_MAX);
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(v, i);

		if (!json_object_is_type(a, json_type_string) || !json_object_get_string(a)[0])
			return spec_err(err, len, s->id, "command[%zu] must be a non-empty string",
					i);
	}
	s->argv = calloc(n + 1, sizeof(*s->argv));
	if (!s->argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		s->argv[i] = strdup(json_object_get_string(json_object_array_get_idx(v, i)));
		if (!s->argv[i])
			return -ENOMEM;
		s->argc++;
	}
	return 0;
}

/* One family's pair of addresses, as the spec names and describes them. */
struct family_fields {
	int family;
	const char *key, *host_key, *name, *prefixes, *example;
};

static const struct family_fields ipv4_fields = { AF_INET, "ipv4",    "host_ipv4",
						  "IPv4",  "1 to 30", "198.18.0.2/30" };
static const struct family_fields ipv6_fields = { AF_INET6, "ipv6",	 "host_ipv6",
						  "IPv6",   "64 to 127", "2001:db8:0:1::2/64" };

static int parse_address(struct json_object *net, const struct family_fields *f, const char *key,
			 struct vigil_workload_spec *s, struct vigil_cidr *ret, char *err,
			 size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(net, key, &v))
		return spec_err(err, len, s->id, "network.%s is required in %s mode", key,
				vigil_net_mode_name(s->net_mode));
	if (!json_object_is_type(v, json_type_string) ||
	    vigil_cidr_parse(json_object_get_string(v), ret) < 0 || ret->family != f->family)
		return spec_err(err, len, s->id,
				"network.%s must be an %s address with a prefix length of %s, "
				"e.g. \"%s\"",
				key, f->name, f->prefixes, f->example);
	return 0;
}

/* What may be an interface's own IPv6 address, besides its subnet's constraints. */
static bool ipv6_unicast(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

static int check_addresses(struct vigil_workload_spec *s, const struct family_fields *f,
			   const struct vigil_cidr *a, const struct vigil_cidr *h, char *err,
			   size_t len)
{
	if (a->prefixlen != h->prefixlen || !vigil_cidr_overlap(a, h))
		return spec_err(err, len, s->id,
				"network.%s and network.%s must be in the same subnet", f->key,
				f->host_key);
	if (!memcmp(a->bytes, h->bytes, vigil_cidr_addr_len(a)))
		return spec_err(err, len, s->id, "network.%s and network.%s must differ", f->key,
				f->host_key);
	if (f->family == AF_INET) {
		/* network and broadcast addresses cannot be assigned to an interface */
		if (vigil_cidr_host_bits_all(a, false) || vigil_cidr_host_bits_all(a, true) ||
		    vigil_cidr_host_bits_all(h, false) || vigil_cidr_host_bits_all(h, true))
			return spec_err(err, len, s->id,
					"network addresses must not be the subnet's network or "
					"broadcast address");
		return 0;
	}
	if (!ipv6_unicast(&a->v6) || !ipv6_unicast(&h->v6))
		return spec_err(err, len, s->id,
				"network.%s must be a unicast address: not multicast, link-local, "
				"loopback, unspecified or IPv4-mapped",
				ipv6_unicast(&a->v6) ? f->host_key : f->key);
	/*
	 * The kernel gives a forwarding host the Subnet-Router anycast address
	 * (host bits zero) of each of its subnets but a /127's (RFC 6164).
	 */
	if (a->prefixlen < 127 &&
	    (vigil_cidr_host_bits_all(a, false) || vigil_cidr_host_bits_all(h, false)))
		return spec_err(err, len, s->id,
				"network IPv6 addresses must not be the subnet's Subnet-Router "
				"anycast address (host bits all zero) but in a /127");
	return 0;
}

/*
 * One family's addresses, the workload's and the host side's: required for
 * IPv4; both or neither for IPv6 (1: neither).
 */
static int parse_pair(struct json_object *net, const struct family_fields *f,
		      struct vigil_workload_spec *s, struct vigil_cidr *a, struct vigil_cidr *h,
		      char *err, size_t len)
{
	bool has = json_object_object_get_ex(net, f->key, NULL);
	bool has_host = json_object_object_get_ex(net, f->host_key, NULL);
	int ret;

	if (f->family == AF_INET6 && has != has_host)
		return spec_err(err, len, s->id, "network.%s is required with network.%s",
				has ? f->host_key : f->key, has ? f->key : f->host_key);
	if (f->family == AF_INET6 && !has)
		return 1;
	ret = parse_address(net, f, f->key, s, a, err, len);
	if (!ret)
		ret = parse_address(net, f, f->host_key, s, h, err, len);
	return ret ? ret : check_addresses(s, f, a, h, err, len);
}

/* Kept in canonical form, so equal addresses are equal strings. */
static void store_address(char *dst, size_t size, const struct vigil_cidr *c)
{
	char text[VIGIL_CIDR6_SIZE];

	vigil_cidr_format(c, text);
	snprintf(dst, size, "%s", text);
}

/* The address of "address/len". */
static void strip_prefixlen(char *dst, size_t size, const char *cidr)
{
	snprintf(dst, size, "%.*s", (int)strcspn(cidr, "/"), cidr);
}

void vigil_workload_spec_nft(const struct vigil_workload_spec *s, const char *ifname,
			     struct vigil_workload_addrs *addrs, struct vigil_nft_workload *ret)
{
	strip_prefixlen(addrs->ipv4, sizeof(addrs->ipv4), s->ipv4);
	strip_prefixlen(addrs->ipv6, sizeof(addrs->ipv6), s->ipv6);
	*ret = (struct vigil_nft_workload){ .id = s->id,
					    .ifname = ifname,
					    .ipv4 = addrs->ipv4,
					    .ipv6 = addrs->ipv6[0] ? addrs->ipv6 : NULL,
					    .mac = s->mac[0] ? s->mac : NULL };
	vigil_net_policy_workload(&s->policy, ret);
}

/* The isolation fields, read and then checked as the nft policy will take them. */
static int parse_policy(struct json_object *net, struct vigil_workload_spec *s, char *err,
			size_t len)
{
	struct vigil_nft_workload w;
	struct vigil_workload_addrs addrs;
	char why[VIGIL_NFT_ERR_SIZE];
	int ret;

	ret = vigil_net_policy_parse(net, &s->policy, why, sizeof(why));
	if (ret == -EINVAL)
		return spec_err(err, len, s->id, "%s", why);
	if (ret)
		return ret;
	/* the interface name is the agent's to choose: any valid one will do here */
	vigil_workload_spec_nft(s, "vg-check", &addrs, &w);
	ret = vigil_nft_workload_check(&w, err, len);
	return ret;
}

void vigil_workload_mac(const char *id, char ret[VIGIL_MAC_SIZE])
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */

	for (const char *c = id; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	snprintf(ret, VIGIL_MAC_SIZE, "02:%02x:%02x:%02x:%02x:%02x", (unsigned int)(h >> 32) & 0xff,
		 (unsigned int)(h >> 24) & 0xff, (unsigned int)(h >> 16) & 0xff,
		 (unsigned int)(h >> 8) & 0xff, (unsigned int)h & 0xff);
}

/* The guest's MAC, optional: six hex octets, unicast, not all zero; kept in lower case. */
static int parse_mac(struct json_object *net, struct vigil_workload_spec *s, char *err, size_t len)
{
	struct json_object *v;
	unsigned int b[6];
	char tail;

	if (!json_object_object_get_ex(net, "mac", &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != VIGIL_MAC_SIZE - 1 ||
	    sscanf(json_object_get_string(v), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 6 ||
	    strspn(json_object_get_string(v), "0123456789abcdefABCDEF:") != VIGIL_MAC_SIZE - 1)
		return spec_err(err, len, s->id,
				"network.mac must be a MAC address, e.g. \"02:00:00:00:00:01\"");
	if ((b[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return spec_err(err, len, s->id,
				"network.mac must be a unicast address (first octet even), not "
				"all zero");
	snprintf(s->mac, sizeof(s->mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
		 b[4], b[5]);
	return 0;
}

/*
 * An unjailed VMM's uid, owner of the tap, its gid (the uid by default);
 * whether they may be given is checked with the jail. The guest's MAC.
 */
static int parse_tap(struct json_object *net, struct vigil_workload_spec *s, char *err, size_t len)
{
	int64_t n;
	int ret;

	if (json_object_object_get_ex(net, "vmm_uid", NULL)) {
		ret = get_range(net, "network.", "vmm_uid", 0, VIGIL_VMM_ID_MAX, s->id, &n, err,
				len);
		if (ret < 0)
			return ret;
		s->has_vmm_uid = true;
		s->vmm_uid = s->vmm_gid = (uint32_t)n;
	} else if (json_object_object_get_ex(net, "vmm_gid", NULL)) {
		return spec_err(err, len, s->id, "network.vmm_gid needs network.vmm_uid");
	}
	if (json_object_object_get_ex(net, "vmm_gid", NULL)) {
		ret = get_range(net, "network.", "vmm_gid", 0, VIGIL_VMM_ID_MAX, s->id, &n, err,
				len);
		if (ret < 0)
			return ret;
		s->vmm_gid = (uint32_t)n;
	}
	return parse_mac(net, s, err, len);
}

static int parse_mode(struct json_object *net, struct vigil_workload_spec *s, char *err, size_t len)
{
	struct json_object *mode;
	const char *m = NULL;

	if (json_object_object_get_ex(net, "mode", &mode) &&
	    json_object_is_type(mode, json_type_string))
		m = json_object_get_string(mode);
	if (m && strcmp(m, "veth") == 0)
		s->net_mode = VIGIL_NET_VETH;
	else if (m && strcmp(m, "tap") == 0)
		s->net_mode = VIGIL_NET_TAP;
	else
		return spec_err(err, len, s->id, "network.mode must be \"veth\" or \"tap\"");
	if (s->net_mode == VIGIL_NET_TAP)
		return 0;
	for (size_t i = 0; tap_fields[i]; i++) {
		if (json_object_object_get_ex(net, tap_fields[i], NULL))
			return spec_err(err, len, s->id, "network.%s applies to tap mode only",
					tap_fields[i]);
	}
	return 0;
}

/*
 * Both modes are a routed point-to-point subnet: the workload's address (a
 * process's in its namespace, or what the guest configures in the microVM)
 * and the host side's, then the isolation of either.
 */
static int parse_network(struct json_object *obj, struct vigil_workload_spec *s, char *err,
			 size_t len)
{
	struct vigil_cidr a, h;
	struct json_object *net;
	int ret;

	if (!json_object_object_get_ex(obj, "network", &net))
		return 0;
	if (!json_object_is_type(net, json_type_object))
		return spec_err(err, len, s->id, "network must be an object");
	ret = check_fields(net, network_fields, "network.", s->id, err, len);
	if (!ret)
		ret = parse_mode(net, s, err, len);
	if (!ret)
		ret = parse_pair(net, &ipv4_fields, s, &a, &h, err, len);
	if (ret < 0)
		return ret;
	store_address(s->ipv4, sizeof(s->ipv4), &a);
	store_address(s->host_ipv4, sizeof(s->host_ipv4), &h);
	ret = parse_pair(net, &ipv6_fields, s, &a, &h, err, len);
	if (ret < 0)
		return ret;
	if (!ret) {
		store_address(s->ipv6, sizeof(s->ipv6), &a);
		store_address(s->host_ipv6, sizeof(s->host_ipv6), &h);
	}
	if (s->net_mode == VIGIL_NET_VETH) {
		vigil_workload_mac(s->id, s->mac);
		return parse_policy(net, s, err, len);
	}
	ret = parse_tap(net, s, err, len);
	return ret ? ret : parse_policy(net, s, err, len);
}

bool vigil_workload_spec_has_qmp(const struct vigil_workload_spec *s)
{
	for (size_t i = 0; i < s->argc; i++) {
		if (strstr(s->argv[i], "{qmp}"))
			return true;
	}
	return false;
}

/*
 * "{qmp}" is a path in the jail's runtime directory, a tmpfs of the jail's
 * own: an unjailed workload has none, and a declared path there would be
 * hidden under it.
 */
static int check_qmp(const struct vigil_workload_spec *s, char *err, size_t len)
{
	const struct vigil_jail_spec *j = &s->jail;

	if (!vigil_workload_spec_has_qmp(s))
		return 0;
	if (!j->enabled)
		return spec_err(err, len, s->id,
				"\"{qmp}\" is the QMP socket in the jail's runtime directory: it "
				"needs the jail (jail.enabled true)");
	for (size_t i = 0; i < j->n_ro_paths; i++) {
		if (vigil_paths_overlap(j->ro_paths[i], VIGIL_JAIL_RUN_DIR))
			return spec_err(err, len, s->id,
					"jail.ro_paths[%zu] \"%s\" overlaps the jail's runtime "
					"directory " VIGIL_JAIL_RUN_DIR
					" (the command has \"{qmp}\")",
					i, j->ro_paths[i]);
	}
	for (size_t i = 0; i < j->n_rw_paths; i++) {
		if (vigil_paths_overlap(j->rw_paths[i], VIGIL_JAIL_RUN_DIR))
			return spec_err(err, len, s->id,
					"jail.rw_paths[%zu] \"%s\" overlaps the jail's runtime "
					"directory " VIGIL_JAIL_RUN_DIR
					" (the command has \"{qmp}\")",
					i, j->rw_paths[i]);
	}
	return 0;
}

/*
 * "{tap}" and "{tap_fd}" have nothing to stand for without a tap; a jailed
 * VMM cannot use "{tap}": the tap is in the host's network namespace, not
 * in the VMM's, so it is handed the tap's descriptor instead.
 */
static int check_placeholders(const struct vigil_workload_spec *s, char *err, size_t len)
{
	for (size_t i = 0; i < s->argc; i++) {
		bool tap = strstr(s->argv[i], "{tap}"), fd = strstr(s->argv[i], "{tap_fd}");

		if ((tap || fd) && s->net_mode != VIGIL_NET_TAP)
			return spec_err(err, len, s->id,
					"command[%zu]: \"%s\" needs network.mode \"tap\"", i,
					tap ? "{tap}" : "{tap_fd}");
		if (tap && s->jail.enabled)
			return spec_err(err, len, s->id,
					"command[%zu]: \"{tap}\" names a tap the jailed VMM cannot "
					"see (it has a network namespace of its own): use "
					"\"{tap_fd}\", the descriptor it is handed, e.g. "
					"\"-netdev\", \"tap,id=n0,fd={tap_fd}\"",
					i);
	}
	return check_qmp(s, err, len);
}

/* How it is stopped and whether it is restarted. */
static int parse_lifecycle(struct json_object *obj, struct vigil_workload_spec *s, char *err,
			   size_t len)
{
	char why[256];
	int ret;

	ret = vigil_stop_spec_parse(obj, vigil_workload_spec_has_qmp(s), &s->stop, why,
				    sizeof(why));
	if (!ret)
		ret = vigil_restart_parse(obj, &s->restart, why, sizeof(why));
	return ret == -EINVAL ? spec_err(err, len, s->id, "%s", why) : ret;
}

/* The jail, with the profile a tap's VMM or a process needs by default. */
static int parse_jail(struct json_object *obj, struct vigil_workload_spec *s, char *err, size_t len)
{
	char why[256];
	int ret;

	ret = vigil_jail_spec_parse(
		obj, s->net_mode == VIGIL_NET_TAP ? VIGIL_SECCOMP_QEMU : VIGIL_SECCOMP_GENERIC,
		&s->jail, why, sizeof(why));
	if (ret == -EINVAL)
		return spec_err(err, len, s->id, "%s", why);
	if (ret < 0 || s->net_mode != VIGIL_NET_TAP)
		return ret;
	if (s->jail.enabled && s->has_vmm_uid)
		return spec_err(err, len, s->id,
				"network.vmm_uid applies to an unjailed VMM: a jailed one runs as "
				"the workload's own uid, which owns its tap");
	if (!s->jail.enabled && !s->has_vmm_uid)
		return spec_err(err, len, s->id,
				"network.vmm_uid is required in tap mode for an unjailed VMM");
	return 0;
}

static int parse_volume(struct json_object *obj, struct vigil_workload_spec *s, char *err,
			size_t len)
{
	struct json_object *vol;
	int64_t size;
	int ret;

	if (!json_object_object_get_ex(obj, "volume", &vol))
		return 0;
	if (!json_object_is_type(vol, json_type_object))
		return spec_err(err, len, s->id, "volume must be an object");
	ret = check_fields(vol, volume_fields, "volume.", s->id, err, len);
	if (ret < 0)
		return ret;
	ret = get_range(vol, "", "size_mib", 1, VIGIL_VOLUME_MIB_MAX, s->id, &size, err, len);
	if (ret < 0)
		return spec_err(err, len, s->id, "volume.size_mib must be between 1 and %d",
				VIGIL_VOLUME_MIB_MAX);
	s->volume_size_mib = (uint64_t)size;
	return 0;
}

/* "{volume}" stands for the workload's volume: a spec without one has nothing to fill it. */
static int check_volume_placeholder(const struct vigil_workload_spec *s, char *err, size_t len)
{
	for (size_t i = 0; i < s->argc && !s->volume_size_mib; i++) {
		if (strstr(s->argv[i], "{volume}"))
			return spec_err(
				err, len, s->id,
				"command[%zu]: \"{volume}\" needs a volume (volume.size_mib)", i);
	}
	return 0;
}

static int parse_id(struct json_object *obj, struct vigil_workload_spec *s, char *err, size_t len)
{
	struct json_object *v;
	const char *id;

	if (!json_object_object_get_ex(obj, "id", &v))
		return spec_err(err, len, NULL, "id is required");
	if (!json_object_is_type(v, json_type_string))
		return spec_err(err, len, NULL, "id must be a string");
	id = json_object_get_string(v);
	if (!vigil_workload_id_valid(id))
		return spec_err(err, len, NULL,
				"invalid id \"%.64s\": must match [a-z0-9][a-z0-9-]{0,31}", id);
	snprintf(s->id, sizeof(s->id), "%s", id);
	return 0;
}

int vigil_workload_spec_from_json(struct json_object *obj, struct vigil_workload_spec *ret,
				  char *err, size_t err_len)
{
	struct vigil_workload_spec s = { 0 };
	int64_t n;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return spec_err(err, err_len, NULL, "must be a JSON object");
	r = parse_id(obj, &s, err, err_len);
	if (!r)
		r = check_fields(obj, top_fields, "", s.id, err, err_len);
	if (!r)
		r = parse_owner(obj, &s, err, err_len);
	if (!r)
		r = get_range(obj, "", "vcpus", 1, VIGIL_VCPUS_MAX, s.id, &n, err, err_len);
	if (!r) {
		s.vcpus = (uint32_t)n;
		r = get_range(obj, "", "memory_mib", VIGIL_MEMORY_MIB_MIN, VIGIL_MEMORY_MIB_MAX,
			      s.id, &n, err, err_len);
	}
	if (!r) {
		s.memory_mib = (uint32_t)n;
		r = parse_command(obj, &s, err, err_len);
	}
	if (!r)
		r = parse_network(obj, &s, err, err_len);
	if (!r)
		r = parse_jail(obj, &s, err, err_len);
	if (!r)
		r = check_placeholders(&s, err, err_len);
	if (!r)
		r = parse_volume(obj, &s, err, err_len);
	if (!r)
		r = check_volume_placeholder(&s, err, err_len);
	if (!r)
		r = parse_lifecycle(obj, &s, err, err_len);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, err_len, "workload spec: %s", strerror(ENOMEM));
		vigil_workload_spec_free(&s);
		return r;
	}
	*ret = s;
	return 0;
}

int vigil_workload_spec_parse(const char *text, struct vigil_workload_spec *ret, char *err,
			      size_t err_len)
{
	struct json_object *obj;
	char jerr[200];
	int r;

	r = vigil_json_parse(text, &obj, jerr, sizeof(jerr));
	if (r < 0) {
		snprintf(err, err_len, "workload spec: %s", jerr);
		return r;
	}
	r = vigil_workload_spec_from_json(obj, ret, err, err_len);
	json_object_put(obj);
	return r;
}

void vigil_workload_spec_addrs_json(const struct vigil_workload_spec *s, struct json_object *net)
{
	json_object_object_add(net, "ipv4", json_object_new_string(s->ipv4));
	json_object_object_add(net, "host_ipv4", json_object_new_string(s->host_ipv4));
	if (s->ipv6[0]) {
		json_object_object_add(net, "ipv6", json_object_new_string(s->ipv6));
		json_object_object_add(net, "host_ipv6", json_object_new_string(s->host_ipv6));
	}
}

struct json_object *vigil_workload_spec_to_json(const struct vigil_workload_spec *s)
{
	struct json_object *o = json_object_new_object(), *cmd = json_object_new_array();

	if (!o || !cmd)
		goto fail;
	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "owner", json_object_new_string(s->owner));
	json_object_object_add(o, "vcpus", json_object_new_int64(s->vcpus));
	json_object_object_add(o, "memory_mib", json_object_new_int64(s->memory_mib));
	for (size_t i = 0; i < s->argc; i++)
		json_object_array_add(cmd, json_object_new_string(s->argv[i]));
	json_object_object_add(o, "command", cmd);
	if (s->net_mode != VIGIL_NET_NONE) {
		struct json_object *net = json_object_new_object();

		if (!net)
			goto fail_o;
		json_object_object_add(net, "mode",
				       json_object_new_string(vigil_net_mode_name(s->net_mode)));
		vigil_workload_spec_addrs_json(s, net);
		if (s->net_mode == VIGIL_NET_TAP) {
			if (s->has_vmm_uid) {
				json_object_object_add(net, "vmm_uid",
						       json_object_new_int64(s->vmm_uid));
				json_object_object_add(net, "vmm_gid",
						       json_object_new_int64(s->vmm_gid));
			}
			if (s->mac[0])
				json_object_object_add(net, "mac", json_object_new_string(s->mac));
		}
		vigil_net_policy_to_json(&s->policy, net);
		json_object_object_add(o, "network", net);
	}
	if (s->volume_size_mib) {
		struct json_object *vol = json_object_new_object();

		if (!vol)
			goto fail_o;
		json_object_object_add(vol, "size_mib",
				       json_object_new_int64((int64_t)s->volume_size_mib));
		json_object_object_add(o, "volume", vol);
	}
	json_object_object_add(o, "jail", vigil_jail_spec_to_json(&s->jail));
	if (s->stop.given)
		json_object_object_add(o, "stop", vigil_stop_spec_to_json(&s->stop));
	if (s->restart != VIGIL_RESTART_NO)
		json_object_object_add(
			o, "restart",
			json_object_new_string(vigil_restart_policy_name(s->restart)));
	return o;
fail:
	json_object_put(cmd);
fail_o:
	json_object_put(o);
	return NULL;
}

void vigil_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

void vigil_workload_spec_free(struct vigil_workload_spec *s)
{
	vigil_argv_free(s->argv);
	s->argv = NULL;
	s->argc = 0;
	vigil_net_policy_free(&s->policy);
	vigil_jail_spec_free(&s->jail);
}

struct placeholder {
	const char *name, *value;
};

/* `arg` with every placeholder of `ph` (a NULL name ends it) replaced by its value. */
static char *expand_arg(const char *arg, const struct placeholder *ph)
{
	size_t n = strlen(arg) + 1;
	char *out, *o;

	for (const struct placeholder *p = ph; p->name; p++) {
		for (const char *at = strstr(arg, p->name); at; at = strstr(at + 1, p->name))
			n += strlen(p->value);
	}
	out = malloc(n);
	if (!out)
		return NULL;
	o = out;
	while (*arg) {
		const struct placeholder *p = ph;

		while (p->name && strncmp(arg, p->name, strlen(p->name)))
			p++;
		if (p->name) {
			o = stpcpy(o, p->value);
			arg += strlen(p->name);
		} else {
			*o++ = *arg++;
		}
	}
	*o = '\0';
	return out;
}

int vigil_workload_spec_argv(const struct vigil_workload_spec *s, char ***ret)
{
	char **argv = calloc(s->argc + 1, sizeof(*argv)), tap[IF_NAMESIZE], tap_fd[16];
	char volume[VIGIL_VOLUME_MAPPER_SIZE];
	struct placeholder ph[] = { { "{id}", s->id }, { "{qmp}", VIGIL_JAIL_QMP_PATH },
				    { NULL, NULL },    { NULL, NULL },
				    { NULL, NULL },    { NULL, NULL } };
	size_t n = 2;

	if (!argv)
		return -ENOMEM;
	if (s->net_mode == VIGIL_NET_TAP) {
		vigil_tap_name(s->id, tap);
		snprintf(tap_fd, sizeof(tap_fd), "%d", VIGIL_TAP_FD);
		ph[n++] = (struct placeholder){ "{tap_fd}", tap_fd };
		ph[n++] = (struct placeholder){ "{tap}", tap };
	}
	if (s->volume_size_mib) {
		vigil_volume_mapper_path(s->id, volume, sizeof(volume));
		ph[n++] = (struct placeholder){ "{volume}", volume };
	}
	for (size_t i = 0; i < s->argc; i++) {
		argv[i] = expand_arg(s->argv[i], ph);
		if (!argv[i]) {
			vigil_argv_free(argv);
			return -ENOMEM;
		}
	}
	*ret = argv;
	return 0;
}
