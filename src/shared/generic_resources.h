/* User-defined ("generic") resources, as SwarmKit has them: a node
 * advertises counts ("ssd=3") or sets of named things ("gpu=UUID1",
 * "gpu=UUID2") with dockerd's --node-generic-resource; a service reserves
 * counts (`--generic-resource gpu=1`); the scheduler places a task only
 * where enough is left and assigns it what it takes, which its container
 * learns from DOCKER_RESOURCE_<KIND> variables. As JSON, Docker's
 * GenericResource objects: {"DiscreteResourceSpec":{"Kind":k,"Value":n}} or
 * {"NamedResourceSpec":{"Kind":k,"Value":"name"}}. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "basic/error.h"

/* "kind=value" terms, as SwarmKit's genericresource.Parse: the values of a
 * kind are either one integer (a count) or all names. *ret gets a new
 * array (kinds in the order first given). -EINVAL with SwarmKit's message. */
int generic_resources_parse(const char *const *terms, size_t n, json_t **ret, struct error *err);

/* The first named resource in list, or NULL: services may only reserve
 * counts. */
json_t *generic_resources_first_named(json_t *list);

/* Whether avail (a node's resources less what its tasks hold) has enough
 * for every count in want. */
bool generic_resources_fit(json_t *avail, json_t *want);

/* What a task that reserves want gets from avail (which must fit it): the
 * count itself from a counted kind, the first names from a named one. A
 * new array. */
json_t *generic_resources_claim(json_t *avail, json_t *want);

/* Takes held (a task's assigned resources) out of avail. */
void generic_resources_consume(json_t *avail, json_t *held);

/* Appends "DOCKER_RESOURCE_<KIND>=v1,v2" to env (an array of strings) for
 * each kind in assigned, as dockerd's executor does. 0 or -ENOMEM. */
int generic_resources_env(json_t *assigned, json_t *env);
