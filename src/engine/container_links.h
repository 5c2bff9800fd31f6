/* Legacy links (HostConfig.Links, `--link name:alias` on the default
 * bridge): kept as dockerd shows them ("/child:/parent/alias"); at start
 * the child's ALIAS_NAME, ALIAS_ENV_* and ALIAS_PORT_* variables and an
 * /etc/hosts line; removed with DELETE /containers/{parent}/{alias}?link=1. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

struct containers;
struct container;

/* At create: checks each link of c (on the default bridge) and rewrites it
 * to "/child:/parent/alias". -EINVAL "could not get container for x" for a
 * missing child, "conflicting options: host type networking can't be used
 * with links..." with the host network. */
int container_links_resolve(struct containers *cs, struct container *c, struct error *err);

/* At start: *ret_env the variables to put before the container's own Env
 * (an array), *ret_hosts the /etc/hosts lines (caller frees). -EINVAL
 * "Cannot link to a non running container: /child AS /parent/alias". */
int container_links_collect(struct containers *cs, struct container *c, json_t **ret_env,
			    char **ret_hosts, struct error *err);

/* DELETE /containers/{parent}/{alias}?link=1: forgets the link. -ENOENT "No
 * such container: parent/alias" when there is none. */
int container_link_remove(struct containers *cs, const char *parent, const char *alias,
			  struct error *err);
