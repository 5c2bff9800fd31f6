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
int task_networks_port(struct swarm *sw);
/* What a node needs of a stored network: settings, and every endpoint with
 * the underlay address ("Addr") of its node. */
json_t *task_networks_view(struct swarm *sw, json_t *net);
/* `network inspect`'s Peers of a stored network: each node with an
 * endpoint on it, {"Name": hostname, "IP": its address}. */
json_t *task_networks_peers(struct swarm *sw, json_t *net);

/* This node's underlay address: --data-path-addr, else its advertise
 * address. */
int task_networks_local_addr(struct swarm *sw, uint32_t *ret);

/* Agent: the local side of networks (as sent) made or kept, peers
 * programmed, unlisted networks without endpoints taken down. */
void task_networks_sync(struct swarm *sw, json_t *networks, int port);
/* One network (as task_networks_view shows it) made or kept here and its
 * peers programmed; port 0: the cluster's, when this node knows it. */
int task_networks_wire(struct swarm *sw, json_t *net, int port);
/* Gives the task container's create body its networks: NetworkMode the
 * first swarm network, EndpointsConfig with the allocated addresses.
 * -EAGAIN while an address is not allocated yet. */
int task_networks_config(json_t *networks, json_t *task, json_t *body);

/* ---- containers on attachable networks (attach.c) ---- */

/* Leader: the "net_attach" and "net_detach" RPCs of node; false for
 * another op. */
struct mtls_conn;
bool swarm_attach_rpc(struct swarm *sw, const char *op, struct mtls_conn *c, json_t *req,
		      const char *node);
/* Whether ref names a swarm network to attach a container to: the swarm is
 * active and no plain local network has that name or ID (the leader says
 * whether the swarm has it). */
bool swarm_attach_target(struct swarm *sw, const char *ref);
/* Whether a container create body names a swarm network (as
 * swarm_attach_target); *ret_ref is that reference. */
bool swarm_attach_wanted(struct swarm *sw, json_t *body, const char **ret_ref);
/* Asks the leader for an address on the attachable network ref (ip: the
 * one wanted, NULL: any) and wires the network here; result {"ID", "IP",
 * "Owner": the attachment's ID}. aliases (borrowed, NULL: none): the
 * container's other names on the network, which every node's DNS answers
 * as it answers name. replaces (NULL: none): an earlier attachment of the
 * container, which goes in the same store entry (it may not have gone back
 * yet). */
void swarm_attach(struct swarm *sw, const char *ref, const char *name, const char *ip,
		  json_t *aliases, const char *replaces, swarm_done_fn cb, void *data);
/* Whether the attachment owner is being asked for here (no container holds
 * it yet). */
bool swarm_attaching(struct swarm *sw, const char *owner);
/* Gives an attachment back (fire and forget: the agent tries again). */
void swarm_detach(struct swarm *sw, const char *net, const char *owner);
/* Lets networking ask for attachments again at a container's start and
 * give them back at its stop (network_set_swarm). */
void swarm_attach_setup(struct swarm *sw);
