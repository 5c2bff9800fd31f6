/* Safe extraction of an image archive (docker save output, OCI layout) into
 * a private directory, and reading its members without following anything
 * out of it. Thread-safe. */
#pragma once

#include <stddef.h>

#include "basic/error.h"

/* Extracts the tar read from fd (any compression) into dir, which must exist
 * and be empty. Only directories, regular files, symlinks and hard links are
 * kept; a member whose path is absolute or has ".." is refused with -EINVAL.
 * Nothing is ever created outside dir: parents are opened without following
 * symlinks. */
int image_archive_extract(int fd, const char *dir, struct error *err);

/* Opens member path of the extracted tree rooted at root_fd, resolving
 * symlinks as if root_fd were "/" (so they cannot leave it). */
int image_archive_open(int root_fd, const char *path);

/* Reads a whole small member (for manifests and configs). */
int image_archive_read(int root_fd, const char *path, size_t max, char **ret, size_t *ret_len);
