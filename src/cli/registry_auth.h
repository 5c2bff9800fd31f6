/* The X-Registry-Auth value the CLI sends for an image: the login stored
 * for its registry (berth login, docker's config.json), or anonymous. */
#pragma once

/* For image's registry; "" when image is not a reference. NULL when out
 * of memory. */
char *cli_registry_auth_for_image(const char *image);
