/* Storage driver front: picks overlay2 or vfs by name, validates ids, counts
 * mounts and holds the helpers both drivers share (mountinfo scan, fsync). */
#include "storage/driver.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "storage/fsops.h"

struct mount_ref {
	char *id;
	char *path;
	int count;
};

struct storage_driver {
	const struct storage_ops *ops;
	char *home;
	void *priv;
	/* Mount counts are touched from thread-pool workers: this lock is
	 * the driver's own, never held across anything but mount syscalls. */
	pthread_mutex_t lock;
	struct mount_ref *refs;
	size_t n_refs;
};

static const struct storage_ops *const drivers[] = {&storage_overlay2_ops, &storage_vfs_ops};

bool storage_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 128 || !strcmp(id, ".") || !strcmp(id, "..") || strstr(id, ".tmp"))
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

bool storage_id_kept(const char *const *keep_ids, const char *id)
{
	for (; keep_ids && *keep_ids; keep_ids++)
		if (!strcmp(*keep_ids, id))
			return true;
	return false;
}

void storage_fsync_dir(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		(void)fsync(fd);
}

void *storage_driver_priv(const struct storage_driver *drv)
{
	return drv->priv;
}
void storage_driver_set_priv(struct storage_driver *drv, void *priv)
{
	drv->priv = priv;
}

int storage_driver_open(const char *name, const char *data_root, struct storage_driver **ret,
			struct error *err)
{
	const struct storage_ops *ops = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (name && !strcmp(drivers[i]->name, name))
			ops = drivers[i];
	if (!ops)
		return error_set(err, -EINVAL, "unknown storage driver \"%s\"", name ? name : "");
	struct storage_driver *drv = calloc(1, sizeof(*drv));
	if (!drv)
		return error_set(err, -ENOMEM, "out of memory");
	drv->ops = ops;
	pthread_mutex_init(&drv->lock, NULL);
	int r;
	if (asprintf(&drv->home, "%s/%s", data_root, ops->name) < 0) {
		drv->home = NULL;
		r = error_set(err, -ENOMEM, "out of memory");
	} else if ((r = fs_mkdir_p(drv->home, 0710, err)) >= 0) {
		r = ops->init(drv, err);
	}
	if (r < 0) {
		storage_driver_close(drv);
		return r;
	}
	*ret = drv;
	return 0;
}

void storage_driver_close(struct storage_driver *drv)
{
	if (!drv)
		return;
	for (size_t i = 0; i < drv->n_refs; i++) {
		free(drv->refs[i].id);
		free(drv->refs[i].path);
	}
	free(drv->refs);
	free(drv->priv);
	free(drv->home);
	pthread_mutex_destroy(&drv->lock);
	free(drv);
}

const char *storage_driver_name(const struct storage_driver *drv)
{
	return drv->ops->name;
}
const char *storage_driver_home(const struct storage_driver *drv)
{
	return drv->home;
}

enum whiteout_format storage_driver_whiteouts(const struct storage_driver *drv)
{
	return drv->ops->whiteouts;
}

json_t *storage_driver_status(const struct storage_driver *drv)
{
	json_t *rows = json_array();
	if (rows && drv->ops->status)
		drv->ops->status(drv, rows);
	return rows;
}

static int check_id(const char *id, struct error *err)
{
	if (!storage_id_valid(id))
		return error_set(err, -EINVAL, "invalid storage id \"%s\"", id ? id : "");
	return 0;
}

bool storage_exists(struct storage_driver *drv, const char *id)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;
	return storage_id_valid(id) && drv->ops->entry_path(drv, id, &p) >= 0 && lstat(p, &st) == 0;
}

int storage_create(struct storage_driver *drv, const char *id, const char *parent,
		   struct error *err)
{
	int r = check_id(id, err);
	if (r < 0 || (parent && (r = check_id(parent, err)) < 0))
		return r;
	if (storage_exists(drv, id))
		return error_set(err, -EEXIST, "storage entry %s already exists", id);
	if (parent && !storage_exists(drv, parent))
		return error_set(err, -ENOENT, "parent storage entry %s does not exist", parent);
	r = drv->ops->create(drv, id, parent, err);
	return r < 0 ? (error_wrap(err, "creating %s entry %s", drv->ops->name, id), r) : 0;
}

int storage_check_rw_opts(const struct storage_driver *drv, json_t *opts, struct error *err)
{
	bool vfs = strcmp(drv->ops->name, "vfs") == 0;
	const char *k;
	json_t *v;
	json_object_foreach(opts, k, v)
	{
		bool size = strcasecmp(k, "size") == 0;
		if (vfs && size)
			return error_set(err, -EIO,
					 "Filesystem does not support, or has not enabled quotas");
		if (vfs)
			return error_set(err, -EINVAL, "Storage opt %s not supported", k);
		if (size)
			return error_set(
			    err, -EIO,
			    "--storage-opt is supported only for overlay over xfs with "
			    "'pquota' mount option");
		return error_set(err, -EIO, "Unknown option %s", k);
	}
	return 0;
}

static struct mount_ref *ref_find(struct storage_driver *drv, const char *id)
{
	for (size_t i = 0; i < drv->n_refs; i++)
		if (!strcmp(drv->refs[i].id, id))
			return &drv->refs[i];
	return NULL;
}

static void ref_drop(struct storage_driver *drv, struct mount_ref *ref)
{
	free(ref->id);
	free(ref->path);
	*ref = drv->refs[--drv->n_refs];
}

int storage_remove(struct storage_driver *drv, const char *id, struct error *err)
{
	int r = check_id(id, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&drv->lock);
	struct mount_ref *ref = ref_find(drv, id);
	if (ref)
		ref_drop(drv, ref);
	r = drv->ops->unmount(drv, id, err);
	pthread_mutex_unlock(&drv->lock);
	if (r >= 0)
		r = drv->ops->remove(drv, id, err);
	return r < 0 ? (error_wrap(err, "removing %s entry %s", drv->ops->name, id), r) : 0;
}

json_t *storage_metadata(struct storage_driver *drv, const char *id)
{
	json_t *data =
	    storage_id_valid(id) && drv->ops->metadata ? drv->ops->metadata(drv, id) : NULL;
	return data ? data : json_null();
}

int storage_diff_path(struct storage_driver *drv, const char *id, char **ret, struct error *err)
{
	int r = check_id(id, err);
	if (r < 0)
		return r;
	if (!storage_exists(drv, id))
		return error_set(err, -ENOENT, "storage entry %s does not exist", id);
	return drv->ops->diff_path(drv, id, ret, err);
}

static int mount_locked(struct storage_driver *drv, const char *id, char **ret_path,
			struct error *err)
{
	struct mount_ref *ref = ref_find(drv, id);
	if (!ref) {
		struct mount_ref *refs = realloc(drv->refs, (drv->n_refs + 1) * sizeof(*refs));
		if (!refs)
			return error_set(err, -ENOMEM, "out of memory");
		drv->refs = refs;
		ref = &refs[drv->n_refs];
		*ref = (struct mount_ref){strdup(id), NULL, 0};
		if (!ref->id)
			return error_set(err, -ENOMEM, "out of memory");
		drv->n_refs++;
	}
	if (ref->count == 0) {
		int r = drv->ops->mount(drv, id, &ref->path, err);
		if (r < 0) {
			ref_drop(drv, ref);
			error_wrap(err, "mounting %s entry %s", drv->ops->name, id);
			return r;
		}
	}
	if (!(*ret_path = strdup(ref->path)))
		return error_set(err, -ENOMEM, "out of memory");
	ref->count++;
	return 0;
}

int storage_mount(struct storage_driver *drv, const char *id, char **ret_path, struct error *err)
{
	int r = check_id(id, err);
	if (r < 0)
		return r;
	if (!storage_exists(drv, id))
		return error_set(err, -ENOENT, "storage entry %s does not exist", id);
	pthread_mutex_lock(&drv->lock);
	r = mount_locked(drv, id, ret_path, err);
	pthread_mutex_unlock(&drv->lock);
	return r;
}

int storage_unmount(struct storage_driver *drv, const char *id, struct error *err)
{
	int r = check_id(id, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&drv->lock);
	struct mount_ref *ref = ref_find(drv, id);
	if (ref && --ref->count > 0) {
		pthread_mutex_unlock(&drv->lock);
		return 0;
	}
	if (ref)
		ref_drop(drv, ref);
	r = drv->ops->unmount(drv, id, err);
	pthread_mutex_unlock(&drv->lock);
	return r < 0 ? (error_wrap(err, "unmounting %s entry %s", drv->ops->name, id), r) : 0;
}

int storage_cleanup(struct storage_driver *drv, const char *const *keep_ids, struct error *err)
{
	pthread_mutex_lock(&drv->lock);
	int r = storage_unmount_below(drv->home, err);
	for (size_t i = 0; i < drv->n_refs; i++) {
		free(drv->refs[i].id);
		free(drv->refs[i].path);
	}
	drv->n_refs = 0;
	pthread_mutex_unlock(&drv->lock);
	if (r >= 0)
		r = drv->ops->cleanup(drv, keep_ids, err);
	return r < 0 ? (error_wrap(err, "cleaning up %s", drv->home), r) : 0;
}

int storage_diff_size(struct storage_driver *drv, const char *id, int64_t *ret, struct error *err)
{
	_cleanup_free_ char *p = NULL;
	int r = storage_diff_path(drv, id, &p, err);
	return r < 0 ? r : fsops_tree_size(p, ret, err);
}

/* ---- mountinfo ---- */

/* Decodes mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The mount point (5th field) of a mountinfo line, decoded in place. */
static char *mountinfo_target(char *line)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save);
	for (int i = 1; tok && i < 5; i++)
		tok = strtok_r(NULL, " ", &save);
	if (tok)
		unescape_octal(tok);
	return tok;
}

static bool path_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int storage_unmount_below(const char *dir, struct error *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return error_set(err, -errno, "open /proc/self/mountinfo: %s", strerror(errno));
	char **targets = NULL;
	size_t n = 0;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int r = 0;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char *t = mountinfo_target(line);
		if (!t || !path_below(t, dir))
			continue;
		char **nt = realloc(targets, (n + 1) * sizeof(*nt));
		if (!nt || !(nt[n] = strdup(t))) {
			targets = nt ? nt : targets;
			r = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		targets = nt;
		n++;
	}
	/* mountinfo lists parents before children: undo in reverse. */
	for (size_t i = n; i-- > 0;) {
		if (r == 0 && umount2(targets[i], MNT_DETACH) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			r = error_set(err, -errno, "unmount %s: %s", targets[i], strerror(errno));
		free(targets[i]);
	}
	free(targets);
	return r;
}
