/* The swarm's figures for /metrics (see swarm_metrics.h). */
#include "swarm/swarm_metrics.h"

#include <string.h>

#include "swarm/swarm.h"

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v);
}

/* Counts objects by a string found at obj.a.b ("Status"."State"). */
static void by_state(FILE *f, const char *name, const char *help, json_t *objs,
		     const char *const *states)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (size_t i = 0; states[i]; i++) {
		unsigned n = 0;
		const char *k;
		json_t *o;
		json_object_foreach(objs, k, o)
		{
			const char *s = json_string_value(
			    json_object_get(json_object_get(o, "Status"), "State"));
			n += s && strcmp(s, states[i]) == 0;
		}
		fprintf(f, "%s{state=\"%s\"} %u\n", name, states[i], n);
	}
}

void swarm_metrics_write(struct swarm *sw, FILE *f)
{
	if (!sw)
		return;
	bool active = sw->state == SWARM_ACTIVE;
	gauge(f, "swarm_node_manager", "Whether this node is a manager or not",
	      active && sw->manager);
	if (!active || !sw->manager || !sw->raft)
		return;
	struct raft *r = &sw->raft->raft;
	gauge(f, "swarm_manager_leader", "Indicates if this manager node is a leader",
	      sraft_is_leader(sw->raft));
	gauge(f, "swarm_raft_term", "The current Raft term of this manager",
	      (double)r->current_term);
	gauge(f, "swarm_raft_commit_index", "The Raft log index known to be committed",
	      (double)r->commit_index);
	gauge(f, "swarm_raft_applied_index", "The Raft log index applied to the store",
	      (double)r->last_applied);
	static const char *const node_states[] = {"unknown", "down", "ready", "disconnected", NULL};
	by_state(f, "swarm_manager_nodes", "The number of nodes", sw->store.nodes, node_states);
	static const char *const task_states[] = {"new",       "pending",  "assigned", "accepted",
						  "preparing", "ready",	   "starting", "running",
						  "complete",  "shutdown", "failed",   "rejected",
						  "remove",    "orphaned", NULL};
	if (json_object_size(sw->store.services))
		by_state(f, "swarm_manager_tasks_total", "The number of tasks in the cluster",
			 sw->store.tasks, task_states);
}
