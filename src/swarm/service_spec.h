/* Checks of a ServiceSpec as SwarmKit's control API makes them, with
 * dockerd's messages ("rpc error: code = InvalidArgument desc = ..."). Pure. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

struct store;

/* The spec alone: -EINVAL with swarmkit's message (secret and config
 * references included: names, targets, conflicting targets). A spec that
 * passes gets its Mode filled in as dockerd's conversion does (one replica
 * unless told). */
int service_spec_check(json_t *spec, struct error *err);
/* Against the store: every secret and config the spec refers to exists
 * under the ID and name given; -EINVAL "secret not found: a" (secrets
 * not found: a, b). */
int service_spec_check_refs(const struct store *s, json_t *spec, struct error *err);

/* GET /services/{id}?insertDefaults=true: fills in what the spec leaves
 * out with SwarmKit's defaults (defaults.InterpolateService), as dockerd
 * shows them: stop grace period 10 s, restart on any condition after 5 s,
 * update and rollback one at a time, stop-first, pausing on failure,
 * monitored 5 s. */
void service_spec_insert_defaults(json_t *spec);
