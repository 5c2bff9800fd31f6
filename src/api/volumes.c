/* /volumes/... endpoints. */
#include "api/api.h"

const struct api_routes api_volume_routes = {NULL, 0};
