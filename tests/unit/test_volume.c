/* Tests of the local volume driver: names, driver options, the store's
 * metadata across a reopen, crash leftovers, references, prune and
 * copy-up (owners, modes, xattrs, links). Each test has its own temporary
 * data root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "shared/filters.h"
#include "volume/volume_store.h"

static void expect_name_error(const char *name, const char *want)
{
	struct error err = ERROR_INIT;
	assert_int_equal(volume_name_validate(name, &err), -EINVAL);
	assert_string_equal(err.msg, want);
	error_clear(&err);
}

static void test_names(void **state)
{
	assert_int_equal(volume_name_validate("ab", NULL), 0);
	assert_int_equal(volume_name_validate("my-vol_1.data", NULL), 0);
	assert_int_equal(volume_name_validate("0a", NULL), 0);
	expect_name_error("a", "volume name is too short, names should be at least two "
			       "alphanumeric characters");
	expect_name_error("a*b", "\"a*b\" includes invalid characters for a local volume name, "
				 "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
				 "to pass a host directory, use absolute path");
	assert_int_equal(volume_name_validate("_ab", NULL), -EINVAL);
	assert_int_equal(volume_name_validate(".ab", NULL), -EINVAL);
	assert_int_equal(volume_name_validate("a/b", NULL), -EINVAL);
	assert_int_equal(volume_name_validate("", NULL), -EINVAL);
}

static void expect_opts_error(const char *json, const char *want)
{
	json_t *o = json_loads(json, 0, NULL);
	struct error err = ERROR_INIT;
	assert_int_equal(volume_opts_parse(o, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, want);
	error_clear(&err);
	json_decref(o);
}

static void test_opts(void **state)
{
	expect_opts_error("{\"bogus\":\"1\"}", "invalid option: \"bogus\"");
	expect_opts_error("{\"type\":\"tmpfs\"}", "missing required option: \"device\"");
	expect_opts_error("{\"o\":\"size=1m\"}", "missing required option: \"device\"");
	expect_opts_error("{\"device\":\"/tmp\",\"o\":\"bind\"}",
			  "missing required option: \"type\"");
	assert_int_equal(volume_opts_parse(NULL, NULL, NULL), 0);

	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "tmpfs", "device", "tmpfs", "o",
			      "size=10m,ro,nosuid,uid=1000");
	struct volume_mount_opts m;
	assert_int_equal(volume_opts_parse(o, &m, NULL), 0);
	assert_string_equal(m.type, "tmpfs");
	assert_string_equal(m.device, "tmpfs");
	assert_int_equal(m.flags, MS_RDONLY | MS_NOSUID);
	assert_string_equal(m.data, "size=10m,uid=1000");
	volume_mount_opts_done(&m);
	json_decref(o);

	o = json_pack("{s:s, s:s, s:s}", "type", "none", "device", "/srv", "o", "rbind,ro,rw");
	assert_int_equal(volume_opts_parse(o, &m, NULL), 0);
	assert_int_equal(m.flags, MS_BIND | MS_REC);
	assert_string_equal(m.data, "");
	volume_mount_opts_done(&m);
	json_decref(o);
}

struct fixture {
	char dir[64];
	char root[96];
	struct volume_store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/berth-test-volume-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root, sizeof(f->root), "%s/volumes", f->dir);
	assert_int_equal(volume_store_open(f->root, NULL, &f->s, NULL), 0);
	*state = f;
	return 0;
}

static int rm_tree(const char *p)
{
	char cmd[256];
	/* Test cleanup only: the code under test never shells out. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	return system(cmd);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	volume_store_close(f->s);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static json_t *inspect(struct volume_store *s, const char *name)
{
	json_t *j = NULL;
	assert_int_equal(volume_inspect_json(s, name, &j, NULL), 0);
	return j;
}

static void test_create_reopen(void **state)
{
	struct fixture *f = *state;
	json_t *labels = json_pack("{s:s, s:s}", "a", "b", "c", "");
	json_t *opts = json_pack("{s:s, s:s, s:s}", "type", "tmpfs", "device", "tmpfs", "o",
				 "size=1m");
	bool created = false;
	char *name = NULL;
	assert_int_equal(volume_create(f->s, "vol1", NULL, opts, labels, &name, &created, NULL), 0);
	assert_true(created);
	assert_string_equal(name, "vol1");
	free(name);
	/* Creating it again returns the existing one, as dockerd does. */
	assert_int_equal(volume_create(f->s, "vol1", "local", NULL, NULL, NULL, &created, NULL), 0);
	assert_false(created);
	char *anon = NULL;
	assert_int_equal(volume_create(f->s, NULL, NULL, NULL, NULL, &anon, NULL, NULL), 0);
	assert_int_equal(strlen(anon), 64);
	assert_int_equal(strspn(anon, "0123456789abcdef"), 64);

	json_t *before = inspect(f->s, "vol1");
	volume_store_close(f->s);
	assert_int_equal(volume_store_open(f->root, NULL, &f->s, NULL), 0);
	json_t *after = inspect(f->s, "vol1");
	assert_true(json_equal(before, after));
	assert_string_equal(json_string_value(json_object_get(after, "Scope")), "local");
	assert_string_equal(json_string_value(json_object_get(json_object_get(after, "Labels"),
							      "a")),
			    "b");
	char want_mp[256];
	snprintf(want_mp, sizeof(want_mp), "%s/vol1/_data", f->root);
	assert_string_equal(json_string_value(json_object_get(after, "Mountpoint")), want_mp);
	assert_true(volume_exists(f->s, anon));
	json_t *anon_j = inspect(f->s, anon);
	assert_true(json_is_null(json_object_get(anon_j, "Labels")));
	assert_true(json_is_null(json_object_get(anon_j, "Options")));
	json_decref(anon_j);
	free(anon);
	json_decref(before);
	json_decref(after);
	json_decref(labels);
	json_decref(opts);
}

static void test_create_errors(void **state)
{
	struct fixture *f = *state;
	struct error err = ERROR_INIT;
	assert_int_equal(volume_create(f->s, "xx", "foo", NULL, NULL, NULL, NULL, &err), -ENOENT);
	assert_string_equal(err.msg,
			    "create xx: error looking up volume plugin foo: plugin \"foo\" not found");
	error_clear(&err);
	json_t *bad = json_pack("{s:s}", "bogus", "1");
	assert_int_equal(volume_create(f->s, "xx", NULL, bad, NULL, NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "create xx: invalid option: \"bogus\"");
	error_clear(&err);
	json_decref(bad);
	assert_int_equal(volume_create(f->s, "a", NULL, NULL, NULL, NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "create a: volume name is too short"));
	error_clear(&err);
	assert_false(volume_exists(f->s, "xx"));
}

static void test_crash_leftovers(void **state)
{
	struct fixture *f = *state;
	char p[256];
	/* A create and a remove interrupted by a crash. */
	snprintf(p, sizeof(p), "%s/.tmp-half", f->root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/.tmp-half/_data", f->root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/.trash-gone", f->root);
	assert_int_equal(mkdir(p, 0755), 0);
	volume_store_close(f->s);
	assert_int_equal(volume_store_open(f->root, NULL, &f->s, NULL), 0);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/.tmp-half", f->root);
	assert_int_equal(access(p, F_OK), -1);
	assert_false(volume_exists(f->s, "half"));
}

static void test_refs_remove_prune(void **state)
{
	struct fixture *f = *state;
	json_t *lab = json_pack("{s:s}", "keep", "1");
	assert_int_equal(volume_create(f->s, "used", NULL, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(volume_create(f->s, "free1", NULL, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(volume_create(f->s, "kept", NULL, NULL, lab, NULL, NULL, NULL), 0);
	assert_int_equal(volume_ref(f->s, "used", "c1", NULL), 0);
	assert_int_equal(volume_ref(f->s, "used", "c2", NULL), 0);
	assert_int_equal(volume_ref(f->s, "used", "c1", NULL), 0);
	assert_true(volume_store_in_use(f->s, "used"));

	struct error err = ERROR_INIT;
	assert_int_equal(volume_remove(f->s, "used", false, &err), -EBUSY);
	assert_string_equal(err.msg, "remove used: volume is in use - [c1, c2]");
	error_clear(&err);
	assert_int_equal(volume_remove(f->s, "nope", false, &err), -ENOENT);
	assert_string_equal(err.msg, "get nope: no such volume");
	error_clear(&err);
	assert_int_equal(volume_remove(f->s, "nope", true, NULL), 0);

	/* dangling filter and label filter. */
	struct filters *fl = NULL;
	assert_int_equal(filters_parse("{\"dangling\":[\"true\"]}", &fl, NULL), 0);
	json_t *list = NULL;
	assert_int_equal(volume_list_json(f->s, fl, &list, NULL), 0);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	filters_free(fl);
	assert_int_equal(filters_parse("{\"bogus\":[\"1\"]}", &fl, NULL), 0);
	assert_int_equal(volume_list_json(f->s, fl, &list, &err), -EINVAL);
	assert_string_equal(err.msg, "Invalid filter 'bogus'");
	error_clear(&err);
	filters_free(fl);

	char data[256];
	snprintf(data, sizeof(data), "%s/free1/_data/file", f->root);
	FILE *fp = fopen(data, "w");
	fputs("12345", fp);
	fclose(fp);
	assert_int_equal(filters_parse("{\"label!\":[\"keep\"]}", &fl, NULL), 0);
	json_t *deleted = NULL;
	uint64_t reclaimed = 0;
	assert_int_equal(volume_prune(f->s, fl, &deleted, &reclaimed, NULL), 0);
	filters_free(fl);
	assert_int_equal(json_array_size(deleted), 1);
	assert_string_equal(json_string_value(json_array_get(deleted, 0)), "free1");
	assert_int_equal(reclaimed, 5);
	json_decref(deleted);
	assert_true(volume_exists(f->s, "kept"));

	assert_int_equal(volume_unref(f->s, "used", "c1"), 0);
	assert_int_equal(volume_unref(f->s, "used", "c2"), 0);
	assert_false(volume_store_in_use(f->s, "used"));
	assert_int_equal(volume_remove(f->s, "used", false, NULL), 0);
	assert_false(volume_exists(f->s, "used"));
	json_decref(lab);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static void make_source(const char *src)
{
	char p[256], q[256];
	assert_int_equal(mkdir(src, 0750), 0);
	snprintf(p, sizeof(p), "%s/etc", src);
	assert_int_equal(mkdir(p, 0711), 0);
	snprintf(p, sizeof(p), "%s/etc/conf", src);
	write_file(p, "hello", 0640);
	assert_int_equal(lchown(p, 1234, 5678), 0);
	setxattr(p, "user.berth", "x1", 2, 0); /* tmpfs on old kernels lacks user.* */
	snprintf(q, sizeof(q), "%s/etc/hard", src);
	assert_int_equal(link(p, q), 0);
	snprintf(q, sizeof(q), "%s/etc/sym", src);
	assert_int_equal(symlink("conf", q), 0);
	snprintf(p, sizeof(p), "%s/fifo", src);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(chown(src, 42, 43), 0);
}

static void test_copy_up(void **state)
{
	struct fixture *f = *state;
	char src[128], p[256], q[256];
	snprintf(src, sizeof(src), "%s/src", f->dir);
	make_source(src);
	assert_int_equal(volume_create(f->s, "cv", NULL, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(volume_copy_up(f->s, "cv", src, NULL), 0);

	struct stat st, st2;
	snprintf(p, sizeof(p), "%s/cv/_data", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 42);
	assert_int_equal(st.st_mode & 07777, 0750);
	snprintf(p, sizeof(p), "%s/cv/_data/etc", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	snprintf(p, sizeof(p), "%s/cv/_data/etc/conf", f->root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 5);
	char x[8] = {0};
	char sp[256];
	snprintf(sp, sizeof(sp), "%s/etc/conf", src);
	if (getxattr(sp, "user.berth", x, sizeof(x)) == 2) {
		memset(x, 0, sizeof(x));
		assert_int_equal(getxattr(p, "user.berth", x, sizeof(x)), 2);
		assert_string_equal(x, "x1");
	}
	snprintf(q, sizeof(q), "%s/cv/_data/etc/hard", f->root);
	assert_int_equal(stat(q, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	snprintf(q, sizeof(q), "%s/cv/_data/etc/sym", f->root);
	char target[32] = {0};
	assert_int_equal(readlink(q, target, sizeof(target) - 1), 4);
	assert_string_equal(target, "conf");
	snprintf(q, sizeof(q), "%s/cv/_data/fifo", f->root);
	assert_int_equal(lstat(q, &st2), 0);
	assert_true(S_ISFIFO(st2.st_mode));

	/* Copied once: emptying the volume does not bring the content back,
	 * not even after a restart (the metadata remembers). */
	assert_int_equal(unlink(q), 0);
	volume_store_close(f->s);
	assert_int_equal(volume_store_open(f->root, NULL, &f->s, NULL), 0);
	assert_int_equal(volume_copy_up(f->s, "cv", src, NULL), 0);
	assert_int_equal(lstat(q, &st2), -1);

	/* A volume that already has content is left alone. */
	assert_int_equal(volume_create(f->s, "full", NULL, NULL, NULL, NULL, NULL, NULL), 0);
	snprintf(p, sizeof(p), "%s/full/_data/mine", f->root);
	write_file(p, "x", 0600);
	assert_int_equal(volume_copy_up(f->s, "full", src, NULL), 0);
	snprintf(p, sizeof(p), "%s/full/_data/etc", f->root);
	assert_int_equal(access(p, F_OK), -1);

	int64_t size = 0;
	snprintf(p, sizeof(p), "%s/cv/_data", f->root);
	assert_int_equal(volume_dir_size(p, &size), 0);
	assert_int_equal(size, 5 + 4); /* conf once (hard link), the symlink's 4 bytes */

	json_t *df = volume_store_df_json(f->s);
	assert_int_equal(json_array_size(df), 2);
	json_t *u = json_object_get(json_array_get(df, 0), "UsageData");
	assert_true(json_is_integer(json_object_get(u, "Size")));
	assert_int_equal(json_integer_value(json_object_get(u, "RefCount")), 0);
	json_decref(df);
}

static void test_tmpfs_mount(void **state)
{
	struct fixture *f = *state;
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "tmpfs", "device", "tmpfs", "o",
			      "size=1m");
	assert_int_equal(volume_create(f->s, "tv", NULL, o, NULL, NULL, NULL, NULL), 0);
	json_decref(o);
	char *path = NULL;
	struct error err = ERROR_INIT;
	int r = volume_mount(f->s, "tv", &path, &err);
	if (r == -EPERM) { /* not allowed to mount here: nothing to check */
		error_clear(&err);
		skip();
	}
	assert_int_equal(r, 0);
	assert_int_equal(volume_mount(f->s, "tv", NULL, NULL), 0);
	char file[256];
	snprintf(file, sizeof(file), "%s/x", path);
	write_file(file, "abc", 0600);
	assert_int_equal(volume_unmount(f->s, "tv", NULL), 0);
	assert_int_equal(access(file, F_OK), 0); /* still mounted: one user left */
	assert_int_equal(volume_unmount(f->s, "tv", NULL), 0);
	assert_int_equal(access(file, F_OK), -1); /* the tmpfs is gone */
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_opts),
	    cmocka_unit_test_setup_teardown(test_create_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_leftovers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refs_remove_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmpfs_mount, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
