/* Whole-tree file operations for the storage drivers and the layer code:
 * removing a tree robustly, copying one with every piece of metadata, and
 * measuring one. No shelling out: openat/unlinkat/statx and friends. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "basic/error.h"

/* Removes name (relative to dirfd, or a path with AT_FDCWD) and everything
 * below it. Clears immutable/append-only flags when they are in the way and
 * ignores permission bits (we run as root). Never crosses into another
 * mount: a mount point below yields -EBUSY. A missing name is not an error. */
int fsops_remove_at(int dirfd, const char *name, struct error *err);
int fsops_remove(const char *path, struct error *err);

/* Removes everything inside the directory at path, keeping the directory. */
int fsops_empty_dir(const char *path, struct error *err);

/* Copies the tree at src to dst (which must not exist), keeping owners,
 * modes, times, xattrs, symlinks, device nodes, fifos, sockets and hard
 * links between files of the tree. */
int fsops_copy_tree(const char *src, const char *dst, struct error *err);

/* Sum of the sizes of the non-directory entries below path, counting each
 * hard-linked inode once (what Docker's directory.Size reports). */
int fsops_tree_size(const char *path, int64_t *ret, struct error *err);

/* A set of (dev, ino) pairs mapping to a string: finds hard links while
 * walking a tree. */
struct fsops_inode_map;
struct fsops_inode_map *fsops_inode_map_new(void);
void fsops_inode_map_free(struct fsops_inode_map *m);
/* Returns the string recorded for (dev, ino), or records value (copied) and
 * returns NULL. *ret_err is set to -ENOMEM on allocation failure. */
const char *fsops_inode_map_add(struct fsops_inode_map *m, dev_t dev, ino_t ino, const char *value,
				int *ret_err);
