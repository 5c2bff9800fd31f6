/* The leader's network allocator, pure: from the store's networks and tasks
 * it decides which endpoints to add, move or release, as store commands
 * (src/swarm/store_networks.h). The addresses themselves are picked when
 * the commands are applied, the same way on every manager, so a new leader
 * simply calls it again on what it has and never hands out an address
 * twice. A task gets an address on each swarm network of its Spec.Networks
 * while it is live (meant to run and not over); it gives them back once it
 * is over or gone. A service in endpoint mode vip gets a virtual IP on
 * each of its swarm networks ("Kind": "vip", owned by the service), given
 * back when the service goes, leaves the network or turns to dnsrr. Task
 * endpoints also carry what every node's DNS and load balancer need: the
 * service's name and aliases, whether the task serves ("Up": running and
 * meant to) and whether the service is dnsrr. Container attachments are
 * asked for by their nodes and are left alone. */
#pragma once

#include <jansson.h>

/* {"op":"net_batch","cmds":[net_attach/net_detach...]} for the endpoints
 * that differ from what the tasks need; NULL when nothing does. services
 * gives the tasks' names. */
json_t *allocator_step(json_t *networks, json_t *services, json_t *tasks);
