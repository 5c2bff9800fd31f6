/* The leader's orchestration loop: one round of decisions (src/orchestrator)
 * on the store as committed, its writes as one Raft entry, the next round
 * once that entry is applied. Nothing is kept between rounds, so a new
 * leader simply carries on from the store. */
#include <stdlib.h>

#include "basic/log.h"
#include "basic/timeutil.h"
#include "orchestrator/allocator.h"
#include "orchestrator/orchestrator.h"
#include "swarm/ca.h"
#include "swarm/netkeys.h"
#include "swarm/services.h"
#include "swarm/swarm_int.h"

static void new_task_id(char out[26], void *ctx)
{
	swarm_new_id(out);
}

static void round_written(void *data, int status, json_t *res, const char *msg)
{
	struct swarm *sw = data;
	sw->orch_pending = false;
	if (status < 0)
		log_debug(sw->deps.log, "swarm: orchestration write failed: %s", msg ? msg : "");
	else
		swarm_kick(sw); /* the next round sees this one's result */
}

static void alloc_written(void *data, int status, json_t *res, const char *msg)
{
	struct swarm *sw = data;
	sw->alloc_pending = false;
	if (status < 0)
		log_debug(sw->deps.log, "swarm: allocation write failed: %s", msg ? msg : "");
	else
		swarm_kick(sw);
}

/* The allocator's round, beside the orchestrator's: endpoints for the
 * tasks on swarm networks, released when they are over. */
static void allocate(struct swarm *sw)
{
	if (sw->alloc_pending)
		return;
	json_t *cmd = allocator_step(sw->store.networks, sw->store.services, sw->store.tasks,
				     sw->store.nodes);
	if (!cmd)
		return;
	json_object_set_new(cmd, "ts", json_integer(time_now_ns()));
	sw->alloc_pending = true;
	swarm_write(sw, cmd, alloc_written, sw);
}

void swarm_orchestrate(struct swarm *sw)
{
	if (!sw->store.cluster)
		return;
	allocate(sw);
	netkeys_rotate(sw);
	if (sw->orch_pending)
		return;
	struct orch_in in = {.cluster = sw->store.cluster,
			     .nodes = sw->store.nodes,
			     .services = sw->store.services,
			     .tasks = sw->store.tasks,
			     .now_ns = time_now_ns(),
			     .new_id = new_task_id};
	struct orch_out out;
	orch_out_init(&out);
	orch_step(&in, &out);
	json_t *cmd = orch_out_command(&out);
	orch_out_done(&out);
	if (!cmd)
		return;
	json_object_set_new(cmd, "ts", json_integer(time_now_ns()));
	sw->orch_pending = true;
	swarm_write(sw, cmd, round_written, sw);
}
