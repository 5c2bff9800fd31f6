/* vfs: every entry is a full copy of its parent's tree, <home>/dir/<id>.
 * Slow and big, but works on any filesystem (including overlayfs) and needs
 * no mounts: "mounting" an entry is handing out its path. Entries are copied
 * into <id>.tmp-create and renamed into place, and renamed to <id>.tmp-rm
 * before removal, so a crash leaves only names storage_cleanup deletes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "storage/driver.h"
#include "storage/fsops.h"

static int vfs_init(struct storage_driver *drv, struct error *err)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/dir", storage_driver_home(drv)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_mkdir_p(dir, 0700, err);
}

static int vfs_entry_path(const struct storage_driver *drv, const char *id, char **ret)
{
	return asprintf(ret, "%s/dir/%s", storage_driver_home(drv), id) < 0 ? -ENOMEM : 0;
}

static int vfs_path(const struct storage_driver *drv, const char *id, const char *suffix,
		    char **ret, struct error *err)
{
	if (asprintf(ret, "%s/dir/%s%s", storage_driver_home(drv), id, suffix) < 0) {
		*ret = NULL;
		return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int vfs_create(struct storage_driver *drv, const char *id, const char *parent,
		      struct error *err)
{
	_cleanup_free_ char *tmp = NULL, *final = NULL, *src = NULL, *dir = NULL;
	int r = vfs_path(drv, id, ".tmp-create", &tmp, err);
	if (r >= 0)
		r = vfs_path(drv, id, "", &final, err);
	if (r >= 0 && parent)
		r = vfs_path(drv, parent, "", &src, err);
	if (r >= 0)
		r = fsops_remove(tmp, err);
	if (r < 0)
		return r;
	if (src)
		r = fsops_copy_tree(src, tmp, err);
	else if (mkdir(tmp, 0755) < 0)
		r = error_set(err, -errno, "mkdir %s: %s", tmp, strerror(errno));
	if (r >= 0 && rename(tmp, final) < 0)
		r = error_set(err, -errno, "rename %s: %s", tmp, strerror(errno));
	if (r < 0) {
		struct error ignored = ERROR_INIT;
		(void)fsops_remove(tmp, &ignored);
		error_clear(&ignored);
		return r;
	}
	if (asprintf(&dir, "%s/dir", storage_driver_home(drv)) >= 0)
		storage_fsync_dir(dir);
	return 0;
}

static int vfs_remove(struct storage_driver *drv, const char *id, struct error *err)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	int r = vfs_path(drv, id, ".tmp-rm", &tmp, err);
	if (r >= 0)
		r = vfs_path(drv, id, "", &path, err);
	if (r >= 0)
		r = fsops_remove(tmp, err);
	if (r < 0)
		return r;
	if (rename(path, tmp) < 0)
		return errno == ENOENT
			   ? 0
			   : error_set(err, -errno, "rename %s: %s", path, strerror(errno));
	return fsops_remove(tmp, err);
}

static int vfs_diff_path(struct storage_driver *drv, const char *id, char **ret, struct error *err)
{
	return vfs_path(drv, id, "", ret, err);
}

static int vfs_mount(struct storage_driver *drv, const char *id, char **ret_path, struct error *err)
{
	return vfs_path(drv, id, "", ret_path, err);
}

static int vfs_unmount(struct storage_driver *drv, const char *id, struct error *err)
{
	return 0;
}

static int vfs_cleanup(struct storage_driver *drv, const char *const *keep_ids, struct error *err)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/dir", storage_driver_home(drv)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	DIR *d = opendir(dir);
	if (!d)
		return error_set(err, -errno, "opendir %s: %s", dir, strerror(errno));
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strcmp(n, ".") && strcmp(n, "..") &&
		    (strstr(n, ".tmp") || !storage_id_kept(keep_ids, n)))
			r = fsops_remove_at(dirfd(d), n, err);
	}
	closedir(d);
	return r;
}

const struct storage_ops storage_vfs_ops = {
    .name = "vfs",
    .whiteouts = WHITEOUT_DELETE,
    .init = vfs_init,
    .status = NULL, /* dockerd's vfs reports no DriverStatus rows */
    .create = vfs_create,
    .remove = vfs_remove,
    .entry_path = vfs_entry_path,
    .diff_path = vfs_diff_path,
    .mount = vfs_mount,
    .unmount = vfs_unmount,
    .cleanup = vfs_cleanup,
};
