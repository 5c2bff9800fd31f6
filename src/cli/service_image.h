/* The image digest docker's CLI pins in a service's spec (unless
 * --no-resolve-image): it asks the daemon's GET /distribution/<image>/json,
 * so every node runs the same image whatever the tag points at later. */
#pragma once

#include <jansson.h>

#include "cli/cli.h"

/* Pins tt's ContainerSpec.Image to name:tag@digest (a reference that has a
 * digest stays as it is) and sets Placement.Platforms to the platforms the
 * registry lists, "arm" without its architecture as docker's CLI does.
 * auth: X-Registry-Auth (NULL: none). When the registry cannot be asked the
 * image stays as given and *ret_warning is docker's warning (caller frees;
 * NULL when pinned). 0, or -ENOMEM. */
int service_image_resolve(const struct cli *cli, json_t *tt, const char *auth,
			  char **ret_warning);
