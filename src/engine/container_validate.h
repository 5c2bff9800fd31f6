/* Validation of the bodies of POST /containers/create and
 * /containers/{id}/update, in one place, before anything is stored: every
 * field for its JSON type and its range, with dockerd's messages (-EINVAL,
 * HTTP 400). Also used on configurations read back from disk. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"

struct containers;

/* The whole create body (Config with HostConfig and NetworkingConfig
 * inside). Normalizes as dockerd does: a string Cmd, Entrypoint, Shell or
 * CapAdd becomes a one-element list, WorkingDir and mount targets are
 * cleaned. -EINVAL with dockerd's message, -ENOENT for a container named by
 * a PidMode or IpcMode that does not exist. */
int container_validate_create(struct containers *cs, json_t *body, struct error *err);
/* An update body (Resources and RestartPolicy), types and ranges alone; the
 * checks of the merged HostConfig are container_validate_resources'. */
int container_validate_update(json_t *body, struct error *err);
/* dockerd's verifyPlatformContainerResources on a HostConfig; update
 * relaxes the swap-without-memory rule, as dockerd does. */
int container_validate_resources(json_t *hc, bool update, struct error *err);
/* A configuration read from disk: -EINVAL when a field has a type the
 * engine cannot use (the container is then loaded as damaged). */
int container_validate_stored(json_t *config, json_t *host_config, struct error *err);

/* The type checks alone (container_validate_schema.c). */
int container_check_create_types(json_t *body, struct error *err);
int container_check_update_types(json_t *body, struct error *err);
int container_check_stored_types(json_t *config, json_t *host_config, struct error *err);

/* Go's path.Clean of an absolute or relative path, in place. */
void container_path_clean(char *path);
