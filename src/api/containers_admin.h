/* Container administration endpoints (containers_admin.c): pause, unpause,
 * rename, top, prune. */
#pragma once

#include "api/api.h"

/* POST /containers/{id}/pause */
void api_container_pause(const struct api_request *ar);
/* POST /containers/{id}/unpause */
void api_container_unpause(const struct api_request *ar);
/* POST /containers/{id}/rename?name= */
void api_container_rename(const struct api_request *ar);
/* POST /containers/prune */
void api_containers_prune(const struct api_request *ar);
/* GET /containers/{id}/top?ps_args= */
void api_container_top(const struct api_request *ar);
