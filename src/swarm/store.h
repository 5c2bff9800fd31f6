/* The replicated store of the managers: the cluster object and the nodes,
 * kept as Engine-API-shaped JSON. Every change is a command (a JSON
 * document) that Raft commits and store_apply replays on every manager in
 * the same order; commands are idempotent (they carry whole objects), so a
 * command whose outcome was unknown (leadership lost) can be sent again.
 * Pure: no I/O. Fields whose name starts with '_' are private (the CA key,
 * raft ids) and are removed before objects leave through the API. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "basic/error.h"
#include "swarm/store_networks.h"
#include "swarm/store_secrets.h"

/* An object was created, updated or removed by an applied command: type
 * "secret", "config"...; action "create", "update" or "remove"; obj the
 * object (as it was, for a remove); ts_ns the command's time. */
/* A change applied to the store: action create, update or remove; old is
 * the object before an update (NULL otherwise). */
typedef void (*store_change_fn)(void *userdata, const char *type, const char *action, json_t *obj,
				json_t *old, int64_t ts_ns);

struct store {
	json_t *cluster;  /* NULL before init */
	json_t *nodes;	  /* object: node ID -> node */
	json_t *secrets;  /* object: ID -> secret (store_secrets.h) */
	json_t *configs;  /* object: ID -> config */
	json_t *services; /* object: service ID -> service (store_services.c) */
	json_t *tasks;	  /* object: task ID -> task */
	json_t *networks; /* object: ID -> swarm network (store_networks.h) */
	uint64_t index;	  /* bumped by every applied command: object versions */
	/* Hooks: NULL after store_init; the owner sets them (swarm.c at each
	 * manager start). */
	store_change_fn on_change;
	void *change_data;
};

void store_init(struct store *s);
/* Calls on_change, when set. */
void store_changed(struct store *s, const char *type, const char *action, json_t *obj, json_t *old,
		   int64_t ts_ns);
void store_done(struct store *s);

/* Commands:
 *   {"op":"cluster","v":{...}}        replace the cluster object
 *   {"op":"node","v":{...}}           create or replace node v.ID
 *   {"op":"rm_node","id":"..."}       remove a node (absent: no-op)
 * Applying stamps Version.Index and UpdatedAt. -EINVAL for a bad command. */
int store_apply(struct store *s, const char *cmd, size_t len, struct error *err);
/* The whole store as one document (owned by the caller). */
char *store_snapshot(const struct store *s, size_t *ret_len);
/* Replaces the store with a snapshot's content. */
int store_restore(struct store *s, const char *data, size_t len, struct error *err);

/* Service and task commands (store_services.c); -ENOTSUP for another op. */
int store_services_apply(struct store *s, const char *op, json_t *c, int64_t ts_ns,
			 struct error *err);

/* A forced update of service id (absent: nothing), as the store applies
 * it for a rotated secret or config (store_secrets.h), announced through
 * on_change as a "service" "update". */
void store_service_force_update(struct store *s, const char *id, int64_t ts_ns);

/* Looks a node up by full ID, unique ID prefix or hostname, as dockerd.
 * -ENOENT "node X not found"; -EINVAL when ambiguous. */
int store_find_node(const struct store *s, const char *ref, json_t **ret, struct error *err);
/* Sets Version.Index (a new index), CreatedAt (when absent) and UpdatedAt. */
void store_stamp(struct store *s, json_t *obj, int64_t ts_ns);
/* A deep copy of obj without the private fields. */
json_t *store_public(json_t *obj);
