/* File helpers that keep state crash-safe: atomic replace with fsync. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "basic/error.h"

/* Creates path and its missing parents with mode. 0 if it already exists. */
int fs_mkdir_p(const char *path, mode_t mode, struct error *err);

/* Writes data to a temporary file beside path, fsyncs it, renames it over
 * path and fsyncs the directory: after a crash path holds the old or the new
 * content, never a mix. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct error *err);

/* The same without fsync: for files under the exec root, which a reboot
 * empties anyway, a crash of the process (kill -9) still leaves the old or
 * the new content, and no disk flush slows the caller down. */
int fs_replace(const char *path, const void *data, size_t len, mode_t mode, struct error *err);

/* Deletes the temporary files fs_write_atomic and fs_replace left in dir
 * when their writer was killed before the rename (<name>.tmp-<pid>), unless
 * that pid still runs: a live writer (a shim) may be about to rename its own. */
void fs_remove_stale_tmp(const char *dir);

/* Creates path (it must not exist), writes data and fsyncs it, without a
 * rename or a directory fsync: for files inside a directory that is not yet
 * published, whose own rename (and that directory's fsync) publishes them
 * all at once. */
int fs_write_new(const char *path, const void *data, size_t len, mode_t mode, struct error *err);

/* Writes all of buf, retrying short writes and EINTR; 0 or -errno. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Reads a whole (small) file, NUL-terminated. -ENOENT etc. on failure. */
int fs_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
