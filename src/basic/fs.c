#include "fs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"

int fs_mkdir_p(const char *path, mode_t mode, struct error *err)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return error_set(err, -ENOMEM, "out of memory");
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return error_set(err, -errno, "mkdir %s: %s", p, strerror(errno));
		*s = saved;
		if (!saved)
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, -ENOTDIR, "%s exists and is not a directory", path);
	return 0;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fsync_dir_of(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return;
	_cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
}

static int write_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync,
			 struct error *err)
{
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-%d", path, getpid()) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return error_set(err, -errno, "create %s: %s", tmp, strerror(errno));
	int r = fs_write_all(fd, data, len);
	if (r == 0 && sync && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return error_set(err, r, "write %s: %s", path, strerror(-r));
	}
	if (sync)
		fsync_dir_of(path);
	return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct error *err)
{
	return write_replace(path, data, len, mode, true, err);
}

int fs_replace(const char *path, const void *data, size_t len, mode_t mode, struct error *err)
{
	return write_replace(path, data, len, mode, false, err);
}

void fs_remove_stale_tmp(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		const char *t = strstr(de->d_name, ".tmp-");
		char *end;
		if (!t || t == de->d_name || !isdigit((unsigned char)t[5]))
			continue;
		long pid = strtol(t + 5, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		unlinkat(dirfd(dh), de->d_name, 0);
	}
	if (dh)
		closedir(dh);
}

int fs_write_new(const char *path, const void *data, size_t len, mode_t mode, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return error_set(err, -errno, "create %s: %s", path, strerror(errno));
	int r = fs_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0)
		return error_set(err, r, "write %s: %s", path, strerror(-r));
	return 0;
}

int fs_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_free_ char *data = malloc(max + 1);
	if (!data)
		return -ENOMEM;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, data + len, max - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == max)
			return -EFBIG;
	}
	data[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(data);
	return 0;
}
