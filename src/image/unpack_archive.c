/* Image archive extraction with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
 * for every write, so a crafted archive (a symlink to /etc followed by a file
 * "link/passwd") cannot write outside the extraction directory. */
#include "image/unpack_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"

static int openat2_fd(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode, .resolve = resolve};
	long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return r < 0 ? -errno : (int)r;
}

#define RESOLVE_STRICT (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

int image_archive_open(int root_fd, const char *path)
{
	return openat2_fd(root_fd, path, O_RDONLY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

int image_archive_read(int root_fd, const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = image_archive_open(root_fd, path);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	_cleanup_free_ char *data = malloc((size_t)st.st_size + 1);
	if (!data)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	data[got] = '\0';
	*ret = TAKE_PTR(data);
	*ret_len = got;
	return 0;
}

/* Strips "./" and "/" runs; refuses absolute paths and "..". */
static int clean_path(const char *in, char *out, size_t size)
{
	if (in[0] == '/')
		return -EINVAL;
	size_t o = 0;
	const char *p = in;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (n && !(n == 1 && p[0] == '.')) {
			if (o + n + 2 > size)
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	return 0;
}

/* mkdir -p of path's directories below root, never through a symlink. */
static int make_parents(int root, const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(root, buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		int fd = openat2_fd(root, buf, O_RDONLY | O_DIRECTORY, 0, RESOLVE_STRICT);
		if (fd < 0)
			return fd;
		close(fd);
		*s = '/';
	}
	return 0;
}

static int write_data(struct archive *a, int fd)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (lseek(fd, off, SEEK_SET) < 0)
			return -errno;
		for (size_t done = 0; done < len;) {
			ssize_t n = write(fd, (const char *)buf + done, len - done);
			if (n < 0)
				return -errno;
			done += (size_t)n;
		}
	}
	return r == ARCHIVE_EOF ? 0 : -EIO;
}

/* Links path to the member hl names. linkat would follow symlinks in hl's
 * directories (a member "evil" -> "/etc" then a link to "evil/shadow"), so
 * its directory is opened beneath root without following any. */
static int extract_hardlink(int root, const char *hl, const char *path)
{
	char src[4096];
	if (clean_path(hl, src, sizeof(src)) < 0 || !src[0])
		return -EINVAL;
	char *slash = strrchr(src, '/');
	_cleanup_close_ int dir = -1;
	if (slash) {
		*slash = '\0';
		dir = openat2_fd(root, src, O_PATH | O_DIRECTORY, 0, RESOLVE_STRICT);
		if (dir < 0)
			return dir;
	}
	return linkat(slash ? dir : root, slash ? slash + 1 : src, root, path, 0) < 0 ? -errno : 0;
}

static int extract_entry(struct archive *a, struct archive_entry *e, int root, const char *path)
{
	int r = make_parents(root, path);
	if (r < 0)
		return r;
	/* libarchive gives a tar hard link no file type: look for it first. */
	const char *hl = archive_entry_hardlink(e);
	if (hl)
		return extract_hardlink(root, hl, path);
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return mkdirat(root, path, 0700) < 0 && errno != EEXIST ? -errno : 0;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		return symlinkat(target ? target : "", root, path) < 0 ? -errno : 0;
	}
	case AE_IFREG: {
		_cleanup_close_ int fd = openat2_fd(root, path, O_WRONLY | O_CREAT | O_EXCL, 0600,
						    RESOLVE_STRICT);
		if (fd < 0)
			return fd;
		return write_data(a, fd);
	}
	default:
		return 0; /* devices and fifos have no place in an image archive */
	}
}

static int archive_err(struct archive *a, const char *what, struct error *err)
{
	const char *s = archive_error_string(a);
	return error_set(err, -EINVAL, "invalid archive: %s: %s", what, s ? s : "unexpected end of data");
}

static int extract_all(struct archive *a, int root, struct error *err)
{
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		char path[4096];
		if (!name || clean_path(name, path, sizeof(path)) < 0)
			return error_set(err, -EINVAL, "invalid archive: member %s is outside the archive",
					 name ? name : "(unnamed)");
		if (!path[0])
			continue;
		int e2 = extract_entry(a, e, root, path);
		if (e2 == -EIO)
			return archive_err(a, path, err);
		if (e2 < 0)
			return error_set(err, e2 == -EXDEV || e2 == -ELOOP ? -EINVAL : e2,
					 "invalid archive: cannot extract %s: %s", path, strerror(-e2));
	}
	return r == ARCHIVE_EOF ? 0 : archive_err(a, "cannot read", err);
}

int image_archive_extract(int fd, const char *dir, struct error *err)
{
	_cleanup_close_ int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return error_set(err, -errno, "cannot open %s: %m", dir);
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	int r;
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		r = archive_err(a, "cannot read", err);
	else
		r = extract_all(a, root, err);
	archive_read_free(a);
	return r;
}
