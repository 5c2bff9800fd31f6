/* Secrets and configs in the replicated store (store.h): Docker's Secret
 * and Config objects ({"ID","Version","CreatedAt","UpdatedAt","Spec"})
 * keyed by ID. A secret's data lives in the private field "_data"
 * (base64), so it never leaves through the API; a config's stays in
 * Spec.Data, where dockerd shows it. At rest, the data is inside Raft
 * entries and snapshots, which are sealed with the cluster's data key
 * (sraft.c, seal.c). Pure: no I/O. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"

struct store;

enum store_kind { STORE_SECRET, STORE_CONFIG };

/* "secret" or "config": the event type and the word of dockerd's messages. */
const char *store_kind_name(enum store_kind k);

/* Commands:
 *   {"op":"secret"|"config","v":{...}}    create or replace v.ID
 *     (with "roll":true, new data: every service that uses it, jobs
 *     aside, gets a forced update, as `docker service update --force`:
 *     TaskTemplate.ForceUpdate + 1, the old spec as PreviousSpec, and
 *     UpdateStatus "updating" from the command's time; the update
 *     supervisor then replaces its tasks as UpdateConfig says)
 *   {"op":"rm_secret"|"rm_config","id":"..."}  remove (absent: no-op)
 * A create whose name another object of the kind has is dropped (-EEXIST),
 * the same way on every manager. */
bool store_secrets_handles(const char *op);
int store_secrets_apply(struct store *s, const char *op, json_t *cmd, int64_t ts_ns,
			struct error *err);

/* The ID -> object map of a kind. */
json_t *store_objects(const struct store *s, enum store_kind k);
/* The object called name, or NULL. */
json_t *store_object_named(const struct store *s, enum store_kind k, const char *name);
/* dockerd's lookup: full ID, then exact name, then unique ID prefix.
 * -ENOENT "secret X not found"; -EINVAL "secret X is ambiguous (N matches
 * found)". */
int store_find_object(const struct store *s, enum store_kind k, const char *ref, json_t **ret,
		      struct error *err);
/* A secret's data (base64), or a config's Spec.Data; NULL when absent. */
const char *store_object_data(json_t *obj, enum store_kind k);

/* 0 when no service's task template refers to obj, else -EINVAL with swarmkit's "secret 'X' is in
 * use by the following service: S" (services: S, T). */
int store_check_unused(const struct store *s, enum store_kind k, json_t *obj, struct error *err);
