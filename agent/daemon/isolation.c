// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every workload with a network is fenced by vigil's nftables table
 * (nft_policy.h). At start the table is claimed and brought, in one
 * transaction, to the registered workloads; a create adds its workload's
 * rules before its interface comes up, a delete removes them. The table is
 * owned and persistent: when vigild dies, the rules stay in force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "host_subnets.h"
#include "tap.h"
#include "veth.h"

static bool fenced(const struct wl *w)
{
	return w->rec.state != VIGIL_WL_DELETED && w->rec.spec.net_mode != VIGIL_NET_NONE;
}

/* The configured deny list and the host's own subnets, as one list. */
static int deny_list(struct vigild *d, char ***ret_subnets, size_t *n_subnets, const char ***ret,
		     size_t *n)
{
	static const char *const ours[] = { VIGIL_VETH_IFNAME_PREFIX, VIGIL_TAP_IFNAME_PREFIX };
	const char **all;
	int r;

	r = vigil_host_subnets(ours, 2, ret_subnets, n_subnets);
	if (r)
		return r;
	all = calloc(d->n_deny + *n_subnets + 1, sizeof(*all));
	if (!all) {
		vigil_host_subnets_free(*ret_subnets, *n_subnets);
		return -ENOMEM;
	}
	for (size_t i = 0; i < d->n_deny; i++)
		all[i] = d->deny[i];
	for (size_t i = 0; i < *n_subnets; i++)
		all[d->n_deny + i] = (*ret_subnets)[i];
	*ret = all;
	*n = d->n_deny + *n_subnets;
	return 0;
}

static int reconcile(struct vigild *d)
{
	struct vigil_nft_workload *all = calloc(d->n_wls + 1, sizeof(*all));
	struct vigil_workload_addrs *addrs = calloc(d->n_wls + 1, sizeof(*addrs));
	size_t n = 0;
	int r = -ENOMEM;

	if (all && addrs) {
		for (size_t i = 0; i < d->n_wls; i++) {
			struct wl *w = d->wls[i];

			if (!fenced(w))
				continue;
			vigil_workload_spec_nft(&w->rec.spec, w->rec.host_ifname, &addrs[n],
						&all[n]);
			n++;
		}
		r = vigil_nft_reconcile(d->nft, all, n);
		if (r)
			fprintf(stderr, "vigild: isolation of %zu workloads: %s\n", n,
				vigil_nft_error(d->nft));
	}
	free(addrs);
	free(all);
	return r;
}

int isolation_start(struct vigild *d)
{
	struct vigil_nft_opts o = { 0 };
	char **subnets = NULL;
	size_t n_subnets = 0;
	int r;

	r = deny_list(d, &subnets, &n_subnets, (const char ***)&o.deny, &o.n_deny);
	if (r) {
		fprintf(stderr, "vigild: the host's own subnets: %s\n", strerror(-r));
		return r;
	}
	r = vigil_nft_init(&o, &d->nft);
	if (r)
		fprintf(stderr, "vigild: nftables: %s\n",
			d->nft ? vigil_nft_error(d->nft) : strerror(-r));
	else if (!vigil_nft_persistent(d->nft))
		fprintf(stderr, "vigild: this kernel cannot keep an owned nftables table (persist, "
				"6.9+): isolation lapses while vigild is down\n");
	free((void *)o.deny);
	vigil_host_subnets_free(subnets, n_subnets);
	return r ? r : reconcile(d);
}

void isolation_stop(struct vigild *d)
{
	/* the table stays, owned by nobody until the next start claims it */
	vigil_nft_free(d->nft);
	d->nft = NULL;
}

int isolation_apply(struct vigild *d, struct wl *w, struct req_err *e)
{
	struct vigil_nft_workload nw;
	struct vigil_workload_addrs addrs;
	int r;

	vigil_workload_spec_nft(&w->rec.spec, w->rec.host_ifname, &addrs, &nw);
	r = vigil_nft_apply(d->nft, &nw);
	if (r)
		return req_fail(e, r, "%s", vigil_nft_error(d->nft));
	return 0;
}

int isolation_remove(struct vigild *d, struct wl *w, struct req_err *e)
{
	int r = vigil_nft_remove(d->nft, w->rec.spec.id);

	if (r && r != -ENOENT)
		return req_fail(e, r, "%s", vigil_nft_error(d->nft));
	return 0;
}
