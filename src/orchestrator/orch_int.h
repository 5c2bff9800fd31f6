/* Shared by the orchestrator's own files: one round's working view. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "orchestrator/orchestrator.h"
#include "orchestrator/task_state.h"

struct round {
	const struct orch_in *in;
	json_t *work;	  /* ID -> task as this round sees it (copies once changed) */
	json_t *patches;  /* ID -> patch (new tasks: the task itself) */
	json_t *rm;	  /* task IDs to remove */
	json_t *services; /* ID -> service written this round */
};

/* Field access. */
const char *jstr(json_t *o, const char *k);
int64_t jint(json_t *o, const char *k);
json_t *jpath(json_t *o, const char *a, const char *b);

enum task_state t_state(json_t *t);
enum task_state t_desired(json_t *t);
/* Desired state running (or ready): the orchestrator wants it to run. */
bool t_live(json_t *t);
json_t *t_node(struct round *r, json_t *t);
int64_t t_status_ns(json_t *t);

bool node_up(json_t *node);
const char *node_availability(json_t *node);
/* The task's node is gone or down: whatever runs there does not count. */
bool t_lost(struct round *r, json_t *t);

/* The service as this round sees it (after its own writes). */
json_t *r_service(struct round *r, const char *id);
void r_write_service(struct round *r, json_t *svc /* stolen */);
/* Sets one field of a task in the work view and in its patch. */
void r_set(struct round *r, const char *task_id, const char *key, json_t *value /* stolen */);
void r_set_desired(struct round *r, json_t *t, enum task_state s);
void r_set_status(struct round *r, json_t *t, enum task_state s, const char *msg, const char *err);
/* Creates a task of svc for slot (replicated; jobs count from 0; < 0 for
 * none) or node (global), with
 * the restart history restarts (stolen, may be NULL); returns it (borrowed). */
json_t *r_new_task(struct round *r, json_t *svc, int slot, const char *node, json_t *restarts);

/* restart.c: whether a slot whose tasks are over gets a new one now;
 * *ret_restarts is the history the new task carries. */
bool restart_allowed(struct round *r, json_t *svc, json_t *last, json_t **ret_restarts);
/* update.c: the rolling update of one service over its slots (key ->
 * array of task IDs). */
void update_service(struct round *r, json_t *svc, json_t *slots);
/* A node that may take new tasks of svc (ready, active, constraints). */
bool node_eligible(json_t *node, json_t *svc);
/* rebalance.c: moves replicated tasks onto nodes that have fewer. */
void rebalance_service(struct round *r, json_t *svc, json_t *slots);
/* scheduler.c: places pending tasks. */
void schedule(struct round *r);
int64_t duration_ns(json_t *o, const char *k, int64_t dflt);
