/* Storage drivers against the real kernel (runs as root): layers, container
 * entries, copy-on-write isolation, mount counting, cleanup after a crash,
 * deep images, removal of immutable files. Data roots are scratch dirs under
 * /var/tmp (overlay needs a real filesystem), removed by the teardown, which
 * also detaches any mount a failed test left. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/archive.h"
#include "storage/driver.h"
#include "storage/fsops.h"

struct fx {
	char root[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->root, "/var/tmp/berth-storage-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct error err = ERROR_INIT;
	storage_unmount_below(f->root, &err);
	error_clear(&err);
	fsops_remove(f->root, &err);
	error_clear(&err);
	free(f);
	return 0;
}

/* Mounts listed in mountinfo at or below dir. */
static int mounts_below(const char *dir)
{
	FILE *mi = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), mi))
		n += strstr(line, dir) != NULL;
	fclose(mi);
	return n;
}

static struct storage_driver *open_drv(struct fx *f, const char *name)
{
	struct storage_driver *drv = NULL;
	struct error err = ERROR_INIT;
	if (storage_driver_open(name, f->root, &drv, &err) < 0)
		fail_msg("open %s: %s", name, error_msg(&err));
	return drv;
}

static void ok(int r, struct error *err, const char *what)
{
	if (r < 0)
		fail_msg("%s: %s", what, error_msg(err));
	error_clear(err);
}

/* Writes a tar of (name, content) pairs; content NULL: a whiteout name. */
static void apply_files(struct storage_driver *drv, const char *id, const char *const *pairs)
{
	char tmpl[] = "/var/tmp/berth-layer-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	unlink(tmpl);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (; *pairs; pairs += 2) {
		struct archive_entry *e = archive_entry_new();
		size_t len = strlen(pairs[1]);
		archive_entry_set_pathname(e, pairs[0]);
		archive_entry_set_mode(e, AE_IFREG | 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		archive_write_data(a, pairs[1], len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	struct error err = ERROR_INIT;
	char *diff = NULL;
	ok(storage_diff_path(drv, id, &diff, &err), &err, "diff path");
	struct layer_digest dg;
	ok(archive_apply_layer(fd, diff, storage_driver_whiteouts(drv), -1, &dg, &err), &err,
	   "apply");
	close(fd);
	free(diff);
}

static void create(struct storage_driver *drv, const char *id, const char *parent)
{
	struct error err = ERROR_INIT;
	ok(storage_create(drv, id, parent, &err), &err, id);
}

static char *mount_id(struct storage_driver *drv, const char *id)
{
	struct error err = ERROR_INIT;
	char *p = NULL;
	ok(storage_mount(drv, id, &p, &err), &err, id);
	return p;
}

static void unmount_id(struct storage_driver *drv, const char *id)
{
	struct error err = ERROR_INIT;
	ok(storage_unmount(drv, id, &err), &err, id);
}

static void remove_id(struct storage_driver *drv, const char *id)
{
	struct error err = ERROR_INIT;
	ok(storage_remove(drv, id, &err), &err, id);
}

static bool has(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static char *slurp(const char *dir, const char *rel)
{
	char p[512], *s = NULL;
	size_t n = 0;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *fp = fopen(p, "r");
	if (!fp)
		return strdup("");
	getdelim(&s, &n, '\0', fp);
	fclose(fp);
	return s ? s : strdup("");
}

static void write_in(const char *dir, const char *rel, const char *data)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(data, fp);
	fclose(fp);
}

static char *diff_of(struct storage_driver *drv, const char *id)
{
	struct error err = ERROR_INIT;
	char *p = NULL;
	ok(storage_diff_path(drv, id, &p, &err), &err, "diff");
	return p;
}

/* The scenario both drivers must pass: two layers, two containers, one
 * container's writes invisible to the layers and to the other container. */
static void cow_scenario(struct fx *f, const char *driver)
{
	struct storage_driver *drv = open_drv(f, driver);
	const char *const l1[] = {"etc/a", "A1", "etc/b", "B1", "keep", "k", NULL};
	const char *const l2[] = {"etc/.wh.a", "", "etc/b", "B2", "new", "n", NULL};
	create(drv, "L1", NULL);
	apply_files(drv, "L1", l1);
	create(drv, "L2", "L1");
	apply_files(drv, "L2", l2);
	create(drv, "C1", "L2");
	create(drv, "C2", "L2");
	struct error err = ERROR_INIT;
	assert_int_equal(storage_create(drv, "C1", "L2", &err), -EEXIST);
	error_clear(&err);
	assert_int_equal(storage_create(drv, "X", "nope", &err), -ENOENT);
	error_clear(&err);
	assert_int_equal(storage_create(drv, "../x", NULL, &err), -EINVAL);
	error_clear(&err);

	char *m1 = mount_id(drv, "C1"), *m2 = mount_id(drv, "C2");
	char *again = mount_id(drv, "C1"); /* counted: a second user */
	assert_string_equal(m1, again);
	assert_false(has(m1, "etc/a"));
	char *b = slurp(m1, "etc/b");
	assert_string_equal(b, "B2");
	free(b);
	assert_true(has(m1, "keep") && has(m1, "new"));
	write_in(m1, "etc/b", "container");
	write_in(m1, "written", "w");
	b = slurp(m2, "etc/b");
	assert_string_equal(b, "B2");
	free(b);
	assert_false(has(m2, "written"));
	char *d1 = diff_of(drv, "L1"), *d2 = diff_of(drv, "L2");
	b = slurp(d2, "etc/b");
	assert_string_equal(b, "B2");
	free(b);
	b = slurp(d1, "etc/b");
	assert_string_equal(b, "B1");
	free(b);
	assert_false(has(d1, "written") || has(d2, "written"));

	int64_t size = 0;
	ok(storage_diff_size(drv, "L1", &size, &err), &err, "size");
	assert_int_equal(size, 5);

	unmount_id(drv, "C1");
	assert_true(has(m1, "etc")); /* still mounted: one user left */
	unmount_id(drv, "C1");
	unmount_id(drv, "C2");
	if (!strcmp(driver, "overlay2"))
		assert_int_equal(mounts_below(f->root), 0);
	/* Remounting shows the container's writes again. */
	m2 = (free(m2), mount_id(drv, "C1"));
	b = slurp(m2, "written");
	assert_string_equal(b, "w");
	free(b);
	remove_id(drv, "C1"); /* unmounts first */
	assert_int_equal(mounts_below(f->root), 0);
	assert_false(storage_exists(drv, "C1"));
	remove_id(drv, "C1"); /* gone already: fine */
	remove_id(drv, "C2");
	remove_id(drv, "L2");
	remove_id(drv, "L1");
	assert_false(storage_exists(drv, "L1"));
	free(m1);
	free(m2);
	free(again);
	free(d1);
	free(d2);
	storage_driver_close(drv);
}

static void test_overlay2_cow(void **state)
{
	cow_scenario(*state, "overlay2");
	struct fx *f = *state;
	char l[128];
	snprintf(l, sizeof(l), "%s/overlay2/l", f->root);
	struct error err = ERROR_INIT;
	/* Every short link went with its entry. */
	int64_t n = 1;
	ok(fsops_tree_size(l, &n, &err), &err, "size");
	assert_true(rmdir(l) == 0);
}

static void test_vfs_cow(void **state)
{
	cow_scenario(*state, "vfs");
}

static void test_overlay2_status_and_layout(void **state)
{
	struct fx *f = *state;
	struct storage_driver *drv = open_drv(f, "overlay2");
	json_t *st = storage_driver_status(drv);
	char *s = json_dumps(st, JSON_COMPACT);
	assert_non_null(strstr(s, "[\"Backing Filesystem\",\"extfs\"]"));
	assert_non_null(strstr(s, "[\"Supports d_type\",\"true\"]"));
	assert_non_null(strstr(s, "[\"userxattr\",\"false\"]"));
	free(s);
	json_decref(st);
	create(drv, "base", NULL);
	create(drv, "child", "base");
	char p[256], link[64] = "", lower[128] = "";
	snprintf(p, sizeof(p), "%s/overlay2/child/lower", f->root);
	FILE *fp = fopen(p, "r");
	assert_non_null(fgets(lower, sizeof(lower), fp));
	fclose(fp);
	snprintf(p, sizeof(p), "%s/overlay2/base/link", f->root);
	fp = fopen(p, "r");
	assert_non_null(fgets(link, sizeof(link), fp));
	fclose(fp);
	assert_int_equal(strlen(link), 26);
	assert_true(!strncmp(lower, "l/", 2) && !strcmp(lower + 2, link));
	snprintf(p, sizeof(p), "%s/overlay2/base/committed", f->root);
	struct stat before, after;
	assert_int_equal(stat(p, &before), 0);
	/* A second child leaves the parent's marker as it is (no rewrite). */
	create(drv, "child2", "base");
	assert_int_equal(stat(p, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	/* GraphDriver.Data: a child's LowerDir is its parent's diff. */
	json_t *md = storage_metadata(drv, "child");
	snprintf(p, sizeof(p), "%s/overlay2/base/diff", f->root);
	assert_string_equal(json_string_value(json_object_get(md, "LowerDir")), p);
	snprintf(p, sizeof(p), "%s/overlay2/child/diff", f->root);
	assert_string_equal(json_string_value(json_object_get(md, "UpperDir")), p);
	json_decref(md);
	md = storage_metadata(drv, "base");
	assert_null(json_object_get(md, "LowerDir"));
	json_decref(md);
	md = storage_metadata(drv, "nosuch");
	assert_true(json_is_null(md));
	json_decref(md);
	/* A base layer's "mount" is its diff dir: nothing to mount. */
	char *m = mount_id(drv, "base");
	assert_non_null(strstr(m, "/base/diff"));
	unmount_id(drv, "base");
	free(m);
	json_t *v = storage_driver_status(drv);
	json_decref(v);
	storage_driver_close(drv);
	drv = open_drv(f, "vfs");
	st = storage_driver_status(drv);
	assert_int_equal(json_array_size(st), 0);
	json_decref(st);
	storage_driver_close(drv);
}

/* A daemon killed with a container mounted and an entry half-made: the
 * next start's cleanup detaches the mount and drops what is not kept. */
static void test_cleanup_after_crash(void **state)
{
	struct fx *f = *state;
	struct storage_driver *old = open_drv(f, "overlay2");
	create(old, "L", NULL);
	create(old, "C", "L");
	create(old, "orphan", "L");
	char *m = mount_id(old, "C");
	free(m);
	char p[256];
	snprintf(p, sizeof(p), "%s/overlay2/half.tmp-create", f->root);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_true(mounts_below(f->root) >= 1);
	/* "restart": a new driver object knows nothing of the old mount */
	struct storage_driver *drv = open_drv(f, "overlay2");
	const char *keep[] = {"L", "C", NULL};
	struct error err = ERROR_INIT;
	ok(storage_cleanup(drv, keep, &err), &err, "cleanup");
	assert_int_equal(mounts_below(f->root), 0);
	assert_true(storage_exists(drv, "L") && storage_exists(drv, "C"));
	assert_false(storage_exists(drv, "orphan"));
	assert_int_equal(access(p, F_OK), -1);
	m = mount_id(drv, "C");
	unmount_id(drv, "C");
	free(m);
	storage_driver_close(old);
	storage_driver_close(drv);

	struct storage_driver *vfs = open_drv(f, "vfs");
	create(vfs, "keepme", NULL);
	create(vfs, "drop", NULL);
	snprintf(p, sizeof(p), "%s/vfs/dir/x.tmp-rm", f->root);
	assert_int_equal(mkdir(p, 0700), 0);
	const char *keep2[] = {"keepme", NULL};
	ok(storage_cleanup(vfs, keep2, &err), &err, "cleanup vfs");
	assert_true(storage_exists(vfs, "keepme"));
	assert_false(storage_exists(vfs, "drop"));
	assert_int_equal(access(p, F_OK), -1);
	storage_driver_close(vfs);
}

/* More lower dirs than fit in a page of mount options: the fsconfig path. */
static void test_overlay2_deep_image(void **state)
{
	struct fx *f = *state;
	struct storage_driver *drv = open_drv(f, "overlay2");
	char id[32], parent[32] = "";
	const char *const bottom[] = {"bottom", "b", NULL};
	for (int i = 0; i < 90; i++) {
		snprintf(id, sizeof(id), "layer%02d", i);
		create(drv, id, i ? parent : NULL);
		if (i == 0)
			apply_files(drv, id, bottom);
		strcpy(parent, id);
	}
	create(drv, "ctr", parent);
	char *m = mount_id(drv, "ctr");
	char *b = slurp(m, "bottom");
	assert_string_equal(b, "b");
	free(b);
	write_in(m, "top", "t");
	unmount_id(drv, "ctr");
	assert_int_equal(mounts_below(f->root), 0);
	free(m);
	storage_driver_close(drv);
}

/* overlay cannot stack its upper dir on overlayfs: refuse clearly. */
static void test_overlay2_refuses_overlayfs(void **state)
{
	struct fx *f = *state;
	struct storage_driver *drv = open_drv(f, "overlay2");
	create(drv, "L", NULL);
	create(drv, "C", "L");
	char *m = mount_id(drv, "C");
	struct storage_driver *inner = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(storage_driver_open("overlay2", m, &inner, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "overlayfs"));
	error_clear(&err);
	assert_int_equal(storage_driver_open("zfs", m, &inner, &err), -EINVAL);
	error_clear(&err);
	ok(storage_driver_open("vfs", m, &inner, &err), &err, "vfs on overlay");
	storage_driver_close(inner);
	unmount_id(drv, "C");
	free(m);
	storage_driver_close(drv);
}

/* vfs copies: every kind of file and its metadata survives; immutable
 * files do not stop removal. */
static void test_vfs_copy_and_remove(void **state)
{
	struct fx *f = *state;
	struct storage_driver *drv = open_drv(f, "vfs");
	create(drv, "P", NULL);
	char *d = diff_of(drv, "P"), p[256], q[256];
	write_in(d, "file", "data");
	snprintf(p, sizeof(p), "%s/file", d);
	assert_int_equal(chown(p, 12, 34), 0);
	assert_int_equal(chmod(p, 04710), 0);
	assert_int_equal(setxattr(p, "user.k", "v", 1, 0), 0);
	snprintf(q, sizeof(q), "%s/hard", d);
	assert_int_equal(link(p, q), 0);
	snprintf(q, sizeof(q), "%s/sym", d);
	assert_int_equal(symlink("/nowhere", q), 0);
	snprintf(q, sizeof(q), "%s/dev", d);
	assert_int_equal(mknod(q, S_IFBLK | 0600, makedev(7, 9)), 0);
	snprintf(q, sizeof(q), "%s/fifo", d);
	assert_int_equal(mkfifo(q, 0640), 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", d);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	snprintf(q, sizeof(q), "%s/ro", d);
	assert_int_equal(mkdir(q, 0500), 0);
	struct timespec ts[2] = {{1500000000, 0}, {1500000000, 0}};
	assert_int_equal(utimensat(AT_FDCWD, q, ts, 0), 0);
	create(drv, "C", "P");
	char *c = diff_of(drv, "C");
	struct stat a, b;
	snprintf(q, sizeof(q), "%s/file", c);
	assert_int_equal(lstat(q, &a), 0);
	assert_true(a.st_uid == 12 && a.st_gid == 34 && (a.st_mode & 07777) == 04710);
	assert_int_equal(a.st_nlink, 2);
	char v[8];
	assert_int_equal(getxattr(q, "user.k", v, sizeof(v)), 1);
	snprintf(q, sizeof(q), "%s/hard", c);
	assert_int_equal(lstat(q, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	snprintf(q, sizeof(q), "%s/sym", c);
	assert_int_equal(readlink(q, v, sizeof(v)), 8);
	snprintf(q, sizeof(q), "%s/dev", c);
	assert_int_equal(lstat(q, &a), 0);
	assert_true(S_ISBLK(a.st_mode) && a.st_rdev == makedev(7, 9));
	snprintf(q, sizeof(q), "%s/fifo", c);
	assert_int_equal(lstat(q, &a), 0);
	assert_true(S_ISFIFO(a.st_mode));
	snprintf(q, sizeof(q), "%s/sock", c);
	assert_int_equal(lstat(q, &a), 0);
	assert_true(S_ISSOCK(a.st_mode));
	snprintf(q, sizeof(q), "%s/ro", c);
	assert_int_equal(lstat(q, &a), 0);
	assert_true((a.st_mode & 07777) == 0500 && a.st_mtime == 1500000000);
	/* the child's writes stay in the child */
	write_in(c, "file", "changed");
	char *x = slurp(d, "file");
	assert_string_equal(x, "data");
	free(x);
	/* an immutable file inside a read-only dir */
	snprintf(q, sizeof(q), "%s/ro", c);
	chmod(q, 0700);
	write_in(q, "locked", "l");
	chmod(q, 0500);
	snprintf(q, sizeof(q), "%s/ro/locked", c);
	int fd = open(q, O_RDONLY);
	int flags = FS_IMMUTABLE_FL;
	assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
	close(fd);
	remove_id(drv, "C");
	assert_false(storage_exists(drv, "C"));
	remove_id(drv, "P");
	free(d);
	free(c);
	storage_driver_close(drv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_overlay2_cow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vfs_cow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlay2_status_and_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cleanup_after_crash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlay2_deep_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlay2_refuses_overlayfs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vfs_copy_and_remove, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
