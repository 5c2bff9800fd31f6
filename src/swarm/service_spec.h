/* Checks of a ServiceSpec as SwarmKit's control API makes them, with
 * dockerd's messages ("rpc error: code = InvalidArgument desc = ..."). Pure. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

struct store;

/* The spec alone: -EINVAL with swarmkit's message (secret and config
 * references included: names, targets, conflicting targets). */
int service_spec_check(json_t *spec, struct error *err);
/* Against the store: every secret and config the spec refers to exists
 * under the ID and name given; -EINVAL "secret not found: a" (secrets
 * not found: a, b). */
int service_spec_check_refs(const struct store *s, json_t *spec, struct error *err);
