/* Slash-separated paths as Go's path package handles them. Pure. */
#pragma once

#include <stdbool.h>

/* Go's path.Clean: the shortest equivalent path ("" gives "."; "/.." gives
 * "/"). Caller frees; NULL when out of memory. */
char *path_clean(const char *p);
/* Go's path.Join of a and b, cleaned. Caller frees. */
char *path_join(const char *a, const char *b);
/* The last element, as Go's path.Base ("" gives ".", "/" gives "/").
 * Caller frees. */
char *path_base(const char *p);
/* Everything but the last element, cleaned (Go's path.Dir). Caller frees. */
char *path_dir(const char *p);
/* Opens path (absolute or relative, inside the root) with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) against root_fd, so
 * symlinks resolve as if root_fd were "/" and never leave it. flags as
 * for open (O_CLOEXEC added). Returns the fd or -errno. */
int path_open_in_root(int root_fd, const char *path, int flags);
