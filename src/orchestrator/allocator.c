/* The network allocator's decisions (allocator.h). */
#include "orchestrator/allocator.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "orchestrator/task_state.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static bool task_live(json_t *t)
{
	return task_state_parse(jstr(t, "DesiredState")) <= TASK_RUNNING &&
	       !task_state_final(task_state_parse(jstr(json_object_get(t, "Status"), "State")));
}

/* A task told to stop keeps its addresses until its node says it stopped:
 * its container still holds them there (a stop waits out the grace period),
 * and handed to a new task they would clash on that node. A task that never
 * reached a node has nothing to wait for. */
static bool task_holds_addresses(json_t *t)
{
	enum task_state s = task_state_parse(jstr(json_object_get(t, "Status"), "State"));
	if (task_state_final(s))
		return false;
	return task_state_parse(jstr(t, "DesiredState")) <= TASK_RUNNING || s >= TASK_ASSIGNED;
}

/* "<service>.<slot or node>.<task>", as the task's container is named. */
static void task_name(json_t *t, json_t *services, char *buf, size_t len)
{
	json_t *svc = json_object_get(services, jstr(t, "ServiceID"));
	const char *name = jstr(json_object_get(svc, "Spec"), "Name");
	json_int_t slot = json_integer_value(json_object_get(t, "Slot"));
	if (slot > 0)
		snprintf(buf, len, "%s.%lld.%s", name, (long long)slot, jstr(t, "ID"));
	else
		snprintf(buf, len, "%s.%s.%s", name, jstr(t, "NodeID"), jstr(t, "ID"));
}

bool allocator_task_serves(json_t *t)
{
	return task_state_parse(jstr(t, "DesiredState")) == TASK_RUNNING &&
	       task_state_parse(jstr(json_object_get(t, "Status"), "State")) == TASK_RUNNING;
}

static json_t *service_spec(json_t *services, const char *id)
{
	return json_object_get(json_object_get(services, id), "Spec");
}

static bool dnsrr(json_t *spec)
{
	return strcmp(jstr(json_object_get(spec, "EndpointSpec"), "Mode"), "dnsrr") == 0;
}

/* The service's attachments: TaskTemplate.Networks, or the deprecated
 * Spec.Networks. */
static json_t *service_networks(json_t *spec)
{
	json_t *nets = json_object_get(json_object_get(spec, "TaskTemplate"), "Networks");
	return json_array_size(nets) ? nets : json_object_get(spec, "Networks");
}

bool allocator_needs_ingress(json_t *spec)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(json_object_get(spec, "EndpointSpec"), "Ports"), i, p)
	{
		const char *mode = jstr(p, "PublishMode");
		if (!*mode || strcmp(mode, "ingress") == 0)
			return true;
	}
	return false;
}

json_t *allocator_ingress_network(json_t *networks)
{
	const char *id;
	json_t *net;
	json_object_foreach(networks, id, net)
	{
		if (json_is_true(json_object_get(json_object_get(net, "Spec"), "Ingress")))
			return net;
	}
	return NULL;
}

/* Whether any service publishes in ingress mode. */
static bool mesh_wanted(json_t *services)
{
	const char *id;
	json_t *svc;
	json_object_foreach(services, id, svc)
	{
		if (allocator_needs_ingress(json_object_get(svc, "Spec")))
			return true;
	}
	return false;
}

static json_t *aliases_of(json_t *attachment)
{
	json_t *a = json_object_get(attachment, "Aliases");
	return json_is_array(a) ? json_deep_copy(a) : json_array();
}

/* Whether the stored endpoint lacks one of want's fields, or differs. */
static bool differs(json_t *ep, json_t *want)
{
	if (!ep)
		return true;
	const char *k;
	json_t *v;
	json_object_foreach(want, k, v)
	{
		if (strcmp(k, "Network") && strcmp(k, "Owner") &&
		    !json_equal(json_object_get(ep, k), v))
			return true;
	}
	return false;
}

static void attach_if_differs(json_t *cmds, json_t *ep, json_t *want)
{
	if (differs(ep, want))
		json_array_append_new(cmds, json_pack("{s:s, s:o}", "op", "net_attach", "v", want));
	else
		json_decref(want);
}

/* What a task's endpoint should say: where it runs, its service's name
 * and aliases (for DNS), the service's endpoint mode. */
static json_t *task_endpoint(const char *net, json_t *t, json_t *attachment, json_t *services)
{
	char name[256];
	task_name(t, services, name, sizeof(name));
	json_t *spec = service_spec(services, jstr(t, "ServiceID"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "Network", net, "Owner",
			 jstr(t, "ID"), "Kind", "task", "Name", name, "Node", jstr(t, "NodeID"),
			 "Service", jstr(spec, "Name"), "Aliases", aliases_of(attachment), "DNSRR",
			 dnsrr(spec));
}

/* Endpoints the live tasks lack, or whose node or service changed. */
static void add_missing(json_t *networks, json_t *services, json_t *tasks, json_t *cmds)
{
	const char *id;
	json_t *t;
	json_object_foreach(tasks, id, t)
	{
		if (!task_live(t))
			continue;
		json_t *nets = json_object_get(json_object_get(t, "Spec"), "Networks");
		size_t i;
		json_t *a;
		json_array_foreach(nets, i, a)
		{
			json_t *net = json_object_get(networks, jstr(a, "Target"));
			if (!net)
				continue;
			json_t *ep = json_object_get(json_object_get(net, "Endpoints"), id);
			attach_if_differs(cmds, ep,
					  task_endpoint(jstr(a, "Target"), t, a, services));
		}
		json_t *ingress = allocator_ingress_network(networks);
		if (ingress &&
		    allocator_needs_ingress(service_spec(services, jstr(t, "ServiceID")))) {
			json_t *ep = json_object_get(json_object_get(ingress, "Endpoints"), id);
			attach_if_differs(cmds, ep,
					  task_endpoint(jstr(ingress, "ID"), t, NULL, services));
		}
	}
}

/* Every node's own address on the ingress network while the mesh is
 * wanted. */
static void add_nodes(json_t *networks, json_t *services, json_t *nodes, json_t *cmds)
{
	json_t *ingress = allocator_ingress_network(networks);
	if (!ingress || !mesh_wanted(services))
		return;
	const char *id;
	json_t *node;
	json_object_foreach(nodes, id, node)
	{
		json_t *ep = json_object_get(json_object_get(ingress, "Endpoints"), id);
		attach_if_differs(cmds, ep,
				  json_pack("{s:s, s:s, s:s, s:s, s:s}", "Network",
					    jstr(ingress, "ID"), "Owner", id, "Kind", "node",
					    "Name", "ingress-endpoint", "Node", id));
	}
}

static json_t *vip_endpoint(const char *net, const char *svc_id, json_t *spec, json_t *attachment)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "Network", net, "Owner", svc_id,
			 "Kind", "vip", "Name", jstr(spec, "Name"), "Node", "", "Service",
			 jstr(spec, "Name"), "Aliases", aliases_of(attachment));
}

/* A VIP for each service in vip mode on each of its swarm networks (the
 * ingress network's among them when it publishes there, as SwarmKit's). */
static void add_vips(json_t *networks, json_t *services, json_t *cmds)
{
	const char *id;
	json_t *svc;
	json_object_foreach(services, id, svc)
	{
		json_t *spec = json_object_get(svc, "Spec");
		if (dnsrr(spec))
			continue;
		size_t i;
		json_t *a;
		json_array_foreach(service_networks(spec), i, a)
		{
			json_t *net = json_object_get(networks, jstr(a, "Target"));
			if (!net)
				continue;
			json_t *ep = json_object_get(json_object_get(net, "Endpoints"), id);
			attach_if_differs(cmds, ep, vip_endpoint(jstr(a, "Target"), id, spec, a));
		}
		json_t *ingress = allocator_ingress_network(networks);
		if (ingress && allocator_needs_ingress(spec)) {
			json_t *ep = json_object_get(json_object_get(ingress, "Endpoints"), id);
			attach_if_differs(cmds, ep,
					  vip_endpoint(jstr(ingress, "ID"), id, spec, NULL));
		}
	}
}

static bool vip_wanted(json_t *services, const char *svc_id, json_t *net)
{
	json_t *spec = service_spec(services, svc_id);
	if (!spec || dnsrr(spec))
		return false;
	const char *net_id = jstr(net, "ID");
	if (json_is_true(json_object_get(json_object_get(net, "Spec"), "Ingress")) &&
	    allocator_needs_ingress(spec))
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(service_networks(spec), i, a)
	{
		if (strcmp(jstr(a, "Target"), net_id) == 0)
			return true;
	}
	return false;
}

static void detach(json_t *cmds, const char *net, const char *owner)
{
	json_array_append_new(cmds, json_pack("{s:s, s:{s:s, s:s}}", "op", "net_detach", "v",
					      "Network", net, "Owner", owner));
}

/* Endpoints of tasks that are over or gone, VIPs of services that are gone
 * or no longer on the network (or in dnsrr mode), nodes' ingress endpoints
 * of nodes gone or when the mesh is no longer wanted. */
static void release_done(json_t *networks, json_t *services, json_t *tasks, json_t *nodes,
			 json_t *cmds)
{
	bool mesh = mesh_wanted(services);
	const char *nid;
	json_t *net;
	json_object_foreach(networks, nid, net)
	{
		const char *owner;
		json_t *ep;
		json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
		{
			const char *kind = jstr(ep, "Kind");
			json_t *t = json_object_get(tasks, owner);
			if (strcmp(kind, "task") == 0 && !(t && task_holds_addresses(t)))
				detach(cmds, nid, owner);
			else if (strcmp(kind, "vip") == 0 && !vip_wanted(services, owner, net))
				detach(cmds, nid, owner);
			else if (strcmp(kind, "node") == 0 &&
				 !(mesh && json_object_get(nodes, owner)))
				detach(cmds, nid, owner);
		}
	}
}

json_t *allocator_step(json_t *networks, json_t *services, json_t *tasks, json_t *nodes)
{
	json_t *cmds = json_array();
	release_done(networks, services, tasks, nodes, cmds);
	add_nodes(networks, services, nodes, cmds);
	add_vips(networks, services, cmds);
	add_missing(networks, services, tasks, cmds);
	if (!json_array_size(cmds)) {
		json_decref(cmds);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "op", "net_batch", "cmds", cmds);
}
