/* overlay2: Docker's layout, so the on-disk shape is familiar.
 *
 *   <home>/<id>/diff       this entry's own files (the overlay upper dir)
 *   <home>/<id>/link       a 26-char short name, <home>/l/<short> -> ../<id>/diff
 *   <home>/<id>/lower      "l/<parent short>:l/<grandparent short>:..." (absent: base)
 *   <home>/<id>/work       overlay's work dir (entries with a parent)
 *   <home>/<id>/merged     mount point
 *   <home>/<id>/committed  marks an entry that has children: mounted read-only
 *
 * The short links keep the mount option string of a deep image under a page;
 * when even they do not fit, we pass lower dirs one at a time through the new
 * mount API ("lowerdir+", Linux 6.8) instead of chdir tricks, which would
 * race with other threads. Entries are built as <id>.tmp-create and renamed
 * into place, and renamed to <id>.tmp-rm before removal, so a crash leaves
 * only *.tmp* names that storage_cleanup deletes. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/buf.h"
#include "basic/cleanup.h"
#include "basic/fs.h"
#include "storage/driver.h"
#include "storage/fsops.h"

#define OVERLAY2_LINK_LEN 26
#define OVERLAY2_MAX_DEPTH 128
#define OVERLAYFS_MAGIC 0x794c7630L

struct overlay2_priv {
	char backing_fs[32];
	bool dtype;
	bool index_off;	  /* the kernel knows index=: turn it off as dockerd does */
	bool metacopy;	  /* metacopy on by default: naive diff needed */
	bool native_diff; /* no redirect_dir/metacopy: the upper dir is the diff */
};

static const struct {
	long magic;
	const char *name;
} fs_names[] = {
    {0xEF53, "extfs"},	   {0x58465342, "xfs"},
    {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
    {0x2FC12FC1, "zfs"},   {0xF2F52010, "f2fs"},
    {0x6969, "nfs"},	   {OVERLAYFS_MAGIC, "overlayfs"},
    {0x858458F6, "ramfs"}, {0x73717368, "squashfs"},
    {0x61756673, "aufs"},  {0xF15F, "ecryptfs"},
};

static const char *fs_name(long magic)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_names); i++)
		if (fs_names[i].magic == magic)
			return fs_names[i].name;
	return "<unknown>";
}

static bool sys_param_is(const char *name, char want)
{
	_cleanup_free_ char *path = NULL, *v = NULL;
	if (asprintf(&path, "/sys/module/overlay/parameters/%s", name) < 0)
		return false;
	return fs_read_file(path, 64, &v, NULL) == 0 && v[0] == want;
}

/* d_type lets overlay tell whiteouts from files while reading dirs; without
 * it overlay misbehaves, so dockerd refuses (and so do we). */
static bool probe_dtype(const char *dir)
{
	_cleanup_free_ char *f = NULL;
	if (asprintf(&f, "%s/dtype", dir) < 0)
		return false;
	_cleanup_close_ int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	DIR *d = opendir(dir);
	bool ok = false;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (!strcmp(de->d_name, "dtype"))
			ok = de->d_type == DT_REG;
	if (d)
		closedir(d);
	return ok;
}

/* A real overlay mount in a scratch dir: the only reliable answer to "can
 * this kernel mount overlay on this filesystem". */
static int probe_mount(const char *dir, struct error *err)
{
	static const char *const subs[] = {"l1", "l2", "u", "w", "m"};
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", dir, subs[i]) < 0 || mkdir(p, 0700) < 0)
			return error_set(err, -errno, "mkdir in %s: %s", dir, strerror(errno));
	}
	_cleanup_free_ char *data = NULL, *m = NULL;
	if (asprintf(&data, "lowerdir=%s/l2:%s/l1,upperdir=%s/u,workdir=%s/w", dir, dir, dir, dir) <
		0 ||
	    asprintf(&m, "%s/m", dir) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (mount("overlay", m, "overlay", 0, data) < 0)
		return error_set(err, -ENOTSUP, "the kernel cannot mount overlay on %s: %s", dir,
				 strerror(errno));
	(void)umount2(m, MNT_DETACH);
	return 0;
}

static int overlay2_probe(struct storage_driver *drv, struct overlay2_priv *p, struct error *err)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/check.tmp-XXXXXX", storage_driver_home(drv)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (!mkdtemp(dir))
		return error_set(err, -errno, "mkdtemp %s: %s", dir, strerror(errno));
	p->dtype = probe_dtype(dir);
	int r = p->dtype ? probe_mount(dir, err)
			 : error_set(err, -ENOTSUP,
				     "overlay2 needs d_type support from the backing filesystem "
				     "(%s); use --storage-driver=vfs",
				     p->backing_fs);
	struct error ignored = ERROR_INIT;
	(void)fsops_remove(dir, &ignored);
	error_clear(&ignored);
	return r;
}

static int overlay2_init(struct storage_driver *drv, struct error *err)
{
	const char *home = storage_driver_home(drv);
	struct statfs sfs;
	if (statfs(home, &sfs) < 0)
		return error_set(err, -errno, "statfs %s: %s", home, strerror(errno));
	long magic = (long)sfs.f_type;
	if (magic == OVERLAYFS_MAGIC || magic == 0x61756673L || magic == 0xF15FL)
		return error_set(err, -ENOTSUP,
				 "overlay2 cannot use %s: it is on %s, which cannot be an overlay "
				 "upper layer; use --storage-driver=vfs",
				 home, fs_name(magic));
	struct overlay2_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return error_set(err, -ENOMEM, "out of memory");
	storage_driver_set_priv(drv, p);
	snprintf(p->backing_fs, sizeof(p->backing_fs), "%s", fs_name(magic));
	int r = overlay2_probe(drv, p, err);
	if (r < 0)
		return r;
	p->index_off = access("/sys/module/overlay/parameters/index", F_OK) == 0;
	p->metacopy = sys_param_is("metacopy", 'Y');
	p->native_diff = !p->metacopy && !sys_param_is("redirect_dir", 'Y');
	_cleanup_free_ char *l = NULL;
	if (asprintf(&l, "%s/l", home) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_mkdir_p(l, 0700, err);
}

static void overlay2_status(const struct storage_driver *drv, json_t *rows)
{
	const struct overlay2_priv *p = storage_driver_priv(drv);
	const char *row[][2] = {
	    {"Backing Filesystem", p->backing_fs},
	    {"Supports d_type", p->dtype ? "true" : "false"},
	    {"Using metacopy", p->metacopy ? "true" : "false"},
	    {"Native Overlay Diff", p->native_diff ? "true" : "false"},
	    {"userxattr", "false"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(row); i++)
		json_array_append_new(rows, json_pack("[ss]", row[i][0], row[i][1]));
}

static int overlay2_entry_path(const struct storage_driver *drv, const char *id, char **ret)
{
	return asprintf(ret, "%s/%s", storage_driver_home(drv), id) < 0 ? -ENOMEM : 0;
}

static int sub_path(const struct storage_driver *drv, const char *id, const char *sub, char **ret,
		    struct error *err)
{
	if (asprintf(ret, "%s/%s/%s", storage_driver_home(drv), id, sub) < 0) {
		*ret = NULL;
		return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int overlay2_diff_path(struct storage_driver *drv, const char *id, char **ret,
			      struct error *err)
{
	return sub_path(drv, id, "diff", ret, err);
}

static bool link_valid(const char *s)
{
	return strlen(s) == OVERLAY2_LINK_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == OVERLAY2_LINK_LEN;
}

/* Reads <dir>/<name> (a short file we wrote); -ENOENT when absent. */
static int read_small(const char *dir, const char *name, char **ret)
{
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	return fs_read_file(p, 65536, ret, NULL);
}

/* "l/<parent link>[:<parent lower>]", refusing images deeper than overlay
 * (and the page-sized option string) can stack. */
static int lower_of(const struct storage_driver *drv, const char *parent, char **ret,
		    struct error *err)
{
	_cleanup_free_ char *pdir = NULL, *plink = NULL, *plower = NULL;
	if (overlay2_entry_path(drv, parent, &pdir) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = read_small(pdir, "link", &plink);
	if (r < 0 || !link_valid(plink))
		return error_set(err, r < 0 ? r : -EINVAL, "parent %s has no valid link file",
				 parent);
	r = read_small(pdir, "lower", &plower);
	if (r < 0 && r != -ENOENT)
		return error_set(err, r, "reading lower of %s: %s", parent, strerror(-r));
	size_t depth = 1;
	for (const char *c = plower; c && *c; c++)
		depth += *c == ':';
	if (plower && depth + 1 > OVERLAY2_MAX_DEPTH)
		return error_set(err, -EINVAL, "max depth of %d layers exceeded",
				 OVERLAY2_MAX_DEPTH);
	if (asprintf(ret, "l/%s%s%s", plink, plower ? ":" : "", plower ? plower : "") < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static void random_link(char out[OVERLAY2_LINK_LEN + 1])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char rnd[OVERLAY2_LINK_LEN];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)rand();
	for (size_t i = 0; i < OVERLAY2_LINK_LEN; i++)
		out[i] = b32[rnd[i] & 31];
	out[OVERLAY2_LINK_LEN] = '\0';
}

/* A file of the half-made entry tmp: its rename publishes it. */
static int write_small(const char *dir, const char *name, const char *data, struct error *err)
{
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_write_new(p, data, strlen(data), 0644, err);
}

/* Marks the parent read-only for good, as dockerd does, once: each container
 * made from an image would otherwise rewrite (and fsync) its top layer's
 * marker. */
static int mark_committed(struct storage_driver *drv, const char *parent, struct error *err)
{
	_cleanup_free_ char *p = NULL, *pdir = NULL;
	if (overlay2_entry_path(drv, parent, &pdir) < 0 || asprintf(&p, "%s/committed", pdir) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (access(p, F_OK) == 0)
		return 0;
	return fs_write_atomic(p, "", 0, 0644, err);
}

/* Fills the half-made entry tmp: diff, link, and for children work + lower. */
static int fill_entry(struct storage_driver *drv, const char *tmp, const char *parent,
		      const char *lid, struct error *err)
{
	_cleanup_free_ char *diff = NULL, *work = NULL;
	if (asprintf(&diff, "%s/diff", tmp) < 0 || asprintf(&work, "%s/work", tmp) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (mkdir(diff, 0755) < 0)
		return error_set(err, -errno, "mkdir %s: %s", diff, strerror(errno));
	int r = write_small(tmp, "link", lid, err);
	if (r < 0 || !parent)
		return r;
	if (mkdir(work, 0700) < 0)
		return error_set(err, -errno, "mkdir %s: %s", work, strerror(errno));
	_cleanup_free_ char *lower = NULL;
	if ((r = lower_of(drv, parent, &lower, err)) < 0)
		return r;
	if ((r = write_small(tmp, "lower", lower, err)) < 0)
		return r;
	return mark_committed(drv, parent, err);
}

/* Points a fresh short name at ../<id>/diff; retries the rare collision. */
static int make_link(const char *home, const char *id, char lid[OVERLAY2_LINK_LEN + 1],
		     struct error *err)
{
	_cleanup_free_ char *target = NULL;
	if (asprintf(&target, "../%s/diff", id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	for (int tries = 0; tries < 8; tries++) {
		random_link(lid);
		_cleanup_free_ char *lp = NULL;
		if (asprintf(&lp, "%s/l/%s", home, lid) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		if (symlink(target, lp) == 0)
			return 0;
		if (errno != EEXIST)
			return error_set(err, -errno, "symlink %s: %s", lp, strerror(errno));
	}
	return error_set(err, -EEXIST, "could not pick a free short link name");
}

static void unlink_link(const char *home, const char *lid)
{
	_cleanup_free_ char *lp = NULL;
	if (link_valid(lid) && asprintf(&lp, "%s/l/%s", home, lid) >= 0)
		(void)unlink(lp);
}

static int overlay2_create(struct storage_driver *drv, const char *id, const char *parent,
			   struct error *err)
{
	const char *home = storage_driver_home(drv);
	_cleanup_free_ char *tmp = NULL, *final = NULL;
	if (asprintf(&tmp, "%s/%s.tmp-create", home, id) < 0 ||
	    overlay2_entry_path(drv, id, &final) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fsops_remove(tmp, err);
	if (r < 0)
		return r;
	if (mkdir(tmp, 0710) < 0)
		return error_set(err, -errno, "mkdir %s: %s", tmp, strerror(errno));
	char lid[OVERLAY2_LINK_LEN + 1] = "";
	r = make_link(home, id, lid, err);
	if (r >= 0)
		r = fill_entry(drv, tmp, parent, lid, err);
	if (r >= 0 && rename(tmp, final) < 0)
		r = error_set(err, -errno, "rename %s: %s", tmp, strerror(errno));
	if (r < 0) {
		struct error ignored = ERROR_INIT;
		unlink_link(home, lid);
		(void)fsops_remove(tmp, &ignored);
		error_clear(&ignored);
		return r;
	}
	storage_fsync_dir(home);
	return 0;
}

static int overlay2_remove(struct storage_driver *drv, const char *id, struct error *err)
{
	const char *home = storage_driver_home(drv);
	_cleanup_free_ char *dir = NULL, *tmp = NULL, *lid = NULL;
	if (overlay2_entry_path(drv, id, &dir) < 0 || asprintf(&tmp, "%s/%s.tmp-rm", home, id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fsops_remove(tmp, err);
	if (r < 0)
		return r;
	if (rename(dir, tmp) < 0)
		return errno == ENOENT
			   ? 0
			   : error_set(err, -errno, "rename %s: %s", dir, strerror(errno));
	storage_fsync_dir(home);
	if (read_small(tmp, "link", &lid) == 0)
		unlink_link(home, lid);
	return fsops_remove(tmp, err);
}

/* Joins "<home>/<l/..>" for each lower into "a:b:c". */
static int abs_lowers(const char *home, const char *lower, char **ret)
{
	size_t n = 1;
	for (const char *c = lower; *c; c++)
		n += *c == ':';
	size_t cap = strlen(lower) + n * (strlen(home) + 2) + 1;
	char *out = malloc(cap), *o = out;
	if (!out)
		return -ENOMEM;
	_cleanup_free_ char *copy = strdup(lower);
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save))
		o += sprintf(o, "%s%s/%s", o == out ? "" : ":", home, t);
	*o = '\0';
	*ret = out;
	return copy ? 0 : -ENOMEM;
}

/* The new mount API takes one lower dir per call, so no page-size limit. */
static int mount_fsconfig(const struct overlay2_priv *p, const char *merged, const char *lowers,
			  const char *upper, const char *work)
{
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (p->index_off && fsconfig(fs, FSCONFIG_SET_STRING, "index", "off", 0) < 0)
		return -errno;
	_cleanup_free_ char *copy = strdup(lowers);
	char *save = NULL;
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", t, 0) < 0)
			return -errno;
	if (upper && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
		      fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0 || move_mount(mnt, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int do_mount(const struct overlay2_priv *p, const char *merged, const char *lowers,
		    const char *upper, const char *work)
{
	_cleanup_free_ char *data = NULL;
	int n = upper ? asprintf(&data, "%slowerdir=%s,upperdir=%s,workdir=%s",
				 p->index_off ? "index=off," : "", lowers, upper, work)
		      : asprintf(&data, "%slowerdir=%s", p->index_off ? "index=off," : "", lowers);
	if (n < 0)
		return -ENOMEM;
	if ((long)n < sysconf(_SC_PAGESIZE))
		return mount("overlay", merged, "overlay", 0, data) < 0 ? -errno : 0;
	return mount_fsconfig(p, merged, lowers, upper, work);
}

static int overlay2_mount(struct storage_driver *drv, const char *id, char **ret_path,
			  struct error *err)
{
	const char *home = storage_driver_home(drv);
	_cleanup_free_ char *dir = NULL, *lower = NULL, *diff = NULL, *work = NULL, *merged = NULL;
	_cleanup_free_ char *lowers = NULL, *all = NULL;
	if (overlay2_entry_path(drv, id, &dir) < 0 || asprintf(&diff, "%s/diff", dir) < 0 ||
	    asprintf(&work, "%s/work", dir) < 0 || asprintf(&merged, "%s/merged", dir) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = read_small(dir, "lower", &lower);
	if (r == -ENOENT) { /* a base layer: its diff is the whole tree */
		*ret_path = TAKE_PTR(diff);
		return 0;
	}
	if (r < 0 || abs_lowers(home, lower, &lowers) < 0)
		return error_set(err, r < 0 ? r : -ENOMEM, "reading %s/lower", dir);
	if (mkdir(merged, 0700) < 0 && errno != EEXIST)
		return error_set(err, -errno, "mkdir %s: %s", merged, strerror(errno));
	/* A layer with children must not change under them: mount it read-only. */
	_cleanup_free_ char *committed = NULL;
	bool ro = read_small(dir, "committed", &committed) == 0;
	if (ro && asprintf(&all, "%s:%s", diff, lowers) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	const struct overlay2_priv *p = storage_driver_priv(drv);
	r = ro ? do_mount(p, merged, all, NULL, NULL) : do_mount(p, merged, lowers, diff, work);
	if (r < 0) {
		(void)rmdir(merged);
		return error_set(err, r, "overlay mount on %s: %s", merged, strerror(-r));
	}
	*ret_path = TAKE_PTR(merged);
	return 0;
}

static int overlay2_unmount(struct storage_driver *drv, const char *id, struct error *err)
{
	_cleanup_free_ char *merged = NULL;
	int r = sub_path(drv, id, "merged", &merged, err);
	if (r >= 0)
		r = storage_unmount_below(merged, err);
	if (r < 0)
		return r;
	/* dockerd removes merged too: an empty dir is the sign it is not in use. */
	if (rmdir(merged) < 0 && errno != ENOENT)
		return error_set(err, -errno, "rmdir %s: %s", merged, strerror(errno));
	return 0;
}

/* The parents' diff dirs behind the short links of lower, ':'-joined, as
 * dockerd's getLowerDirs resolves them ("l/X" -> "../<id>/diff"). */
static char *real_lowers(const char *home, const char *lower)
{
	struct buf out = BUF_INIT;
	_cleanup_free_ char *copy = strdup(lower);
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t;
	     t = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *lp = NULL;
		char target[PATH_MAX];
		ssize_t n;
		if (asprintf(&lp, "%s/%s", home, t) < 0 ||
		    (n = readlink(lp, target, sizeof(target) - 1)) < 0 ||
		    strncmp(target, "../", 3) != 0) {
			buf_free(&out);
			return NULL;
		}
		target[n] = '\0';
		buf_appendf(&out, "%s%s/%s", out.len ? ":" : "", home, target + 3);
	}
	if (!copy)
		buf_free(&out);
	return out.data; /* NULL for an empty lower */
}

static json_t *overlay2_metadata(struct storage_driver *drv, const char *id)
{
	_cleanup_free_ char *dir = NULL, *lower = NULL;
	struct stat st;
	if (overlay2_entry_path(drv, id, &dir) < 0 || stat(dir, &st) < 0)
		return NULL;
	json_t *data = json_pack("{s:s+, s:s+, s:s+}", "MergedDir", dir, "/merged", "UpperDir", dir,
				 "/diff", "WorkDir", dir, "/work");
	if (data && read_small(dir, "lower", &lower) == 0) {
		char *lowers = real_lowers(storage_driver_home(drv), lower);
		if (lowers)
			json_object_set_new(data, "LowerDir", json_string(lowers));
		free(lowers);
	}
	return data;
}

/* Drops short links whose entry is gone (a crash between steps). */
static void prune_links(const char *home)
{
	_cleanup_free_ char *l = NULL;
	if (asprintf(&l, "%s/l", home) < 0)
		return;
	_cleanup_close_ int dfd = open(l, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dup(dfd)) : NULL;
	struct dirent *de;
	struct stat st;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && fstatat(dfd, de->d_name, &st, 0) < 0 && errno == ENOENT)
			(void)unlinkat(dfd, de->d_name, 0);
	if (d)
		closedir(d);
}

static int overlay2_cleanup(struct storage_driver *drv, const char *const *keep_ids,
			    struct error *err)
{
	const char *home = storage_driver_home(drv);
	DIR *d = opendir(home);
	if (!d)
		return error_set(err, -errno, "opendir %s: %s", home, strerror(errno));
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "l"))
			continue;
		if (strstr(n, ".tmp"))
			r = fsops_remove_at(dirfd(d), n, err);
		else if (!storage_id_kept(keep_ids, n))
			r = storage_id_valid(n) ? overlay2_remove(drv, n, err)
						: fsops_remove_at(dirfd(d), n, err);
	}
	closedir(d);
	if (r >= 0)
		prune_links(home);
	return r;
}

const struct storage_ops storage_overlay2_ops = {
    .name = "overlay2",
    .whiteouts = WHITEOUT_OVERLAY,
    .init = overlay2_init,
    .status = overlay2_status,
    .create = overlay2_create,
    .remove = overlay2_remove,
    .entry_path = overlay2_entry_path,
    .diff_path = overlay2_diff_path,
    .mount = overlay2_mount,
    .unmount = overlay2_unmount,
    .metadata = overlay2_metadata,
    .cleanup = overlay2_cleanup,
};
