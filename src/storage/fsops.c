/* Tree removal, copy and size for the storage drivers (see fsops.h). */
#include "storage/fsops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/cleanup.h"

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* ---- inode map: open addressing, grown at half load ---- */

struct inode_slot {
	dev_t dev;
	ino_t ino;
	char *value; /* NULL: empty slot */
};

struct fsops_inode_map {
	struct inode_slot *slots;
	size_t cap, len;
};

struct fsops_inode_map *fsops_inode_map_new(void)
{
	return calloc(1, sizeof(struct fsops_inode_map));
}

void fsops_inode_map_free(struct fsops_inode_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].value);
	free(m->slots);
	free(m);
}

static size_t inode_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ULL ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29));
}

static struct inode_slot *inode_find(struct inode_slot *slots, size_t cap, dev_t dev, ino_t ino)
{
	for (size_t i = inode_hash(dev, ino) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i].value || (slots[i].dev == dev && slots[i].ino == ino))
			return &slots[i];
}

static int inode_grow(struct fsops_inode_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct inode_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].value)
			*inode_find(slots, cap, m->slots[i].dev, m->slots[i].ino) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

const char *fsops_inode_map_add(struct fsops_inode_map *m, dev_t dev, ino_t ino, const char *value,
				int *ret_err)
{
	*ret_err = 0;
	if ((m->len + 1) * 2 > m->cap && (*ret_err = inode_grow(m)) < 0)
		return NULL;
	struct inode_slot *s = inode_find(m->slots, m->cap, dev, ino);
	if (s->value)
		return s->value;
	if (!(s->value = strdup(value))) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	s->dev = dev;
	s->ino = ino;
	m->len++;
	return NULL;
}

/* ---- removal ---- */

/* Clears the flags that make unlink fail with EPERM even for root. */
static void clear_fflags_at(int dirfd, const char *name)
{
	_cleanup_close_ int fd =
	    name ? openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
		 : dup(dirfd);
	int flags;
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return;
	if (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) {
		flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
}

static int remove_entry(int dirfd, const char *name, uint64_t mnt_id, struct error *err);

static int remove_children(int dfd, uint64_t mnt_id, struct error *err)
{
	int fd = dup(dfd);
	if (fd < 0)
		return error_set(err, -errno, "dup: %s", strerror(errno));
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_set(err, -errno, "opendir: %s", strerror(errno));
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = remove_entry(dfd, de->d_name, mnt_id, err);
		if (r < 0) {
			error_wrap(err, "%s", de->d_name);
			return r;
		}
	}
	if (errno)
		return error_set(err, -errno, "readdir: %s", strerror(errno));
	return 0;
}

static int unlink_retry(int dirfd, const char *name, int flags)
{
	if (unlinkat(dirfd, name, flags) == 0 || errno == ENOENT)
		return 0;
	if (errno != EPERM)
		return -errno;
	clear_fflags_at(dirfd, NULL);
	clear_fflags_at(dirfd, name);
	return unlinkat(dirfd, name, flags) == 0 || errno == ENOENT ? 0 : -errno;
}

static int remove_entry(int dirfd, const char *name, uint64_t mnt_id, struct error *err)
{
	struct statx stx;
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID, &stx) < 0)
		return errno == ENOENT ? 0 : error_set(err, -errno, "stat: %s", strerror(errno));
	int r;
	if (S_ISDIR(stx.stx_mode)) {
		if (mnt_id && (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id != mnt_id)
			return error_set(err, -EBUSY, "is a mount point, not removing it");
		_cleanup_close_ int fd =
		    openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return error_set(err, -errno, "open: %s", strerror(errno));
		/* An immutable directory refuses to lose its children. */
		clear_fflags_at(fd, NULL);
		if ((r = remove_children(fd, mnt_id, err)) < 0)
			return r;
		r = unlink_retry(dirfd, name, AT_REMOVEDIR);
	} else {
		r = unlink_retry(dirfd, name, 0);
	}
	if (r < 0)
		return error_set(err, r, "remove: %s", strerror(-r));
	return 0;
}

int fsops_remove_at(int dirfd, const char *name, struct error *err)
{
	struct statx stx;
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return errno == ENOENT
			   ? 0
			   : error_set(err, -errno, "stat %s: %s", name, strerror(errno));
	int r = remove_entry(dirfd, name, (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0, err);
	return r < 0 ? (error_wrap(err, "removing %s", name), r) : 0;
}

int fsops_remove(const char *path, struct error *err)
{
	return fsops_remove_at(AT_FDCWD, path, err);
}

int fsops_empty_dir(const char *path, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statx stx;
	if (fd < 0)
		return error_set(err, -errno, "open %s: %s", path, strerror(errno));
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return error_set(err, -errno, "stat %s: %s", path, strerror(errno));
	int r = remove_children(fd, (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0, err);
	return r < 0 ? (error_wrap(err, "emptying %s", path), r) : 0;
}

/* ---- copy ---- */

struct copy_ctx {
	struct fsops_inode_map *links;
	struct error *err;
};

static int copy_xattrs(const char *src, const char *dst, struct error *err)
{
	ssize_t n = llistxattr(src, NULL, 0);
	if (n <= 0)
		return n < 0 && errno != ENOTSUP
			   ? error_set(err, -errno, "listxattr %s: %s", src, strerror(errno))
			   : 0;
	_cleanup_free_ char *names = malloc((size_t)n);
	if (!names)
		return error_set(err, -ENOMEM, "out of memory");
	if ((n = llistxattr(src, names, (size_t)n)) < 0)
		return error_set(err, -errno, "listxattr %s: %s", src, strerror(errno));
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		ssize_t vn = lgetxattr(src, k, NULL, 0);
		if (vn < 0)
			continue; /* vanished meanwhile */
		_cleanup_free_ char *v = malloc((size_t)vn + 1);
		if (!v || (vn = lgetxattr(src, k, v, (size_t)vn)) < 0)
			continue;
		if (lsetxattr(dst, k, v, (size_t)vn, 0) < 0 && errno != ENOTSUP)
			return error_set(err, -errno, "setxattr %s %s: %s", dst, k,
					 strerror(errno));
	}
	return 0;
}

/* Owner first (chown clears set-id bits), then mode, then xattrs (chown also
 * drops security.capability), then times last. */
static int copy_meta(const char *src, const char *dst, const struct stat *st, struct error *err)
{
	if (lchown(dst, st->st_uid, st->st_gid) < 0)
		return error_set(err, -errno, "chown %s: %s", dst, strerror(errno));
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777) < 0)
		return error_set(err, -errno, "chmod %s: %s", dst, strerror(errno));
	int r = copy_xattrs(src, dst, err);
	if (r < 0)
		return r;
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, -errno, "utimes %s: %s", dst, strerror(errno));
	return 0;
}

static int copy_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				return -errno;
			off += w > 0 ? w : 0;
		}
	}
}

static int copy_file(const char *src, const char *dst, struct error *err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return error_set(err, -errno, "open %s: %s", src, strerror(errno));
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return error_set(err, -errno, "create %s: %s", dst, strerror(errno));
	int r = copy_data(in, out);
	return r < 0 ? error_set(err, r, "copy %s: %s", src, strerror(-r)) : 0;
}

static int copy_symlink(const char *src, const char *dst, const struct stat *st, struct error *err)
{
	size_t len = (size_t)st->st_size + 1;
	_cleanup_free_ char *target = malloc(len < 2 ? 4096 : len + 1);
	if (!target)
		return error_set(err, -ENOMEM, "out of memory");
	ssize_t n = readlink(src, target, len < 2 ? 4095 : len);
	if (n < 0)
		return error_set(err, -errno, "readlink %s: %s", src, strerror(errno));
	target[n] = '\0';
	if (symlink(target, dst) < 0)
		return error_set(err, -errno, "symlink %s: %s", dst, strerror(errno));
	return 0;
}

static int copy_any(struct copy_ctx *c, const char *src, const char *dst);

static int copy_dir(struct copy_ctx *c, const char *src, const char *dst, const struct stat *st)
{
	if (mkdir(dst, 0700) < 0)
		return error_set(c->err, -errno, "mkdir %s: %s", dst, strerror(errno));
	_cleanup_closedir_ DIR *d = opendir(src);
	if (!d)
		return error_set(c->err, -errno, "opendir %s: %s", src, strerror(errno));
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *s = NULL, *t = NULL;
		if (asprintf(&s, "%s/%s", src, de->d_name) < 0 ||
		    asprintf(&t, "%s/%s", dst, de->d_name) < 0)
			return error_set(c->err, -ENOMEM, "out of memory");
		int r = copy_any(c, s, t);
		if (r < 0)
			return r;
	}
	if (errno)
		return error_set(c->err, -errno, "readdir %s: %s", src, strerror(errno));
	return copy_meta(src, dst, st, c->err);
}

static int copy_any(struct copy_ctx *c, const char *src, const char *dst)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return error_set(c->err, -errno, "stat %s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return copy_dir(c, src, dst, &st);
	if (st.st_nlink > 1) {
		int r;
		const char *first = fsops_inode_map_add(c->links, st.st_dev, st.st_ino, dst, &r);
		if (r < 0)
			return error_set(c->err, r, "out of memory");
		if (first)
			return link(first, dst) < 0
				   ? error_set(c->err, -errno, "link %s: %s", dst, strerror(errno))
				   : 0;
	}
	int r;
	if (S_ISREG(st.st_mode))
		r = copy_file(src, dst, c->err);
	else if (S_ISLNK(st.st_mode))
		r = copy_symlink(src, dst, &st, c->err);
	else if (mknod(dst, st.st_mode, st.st_rdev) < 0)
		r = error_set(c->err, -errno, "mknod %s: %s", dst, strerror(errno));
	else
		r = 0;
	return r < 0 ? r : copy_meta(src, dst, &st, c->err);
}

int fsops_copy_tree(const char *src, const char *dst, struct error *err)
{
	struct copy_ctx c = {fsops_inode_map_new(), err};
	if (!c.links)
		return error_set(err, -ENOMEM, "out of memory");
	int r = copy_any(&c, src, dst);
	fsops_inode_map_free(c.links);
	return r;
}

/* ---- size ---- */

static int size_dir(int dfd, struct fsops_inode_map *seen, int64_t *total, struct error *err)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return error_set(err, -e, "opendir: %s", strerror(e));
	}
	_cleanup_closedir_ DIR *dd = d;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* removed while we walk: not ours to count */
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(
			    dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int r = sub < 0 ? 0 : size_dir(sub, seen, total, err);
			if (r < 0)
				return r;
			continue;
		}
		if (st.st_size == 0)
			continue;
		if (st.st_nlink > 1) {
			int r;
			if (fsops_inode_map_add(seen, st.st_dev, st.st_ino, "", &r))
				continue;
			if (r < 0)
				return error_set(err, r, "out of memory");
		}
		*total += st.st_size;
	}
	return 0;
}

int fsops_tree_size(const char *path, int64_t *ret, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, -errno, "open %s: %s", path, strerror(errno));
	struct fsops_inode_map *seen = fsops_inode_map_new();
	if (!seen)
		return error_set(err, -ENOMEM, "out of memory");
	int64_t total = 0;
	int r = size_dir(fd, seen, &total, err);
	fsops_inode_map_free(seen);
	if (r < 0)
		return r;
	*ret = total;
	return 0;
}
