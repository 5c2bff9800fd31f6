/* The routing mesh between the dispatcher and each node's agent. The
 * ingress network goes to every node that has an endpoint on it (every
 * node while a service publishes in ingress mode, see allocator.h) with,
 * besides its endpoints, the ports published there; the agent turns it
 * into the node's mesh (src/network/ingress.h) and gives task containers
 * their ingress address. */
#pragma once

#include <jansson.h>

#include "swarm/swarm.h"

/* Dispatcher: [{"Service", "Protocol", "PublishedPort", "TargetPort"}]
 * for every ingress-mode port of every service. */
json_t *task_ingress_ports(struct swarm *sw);
/* Agent: the mesh of the ingress network net (as sent, already wired
 * here) made to match. */
void task_ingress_wire(struct swarm *sw, json_t *net);
/* The task's endpoint on the ingress network among networks (as sent),
 * NULL when it has none. */
json_t *task_ingress_endpoint(json_t *networks, json_t *task);
