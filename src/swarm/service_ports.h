/* A service's EndpointSpec: its published ports as dockerd converts them
 * (protocol and publish mode filled in), SwarmKit's checks with dockerd's
 * messages. Pure. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

struct store;

/* Fills spec's EndpointSpec in as dockerd's conversion leaves it (Mode
 * "vip", each port's Protocol "tcp" and PublishMode "ingress" when not
 * given or unknown) and checks it: 400 `invalid resolution mode: "x"`,
 * "EndpointSpec: duplicate published ports provided", "EndpointSpec: port
 * published with ingress mode can't be used with dnsrr mode". -EINVAL. */
int service_ports_check(json_t *spec, struct error *err);
/* SwarmKit's checkPortConflicts against the other services of s (self_id
 * is the service being updated, NULL on create): "port '8080' is already
 * in use by service 'web' (ID) as an ingress port" (or "as a
 * host-published port"). -EINVAL. */
int service_ports_check_conflicts(const struct store *s, json_t *spec, const char *self_id,
				  struct error *err);
