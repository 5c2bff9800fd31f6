/* A device cgroup rule as docker's --device-cgroup-rule takes it ("c 1:3 mr",
 * "b *:* rwm"), read by the CLI to refuse it early and by the engine to put
 * it in the OCI spec. */
#pragma once

#include <jansson.h>

/* The rule as an OCI linux.resources.devices entry ({allow, type, major,
 * minor, access}; "*" is -1), or NULL when it does not read as dockerd's
 * ^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$ (numbers of more than 18
 * digits are refused too). */
json_t *device_rule_parse(const char *rule);
