/* Ports published in host mode, as the scheduler, the agent and the API's
 * checks see an EndpointSpec's Ports: each such port holds (protocol,
 * published port) on the node its task runs on. Pure. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes "8080/tcp" for a port published in host mode on a fixed port;
 * false for any other (ingress, or a port the engine picks). */
bool port_host_key(json_t *port, char *key, size_t len);
/* Whether one of the host-mode ports of ports is in used (an object whose
 * keys are port_host_key's). */
bool ports_host_conflict(json_t *ports, json_t *used);
/* Adds the host-mode ports of ports to used. */
void ports_host_add(json_t *ports, json_t *used);
/* A service's Endpoint for its spec: {"Spec": EndpointSpec (Mode "vip"
 * when none), "Ports": the published ports, when there are some}. As
 * SwarmKit's allocator, an ingress port without a published port gets one
 * of 30000-32767: the one prev (the service's Endpoint before; NULL when
 * new) gave the same target and protocol, else the lowest that no other
 * service (in services, the store's; self_id skipped) publishes. None
 * free: it stays 0, unpublished. */
json_t *ports_endpoint(json_t *service_spec, json_t *prev, json_t *services, const char *self_id);

/* The ports a service publishes: its Endpoint's (with the ports given
 * dynamically), else its spec's. */
json_t *ports_published(json_t *service);
