// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr_class.h"
#include "net_meter.h"
#include "nft_policy.h"
#include "objects.h"
#include "print.h"
#include "xt_filter.h"

#define NET_PATH     "vigil net"
#define NET_HELP     NET_PATH " help"
#define PRIVATE_PATH NET_PATH " private"

static int do_net_help(int argc, char **argv)
{
	print_help("Usage: vigil net show [ID]\n"
		   "       vigil net check\n"
		   "       vigil net private show\n"
		   "       vigil net private add CIDR\n"
		   "       vigil net private delete CIDR\n"
		   "       vigil net help\n"
		   "\n"
		   "Bytes a workload sends are metered as private when their destination is\n"
		   "in the private prefixes, public otherwise. The list is vigil's pinned\n"
		   "tries (--pin-dir); changes apply to the next packet, in every workload.\n"
		   "show names the address class of each default prefix.\n"
		   "\n"
		   "  CIDR  an IPv4 or IPv6 prefix such as 10.0.0.0/8 or fd00::/8 (host bits\n"
		   "        zero); a bare address means that one host\n"
		   "\n"
		   "show prints a workload's isolation rules in table inet vigil and its drop\n"
		   "counters per reason; without ID, every workload in the table with its\n"
		   "interface and drops. check lists other tables' forward chains that drop\n"
		   "what they do not accept, by policy (Docker's) or by a last rule that drops\n"
		   "or rejects everything (firewalld's), in nftables and in legacy iptables:\n"
		   "they drop workload traffic vigil accepts. It exits non-zero when it finds\n"
		   "any.\n");
	return CLI_OK;
}

/* Reports a failure on the pinned trie; a missing pin means no meter is loaded. */
static int report(const char *path, const char *what, int err)
{
	if (err == -ENOENT && !what)
		p_err("%s: no private prefix trie pinned in %s: vigild (the meter) is not loaded",
		      path, vigil_global.pin_dir);
	else if (what)
		p_err("%s: %s: %s", path, what, strerror(-err));
	else
		p_err("%s: private prefix tries in %s: %s", path, vigil_global.pin_dir,
		      strerror(-err));
	return CLI_FAIL;
}

static int do_private_show(int argc, char **argv)
{
	const struct vigil_addr_class *class;
	char buf[VIGIL_PREFIX_STRLEN];
	struct vigil_prefix_key *keys;
	size_t n;
	int err;

	if (argc > 1)
		return p_usage(NET_HELP, PRIVATE_PATH " show: unexpected argument \"%s\"", argv[1]);
	err = vigil_private_prefix_list(vigil_global.pin_dir, &keys, &n);
	if (err)
		return report(PRIVATE_PATH " show", NULL, err);
	open_json_array(NULL);
	for (size_t i = 0; i < n && !err; i++) {
		err = vigil_prefix_format(&keys[i], buf, sizeof(buf));
		if (err)
			break;
		class = vigil_addr_class_of(buf);
		open_json_object(NULL);
		print_string(PRINT_ANY, "prefix", "%s", buf);
		print_string(PRINT_JSON, "family", NULL, strchr(buf, ':') ? "ipv6" : "ipv4");
		if (class)
			print_string(PRINT_ANY, "class", "  %s", class->why);
		print_text("\n");
		close_json_object();
	}
	close_json_array();
	free(keys);
	if (err)
		return report(PRIVATE_PATH " show", "formatting a prefix", err);
	return CLI_OK;
}

/* Parses the one CIDR argument of add and delete. */
static int cidr_arg(int argc, char **argv, const char *path, struct vigil_prefix_key *ret)
{
	if (argc < 2)
		return p_usage(NET_HELP, "%s: missing CIDR", path);
	if (argc > 2)
		return p_usage(NET_HELP, "%s: unexpected argument \"%s\"", path, argv[2]);
	if (vigil_prefix_parse(argv[1], ret) < 0)
		return p_usage(NET_HELP,
			       "%s: \"%s\" is not a prefix (like 10.0.0.0/8 or fd00::/8, host bits "
			       "zero)",
			       path, argv[1]);
	return CLI_OK;
}

static int change_private(int argc, char **argv, bool add)
{
	const char *path = add ? PRIVATE_PATH " add" : PRIVATE_PATH " delete";
	struct vigil_prefix_key key;
	int err, status;

	status = cidr_arg(argc, argv, path, &key);
	if (status != CLI_OK)
		return status;
	err = add ? vigil_private_prefix_add(vigil_global.pin_dir, &key)
		  : vigil_private_prefix_delete(vigil_global.pin_dir, &key);
	if (err == -ENOENT && !add) {
		/* the trie itself may be what is missing */
		struct vigil_prefix_key *keys;
		size_t n;

		err = vigil_private_prefix_list(vigil_global.pin_dir, &keys, &n);
		if (err)
			return report(path, NULL, err);
		free(keys);
		p_err("%s: %s is not in the private prefixes", path, argv[1]);
		return CLI_FAIL;
	}
	if (err == -ENOSPC) {
		p_err("%s: %s: the private prefixes are full (%d)", path, argv[1],
		      VIGIL_MAX_PRIVATE_PREFIXES);
		return CLI_FAIL;
	}
	if (err)
		return report(path, NULL, err);
	open_json_object(NULL);
	print_string(PRINT_JSON, "prefix", NULL, argv[1]);
	print_bool(PRINT_JSON, add ? "added" : "deleted", NULL, true, NULL, NULL);
	close_json_object();
	return CLI_OK;
}

static int do_private_add(int argc, char **argv)
{
	return change_private(argc, argv, true);
}

static int do_private_delete(int argc, char **argv)
{
	return change_private(argc, argv, false);
}

static const struct cmd private_cmds[] = {
	{ "show", do_private_show },	 { "list", do_private_show }, { "add", do_private_add },
	{ "delete", do_private_delete }, { "help", do_net_help },     { NULL, NULL },
};

static int do_net_private(int argc, char **argv)
{
	if (argc < 2)
		return do_private_show(1, argv);
	return cmd_dispatch(private_cmds, PRIVATE_PATH, "command", argc - 1, argv + 1);
}

/* Every workload in the table, a line each: its drops per reason, in packets. */
static int show_all(void)
{
	struct vigil_nft_listed *all;
	size_t n;
	int err = vigil_nft_list(&all, &n);

	if (err) {
		p_err(NET_PATH " show: table inet " VIGIL_NFT_TABLE ": %s", strerror(-err));
		return CLI_FAIL;
	}
	open_json_array(NULL);
	print_text("%-32s %-15s", "ID", "INTERFACE");
	for (int r = 0; r < VIGIL_NFT_N_REASONS; r++)
		print_text(" %8s", vigil_nft_reason_name(r));
	print_text("  (packets dropped)\n");
	for (size_t i = 0; i < n; i++) {
		open_json_object(NULL);
		print_string(PRINT_ANY, "id", "%-32s", all[i].id);
		print_string(PRINT_ANY, "ifname", " %-15s", all[i].ifname);
		open_json_object("drops");
		for (int r = 0; r < VIGIL_NFT_N_REASONS; r++) {
			open_json_object(vigil_nft_reason_name(r));
			print_u64(PRINT_ANY, "packets", " %8" PRIu64, all[i].drops[r].packets);
			print_u64(PRINT_JSON, "bytes", NULL, all[i].drops[r].bytes);
			close_json_object();
		}
		close_json_object();
		print_text("\n");
		close_json_object();
	}
	close_json_array();
	free(all);
	return CLI_OK;
}

static int do_net_show(int argc, char **argv)
{
	struct vigil_nft_counter drops[VIGIL_NFT_N_REASONS];
	char *rules;
	int err;

	if (argc < 2)
		return show_all();
	if (argc > 2)
		return p_usage(NET_HELP, NET_PATH " show: unexpected argument \"%s\"", argv[2]);
	err = vigil_nft_counters(argv[1], drops);
	if (!err)
		err = vigil_nft_rules(argv[1], &rules);
	if (err == -EINVAL)
		return p_usage(NET_HELP, NET_PATH " show: \"%s\" is not a workload id", argv[1]);
	if (err == -ENOENT) {
		p_err(NET_PATH
		      " show: workload %s: no isolation rules in table inet " VIGIL_NFT_TABLE,
		      argv[1]);
		return CLI_FAIL;
	}
	if (err) {
		p_err(NET_PATH " show: workload %s: table inet " VIGIL_NFT_TABLE ": %s", argv[1],
		      strerror(-err));
		return CLI_FAIL;
	}
	open_json_object(NULL);
	print_string(PRINT_ANY, "id", "workload %s\n", argv[1]);
	print_text("drops:\n");
	open_json_object("drops");
	for (int r = 0; r < VIGIL_NFT_N_REASONS; r++) {
		open_json_object(vigil_nft_reason_name(r));
		print_text("  %-8s", vigil_nft_reason_name(r));
		print_u64(PRINT_ANY, "packets", " %" PRIu64 " packets", drops[r].packets);
		print_u64(PRINT_ANY, "bytes", " %" PRIu64 " bytes\n", drops[r].bytes);
		close_json_object();
	}
	close_json_object();
	print_string(PRINT_ANY, "rules", "%s", rules);
	close_json_object();
	free(rules);
	return CLI_OK;
}

static void print_foreign(const char *backend, const struct vigil_nft_foreign *f)
{
	open_json_object(NULL);
	print_string(PRINT_ANY, "backend", "%s ", backend);
	print_string(PRINT_ANY, "family", "table %s", f->family);
	print_string(PRINT_ANY, "table", " %s", f->table);
	print_string(PRINT_ANY, "chain", ": forward chain %s", f->chain);
	print_string(PRINT_ANY, "how", " %s: it drops workload traffic that vigil accepts\n",
		     f->how);
	close_json_object();
}

/* Legacy iptables' FORWARD policies, which nft cannot list; how many drop. */
static int check_legacy(size_t *ret_n)
{
	static const struct vigil_nft_foreign chains[] = {
		{ "ip", "filter", "FORWARD", "policy drop" },
		{ "ip6", "filter", "FORWARD", "policy drop" },
	};
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < sizeof(families) / sizeof(*families); i++) {
		bool drops;
		int err = vigil_xt_forward_drops(families[i], &drops);

		if (err) {
			p_err(NET_PATH " check: reading %stables-legacy's filter table: %s",
			      families[i] == AF_INET ? "ip" : "ip6", strerror(-err));
			return err;
		}
		if (drops) {
			print_foreign("iptables-legacy", &chains[i]);
			++*ret_n;
		}
	}
	return 0;
}

static int do_net_check(int argc, char **argv)
{
	struct vigil_nft_foreign *found;
	size_t n, n_legacy = 0;
	int err;

	if (argc > 1)
		return p_usage(NET_HELP, NET_PATH " check: unexpected argument \"%s\"", argv[1]);
	err = vigil_nft_foreign_drops(&found, &n);
	if (err) {
		p_err(NET_PATH " check: listing the nftables chains: %s", strerror(-err));
		return CLI_FAIL;
	}
	open_json_object(NULL);
	open_json_array("forward_drop_chains");
	for (size_t i = 0; i < n; i++)
		print_foreign("nftables", &found[i]);
	free(found);
	err = check_legacy(&n_legacy);
	close_json_array();
	if (err) {
		close_json_object();
		return CLI_FAIL;
	}
	print_bool(PRINT_JSON, "ok", NULL, n + n_legacy == 0, NULL, NULL);
	if (!n && !n_legacy)
		print_text("no other table drops forwarded traffic by default\n");
	close_json_object();
	return n || n_legacy ? CLI_FAIL : CLI_OK;
}

static const struct cmd net_cmds[] = {
	{ "show", do_net_show }, { "check", do_net_check }, { "private", do_net_private },
	{ "list", do_net_show }, { "help", do_net_help },   { NULL, NULL },
};

int do_net(int argc, char **argv)
{
	return cmd_dispatch(net_cmds, NET_PATH, "command", argc - 1, argv + 1);
}
