/* Tree copy for volume copy-up and the du of a volume for /system/df. Both
 * block on disk; callers with large trees run them on the thread pool. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "volume/volume_store.h"

/* Inodes with more than one link already copied: source (dev, ino) to the
 * path of the first copy, so later links become hard links again. */
struct link_map {
	struct link_entry {
		dev_t dev;
		ino_t ino;
		char *path;
	} *v;
	size_t n;
};

static void link_map_done(struct link_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
}

static const char *link_map_find(const struct link_map *m, const struct stat *st)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].dev == st->st_dev && m->v[i].ino == st->st_ino)
			return m->v[i].path;
	return NULL;
}

static int link_map_add(struct link_map *m, const struct stat *st, const char *path)
{
	struct link_entry *v = realloc(m->v, (m->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->v = v;
	v[m->n].path = strdup(path);
	if (!v[m->n].path)
		return -ENOMEM;
	v[m->n].dev = st->st_dev;
	v[m->n].ino = st->st_ino;
	m->n++;
	return 0;
}

static int copy_xattrs(const char *src, const char *dst)
{
	ssize_t len = llistxattr(src, NULL, 0);
	if (len <= 0)
		return len < 0 && errno != ENOTSUP ? -errno : 0;
	_cleanup_free_ char *names = malloc((size_t)len);
	if (!names)
		return -ENOMEM;
	len = llistxattr(src, names, (size_t)len);
	for (ssize_t off = 0; len > 0 && off < len; off += (ssize_t)strlen(names + off) + 1) {
		const char *name = names + off;
		char value[65536];
		ssize_t vl = lgetxattr(src, name, value, sizeof(value));
		/* Some namespaces (security.*, trusted.*) may be refused: the
		 * data matters more than a label we may not set. */
		if (vl >= 0 && lsetxattr(dst, name, value, (size_t)vl, 0) < 0 && errno != EPERM &&
		    errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

static int copy_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	/* Filesystems without copy_file_range between them: plain copying. */
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t w, off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0)
				return -errno;
	return n < 0 ? -errno : 0;
}

static int copy_file(const char *src, const char *dst, const struct stat *st)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	_cleanup_close_ int out =
	    open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, st->st_mode & 07777);
	if (out < 0)
		return -errno;
	return copy_data(in, out);
}

/* Owner, mode and times of dst as src's; symlinks get owner and times only. */
static int copy_attrs(const char *src, const char *dst, const struct stat *st)
{
	if (lchown(dst, st->st_uid, st->st_gid) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777) < 0)
		return -errno;
	int r = copy_xattrs(src, dst);
	if (r < 0)
		return r;
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int copy_tree_at(const char *src, const char *dst, struct link_map *links);

static int copy_entry(const char *src, const char *dst, const struct stat *st,
		      struct link_map *links)
{
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		const char *first = link_map_find(links, st);
		if (first)
			return link(first, dst) < 0 ? -errno : 0;
		if (link_map_add(links, st, dst) < 0)
			return -ENOMEM;
	}
	int r = 0;
	if (S_ISDIR(st->st_mode)) {
		if (mkdir(dst, 0700) < 0)
			return -errno;
		r = copy_tree_at(src, dst, links);
	} else if (S_ISREG(st->st_mode)) {
		r = copy_file(src, dst, st);
	} else if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		r = symlink(target, dst) < 0 ? -errno : 0;
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
		r = mknod(dst, st->st_mode, st->st_rdev) < 0 ? -errno : 0;
	} else {
		return 0; /* sockets mean nothing once copied */
	}
	return r < 0 ? r : copy_attrs(src, dst, st);
}

static int copy_tree_at(const char *src, const char *dst, struct link_map *links)
{
	DIR *d = opendir(src);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *s = NULL, *t = NULL;
		struct stat st;
		if (asprintf(&s, "%s/%s", src, de->d_name) < 0 ||
		    asprintf(&t, "%s/%s", dst, de->d_name) < 0)
			r = -ENOMEM;
		else if (lstat(s, &st) < 0)
			r = -errno;
		else
			r = copy_entry(s, t, &st, links);
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	return r;
}

int volume_copy_tree(const char *src, const char *dst, struct error *err)
{
	struct link_map links = {0};
	struct stat st;
	int r = lstat(src, &st) < 0 ? -errno : 0;
	if (r == 0 && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r == 0)
		r = copy_tree_at(src, dst, &links);
	if (r == 0)
		r = copy_attrs(src, dst, &st);
	link_map_done(&links);
	if (r < 0)
		return error_set(err, r, "copy %s to %s: %s", src, dst, strerror(-r));
	return 0;
}

/* Only inodes with several links are remembered: the others cannot repeat. */
struct du_state {
	int64_t size;
	struct link_map seen;
};

static int du_at(const char *path, struct du_state *s)
{
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *p = NULL;
		struct stat st;
		if (asprintf(&p, "%s/%s", path, de->d_name) < 0)
			r = -ENOMEM;
		else if (lstat(p, &st) < 0)
			continue; /* vanished meanwhile: not ours to count */
		else if (S_ISDIR(st.st_mode))
			r = du_at(p, s);
		else if (st.st_size > 0 && st.st_nlink > 1 && link_map_find(&s->seen, &st))
			continue;
		else if (st.st_size > 0 && st.st_nlink > 1)
			r = (s->size += st.st_size, link_map_add(&s->seen, &st, ""));
		else
			s->size += st.st_size;
	}
	closedir(d);
	return r;
}

int volume_dir_size(const char *path, int64_t *ret)
{
	struct du_state s = {0};
	int r = du_at(path, &s);
	link_map_done(&s.seen);
	if (r == 0)
		*ret = s.size;
	return r;
}
