/* docker_gwbridge, the way out of containers on overlay networks, as
 * Docker's (libnetwork's default gateway): an overlay endpoint gives no
 * default route, so a container on a non-internal overlay network and on
 * no network with a gateway of its own also gets an endpoint on this
 * node's local bridge network docker_gwbridge (the interface after its
 * other networks), which carries its default route, outbound NAT and its
 * published ports. The network is made when the node is in a swarm or when
 * the first such container needs it, unless the user made one of that name
 * first (berthd then uses it as it is). Its gateway endpoints are not among
 * the networks a container shows, and live as long as the container runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "network/network.h"
#include "network/network_priv.h"
#include "network/nl.h"

#define GW_NAME "docker_gwbridge"

struct network *gwbridge_find(struct networks *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		if (!n->overlay && !n->builtin && !strcmp(n->driver, "bridge") &&
		    !strcmp(n->name, GW_NAME))
			return n;
	}
	return NULL;
}

/* With Docker's settings: no inter-container traffic, NAT, IPv4 only, a
 * subnet of the local address pools. */
static int gwbridge_make(struct networks *ns, struct network **ret, struct error *err)
{
	json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "Name", GW_NAME, "Driver",
				 "bridge", "Options", OPT_BRIDGE_NAME, ns->gw_bridge, OPT_ICC,
				 "false", OPT_MASQ, "true");
	if (!body)
		return error_set(err, -ENOMEM, "out of memory");
	/* A device of our own name that no network of ours has is a crash's
	 * leftover (Docker's own name may be a dockerd's: left alone). */
	bool ours = strcmp(ns->gw_bridge, GW_NAME) != 0;
	for (size_t i = 0; i < ns->n && ours; i++)
		ours = strcmp(ns->v[i]->bridge, ns->gw_bridge) != 0;
	if (ours)
		nl_link_delete(ns->gw_bridge);
	struct error e2 = ERROR_INIT;
	struct network *n = NULL;
	int r = network_make(ns, body, &n, &e2);
	json_decref(body);
	if (r == 0) {
		n->gw_auto = true;
		r = network_save(ns, n, &e2);
		if (r < 0)
			network_destroy(ns, n);
	}
	if (r < 0) {
		error_set(err, r, "error creating external connectivity network: %s",
			  error_msg(&e2));
		error_clear(&e2);
		return r;
	}
	char sub[20];
	log_info(ns->deps.log, "network %s: bridge %s, subnet %s", GW_NAME, n->bridge,
		 cidr_format(&n->subnet, sub));
	*ret = n;
	return 0;
}

/* As libnetwork's needDefaultGW: some non-internal overlay network, and no
 * other network that gives a gateway. */
static bool needs_gw(struct networks *ns, const char *cid)
{
	bool overlay = false;
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		if (!container_endpoint(n, cid) || n->internal)
			continue;
		if (!n->overlay)
			return false;
		overlay = true;
	}
	return overlay;
}

int sandbox_gw_update(struct networks *ns, struct sandbox *sb, struct error *err)
{
	struct network *gw = gwbridge_find(ns);
	struct endpoint *ep = gw ? network_endpoint(gw, sb->cid) : NULL;
	bool have = ep && ep->gateway, need = needs_gw(ns, sb->cid);
	if (have && !need) {
		sandbox_leave(ns, sb, gw);
		gwbridge_release(ns, sb->cid);
		return 0;
	}
	if (!need || (ep && !ep->gateway) || (have && sandbox_index(sb, gw) >= 0))
		return 0;
	int r = gw ? 0 : gwbridge_make(ns, &gw, err);
	if (r == 0 && !have)
		r = network_attach_gateway(ns, gw, sb->cid, err);
	if (r == 0)
		r = sandbox_join(ns, sb, gw, err);
	if (r < 0)
		gwbridge_release(ns, sb->cid);
	return r;
}

void gwbridge_release(struct networks *ns, const char *cid)
{
	struct network *gw = gwbridge_find(ns);
	struct endpoint *ep = gw ? network_endpoint(gw, cid) : NULL;
	if (!ep || !ep->gateway)
		return;
	network_detach(ns, gw, cid);
	if (!ns->in_swarm && gw->gw_auto && !gw->n_eps)
		network_destroy(ns, gw);
}

void gwbridge_restore(struct networks *ns)
{
	struct network *gw = gwbridge_find(ns);
	for (size_t i = 0; gw && i < gw->n_eps;) {
		if (gw->eps[i].gateway && !sandbox_find(ns, gw->eps[i].cid))
			network_detach(ns, gw, gw->eps[i].cid);
		else
			i++;
	}
}

int network_gwbridge_ensure(struct networks *ns, bool make, struct error *err)
{
	ns->in_swarm = true;
	ns->left_swarm = false;
	struct network *gw = gwbridge_find(ns);
	return gw || !make ? 0 : gwbridge_make(ns, &gw, err);
}

void network_gwbridge_leave(struct networks *ns)
{
	ns->in_swarm = false;
	struct network *gw = gwbridge_find(ns);
	if (gw && gw->gw_auto && !gw->n_eps)
		network_destroy(ns, gw);
}
