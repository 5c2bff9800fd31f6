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
 * when none), "Ports": the published ports, when there are some}. */
json_t *ports_endpoint(json_t *service_spec);
