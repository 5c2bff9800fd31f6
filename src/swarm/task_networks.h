/* Swarm overlay networks between the leader's dispatcher and each node's
 * agent. With a node's assignments go the networks that have an endpoint
 * on it, each with all of its endpoints and the underlay address of their
 * nodes; the agent makes the kernel match (a bridge and vxlan port per
 * network, FDB and neighbour entries for the peers on other nodes, the
 * networks no longer used taken down) and gives task containers their
 * allocated addresses. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "swarm/swarm.h"

/* Dispatcher: the networks node uses, as the agent needs them; their
 * content goes into the digest h. */
json_t *task_networks_for_node(struct swarm *sw, const char *node, uint64_t *h);
/* The cluster's VXLAN UDP port (--data-path-port, 4789 by default). */
int task_networks_data_port(struct swarm *sw);

/* Agent: the local side of networks (as sent) made or kept, peers
 * programmed, unlisted networks without endpoints taken down. */
void task_networks_sync(struct swarm *sw, json_t *networks, int port);
/* Gives the task container's create body its networks: NetworkMode the
 * first swarm network, EndpointsConfig with the allocated addresses.
 * -EAGAIN while an address is not allocated yet. */
int task_networks_config(json_t *networks, json_t *task, json_t *body);
