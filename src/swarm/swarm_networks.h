/* Swarm-scoped overlay networks as the API asks for them (/networks on a
 * manager): validation with dockerd's messages, Docker's JSON shape, the
 * list filters, writes through Raft (store_networks.h), and the network
 * settings of `swarm init` (--default-addr-pool, --data-path-port). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"
#include "shared/filters.h"
#include "swarm/swarm.h"

/* swarm init: dockerd's checks of DefaultAddrPool, SubnetSize and
 * DataPathPort; then the cluster object gets them. */
int swarm_init_network_check(const struct swarm_init_req *req, struct error *err);
void swarm_init_network_settings(const struct swarm_init_req *req, json_t *cluster);

/* The "network" store command's value for the default ingress network of
 * a new swarm ({"ID", "Spec"}, new ID). */
json_t *swarm_ingress_network(void);
/* Whether this node serves the swarm's networks (an active manager). */
bool swarm_networks_served(struct swarm *sw);
/* A stored network as GET /networks/{id} shows it. */
json_t *swarm_network_view(struct swarm *sw, json_t *net);
/* The swarm networks GET /networks lists with filters f (validated by the
 * caller); an empty array on a node that does not serve them. */
json_t *swarm_networks_list(struct swarm *sw, const struct filters *f);
/* -ENOENT "network X not found" also on a node that does not serve them. */
int swarm_network_inspect(struct swarm *sw, const char *ref, json_t **ret, struct error *err);
/* Whether the swarm has a network of that name (a local one may not take
 * it). */
bool swarm_network_name_taken(struct swarm *sw, const char *name);
/* A task's NetworksAttachments as dockerd shows them (the swarm network
 * object and the task's addresses); NULL when it has none. */
json_t *swarm_task_attachments(struct swarm *sw, const char *task_id);
/* The service's VIPs as dockerd shows them in Endpoint.VirtualIPs:
 * [{"NetworkID", "Addr": "10.0.1.2/24"}], one per network that has one;
 * NULL when it has none. */
json_t *swarm_service_vips(struct swarm *sw, json_t *svc);
/* POST /networks/create with Driver "overlay": result {"Id": ...}. */
void swarm_network_create(struct swarm *sw, json_t *body, swarm_done_fn cb, void *data);
/* DELETE /networks/{id} of a swarm network; refused while in use. */
void swarm_network_rm(struct swarm *sw, const char *ref, swarm_done_fn cb, void *data);
/* POST /networks/prune on a manager: removes the swarm networks that match
 * f ("label", "label!") and that nothing uses, as dockerd's cluster prune
 * (not the ingress network); result: a JSON array of their names. Nothing
 * is removed on a node that does not serve them. */
void swarm_networks_prune(struct swarm *sw, const struct filters *f, swarm_done_fn cb, void *data);
