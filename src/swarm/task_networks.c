/* Swarm overlay networks between the dispatcher and the agent
 * (task_networks.h). */
#include "swarm/task_networks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "network/network.h"
#include "network/nl.h"
#include "orchestrator/allocator.h"
#include "swarm/netkeys.h"
#include "swarm/store_networks.h"
#include "swarm/swarm_int.h"
#include "swarm/task_ingress.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void hash_str(uint64_t *h, const char *s)
{
	for (const char *p = s; *p; p++)
		*h = (*h ^ (unsigned char)*p) * 1099511628211ULL;
}

/* ---- dispatcher (leader) ---- */

static bool used_on(json_t *net, const char *node)
{
	const char *owner;
	json_t *ep;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		if (strcmp(jstr(ep, "Node"), node) == 0)
			return true;
	}
	return false;
}

json_t *task_networks_peers(struct swarm *sw, json_t *net)
{
	json_t *out = json_array(), *seen = json_object();
	const char *owner;
	json_t *ep;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		const char *id = jstr(ep, "Node");
		json_t *node = json_object_get(sw->store.nodes, id);
		if (!node || json_object_get(seen, id))
			continue;
		json_object_set_new(seen, id, json_true());
		json_array_append_new(
		    out, json_pack("{s:s, s:s}", "Name",
				   jstr(json_object_get(node, "Description"), "Hostname"), "IP",
				   jstr(json_object_get(node, "Status"), "Addr")));
	}
	json_decref(seen);
	return out;
}

/* What a node needs of a network: its settings and every endpoint with the
 * underlay address of its node (--data-path-addr, else its address); and
 * for `network inspect` there, what only the store knows. */
json_t *task_networks_view(struct swarm *sw, json_t *net)
{
	json_t *spec = json_object_get(net, "Spec");
	json_t *eps = json_object();
	const char *owner;
	json_t *ep;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		json_t *node = json_object_get(sw->store.nodes, jstr(ep, "Node"));
		const char *addr = jstr(node, "_data_path_addr");
		if (!*addr)
			addr = jstr(json_object_get(node, "Status"), "Addr");
		/* A VIP is on no node: every node balances it. */
		if (!*addr && strcmp(jstr(ep, "Kind"), "vip") != 0)
			continue;
		json_t *copy = json_deep_copy(ep);
		json_object_set_new(copy, "Addr", json_string(addr));
		/* Read from the task as it is now: DNS and the balancers follow
		 * a task's state without waiting for another write. */
		if (strcmp(jstr(ep, "Kind"), "task") == 0)
			json_object_set_new(copy, "Up",
					    json_boolean(allocator_task_serves(
						json_object_get(sw->store.tasks, owner))));
		json_object_set_new(eps, owner, copy);
	}
	json_t *labels = json_object_get(spec, "Labels");
	json_t *view = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:O, s:b, s:s, s:o, s:{s:b, s:O, s:o}}", "ID",
	    jstr(net, "ID"), "Name", jstr(spec, "Name"), "Subnet", jstr(net, "Subnet"), "Gateway",
	    jstr(net, "Gateway"), "IPRange", jstr(net, "IPRange"), "VNI",
	    json_object_get(net, "VNI"), "Internal",
	    json_is_true(json_object_get(spec, "Internal")), "MTU",
	    jstr(json_object_get(spec, "Options"), OVERLAY_MTU_OPTION), "Endpoints", eps, "Inspect",
	    "Attachable", json_is_true(json_object_get(spec, "Attachable")), "Labels",
	    json_is_object(labels) ? labels : json_null(), "Peers", task_networks_peers(sw, net));
	if (view && json_is_true(json_object_get(spec, "Ingress"))) {
		json_object_set_new(view, "Ingress", json_true());
		json_object_set_new(view, "Ports", task_ingress_ports(sw));
	}
	if (view && netkeys_network_encrypted(net))
		json_object_set_new(view, "Encrypted", json_true());
	return view;
}

json_t *task_networks_for_node(struct swarm *sw, const char *node, uint64_t *h)
{
	json_t *out = json_array();
	const char *id;
	json_t *net;
	json_object_foreach(sw->store.networks, id, net)
	{
		if (!used_on(net, node))
			continue;
		json_t *v = task_networks_view(sw, net);
		char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (text)
			hash_str(h, text);
		free(text);
		json_array_append_new(out, v);
	}
	return out;
}

int task_networks_port(struct swarm *sw)
{
	json_int_t p = json_integer_value(json_object_get(sw->store.cluster, "DataPathPort"));
	return p > 0 ? (int)p : 4789;
}

/* ---- agent (every node) ---- */

/* This node's underlay address: --data-path-addr, else its advertise
 * address without the port. */
int task_networks_local_addr(struct swarm *sw, uint32_t *ret)
{
	char ip[128];
	snprintf(ip, sizeof(ip), "%s",
		 sw->data_path_addr[0] ? sw->data_path_addr : sw->advertise_addr);
	char *colon = sw->data_path_addr[0] ? NULL : strrchr(ip, ':');
	if (colon)
		*colon = '\0';
	return ip_parse(ip, ret);
}

static int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int overlay_of(json_t *net, struct overlay_net *o)
{
	*o = (struct overlay_net){.id = jstr(net, "ID"),
				  .name = jstr(net, "Name"),
				  .vni = (uint32_t)json_integer_value(json_object_get(net, "VNI")),
				  .mtu = atoi(jstr(net, "MTU")),
				  .internal = json_is_true(json_object_get(net, "Internal")),
				  .encrypted = json_is_true(json_object_get(net, "Encrypted"))};
	if (cidr_parse(jstr(net, "Subnet"), false, &o->subnet) < 0 ||
	    ip_parse(jstr(net, "Gateway"), &o->gateway) < 0 || !o->vni)
		return -EINVAL;
	cidr_parse(jstr(net, "IPRange"), false, &o->range);
	return 0;
}

static void program_peers(struct swarm *sw, json_t *net)
{
	json_t *eps = json_object_get(net, "Endpoints");
	struct nl_peer *peers = calloc(json_object_size(eps) + 1, sizeof(*peers));
	size_t n = 0;
	const char *owner;
	json_t *ep;
	json_object_foreach(eps, owner, ep)
	{
		if (!peers || strcmp(jstr(ep, "Node"), sw->node_id) == 0)
			continue;
		struct nl_peer *p = &peers[n];
		if (ip_parse(jstr(ep, "IP"), &p->ip) == 0 &&
		    ip_parse(jstr(ep, "Addr"), &p->vtep) == 0 &&
		    mac_parse(jstr(ep, "MAC"), p->mac) == 0)
			n++;
	}
	if (peers)
		network_overlay_peers(sw->deps.networks, jstr(net, "ID"), peers, n);
	free(peers);
}

static json_t *record_of(json_t *out, json_t *ep)
{
	const char *svc = jstr(ep, "Service");
	json_t *r = json_object_get(out, svc);
	if (!r) {
		r = json_pack("{s:[], s:{}}", "Aliases", "Tasks");
		json_object_set_new(out, svc, r);
	}
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(ep, "Aliases"), i, a)
	{
		size_t k;
		json_t *b;
		bool have = false;
		json_array_foreach(json_object_get(r, "Aliases"), k, b) have =
		    have || json_equal(a, b);
		if (!have)
			json_array_append(json_object_get(r, "Aliases"), a);
	}
	return r;
}

/* A record of one address for an attached container's name or alias,
 * unless a service (or another container) has the name. */
static void container_record(json_t *out, const char *name, json_t *ep)
{
	if (!*name || json_object_get(out, name))
		return;
	json_object_set_new(out, name,
			    json_pack("{s:[], s:{s:O}, s:b}", "Aliases", "Tasks", name,
				      json_object_get(ep, "IP"), "Container", 1));
}

/* Attached containers answer by name and by their --network-alias names on
 * every node, as dockerd's. */
static void container_records(json_t *out, json_t *net)
{
	const char *owner;
	json_t *ep, *alias;
	size_t i;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		if (strcmp(jstr(ep, "Kind"), "container") != 0)
			continue;
		container_record(out, jstr(ep, "Name"), ep);
		json_array_foreach(json_object_get(ep, "Aliases"), i, alias)
		    container_record(out, json_string_value(alias) ?: "", ep);
	}
}

/* The service records of a network (network_overlay_services) from its
 * endpoints: VIPs, the tasks that serve, and attached containers. */
static json_t *service_records(json_t *net)
{
	json_t *out = json_object();
	const char *owner;
	json_t *ep;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		const char *kind = jstr(ep, "Kind");
		if (!*jstr(ep, "Service"))
			continue;
		if (strcmp(kind, "vip") == 0) {
			json_object_set(record_of(out, ep), "VIP", json_object_get(ep, "IP"));
		} else if (strcmp(kind, "task") == 0) {
			json_t *r = record_of(out, ep);
			if (json_is_true(json_object_get(ep, "DNSRR")))
				json_object_set_new(r, "DNSRR", json_true());
			if (json_is_true(json_object_get(ep, "Up")))
				json_object_set(json_object_get(r, "Tasks"), jstr(ep, "Name"),
						json_object_get(ep, "IP"));
		}
	}
	container_records(out, net);
	return out;
}

static bool listed(void *data, const char *id)
{
	size_t i;
	json_t *net;
	json_array_foreach((json_t *)data, i, net)
	{
		if (strcmp(jstr(net, "ID"), id) == 0)
			return true;
	}
	return false;
}

int task_networks_wire(struct swarm *sw, json_t *net, int port)
{
	uint32_t local;
	struct overlay_net o;
	struct error err = ERROR_INIT;
	if (task_networks_local_addr(sw, &local) < 0 || overlay_of(net, &o) < 0)
		return -EINVAL;
	int r = network_overlay_ensure(sw->deps.networks, &o, local,
				       port ? port : task_networks_port(sw), &err);
	if (r < 0) {
		log_warn(sw->deps.log, "overlay network %s: %s", o.name, error_msg(&err));
	} else {
		program_peers(sw, net);
		json_t *records = service_records(net);
		network_overlay_services(sw->deps.networks, o.id, records);
		json_decref(records);
		network_overlay_info(sw->deps.networks, o.id, json_object_get(net, "Inspect"));
		if (json_is_true(json_object_get(net, "Ingress")))
			task_ingress_wire(sw, net);
	}
	error_clear(&err);
	return r;
}

/* Attachments of this node's containers that are gone here are given
 * back. */
static void release_gone(struct swarm *sw, json_t *net)
{
	const char *owner;
	json_t *ep;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		uint32_t ip;
		if (strcmp(jstr(ep, "Kind"), "container") != 0 ||
		    strcmp(jstr(ep, "Node"), sw->node_id) != 0 || swarm_attaching(sw, owner) ||
		    ip_parse(jstr(ep, "IP"), &ip) < 0 ||
		    network_overlay_holds(sw->deps.networks, jstr(net, "ID"), ip))
			continue;
		swarm_detach(sw, jstr(net, "ID"), owner);
	}
}

void task_networks_sync(struct swarm *sw, json_t *networks, int port)
{
	if (!json_is_array(networks))
		return;
	size_t i;
	json_t *net;
	json_array_foreach(networks, i, net)
	{
		if (task_networks_wire(sw, net, port) == 0)
			release_gone(sw, net);
	}
	network_overlay_prune(sw->deps.networks, listed, networks);
}

int task_networks_config(json_t *networks, json_t *task, json_t *body)
{
	json_t *want = json_object_get(json_object_get(task, "Spec"), "Networks");
	json_t *eps = json_object();
	const char *first = NULL;
	size_t i, k;
	json_t *a, *net;
	json_array_foreach(want, i, a)
	{
		const char *target = jstr(a, "Target");
		json_t *ep = NULL;
		json_array_foreach(networks, k, net)
		{
			if (strcmp(jstr(net, "ID"), target) == 0)
				ep = json_object_get(json_object_get(net, "Endpoints"),
						     jstr(task, "ID"));
		}
		if (!ep) {
			/* A predefined local network, or not allocated yet. */
			bool local = !strcmp(target, "bridge") || !strcmp(target, "host") ||
				     !strcmp(target, "none");
			if (local)
				continue;
			json_decref(eps);
			return -EAGAIN;
		}
		if (!first)
			first = target;
		json_t *aliases = json_object_get(a, "Aliases");
		json_object_set_new(eps, target,
				    json_pack("{s:{s:s}, s:O?}", "IPAMConfig", "IPv4Address",
					      jstr(ep, "IP"), "Aliases",
					      json_is_array(aliases) ? aliases : NULL));
	}
	/* The routing mesh's: the task's address there, its only network
	 * when it has no other (as dockerd's). */
	json_t *ports =
	    json_pack("{s:{s:O?}}", "EndpointSpec", "Ports", json_object_get(task, "_ports"));
	bool mesh = allocator_needs_ingress(ports);
	json_decref(ports);
	json_t *ing = mesh ? task_ingress_endpoint(networks, task) : NULL;
	if (mesh && !ing) {
		json_decref(eps);
		return -EAGAIN;
	}
	json_array_foreach(networks, k, net)
	{
		if (ing && json_is_true(json_object_get(net, "Ingress"))) {
			json_object_set_new(
			    eps, jstr(net, "ID"),
			    json_pack("{s:{s:s}}", "IPAMConfig", "IPv4Address", jstr(ing, "IP")));
			if (!first)
				first = jstr(net, "ID");
		}
	}
	if (first) {
		json_object_set_new(json_object_get(body, "HostConfig"), "NetworkMode",
				    json_string(first));
		json_object_set_new(body, "NetworkingConfig",
				    json_pack("{s:o}", "EndpointsConfig", eps));
	} else {
		json_decref(eps);
	}
	return 0;
}
