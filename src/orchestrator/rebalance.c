/* Rebalancing, which Docker does not do: when a node becomes available
 * again or joins, replicated tasks move onto it until the service's tasks
 * differ by at most one between eligible nodes. A move starts a new task in
 * the slot (the scheduler places it on a node with fewer) and stops the old
 * one once the new one runs, so capacity never drops below the replica
 * count; moves go Parallelism at a time, Delay apart, as the service's
 * UpdateConfig says, and only while no update runs. The label
 * com.berth.rebalance=false opts a service out; services with placement
 * preferences are left to them. */
#include <string.h>

#include "orchestrator/orch_int.h"

#define OPT_OUT "com.berth.rebalance"

struct spread {
	json_t *count; /* eligible node ID -> running tasks of the service */
	int64_t min, max;
	int64_t moving; /* slots with a move under way */
	int64_t last_running_ns;
};

static void measure(struct round *r, json_t *svc, json_t *slots, struct spread *sp)
{
	const char *id;
	json_t *node;
	json_object_foreach(r->in->nodes, id, node)
	{
		if (node_eligible(node, svc))
			json_object_set_new(sp->count, id, json_integer(0));
	}
	json_t *ids;
	json_object_foreach(slots, id, ids)
	{
		size_t live = 0;
		for (size_t i = 0; i < json_array_size(ids); i++) {
			json_t *t =
			    json_object_get(r->work, json_string_value(json_array_get(ids, i)));
			if (!t_live(t) || t_lost(r, t))
				continue;
			live++;
			const char *n = jstr(t, "NodeID");
			if (t_state(t) != TASK_RUNNING) {
				sp->moving++;
				continue;
			}
			if (t_status_ns(t) > sp->last_running_ns)
				sp->last_running_ns = t_status_ns(t);
			if (n && json_object_get(sp->count, n))
				json_object_set_new(sp->count, n,
						    json_integer(jint(sp->count, n) + 1));
		}
		if (live > 1)
			sp->moving++;
	}
	bool first = true;
	json_t *c;
	json_object_foreach(sp->count, id, c)
	{
		int64_t v = json_integer_value(c);
		if (first || v < sp->min)
			sp->min = v;
		if (first || v > sp->max)
			sp->max = v;
		first = false;
	}
}

static bool busy_updating(json_t *svc)
{
	const char *st =
	    json_string_value(jpath(json_object_get(svc, "UpdateStatus"), "State", NULL));
	return st && (strcmp(st, "updating") == 0 || strcmp(st, "rollback_started") == 0 ||
		      strcmp(st, "paused") == 0 || strcmp(st, "rollback_paused") == 0);
}

/* Starts the move of one task off a node that has the most. */
static void move_one(struct round *r, json_t *svc, json_t *slots, struct spread *sp)
{
	const char *key;
	json_t *ids;
	json_object_foreach(slots, key, ids)
	{
		if (json_array_size(ids) == 0)
			continue;
		json_t *only = NULL;
		size_t live = 0;
		for (size_t i = 0; i < json_array_size(ids); i++) {
			json_t *t =
			    json_object_get(r->work, json_string_value(json_array_get(ids, i)));
			if (t_live(t))
				live++, only = t;
		}
		const char *n = only ? jstr(only, "NodeID") : NULL;
		if (live != 1 || t_state(only) != TASK_RUNNING || !n ||
		    jint(sp->count, n) != sp->max || !orch_task_up_to_date(svc, only))
			continue;
		json_t *t = r_new_task(r, svc, (int)jint(only, "Slot"), NULL, NULL);
		json_array_append_new(ids, json_string(jstr(t, "ID")));
		return;
	}
}

void rebalance_service(struct round *r, json_t *svc, json_t *slots)
{
	const char *opt = json_string_value(
	    json_object_get(jpath(json_object_get(svc, "Spec"), "Labels", NULL), OPT_OUT));
	/* Placement preferences spread by their own measure, not per node. */
	json_t *prefs = jpath(jpath(jpath(svc, "Spec", "TaskTemplate"), "Placement", NULL),
			      "Preferences", NULL);
	if ((opt && strcmp(opt, "false") == 0) || busy_updating(svc) || json_array_size(prefs))
		return;
	json_t *cfg = jpath(json_object_get(svc, "Spec"), "UpdateConfig", NULL);
	int64_t par = jint(cfg, "Parallelism");
	struct spread sp = {.count = json_object()};
	measure(r, svc, slots, &sp);
	/* One move per round; moves under way count against Parallelism. */
	if (sp.max - sp.min >= 2 && sp.moving < (par <= 0 ? 1 : par) &&
	    r->in->now_ns >= sp.last_running_ns + duration_ns(cfg, "Delay", 0))
		move_one(r, svc, slots, &sp);
	json_decref(sp.count);
}
