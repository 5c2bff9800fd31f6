/* Containers on attachable swarm networks (task_networks.h): the node asks
 * the leader for an address over the worker->manager RPC channel, wires
 * the network, and the container is created with that address. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "basic/timeutil.h"
#include "network/network.h"
#include "swarm/ca.h"
#include "swarm/mtls.h"
#include "swarm/rpc.h"
#include "swarm/store_networks.h"
#include "swarm/swarm_int.h"
#include "swarm/task_networks.h"

#define ATTACH_RPC_MS 8000

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* ---- leader ---- */

struct attach_pend {
	struct swarm *sw;
	struct mtls_conn *c;
	char net[32], owner[32];
};

static void attach_written(void *data, int status, json_t *res, const char *msg)
{
	struct attach_pend *p = data;
	json_t *net = json_object_get(p->sw->store.networks, p->net);
	json_t *ep = json_object_get(json_object_get(net, "Endpoints"), p->owner);
	if (status < 0)
		rpc_reply(p->c, status, NULL, msg);
	else if (!ep) /* dropped when applied: the address was taken */
		rpc_reply(p->c, -EEXIST, NULL, "Address already in use");
	else {
		json_t *view = task_networks_view(p->sw, net);
		json_object_set_new(view, "Port", json_integer(task_networks_port(p->sw)));
		rpc_reply(p->c, 0, view, NULL);
	}
	mtls_unref(p->c);
	free(p);
}

/* The request's aliases, names DNS can hold: at most 64, each a non-empty
 * string of at most 255 bytes. 0 (*ret NULL when there are none) or -EINVAL. */
static int attach_aliases(json_t *req, json_t **ret, struct error *err)
{
	json_t *in = json_object_get(req, "aliases"), *v;
	size_t i;
	*ret = NULL;
	if (!in || json_is_null(in))
		return 0;
	if (!json_is_array(in) || json_array_size(in) > 64)
		return error_set(err, -EINVAL, "invalid network aliases: at most 64 names");
	json_array_foreach(in, i, v)
	{
		const char *s = json_string_value(v);
		if (!s || !*s || strlen(s) > 255)
			return error_set(
			    err, -EINVAL,
			    "invalid network alias \"%.64s\": a name of 1 to 255 bytes",
			    s ? s : "");
	}
	*ret = json_deep_copy(in);
	return 0;
}

static void attach_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req, const char *node)
{
	const char *ref = jstr(req, "network"), *owner = jstr(req, "owner");
	json_t *net;
	struct error err = ERROR_INIT;
	if (store_find_network(&sw->store, ref, &net, &err) < 0) {
		rpc_reply(c, err.code, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	if (!json_is_true(json_object_get(json_object_get(net, "Spec"), "Attachable"))) {
		char msg[512];
		snprintf(
		    msg, sizeof(msg),
		    "Could not attach to network %s: rpc error: code = PermissionDenied desc = "
		    "network %s not manually attachable",
		    ref, jstr(net, "ID"));
		rpc_reply(c, -EPERM, NULL, msg);
		return;
	}
	json_t *aliases;
	if (attach_aliases(req, &aliases, &err) < 0) {
		rpc_reply(c, err.code, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	struct attach_pend *p = calloc(1, sizeof(*p));
	if (!p || strlen(owner) >= sizeof(p->owner) || !*owner) {
		json_decref(aliases);
		free(p);
		rpc_reply(c, -EINVAL, NULL, "bad attachment request");
		return;
	}
	p->sw = sw;
	p->c = c;
	mtls_ref(c);
	snprintf(p->net, sizeof(p->net), "%s", jstr(net, "ID"));
	snprintf(p->owner, sizeof(p->owner), "%s", owner);
	json_t *v =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Network", p->net, "Owner", owner, "Kind",
		      "container", "Name", jstr(req, "name"), "Node", node, "IP", jstr(req, "ip"));
	if (aliases)
		json_object_set_new(v, "Aliases", aliases);
	if (*jstr(req, "replaces"))
		json_object_set_new(v, "Replaces", json_string(jstr(req, "replaces")));
	swarm_write(sw, swarm_cmd("net_attach", v), attach_written, p);
}

static void detach_written(void *data, int status, json_t *res, const char *msg)
{
	struct mtls_conn *c = data;
	rpc_reply(c, status, NULL, msg);
	mtls_unref(c);
}

static void detach_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req, const char *node)
{
	json_t *net = json_object_get(sw->store.networks, jstr(req, "network"));
	json_t *ep = json_object_get(json_object_get(net, "Endpoints"), jstr(req, "owner"));
	if (!ep || strcmp(jstr(ep, "Node"), node) != 0 || strcmp(jstr(ep, "Kind"), "container")) {
		rpc_reply(c, 0, NULL, NULL); /* gone already, or not the node's */
		return;
	}
	mtls_ref(c);
	swarm_write(sw,
		    swarm_cmd("net_detach", json_pack("{s:s, s:s}", "Network", jstr(req, "network"),
						      "Owner", jstr(req, "owner"))),
		    detach_written, c);
}

bool swarm_attach_rpc(struct swarm *sw, const char *op, struct mtls_conn *c, json_t *req,
		      const char *node)
{
	if (strcmp(op, "net_attach") == 0)
		attach_rpc(sw, c, req, node);
	else if (strcmp(op, "net_detach") == 0)
		detach_rpc(sw, c, req, node);
	else
		return false;
	return true;
}

/* ---- every node ---- */

bool swarm_attach_target(struct swarm *sw, const char *ref)
{
	if (!sw || sw->state != SWARM_ACTIVE || !*ref || !strcmp(ref, "default") ||
	    !strcmp(ref, "bridge") || !strcmp(ref, "host") || !strcmp(ref, "none") ||
	    !strncmp(ref, "container:", 10))
		return false;
	/* A local network of that name or ID is used as it is, unless it is
	 * the local side of a swarm network: each container gets its own
	 * address from the leader. */
	return !network_local_plain(sw->deps.networks, ref);
}

bool swarm_attach_wanted(struct swarm *sw, json_t *body, const char **ret_ref)
{
	const char *mode = jstr(json_object_get(body, "HostConfig"), "NetworkMode");
	if (!swarm_attach_target(sw, mode))
		return false;
	*ret_ref = mode;
	return true;
}

struct attach_ctx {
	struct swarm *sw;
	swarm_done_fn cb;
	void *data;
	char owner[32];
};

static void attached(void *data, int status, json_t *resp, const char *msg)
{
	struct attach_ctx *a = data;
	json_t *out = NULL;
	json_t *ep = json_object_get(json_object_get(resp, "Endpoints"), a->owner);
	if (status == 0) {
		status = task_networks_wire(a->sw, resp,
					    (int)json_integer_value(json_object_get(resp, "Port")));
		if (status < 0)
			msg = "the network could not be set up on this node (see the daemon's log)";
	}
	if (status == 0)
		out = json_pack("{s:s, s:s, s:s}", "ID", jstr(resp, "ID"), "IP", jstr(ep, "IP"),
				"Owner", a->owner);
	else if (ep)
		swarm_detach(a->sw, jstr(resp, "ID"), a->owner);
	a->cb(a->data, status, out, msg);
	/* Its container holds it now (or it went back). */
	json_object_del(a->sw->attaching, a->owner);
	json_decref(out);
	free(a);
}

void swarm_attach(struct swarm *sw, const char *ref, const char *name, const char *ip,
		  json_t *aliases, const char *replaces, swarm_done_fn cb, void *data)
{
	const char *to = swarm_dispatcher_addr(sw);
	struct attach_ctx *a = calloc(1, sizeof(*a));
	if (!a || !to || sw->state != SWARM_ACTIVE) {
		free(a);
		/* dockerd's words for a node outside a swarm */
		cb(data, -EAGAIN, NULL,
		   sw->state != SWARM_ACTIVE ? "invalid cluster node while attaching to network"
					     : SWARM_NO_LEADER_MSG);
		return;
	}
	a->sw = sw;
	a->cb = cb;
	a->data = data;
	swarm_new_id(a->owner);
	json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:s}", "op", "net_attach", "network", ref,
				"owner", a->owner, "name", name ? name : "", "ip", ip ? ip : "");
	if (json_is_array(aliases) && json_array_size(aliases))
		json_object_set(req, "aliases", aliases);
	if (replaces)
		json_object_set_new(req, "replaces", json_string(replaces));
	/* Until its container holds it, the agent must not take it for one
	 * that no container here holds. */
	json_object_set_new(sw->attaching, a->owner, json_true());
	rpc_call(sw->deps.loop, sw->client_ctx, to, req, ATTACH_RPC_MS, attached, a);
}

bool swarm_attaching(struct swarm *sw, const char *owner)
{
	return json_object_get(sw->attaching, owner) != NULL;
}

/* ---- what networking asks of the swarm (network_set_swarm) ---- */

struct net_attach_ctx {
	network_attached_fn done;
	void *data;
};

static void net_attached(void *data, int status, json_t *result, const char *msg)
{
	struct net_attach_ctx *q = data;
	q->done(q->data, status, jstr(result, "Owner"), jstr(result, "IP"), msg);
	free(q);
}

static void net_attach(void *sw, const char *net, const char *name, const char *ip, json_t *aliases,
		       const char *replaces, network_attached_fn done, void *data)
{
	struct net_attach_ctx *q = calloc(1, sizeof(*q));
	if (!q) {
		done(data, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	*q = (struct net_attach_ctx){done, data};
	swarm_attach(sw, net, name, ip, aliases, replaces, net_attached, q);
}

static void net_detach(void *sw, const char *net, const char *owner)
{
	swarm_detach(sw, net, owner);
}

void swarm_attach_setup(struct swarm *sw)
{
	const struct network_swarm ops = {net_attach, net_detach, sw};
	network_set_swarm(sw->deps.networks, &ops);
}

static void detach_sent(void *data, int status, json_t *resp, const char *msg) {}

void swarm_detach(struct swarm *sw, const char *net, const char *owner)
{
	const char *to = swarm_dispatcher_addr(sw);
	if (to)
		rpc_call(sw->deps.loop, sw->client_ctx, to,
			 json_pack("{s:s, s:s, s:s}", "op", "net_detach", "network", net, "owner",
				   owner),
			 ATTACH_RPC_MS, detach_sent, NULL);
}
