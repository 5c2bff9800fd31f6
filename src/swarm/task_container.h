/* A task's container: its name and the create body (Config with HostConfig)
 * the agent hands the engine, from the task's ContainerSpec, Resources and
 * network attachments, with the com.docker.swarm.* labels. Pure. Secrets
 * and configs are not in the body: the agent mounts them afterwards
 * (task_secrets.h); overlay networks will add their endpoints here. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* "<service>.<slot>.<task id>" (global: node ID in place of the slot). */
void task_container_name(json_t *task, char *buf, size_t len);
/* The body of POST /containers/create for task on node (node_hostname for
 * the hostname template). */
json_t *task_container_body(json_t *task, const char *node_id, const char *node_hostname);
