/* Extracting a tar (docker cp into a container) below a directory of a root
 * that may belong to someone else: every path is resolved with
 * openat2(RESOLVE_IN_ROOT) against the root's fd, so symlinks in the tree or
 * in the archive resolve inside the root and nothing is written outside it.
 * Synchronous; run on the thread pool. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "basic/error.h"

struct untar_opts {
	bool no_overwrite_dir_non_dir; /* a dir never replaces a non-dir, nor the reverse */
	bool chown;		       /* every entry gets uid:gid instead of the tar's */
	uid_t uid;
	gid_t gid;
};

/* Extracts the tar read from fd (plain or compressed) into dir (absolute
 * inside the root of root_fd; it must be a directory). -EINVAL with a
 * message for entries that leave the destination or overwrite against
 * no_overwrite_dir_non_dir. */
int untar_in_root(int fd, int root_fd, const char *dir, const struct untar_opts *o,
		  struct error *err);
