/* docker cp's extraction (dockerd's archive.Untar with NoOverwriteDirNonDir
 * and ChownOpts), with every path resolved inside the container's root. */
#include "image/untar_in_root.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/path.h"
#include "storage/fsops.h"

struct untar {
	struct archive *ar;
	int root_fd;
	const char *dir;
	const struct untar_opts *o;
	struct error *err;
	char **dirs; /* directories whose times are set at the end */
	struct timespec *dir_times;
	size_t n_dirs;
};

/* Opens dir (inside the root) as an O_PATH directory, creating missing
 * components 0755 as MkdirAll does. */
static int open_parent(struct untar *u, const char *dir, int *ret)
{
	int fd = path_open_in_root(u->root_fd, dir, O_PATH | O_DIRECTORY);
	if (fd != -ENOENT) {
		*ret = fd;
		return fd < 0 ? fd : 0;
	}
	_cleanup_free_ char *up = path_dir(dir), *base = path_base(dir);
	if (!up || !base)
		return -ENOMEM;
	_cleanup_close_ int pfd = -1;
	int r = open_parent(u, up, &pfd);
	if (r < 0)
		return r;
	if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = path_open_in_root(u->root_fd, dir, O_PATH | O_DIRECTORY);
	*ret = fd;
	return fd < 0 ? fd : 0;
}

static int entry_error(struct untar *u, int code, const char *name, const char *why)
{
	return error_set(u->err, code, "%s: %s", name, why);
}

/* What already stands at name decides whether it may be replaced. */
static int clear_target(struct untar *u, int pfd, const char *base, const char *name, bool is_dir)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	bool was_dir = S_ISDIR(st.st_mode);
	if (u->o->no_overwrite_dir_non_dir && was_dir && !is_dir)
		return error_set(u->err, -EINVAL,
				 "cannot overwrite directory \"%s\" with non-directory \"%s\"",
				 name, name);
	if (u->o->no_overwrite_dir_non_dir && !was_dir && is_dir)
		return error_set(u->err, -EINVAL,
				 "cannot overwrite non-directory \"%s\" with directory \"%s\"",
				 name, name);
	if (was_dir && is_dir)
		return 1;
	return fsops_remove_at(pfd, base, u->err);
}

static int write_data(struct untar *u, int fd, const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	for (;;) {
		int r = archive_read_data_block(u->ar, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return entry_error(u, -EIO, name, archive_error_string(u->ar));
		if (pwrite(fd, buf, len, off) != (ssize_t)len)
			return entry_error(u, -errno, name, strerror(errno));
	}
}

static int make_entry(struct untar *u, struct archive_entry *e, int pfd, const char *base,
		      const char *name)
{
	mode_t mode = archive_entry_perm(e);
	const char *hl = archive_entry_hardlink(e);
	if (hl) {
		_cleanup_free_ char *rel = path_clean(hl);
		if (!rel || rel[0] == '/' || !strncmp(rel, "../", 3) || !strcmp(rel, ".."))
			return entry_error(u, -EINVAL, name,
					   "hard link target leaves the destination");
		_cleanup_free_ char *target = path_join(u->dir, rel);
		_cleanup_close_ int tfd =
		    target ? path_open_in_root(u->root_fd, target, O_PATH) : -ENOMEM;
		if (tfd < 0)
			return entry_error(u, tfd, name, "hard link target not found");
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
		if (linkat(AT_FDCWD, proc, pfd, base, AT_SYMLINK_FOLLOW) < 0)
			return entry_error(u, -errno, name, strerror(errno));
		return 0;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		if (mkdirat(pfd, base, mode) < 0 && errno != EEXIST)
			return entry_error(u, -errno, name, strerror(errno));
		break;
	case AE_IFLNK:
		if (symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", pfd, base) <
		    0)
			return entry_error(u, -errno, name, strerror(errno));
		break;
	case AE_IFREG: {
		_cleanup_close_ int fd =
		    openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0)
			return entry_error(u, -errno, name, strerror(errno));
		int r = write_data(u, fd, name);
		if (r < 0)
			return r;
		break;
	}
	case AE_IFIFO:
	case AE_IFCHR:
	case AE_IFBLK:
		if (mknodat(pfd, base, archive_entry_mode(e), archive_entry_rdev(e)) < 0)
			return entry_error(u, -errno, name, strerror(errno));
		break;
	default:
		return 0; /* sockets and the like: nothing to make */
	}
	return 1;
}

/* Ownership, then mode (chown clears set-id bits), then times; through an
 * O_PATH fd of the entry itself, so a name swapped for a symlink meanwhile
 * is never followed. */
static int set_meta(struct untar *u, struct archive_entry *e, int pfd, const char *base,
		    const char *name, const char *full)
{
	uid_t uid = u->o->chown ? u->o->uid : (uid_t)archive_entry_uid(e);
	gid_t gid = u->o->chown ? u->o->gid : (gid_t)archive_entry_gid(e);
	_cleanup_close_ int fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return entry_error(u, -errno, name, strerror(errno));
	struct timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
	if (archive_entry_filetype(e) == AE_IFLNK) {
		utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, archive_entry_mode(e) & 07777) < 0)
		return entry_error(u, -errno, name, strerror(errno));
	if (archive_entry_filetype(e) != AE_IFDIR) {
		utimensat(AT_FDCWD, proc, ts, 0);
		return 0;
	}
	char **d = realloc(u->dirs, (u->n_dirs + 1) * sizeof(*d));
	if (d)
		u->dirs = d;
	struct timespec *t = d ? realloc(u->dir_times, (u->n_dirs + 1) * sizeof(*t)) : NULL;
	if (t)
		u->dir_times = t;
	if (!d || !t || !(u->dirs[u->n_dirs] = strdup(full)))
		return error_set(u->err, -ENOMEM, "out of memory");
	u->dir_times[u->n_dirs++] = ts[0];
	return 0;
}

static int extract_one(struct untar *u, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return error_set(u->err, -EINVAL, "tar entry without a name");
	_cleanup_free_ char *rel = path_clean(name);
	if (!rel)
		return error_set(u->err, -ENOMEM, "out of memory");
	if (rel[0] == '/' || !strcmp(rel, "..") || !strncmp(rel, "../", 3))
		return entry_error(u, -EINVAL, name, "path leaves the destination");
	_cleanup_free_ char *full = path_join(u->dir, rel);
	_cleanup_free_ char *parent = full ? path_dir(full) : NULL;
	_cleanup_free_ char *base = full ? path_base(full) : NULL;
	if (!parent || !base)
		return error_set(u->err, -ENOMEM, "out of memory");
	if (!strcmp(rel, ".")) /* the destination itself keeps its metadata */
		return 0;
	_cleanup_close_ int pfd = -1;
	int r = open_parent(u, parent, &pfd);
	if (r < 0)
		return entry_error(u, r, name, strerror(-r));
	bool is_dir = archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e);
	if ((r = clear_target(u, pfd, base, name, is_dir)) < 0)
		return r;
	if ((r = make_entry(u, e, pfd, base, name)) <= 0)
		return r;
	return set_meta(u, e, pfd, base, name, full);
}

static void set_dir_times(struct untar *u)
{
	for (size_t i = u->n_dirs; i-- > 0;) {
		int fd =
		    path_open_in_root(u->root_fd, u->dirs[i], O_PATH | O_DIRECTORY | O_NOFOLLOW);
		if (fd >= 0) {
			struct timespec ts[2] = {u->dir_times[i], u->dir_times[i]};
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			utimensat(AT_FDCWD, proc, ts, 0);
			close(fd);
		}
		free(u->dirs[i]);
	}
	free(u->dirs);
	free(u->dir_times);
}

int untar_in_root(int fd, int root_fd, const char *dir, const struct untar_opts *o,
		  struct error *err)
{
	struct untar u = {archive_read_new(), root_fd, dir, o, err, NULL, NULL, 0};
	if (!u.ar)
		return error_set(err, -ENOMEM, "out of memory");
	archive_read_support_filter_all(u.ar);
	archive_read_support_format_tar(u.ar);
	int r = 0;
	if (archive_read_open_fd(u.ar, fd, 64 * 1024) != ARCHIVE_OK) {
		r = error_set(err, -EINVAL, "%s", archive_error_string(u.ar));
		goto out;
	}
	struct archive_entry *e;
	int ar;
	while ((ar = archive_read_next_header(u.ar, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		if ((r = extract_one(&u, e)) < 0)
			break;
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = error_set(err, -EINVAL, "%s",
			      archive_error_string(u.ar) ? archive_error_string(u.ar) : "bad tar");
out:
	set_dir_times(&u);
	archive_read_free(u.ar);
	return r;
}
