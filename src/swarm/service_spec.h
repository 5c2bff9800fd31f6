/* Checks of a ServiceSpec as SwarmKit's control API makes them, with
 * dockerd's messages ("rpc error: code = InvalidArgument desc = ..."). Pure. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

int service_spec_check(json_t *spec, struct error *err);
