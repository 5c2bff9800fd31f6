/* GET /system/df (system_df.c), routed from system.c's table. */
#pragma once

#include "api/api.h"

void api_system_df(const struct api_request *ar);
