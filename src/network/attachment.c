/* Containers on attachable swarm networks (network.h): as dockerd's
 * (releaseNetwork, findAndAttachNetwork), a container holds its attachment
 * only while it runs. It goes back to the swarm when the container stops
 * (its address is free again, its name leaves every node's DNS) and is
 * asked for again, the previous one named, when it starts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network.h"
#include "network/network_priv.h"

/* A task's container: its endpoints are the task's allocation, which the
 * swarm's allocator keeps and frees (dockerd's Managed). */
static bool managed(const struct net_container *c)
{
	return json_object_get(json_object_get(c->config, "Labels"), "com.docker.swarm.task.id") !=
	       NULL;
}

static struct endpoint *attachment_of(struct network *n, const struct net_container *c)
{
	struct endpoint *ep = n->overlay ? container_endpoint(n, c->id) : NULL;
	return ep && !managed(c) ? ep : NULL;
}

void network_set_swarm(struct networks *ns, const struct network_swarm *s)
{
	ns->swarm = s ? *s : (struct network_swarm){0};
}

void attachments_release(struct networks *ns, const struct net_container *c)
{
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		struct endpoint *ep = attachment_of(n, c);
		if (!ep || ep->released)
			continue;
		network_endpoint_release(ns, n, ep);
		/* The owner stays: the next attachment replaces it, should this
		 * message be lost (the agent also gives back what no running
		 * container here holds). */
		if (ep->owner[0] && ns->swarm.detach)
			ns->swarm.detach(ns->swarm.sw, n->id, ep->owner);
	}
}

void attachments_restore(struct networks *ns)
{
	const struct net_container_source *src = &ns->deps.containers;
	struct net_container c;
	for (size_t i = 0; src->at(src->data, i, &c); i++)
		if (!c.running)
			attachments_release(ns, &c);
}

bool network_container_detached(struct networks *ns, const struct net_container *c)
{
	for (size_t i = 0; i < ns->n; i++) {
		struct endpoint *ep = attachment_of(ns->v[i], c);
		if (ep && ep->released)
			return true;
	}
	return false;
}

/* ---- leaving the swarm ---- */

/* A task container keeps its endpoints: the agent is removing it. */
static bool held_by_task(struct networks *ns, const char *cid)
{
	struct net_container c;
	struct error err = ERROR_INIT;
	bool r = net_container_find(ns, cid, &c, &err) == 0 && managed(&c);
	error_clear(&err);
	return r;
}

void network_swarm_leave(struct networks *ns)
{
	ns->left_swarm = true;
	for (size_t i = 0; i < ns->n;) {
		struct network *n = ns->v[i];
		for (size_t k = 0; n->overlay && k < n->n_eps;) {
			if (held_by_task(ns, n->eps[k].cid))
				k++;
			else
				network_container_disconnect(ns, n, n->eps[k].cid);
		}
		if (n->overlay && !n->n_eps)
			network_destroy(ns, n);
		else
			i++;
	}
	network_gwbridge_leave(ns);
}

/* ---- attaching again ---- */

struct reattach {
	struct networks *ns;
	char cid[DIGEST_HEX_LEN + 1];
	char net[DIGEST_HEX_LEN + 1]; /* the network asked for */
	network_done_fn done;
	void *data;
};

/* dockerd's words: "Could not attach to network N: <the swarm's reason>". */
static int attach_error(struct error *err, int code, const char *net, const char *msg)
{
	if (code == -ENOENT)
		return error_set(err, code,
				 "Could not attach to network %s: rpc error: code = NotFound desc "
				 "= network %s not found",
				 net, net);
	if (strncmp(msg, "Could not attach to network ", 28) == 0)
		return error_set(err, code, "%s", msg);
	return error_set(err, code, "Could not attach to network %s: %s", net, msg);
}

/* The end: on failure, what this round obtained goes back. */
static void reattach_end(struct reattach *ra, int r, struct error *err)
{
	struct net_container c;
	struct error e2 = ERROR_INIT;
	if (r < 0 && net_container_find(ra->ns, ra->cid, &c, &e2) == 0)
		attachments_release(ra->ns, &c);
	error_clear(&e2);
	ra->done(r, err, ra->data);
	free(ra);
}

static void reattach_next(struct reattach *ra);

static void reattached(void *data, int status, const char *owner, const char *ip, const char *msg)
{
	struct reattach *ra = data;
	struct network *n = NULL;
	struct error err = ERROR_INIT;
	uint32_t addr = 0;
	int r = network_lookup(ra->ns, ra->net, &n, &err);
	if (r == 0 && status < 0)
		r = attach_error(&err, status, n->name, msg ? msg : "swarm error");
	else if (r == 0 && ip_parse(ip ? ip : "", &addr) < 0)
		r = error_set(&err, -EIO, "Could not attach to network %s: bad address %s", n->name,
			      ip ? ip : "");
	else if (r == 0)
		r = network_endpoint_readdress(ra->ns, n, ra->cid, addr, owner, &err);
	if (r < 0 && status == 0 && ra->ns->swarm.detach)
		ra->ns->swarm.detach(ra->ns->swarm.sw, ra->net, owner);
	if (r < 0)
		reattach_end(ra, r, &err);
	else
		reattach_next(ra);
	error_clear(&err);
}

/* Asks for the next attachment that went back; the end when none is left. */
static void reattach_next(struct reattach *ra)
{
	struct net_container c;
	struct error err = ERROR_INIT;
	struct network *n = NULL;
	struct endpoint *ep = NULL;
	int r = net_container_find(ra->ns, ra->cid, &c, &err);
	for (size_t i = 0; r == 0 && !n && i < ra->ns->n; i++) {
		ep = attachment_of(ra->ns->v[i], &c);
		if (ep && ep->released)
			n = ra->ns->v[i];
	}
	if (r == 0 && n && !ra->ns->swarm.attach)
		r = attach_error(&err, -EAGAIN, n->name,
				 "invalid cluster node while attaching to network");
	if (r < 0 || !n) {
		reattach_end(ra, r, &err);
		error_clear(&err);
		return;
	}
	char ip[16];
	snprintf(ra->net, sizeof(ra->net), "%s", n->id);
	ra->ns->swarm.attach(ra->ns->swarm.sw, n->id, c.name,
			     ep->static_ip && ep->ip ? ip_format(ep->ip, ip) : NULL, ep->aliases,
			     ep->owner[0] ? ep->owner : NULL, reattached, ra);
}

void network_container_attach(struct networks *ns, const struct net_container *c,
			      network_done_fn done, void *data)
{
	struct reattach *ra = calloc(1, sizeof(*ra));
	if (!ra) {
		struct error err = ERROR_INIT;
		error_set(&err, -ENOMEM, "out of memory");
		done(err.code, &err, data);
		error_clear(&err);
		return;
	}
	*ra = (struct reattach){.ns = ns, .done = done, .data = data};
	snprintf(ra->cid, sizeof(ra->cid), "%s", c->id);
	reattach_next(ra);
}
