// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every workload with a network is fenced by vigil's nftables table
 * (nft_policy.h). At start the table is claimed and brought, in one
 * transaction, to the registered workloads; a create adds its workload's
 * rules before its interface comes up, a delete removes them. The table is
 * owned and persistent: when vigild dies, the rules stay in force. The
 * host's own subnets are denied as they come and go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "addr_watch.h"
#include "crash_point.h"
#include "daemon.h"
#include "log.h"
#include "host_subnets.h"
#include "net_meter.h"
#include "tap.h"
#include "veth.h"

static bool fenced(const struct wl *w)
{
	return w->rec.state != VIGIL_WL_DELETED && w->rec.spec.net_mode != VIGIL_NET_NONE;
}

static const char *const own_ifnames[] = { VIGIL_VETH_IFNAME_PREFIX, VIGIL_TAP_IFNAME_PREFIX };

/* The configured deny list and the host's own subnets, as one list; free *ret only. */
static int deny_opts(struct vigild *d, char **subnets, size_t n_subnets, struct vigil_nft_opts *ret)
{
	const char **all = calloc(d->n_deny + n_subnets + 1, sizeof(*all));

	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_deny; i++)
		all[i] = d->deny[i];
	for (size_t i = 0; i < n_subnets; i++)
		all[d->n_deny + i] = subnets[i];
	*ret = (struct vigil_nft_opts){ .deny = all, .n_deny = d->n_deny + n_subnets };
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
			vlog(LOG_ERR, "isolation of %zu workloads: %s", n, vigil_nft_error(d->nft));
	}
	free(addrs);
	free(all);
	return r;
}

/*
 * The watch opens before the subnets are first read, so a change between
 * the two is not missed.
 */
static int watch_addresses(struct vigild *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->addr_fd };
	int r = vigil_addr_watch_open(&d->addr_fd);

	if (!r && epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->addr_fd, &ev) < 0)
		r = -errno;
	if (r)
		vlog(LOG_ERR, "watching the host's addresses: %s", strerror(-r));
	return r;
}

int isolation_start(struct vigild *d)
{
	struct vigil_nft_opts o;
	int r;

	r = watch_addresses(d);
	if (r)
		return r;
	r = vigil_host_subnets(own_ifnames, 2, &d->host_subnets, &d->n_host_subnets);
	if (r) {
		vlog(LOG_ERR, "the host's own subnets: %s", strerror(-r));
		return r;
	}
	r = deny_opts(d, d->host_subnets, d->n_host_subnets, &o);
	if (r)
		return r;
	r = vigil_nft_init(&o, &d->nft);
	if (r)
		vlog(LOG_ERR, "nftables: %s", d->nft ? vigil_nft_error(d->nft) : strerror(-r));
	else if (!vigil_nft_persistent(d->nft))
		vlog(LOG_ERR, "this kernel cannot keep an owned nftables table (persist, "
			      "6.9+): isolation lapses while vigild is down");
	free((void *)o.deny);
	return r ? r : reconcile(d);
}

void isolation_stop(struct vigild *d)
{
	/* the table stays, owned by nobody until the next start claims it */
	vigil_nft_free(d->nft);
	d->nft = NULL;
	vigil_host_subnets_free(d->host_subnets, d->n_host_subnets);
	d->host_subnets = NULL;
	d->n_host_subnets = 0;
	if (d->addr_fd >= 0)
		close(d->addr_fd);
	d->addr_fd = -1;
}

static bool listed(char **list, size_t n, const char *subnet)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], subnet))
			return true;
	return false;
}

/* Appends the subnets of `a` that `b` lacks to `buf`, each after `sign`. */
static void append_missing(char *buf, size_t len, char **a, size_t n_a, char **b, size_t n_b,
			   char sign)
{
	for (size_t i = 0; i < n_a; i++) {
		size_t used = strlen(buf);

		if (!listed(b, n_b, a[i]))
			snprintf(buf + used, len - used, " %c%s", sign, a[i]);
	}
}

/*
 * A subnet the host gains is the provider's network as much as those it had
 * at start: denied to the workloads from now, and a private destination for
 * the meters (added only: the tries are the admin's to prune).
 */
void isolation_addresses_changed(struct vigild *d)
{
	char changes[1024];
	struct vigil_nft_opts o;
	char **now;
	size_t n_now;
	int r;

	r = vigil_addr_watch_drain(d->addr_fd);
	if (r <= 0) {
		if (r < 0)
			vlog(LOG_ERR, "reading address changes: %s", strerror(-r));
		return;
	}
	r = vigil_host_subnets(own_ifnames, 2, &now, &n_now);
	if (r) {
		vlog(LOG_ERR, "the host's own subnets: %s", strerror(-r));
		return;
	}
	if (n_now == d->n_host_subnets) {
		size_t same = 0;

		for (size_t i = 0; i < n_now; i++)
			same += listed(d->host_subnets, d->n_host_subnets, now[i]);
		if (same == n_now) {
			vigil_host_subnets_free(now, n_now);
			return;
		}
	}
	r = deny_opts(d, now, n_now, &o);
	if (!r) {
		r = vigil_nft_set_deny(d->nft, &o);
		free((void *)o.deny);
	}
	if (r) {
		/* the old list stays, so the next change tries again */
		vlog(LOG_ERR, "the host's subnets changed, denying them failed: %s",
		     r == -ENOMEM ? strerror(ENOMEM) : vigil_nft_error(d->nft));
		vigil_host_subnets_free(now, n_now);
		return;
	}
	changes[0] = '\0';
	append_missing(changes, sizeof(changes), now, n_now, d->host_subnets, d->n_host_subnets,
		       '+');
	append_missing(changes, sizeof(changes), d->host_subnets, d->n_host_subnets, now, n_now,
		       '-');
	vlog(LOG_NOTICE, "the host's subnets changed, denied to workloads:%s", changes);
	crash_point(CRASH_SUBNETS_DENIED);
	for (size_t i = 0; i < n_now; i++) {
		struct vigil_prefix_key key;

		if (listed(d->host_subnets, d->n_host_subnets, now[i]) ||
		    vigil_prefix_parse(now[i], &key) < 0)
			continue;
		r = vigil_private_prefix_add(d->pin_dir, &key);
		if (r)
			vlog(LOG_ERR, "%s as a private destination: %s", now[i], strerror(-r));
	}
	vigil_host_subnets_free(d->host_subnets, d->n_host_subnets);
	d->host_subnets = now;
	d->n_host_subnets = n_now;
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
