/* Layer tarballs with libarchive: applying one to a directory (with Docker's
 * whiteouts and safety checks) and producing one from a directory's changes.
 * Synchronous; run on the thread pool. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

#include "basic/error.h"
#include "storage/driver.h"

struct layer_digest {
	char diff_id[72]; /* "sha256:<hex>" of the uncompressed tar stream */
	int64_t size;	  /* bytes of file content unpacked */
	int64_t tar_size; /* bytes of the uncompressed tar stream */
};

/* Reads a layer from fd (plain tar, or gzip/zstd/xz/bzip2 compressed: detected
 * from the stream) and applies it to dest:
 *  - ".wh.<name>" removes <name> below; ".wh..wh..opq" makes the directory
 *    opaque (its lower content hidden), represented as `whiteouts` says;
 *  - ownership, modes, mtimes, xattrs, hard links, symlinks, fifos and device
 *    nodes are kept;
 *  - an entry whose path leaves dest ("../", absolute paths, or a path that
 *    goes through a symlink) or a hard link pointing outside dest is refused
 *    with -EINVAL and a message naming the entry.
 * When keep_fd >= 0, the exact uncompressed tar bytes are also written to it
 * (so the layer can be exported later with the same diff ID).
 * On failure dest may hold a partial tree: the caller removes it. */
int archive_apply_layer(int fd, const char *dest, enum whiteout_format whiteouts, int keep_fd,
			struct layer_digest *ret, struct error *err);

/* Writes a tar of the changes in dir to out_fd, turning the overlay2
 * whiteout format back into ".wh." entries; used for container commits and
 * exports. Entries are sorted by path so the same tree gives the same bytes.
 * skip (NULL-terminated rel paths, may be NULL) are left out with all below
 * them. */
int archive_write_dir(const char *dir, enum whiteout_format whiteouts, const char *const *skip,
		      int out_fd, struct error *err);
/* Writes a tar of the entry name in the directory dfd (not following it if
 * it is a symlink), and of everything below it, named "as" and "as/..."
 * in the tar (docker cp's rebasing). Never leaves dfd's tree: directories are
 * opened with O_NOFOLLOW. */
int archive_write_entry(int dfd, const char *name, const char *as, int out_fd, struct error *err);

/* A tar built from several sources (docker build's COPY and ADD layers):
 * open, add, close. Errors go to the err given to archive_tar_open. */
struct archive_tar;
struct archive_owner {
	uid_t uid;
	gid_t gid;
};
int archive_tar_open(int out_fd, struct archive_tar **ret, struct error *err);
/* name in dfd and what is below it, as archive_write_entry; every entry
 * owned by owner unless it is NULL. */
int archive_tar_add(struct archive_tar *t, int dfd, const char *name, const char *as,
		    const struct archive_owner *owner);
/* A directory entry "as/" (owner NULL: root). */
int archive_tar_add_dir(struct archive_tar *t, const char *as, mode_t mode,
			const struct archive_owner *owner, int64_t mtime);
/* A regular file "as" with the contents of fd (ADD of a URL). */
int archive_tar_add_file(struct archive_tar *t, int fd, const char *as, mode_t mode,
			 const struct archive_owner *owner, int64_t mtime);
/* The entries of the archive read from fd (any compression), moved below
 * prefix; entries leaving it are refused (-EINVAL). */
int archive_tar_add_archive(struct archive_tar *t, int fd, const char *prefix);
/* Ends the tar (when r >= 0) and frees t; returns r or the close error. */
int archive_tar_close(struct archive_tar *t, int r);
/* True when fd (read from its position) starts with a tar archive, plain
 * or compressed, as ADD's unpacking decides. */
bool archive_is_tar(int fd);

/* Lists the changes in dir (a container's upper dir in `whiteouts` format)
 * as docker diff reports them: kind 0 modified, 1 added, 2 deleted. lower is
 * the merged image tree to tell added from modified (may be NULL: all added). */
struct archive_change {
	char *path;
	int kind;
};
int archive_changes(const char *dir, const char *lower, enum whiteout_format whiteouts,
		    struct archive_change **ret, size_t *ret_n, struct error *err);
void archive_changes_free(struct archive_change *c, size_t n);
