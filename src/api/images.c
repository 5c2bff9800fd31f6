/* /images/... endpoints. */
#include "api/api.h"

const struct api_routes api_image_routes = {NULL, 0};
