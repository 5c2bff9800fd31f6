/* Services and tasks on a manager (Engine API shapes): reads from this
 * manager's copy of the store, writes committed through the leader. The
 * leader's loop side (orchestrating, dispatching to agents) is leader.c and
 * dispatcher.c; the node's side is agent.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"
#include "swarm/swarm.h"

/* Every service, as GET /services shows it; with status, ServiceStatus
 * (running, desired and completed tasks) is filled in. */
int swarm_services(struct swarm *sw, bool status, json_t **ret, struct error *err);
/* By full ID, name, or unique ID prefix, as dockerd: -ENOENT "service X not
 * found", -EINVAL when ambiguous. */
int swarm_service(struct swarm *sw, const char *ref, json_t **ret, struct error *err);
/* POST /services/create: result {"ID": ...}. registry_auth (X-Registry-Auth,
 * may be NULL) goes with the tasks to the nodes that pull their image; no
 * read shows it. */
void swarm_service_create(struct swarm *sw, json_t *spec, const char *registry_auth,
			  swarm_done_fn cb, void *data);
/* How an update gets its registry credentials: auth (X-Registry-Auth) when
 * given, else those of the current spec (from NULL, "" or "spec") or of the
 * previous one ("previous-spec"). */
struct registry_auth_opts {
	const char *auth, *from;
};
/* POST /services/{id}/update (version < 0: unchecked); rollback goes back
 * to PreviousSpec. ra may be NULL. */
void swarm_service_update(struct swarm *sw, const char *ref, int64_t version, json_t *spec,
			  bool rollback, const struct registry_auth_opts *ra, swarm_done_fn cb,
			  void *data);
void swarm_service_rm(struct swarm *sw, const char *ref, swarm_done_fn cb, void *data);
/* Every task as the API shows it. */
int swarm_tasks(struct swarm *sw, json_t **ret, struct error *err);
int swarm_task(struct swarm *sw, const char *id, json_t **ret, struct error *err);
/* Whether the task (full ID) runs its service's current spec and ports, for
 * the "_up-to-date" filter the CLI's progress polls; true when the task or
 * its service is gone. */
bool swarm_task_up_to_date(struct swarm *sw, const char *id);
/* "<service>.<slot>.<task id>" (global: the node ID in place of the slot). */
void swarm_task_name(json_t *task, const char *service_name, char *buf, size_t len);

/* Leader: one orchestration round when none is in flight (leader.c). */
void swarm_orchestrate(struct swarm *sw);
/* Dispatcher (leader): a node's "tasks" RPC (dispatcher.c). */
struct mtls_conn;
struct cert_identity;
void dispatcher_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req,
		    const struct cert_identity *who);
/* Answers the node's parked request now (something new for it). */
void dispatcher_wake(struct swarm *sw, const char *node);
/* A connection to the RPC server closed: a request parked on it is
 * dropped, and noted as the node's lost connection when the node sent it
 * itself. */
void dispatcher_conn_closed(struct swarm *sw, struct mtls_conn *c);
/* Answers parked requests whose node's assignments changed or timed out. */
void dispatcher_tick(struct swarm *sw);
void dispatcher_stop(struct swarm *sw);
/* Agent (every node): polls for assignments, runs them (agent.c). */
void swarm_agent_tick(struct swarm *sw);
/* Leaving the swarm: the containers of tasks go, as dockerd's do. */
void swarm_agent_remove_tasks(struct swarm *sw);
/* Forgets the agent's state (leave, shutdown); containers keep running. */
void swarm_agent_stop(struct swarm *sw);
