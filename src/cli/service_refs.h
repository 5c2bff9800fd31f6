/* `--secret` and `--config` of `berth service create`, as docker's CLI
 * reads them: "name" or "source=name,target=t,uid=0,gid=0,mode=0444"
 * (mode in Go's base-0 syntax: 0400 is octal), each turned into a
 * reference whose ID is looked up by name through GET /secrets (/configs). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"
#include "cli/cli.h"

/* Parses values into an array of references without IDs (File, and
 * SecretName or ConfigName); secret false for configs. -EINVAL with
 * docker's message for a bad value or a target given twice. */
int service_refs_parse(bool secret, const struct cli_strv *values, json_t **ret, struct error *err);
/* Fills in SecretID (ConfigID) of each reference by name; -ENOENT
 * "secret not found: X" when one does not exist. */
int service_refs_resolve(const struct cli *cli, bool secret, json_t *refs, struct error *err);
