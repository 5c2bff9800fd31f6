/* The leader's network allocator, pure: from the store's networks and tasks
 * it decides which endpoints to add, move or release, as store commands
 * (src/swarm/store_networks.h). The addresses themselves are picked when
 * the commands are applied, the same way on every manager, so a new leader
 * simply calls it again on what it has and never hands out an address
 * twice. A task gets an address on each swarm network of its Spec.Networks
 * while it is live (meant to run and not over); it gives them back once it
 * is over (a task told to stop, once its node says it stopped) or gone. A
 * service in endpoint mode vip gets a virtual IP on each of its swarm
 * networks ("Kind": "vip", owned by the service), given back when the
 * service goes, leaves the network or turns to dnsrr. Task endpoints also
 * carry what every node's DNS and load balancer need and what seldom
 * changes: the service's name and aliases and whether the service is
 * dnsrr. Whether a task serves is not written: it is read from the task
 * when the dispatcher hands the networks out (one Raft write less between a
 * task's death and its address leaving DNS). Container attachments are
 * asked for by their nodes and are left alone. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* {"op":"net_batch","cmds":[net_attach/net_detach...]} for the endpoints
 * that differ from what the tasks need; NULL when nothing does. services
 * gives the tasks' names.
 *
 * The routing mesh: while a service publishes a port in ingress mode, the
 * ingress network (Spec.Ingress) holds, besides that service's VIP and its
 * live tasks' endpoints, one endpoint per node ("Kind": "node", owned by
 * the node, Docker's ingress-sbox): the address through which the node
 * forwards published ports to tasks and takes their replies back. They go
 * when no service publishes in ingress mode any more, or with their node. */
json_t *allocator_step(json_t *networks, json_t *services, json_t *tasks, json_t *nodes);

/* Whether a service Spec publishes a port in ingress mode (SwarmKit's
 * IsIngressNetworkNeeded). */
bool allocator_needs_ingress(json_t *spec);
/* The ingress network among networks (the one with Spec.Ingress); NULL. */
json_t *allocator_ingress_network(json_t *networks);

/* Whether a task's address is in DNS and behind its service's VIP: it runs
 * and is meant to (a scale down takes it out before it is stopped). */
bool allocator_task_serves(json_t *task);
