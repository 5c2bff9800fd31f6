/* The logs of swarm tasks, wherever they run. A manager reads the tasks on
 * its own node from their containers; for a task on another node it asks
 * the leader ("logs" RPC), the leader hands the request to that node's
 * agent with its next assignment answer (waking a parked poll at once, the
 * way SwarmKit's log broker rides the agent's session, so workers need no
 * listener), and the agent sends the entries back ("logs_data" RPC), which
 * the leader relays as its answer. */
#pragma once

#include <jansson.h>

#include "basic/error.h"
#include "engine/container.h"

struct swarm;
struct mtls_conn;
struct cert_identity;

/* The stored tasks (new references) that GET /services/{id}/logs (service
 * set) or /tasks/{id}/logs (task set) reads: those placed on a node.
 * -ENOENT "service X not found" / "task X not found", as dockerd. */
int swarm_log_tasks(struct swarm *sw, const char *service, const char *task, json_t **ret,
		    struct error *err);
/* The container of a stored task on this node, NULL when there is none. */
struct container *swarm_task_container(struct swarm *sw, json_t *task);
/* Entries as they travel: [{"s": stream, "t": ns, "d": data}]. */
json_t *task_logs_entries_json(const struct container_log_entries *es);

/* entries (borrowed) on success, or a negative errno and a message. */
typedef void (*task_logs_fn)(void *data, int status, json_t *entries, const char *msg);
/* Asks the leader for the entries of a task (a stored task) on another node;
 * cb runs once, from the loop. */
void swarm_task_logs_remote(struct swarm *sw, json_t *task, const struct container_log_query *q,
			    task_logs_fn cb, void *data);

/* Leader: a manager's "logs" request, answered when the node sends the
 * entries or after a deadline. */
void task_logs_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req);
/* Leader: an agent's "logs_data". */
void task_logs_data_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req,
			const struct cert_identity *who);
/* Leader: whether requests for node wait to be handed out. */
bool task_logs_waiting(struct swarm *sw, const char *node);
/* Leader: the requests for node not handed out yet (marked handed out). */
json_t *task_logs_take(struct swarm *sw, const char *node);
/* Leader: answers requests past their deadline; all of them when stopping. */
void task_logs_tick(struct swarm *sw, bool stopping);
/* Agent: reads and sends what the "logs" of an assignment answer ask. */
void task_logs_serve(struct swarm *sw, const char *to, json_t *requests);
