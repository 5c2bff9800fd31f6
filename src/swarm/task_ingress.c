/* The routing mesh between the dispatcher and the agent (task_ingress.h). */
#include "swarm/task_ingress.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "network/ingress.h"
#include "orchestrator/allocator.h"
#include "orchestrator/ports.h"
#include "swarm/swarm_int.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

json_t *task_ingress_ports(struct swarm *sw)
{
	json_t *out = json_array();
	const char *id;
	json_t *svc;
	json_object_foreach(sw->store.services, id, svc)
	{
		json_t *spec = json_object_get(svc, "Spec");
		size_t i;
		json_t *p;
		json_array_foreach(ports_published(svc), i, p)
		{
			const char *mode = jstr(p, "PublishMode");
			json_int_t pub = json_integer_value(json_object_get(p, "PublishedPort"));
			if ((*mode && strcmp(mode, "ingress") != 0) || pub <= 0)
				continue;
			json_array_append_new(
			    out, json_pack("{s:s, s:s, s:I, s:I}", "Service", jstr(spec, "Name"),
					   "Protocol",
					   *jstr(p, "Protocol") ? jstr(p, "Protocol") : "tcp",
					   "PublishedPort", pub, "TargetPort",
					   json_integer_value(json_object_get(p, "TargetPort"))));
		}
	}
	return out;
}

static int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

/* Every node's endpoint; this node's in *self too. */
static size_t nodes_of(struct swarm *sw, json_t *eps, struct ingress_node *out,
		       struct ingress_node *self)
{
	size_t n = 0;
	const char *owner;
	json_t *ep;
	json_object_foreach(eps, owner, ep)
	{
		struct ingress_node in;
		if (strcmp(jstr(ep, "Kind"), "node") != 0 || ip_parse(jstr(ep, "IP"), &in.ip) < 0 ||
		    mac_parse(jstr(ep, "MAC"), in.mac) < 0)
			continue;
		out[n++] = in;
		if (strcmp(owner, sw->node_id) == 0)
			*self = in;
	}
	return n;
}

/* The serving tasks of service as backends. */
static size_t backends_of(json_t *eps, const char *service, uint32_t *out)
{
	size_t n = 0;
	const char *owner;
	json_t *ep;
	json_object_foreach(eps, owner, ep)
	{
		if (strcmp(jstr(ep, "Kind"), "task") == 0 &&
		    strcmp(jstr(ep, "Service"), service) == 0 &&
		    json_is_true(json_object_get(ep, "Up")) &&
		    ip_parse(jstr(ep, "IP"), &out[n]) == 0)
			n++;
	}
	return n;
}

void task_ingress_wire(struct swarm *sw, json_t *net)
{
	json_t *eps = json_object_get(net, "Endpoints");
	json_t *ports = json_object_get(net, "Ports");
	size_t n_eps = json_object_size(eps), n_ports = json_array_size(ports);
	_cleanup_free_ struct ingress_node *nodes = calloc(n_eps + 1, sizeof(*nodes));
	_cleanup_free_ struct nft_mesh_port *mp = calloc(n_ports + 1, sizeof(*mp));
	_cleanup_free_ uint32_t *addrs = calloc(n_eps * n_ports + 1, sizeof(*addrs));
	if (!nodes || !mp || !addrs)
		return;
	struct ingress_mesh m = {.nodes = nodes, .ports = mp, .n_ports = n_ports};
	m.n_nodes = nodes_of(sw, eps, nodes, &m.self);
	size_t used = 0, i;
	json_t *p;
	json_array_foreach(ports, i, p)
	{
		const char *proto = jstr(p, "Protocol");
		/* SCTP is not balanced: left without backends, the node refuses. */
		bool known = !strcmp(proto, "tcp") || !strcmp(proto, "udp");
		size_t k = known ? backends_of(eps, jstr(p, "Service"), addrs + used) : 0;
		mp[i] = (struct nft_mesh_port){
		    .proto = known ? proto : "tcp",
		    .published = (int)json_integer_value(json_object_get(p, "PublishedPort")),
		    .target = (int)json_integer_value(json_object_get(p, "TargetPort")),
		    .backends = addrs + used,
		    .n_backends = k};
		used += k;
	}
	network_ingress_update(sw->deps.networks, jstr(net, "ID"), &m);
}

json_t *task_ingress_endpoint(json_t *networks, json_t *task)
{
	size_t i;
	json_t *net;
	json_array_foreach(networks, i, net)
	{
		if (json_is_true(json_object_get(net, "Ingress")))
			return json_object_get(json_object_get(net, "Endpoints"), jstr(task, "ID"));
	}
	return NULL;
}
