/* Container output endpoints (containers_io.c) and what they share with
 * containers.c. */
#pragma once

#include <stdbool.h>

#include "api/api.h"

struct container;

/* Finds the route's {id}; false after replying 404. */
bool api_container_or_reply(const struct api_request *ar, struct container **ret);
/* GET /containers/{id}/logs */
void api_container_logs(const struct api_request *ar);
/* GET /containers/{id}/stats (containers_stats.c) */
void api_container_stats(const struct api_request *ar);
/* POST /containers/{id}/attach */
void api_container_attach(const struct api_request *ar);
