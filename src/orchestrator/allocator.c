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

static void attach(json_t *cmds, const char *net, json_t *t, json_t *services)
{
	char name[256];
	task_name(t, services, name, sizeof(name));
	json_array_append_new(cmds,
			      json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "op", "net_attach",
					"v", "Network", net, "Owner", jstr(t, "ID"), "Kind", "task",
					"Name", name, "Node", jstr(t, "NodeID")));
}

/* Endpoints the live tasks lack, or whose node changed (scheduled). */
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
			json_t *ep = json_object_get(json_object_get(net, "Endpoints"), id);
			if (net && (!ep || strcmp(jstr(ep, "Node"), jstr(t, "NodeID")) != 0))
				attach(cmds, jstr(a, "Target"), t, services);
		}
	}
}

/* Endpoints of tasks that are over or gone. */
static void release_done(json_t *networks, json_t *tasks, json_t *cmds)
{
	const char *nid;
	json_t *net;
	json_object_foreach(networks, nid, net)
	{
		const char *owner;
		json_t *ep;
		json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
		{
			json_t *t = json_object_get(tasks, owner);
			if (strcmp(jstr(ep, "Kind"), "task") != 0 || (t && task_holds_addresses(t)))
				continue;
			json_array_append_new(cmds,
					      json_pack("{s:s, s:{s:s, s:s}}", "op", "net_detach",
							"v", "Network", nid, "Owner", owner));
		}
	}
}

json_t *allocator_step(json_t *networks, json_t *services, json_t *tasks)
{
	json_t *cmds = json_array();
	release_done(networks, tasks, cmds);
	add_missing(networks, services, tasks, cmds);
	if (!json_array_size(cmds)) {
		json_decref(cmds);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "op", "net_batch", "cmds", cmds);
}
