/* The ports a task publishes in host mode: the container's port bindings
 * on its node, and the Status.PortStatus its agent reports (what `docker
 * service ps` shows as PORTS). Ingress ports are the routing mesh's, not
 * the container's. Pure. */
#pragma once

#include <jansson.h>

/* Adds ExposedPorts and HostConfig.PortBindings for task's host-mode ports
 * (its _ports) to a container create body; a published port of 0 lets the
 * engine pick one. */
void task_ports_bind(json_t *task, json_t *body);
/* {"Ports": [PortConfig...]} with the host ports the container got (bound:
 * its NetworkSettings.Ports); NULL when task publishes nothing in host
 * mode. */
json_t *task_port_status(json_t *task, json_t *bound);
