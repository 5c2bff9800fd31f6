/* The leader's decisions about services and tasks, as pure functions of the
 * store's content and the time: one round (orch_step) runs the replicated
 * and global orchestrators, the restart supervisor, the update supervisor,
 * the history trimmer and the scheduler, and returns what to write. The
 * caller (src/swarm/leader.c) commits the result through Raft and calls
 * again once it is applied; a new leader simply calls it on what it has, so
 * work interrupted by a leader change goes on from the store.
 *
 * Objects are Engine-API-shaped JSON, as the store keeps them. Tasks carry
 * private fields the API strips: _created_ns, Status._ns (when the state was
 * reached) and _restarts (restart times of the slot, for max attempts). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct orch_in {
	json_t *cluster;  /* may be NULL: defaults apply */
	json_t *nodes;	  /* ID -> node */
	json_t *services; /* ID -> service */
	json_t *tasks;	  /* ID -> task */
	int64_t now_ns;
	/* Writes a new 25-character task ID: random in berthd, a counter in
	 * tests (decisions stay reproducible). */
	void (*new_id)(char out[26], void *ctx);
	void *id_ctx;
};

struct orch_out {
	json_t *tasks;	  /* task patches ({"ID":..., fields}); new tasks whole */
	json_t *rm_tasks; /* task IDs to remove */
	json_t *services; /* whole services to write (UpdateStatus, rollback) */
};

void orch_out_init(struct orch_out *o);
void orch_out_done(struct orch_out *o);
bool orch_out_empty(const struct orch_out *o);
/* The store command (src/swarm/store_services.c "batch") for out; NULL when
 * there is nothing to write. */
json_t *orch_out_command(const struct orch_out *o);

/* One round of decisions on in; fills out (initialised by the caller). */
void orch_step(const struct orch_in *in, struct orch_out *out);

/* The service's mode: "replicated", "global", "replicated-job", "global-job". */
const char *orch_service_mode(json_t *service);
/* Whether the task runs the service's current TaskTemplate (the API's
 * "_up-to-date" task filter). */
bool orch_task_up_to_date(json_t *service, json_t *task);
