/* Swarm secrets and configs as the API asks for them (/secrets, /configs):
 * validation and dockerd's (swarmkit's) messages, lookups and list filters
 * on this manager's store, writes through Raft, and the secret/config
 * events every manager publishes as the changes are applied. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "basic/error.h"
#include "shared/filters.h"
#include "swarm/store_secrets.h"
#include "swarm/swarm.h"

/* dockerd's size limits of the decoded data. */
#define SWARM_MAX_SECRET_SIZE (500 * 1024)
#define SWARM_MAX_CONFIG_SIZE (1000 * 1024)

/* GET /secrets, /configs: filters names (secrets only), name (prefix), id
 * (prefix), label. -EINVAL "invalid filter 'x'". */
int swarm_objects_list(struct swarm *sw, enum store_kind k, const struct filters *f, json_t **ret,
		       struct error *err);
/* GET /secrets/{id}: never with the secret's data. */
int swarm_object_inspect(struct swarm *sw, enum store_kind k, const char *ref, json_t **ret,
			 struct error *err);
/* POST /secrets/create with a SecretSpec (ConfigSpec); result {"ID": id}. */
void swarm_object_create(struct swarm *sw, enum store_kind k, json_t *spec, swarm_done_fn cb,
			 void *data);
/* POST /secrets/{id}/update?version=N: Labels, and beyond Docker new Data:
 * the object is rotated in place (same ID and name, new version) and the
 * services that use it roll their tasks (store_secrets.h). */
void swarm_object_update(struct swarm *sw, enum store_kind k, const char *ref, int64_t version,
			 json_t *spec, swarm_done_fn cb, void *data);
/* DELETE /secrets/{id}: refused while a service uses it. */
void swarm_object_rm(struct swarm *sw, enum store_kind k, const char *ref, swarm_done_fn cb,
		     void *data);

/* A secret's or config's decrypted data (for task containers); -ENOENT
 * "secret X not found". *ret is malloc'd. */
int swarm_object_data(struct swarm *sw, enum store_kind k, const char *id, uint8_t **ret,
		      size_t *ret_len, struct error *err);
