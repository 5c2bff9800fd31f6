/* Secrets and configs on a tmpfs of the container (see secret_mounts.h). */
#include "engine/secret_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "engine/container.h"

#define SECRETS_DIR "secrets"

/* Drops the MountPoints entries of secrets (in memory). */
static void forget_entries(struct container *c)
{
	for (size_t i = json_array_size(c->mounts); i-- > 0;)
		if (json_is_true(json_object_get(json_array_get(c->mounts, i), "Secret")))
			json_array_remove(c->mounts, i);
}

static int unmount_dir(const char *dir, struct error *err)
{
	/* Detached: a container that still holds a bind of a file keeps
	 * its copy until it goes, the directory is free at once. */
	while (umount2(dir, MNT_DETACH) == 0)
		;
	if (errno != EINVAL && errno != ENOENT)
		return error_set(err, -errno, "unmount %s: %m", dir);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return error_set(err, -errno, "remove %s: %m", dir);
	return 0;
}

int container_secrets_clear(struct containers *cs, struct container *c, struct error *err)
{
	_cleanup_free_ char *dir = container_path(cs, c, SECRETS_DIR);
	if (!dir)
		return error_set(err, -ENOMEM, "out of memory");
	forget_entries(c);
	return unmount_dir(dir, err);
}

static int validate(const struct secret_file *files, size_t n, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = files[i].target;
		if (!t || t[0] != '/' || strstr(t, "/../") || !files[i].id ||
		    strchr(files[i].id, '/'))
			return error_set(err, -EINVAL, "invalid secret target %s", t ? t : "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(files[j].target, t) == 0)
				return error_set(err, -EINVAL, "duplicate secret target %s", t);
	}
	return 0;
}

static int write_one(const char *dir, size_t i, const struct secret_file *f, char **ret_path,
		     struct error *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%zu-%s", dir, i, f->id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int fd =
	    open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(err, -errno, "create %s: %m", path);
	for (size_t off = 0; off < f->len;) {
		ssize_t w = write(fd, (const char *)f->data + off, f->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return error_set(err, -errno, "write %s: %m", path);
		off += (size_t)w;
	}
	if (fchown(fd, f->uid, f->gid) < 0 || fchmod(fd, f->mode & 07777) < 0)
		return error_set(err, -errno, "set the owner and mode of %s: %m", path);
	*ret_path = TAKE_PTR(path);
	return 0;
}

/* The tmpfs with every file, read-only at the end; entries added to c. */
static int populate(struct container *c, const char *dir, const struct secret_file *files, size_t n,
		    struct error *err)
{
	if (mkdir(dir, 0700) < 0)
		return error_set(err, -errno, "mkdir %s: %m", dir);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,uid=0,gid=0") < 0)
		return error_set(err, -errno, "mount a tmpfs on %s: %m", dir);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		int r = write_one(dir, i, &files[i], &path, err);
		if (r < 0)
			return r;
		json_array_append_new(c->mounts,
				      json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "Type", "bind",
						"Source", path, "Destination", files[i].target,
						"RW", 0, "Propagation", "rprivate", "Secret", 1));
		free(path);
	}
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return error_set(err, -errno, "remount %s read-only: %m", dir);
	return 0;
}

int container_secrets_set(struct containers *cs, struct container *c,
			  const struct secret_file *files, size_t n, struct error *err)
{
	if (c->state == CONTAINER_RUNNING || c->starting)
		return error_set(err, -EBUSY, "container %s is running", c->id);
	int r = validate(files, n, err);
	if (r == 0)
		r = container_secrets_clear(cs, c, err);
	if (r < 0 || n == 0)
		return r < 0 ? r : container_save(cs, c, err);
	_cleanup_free_ char *dir = container_path(cs, c, SECRETS_DIR);
	if (!dir)
		return error_set(err, -ENOMEM, "out of memory");
	r = populate(c, dir, files, n, err);
	if (r == 0)
		r = container_save(cs, c, err);
	if (r < 0) {
		struct error e2 = ERROR_INIT;
		container_secrets_clear(cs, c, &e2);
		error_clear(&e2);
	}
	return r;
}
