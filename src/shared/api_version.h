/* Engine API versions: "/v1.41/info" style prefixes and their comparison. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define API_VERSION_MIN "1.24"
#define API_VERSION_MAX "1.41"

/* Compares dotted versions numerically ("1.9" < "1.10"); <0, 0, >0. */
int api_version_compare(const char *a, const char *b);

/* Splits "/v1.41/containers/json" into version "1.41" (written to version,
 * cap bytes) and the rest "/containers/json". Returns true when the path has
 * a version prefix, false (rest = path, version empty) otherwise. A prefix
 * "/v" followed by anything but digits and dots is not a version. */
bool api_version_split_path(const char *path, char *version, size_t cap, const char **rest);
