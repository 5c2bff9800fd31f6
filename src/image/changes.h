/* Dockerfile instructions applied to a container config, as `docker import
 * --change` and `docker commit --change` accept them (dockerd's
 * BuildFromConfig): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL,
 * USER, VOLUME and WORKDIR, in exec (JSON array) or shell form. Pure. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "basic/error.h"

/* A container config with every field dockerd writes, empty. */
json_t *changes_empty_config(void);

/* Applies each instruction to config (an object, changed in place).
 * -EINVAL "<X> is not a valid change command" for other instructions, or a
 * message about the malformed one; config may be partly changed then. */
int changes_apply(json_t *config, const char *const *changes, size_t n, struct error *err);

/* Splits s into words as the Dockerfile parser does for ENV and LABEL:
 * whitespace separates, quotes group, backslash escapes. Returns a JSON
 * array of strings or NULL for an unterminated quote. */
json_t *changes_split_words(const char *s);
