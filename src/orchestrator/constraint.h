/* Placement constraints ("node.labels.zone==eu", "node.role!=manager"), as
 * SwarmKit parses and matches them: keys node.id, node.hostname, node.role,
 * node.platform.os, node.platform.arch, node.labels.<k>, engine.labels.<k>
 * (case-insensitive), values compared case-insensitively. Pure. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"

/* Checks every constraint of the array (strings); -EINVAL with SwarmKit's
 * message ("constraint expected one operator from ==, !=") otherwise. */
int constraints_check(json_t *constraints, struct error *err);
/* Whether node (Engine API shape) satisfies constraint c (a valid one). */
bool constraint_matches(const char *c, json_t *node);
