/* Layer tarballs: applying (metadata, whiteouts, diff IDs, refusals),
 * writing a tree back as a tar, and docker diff. Runs as root in scratch
 * dirs under /var/tmp, removed by the teardown even when a test fails. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/archive.h"
#include "image/unpack_archive.h"
#include "storage/fsops.h"

struct fx {
	char dir[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/var/tmp/berth-archive-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct error err = ERROR_INIT;
	fsops_remove(f->dir, &err);
	error_clear(&err);
	free(f);
	return 0;
}

static char *path_in(struct fx *f, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", f->dir, name) > 0);
	return p;
}

/* ---- building tarballs with libarchive's writer ---- */

struct tb {
	struct archive *a;
};

static struct tb tb_open(const char *file)
{
	struct tb t = {archive_write_new()};
	archive_write_set_format_pax_restricted(t.a);
	assert_int_equal(archive_write_open_filename(t.a, file), ARCHIVE_OK);
	return t;
}

static struct archive_entry *ent(const char *name, mode_t mode, int uid, int gid)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_uid(e, uid);
	archive_entry_set_gid(e, gid);
	archive_entry_set_mtime(e, 1600000000, 0);
	return e;
}

static void tb_put(struct tb *t, struct archive_entry *e, const char *data)
{
	if (data)
		archive_entry_set_size(e, (la_int64_t)strlen(data));
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (data)
		assert_int_equal(archive_write_data(t->a, data, strlen(data)),
				 (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

static void tb_file(struct tb *t, const char *name, const char *data)
{
	tb_put(t, ent(name, AE_IFREG | 0644, 0, 0), data);
}

static void tb_dir(struct tb *t, const char *name)
{
	tb_put(t, ent(name, AE_IFDIR | 0755, 0, 0), NULL);
}

static void tb_symlink(struct tb *t, const char *name, const char *target)
{
	struct archive_entry *e = ent(name, AE_IFLNK | 0777, 0, 0);
	archive_entry_set_symlink(e, target);
	tb_put(t, e, NULL);
}

static void tb_hardlink(struct tb *t, const char *name, const char *target)
{
	struct archive_entry *e = ent(name, AE_IFREG | 0644, 0, 0);
	archive_entry_set_hardlink(e, target);
	archive_entry_set_size(e, 0);
	tb_put(t, e, NULL);
}

static void tb_close(struct tb *t)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
}

static char *read_all(const char *file, size_t *len)
{
	int fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	char *buf = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Compresses file into out with a libarchive filter ("gzip", "zstd"). */
static void compress_file(const char *file, const char *out, const char *filter)
{
	size_t len;
	char *data = read_all(file, &len);
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, out), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	free(data);
}

static void sha256_hex(const char *data, size_t len, char out[72])
{
	unsigned char md[32];
	unsigned int n;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	int o = sprintf(out, "sha256:");
	for (unsigned i = 0; i < n; i++)
		o += sprintf(out + o, "%02x", md[i]);
}

static int apply(const char *file, const char *dest, enum whiteout_format wf, int keep_fd,
		 struct layer_digest *dg, struct error *err)
{
	int fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	struct layer_digest ignored;
	int r = archive_apply_layer(fd, dest, wf, keep_fd, dg ? dg : &ignored, err);
	close(fd);
	return r;
}

static char *mkdir_in(struct fx *f, const char *name)
{
	char *p = path_in(f, name);
	assert_int_equal(mkdir(p, 0755), 0);
	return p;
}

static bool exists(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static struct stat st_of(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_int_equal(lstat(p, &st), 0);
	return st;
}

/* ---- tests ---- */

static void build_rich_tar(const char *file)
{
	struct tb t = tb_open(file);
	tb_put(&t, ent("etc/", AE_IFDIR | 0750, 1000, 1001), NULL);
	struct archive_entry *e = ent("etc/passwd", AE_IFREG | 0640, 1, 2);
	archive_entry_xattr_add_entry(e, "user.test", "hello", 5);
	archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/x", 2);
	tb_put(&t, e, "root:x:0:0\n");
	tb_hardlink(&t, "etc/passwd.link", "etc/passwd");
	tb_symlink(&t, "etc/abs", "/etc/passwd");
	e = ent("dev/null", AE_IFCHR | 0666, 0, 0);
	archive_entry_set_rdev(e, makedev(1, 3));
	tb_put(&t, e, NULL);
	tb_put(&t, ent("run/fifo", AE_IFIFO | 0600, 5, 5), NULL);
	tb_put(&t, ent("bin/su", AE_IFREG | 04755, 0, 0), "suid");
	tb_file(&t, "./a/../top", "x");
	tb_close(&t);
}

static void test_apply_keeps_metadata(void **state)
{
	struct fx *f = *state;
	char *tar = path_in(f, "l.tar"), *dest = mkdir_in(f, "root"), *keep = path_in(f, "keep");
	build_rich_tar(tar);
	struct error err = ERROR_INIT;
	struct layer_digest dg;
	int kfd = open(keep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int r = apply(tar, dest, WHITEOUT_DELETE, kfd, &dg, &err);
	close(kfd);
	if (r < 0)
		fail_msg("apply: %s", error_msg(&err));

	struct stat st = st_of(dest, "etc");
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	assert_int_equal(st.st_mtime, 1600000000);
	st = st_of(dest, "etc/passwd");
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, 1);
	assert_int_equal(st.st_gid, 2);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st_of(dest, "etc/passwd.link").st_ino, st.st_ino);
	char v[32], p[512];
	snprintf(p, sizeof(p), "%s/etc/passwd", dest);
	assert_int_equal(getxattr(p, "user.test", v, sizeof(v)), 5);
	assert_memory_equal(v, "hello", 5);
	assert_true(getxattr(p, "trusted.overlay.redirect", v, sizeof(v)) < 0);
	snprintf(p, sizeof(p), "%s/etc/abs", dest);
	ssize_t n = readlink(p, v, sizeof(v));
	assert_int_equal(n, 11);
	assert_memory_equal(v, "/etc/passwd", 11);
	st = st_of(dest, "dev/null");
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	st = st_of(dest, "run/fifo");
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_uid, 5);
	assert_int_equal(st_of(dest, "bin/su").st_mode & 07777, 04755);
	assert_true(exists(dest, "top"));
	assert_int_equal(st_of(dest, "run").st_mode & 07777, 0755);

	size_t len, klen;
	char *data = read_all(tar, &len), *kept = read_all(keep, &klen), want[72];
	sha256_hex(data, len, want);
	assert_string_equal(dg.diff_id, want);
	assert_int_equal(dg.tar_size, (int64_t)len);
	assert_int_equal(dg.size, strlen("root:x:0:0\n") + 4 + 1);
	assert_int_equal(klen, len);
	assert_memory_equal(kept, data, len);
	free(data);
	free(kept);
	free(tar);
	free(dest);
	free(keep);
}

static void check_compressed(struct fx *f, const char *filter)
{
	char *tar = path_in(f, "c.tar"), *z = path_in(f, "c.tar.z"), *keep = path_in(f, "ckeep");
	char *dest = path_in(f, filter);
	assert_int_equal(mkdir(dest, 0755), 0);
	build_rich_tar(tar);
	compress_file(tar, z, filter);
	size_t len, zlen, klen;
	char *data = read_all(tar, &len), *zdata = read_all(z, &zlen), want[72];
	assert_true(zlen != len);
	sha256_hex(data, len, want);
	struct error err = ERROR_INIT;
	struct layer_digest dg;
	int kfd = open(keep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int r = apply(z, dest, WHITEOUT_DELETE, kfd, &dg, &err);
	close(kfd);
	if (r < 0)
		fail_msg("apply %s: %s", filter, error_msg(&err));
	assert_string_equal(dg.diff_id, want);
	char *kept = read_all(keep, &klen);
	assert_int_equal(klen, len);
	assert_memory_equal(kept, data, len);
	assert_true(exists(dest, "etc/passwd.link"));

	/* A truncated stream must fail, not yield a partial layer silently. */
	char *cut = path_in(f, "cut");
	int fd = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, zdata, zlen / 2), (ssize_t)(zlen / 2));
	close(fd);
	char *dest2 = path_in(f, "cutdest");
	mkdir(dest2, 0755);
	r = apply(cut, dest2, WHITEOUT_DELETE, -1, NULL, &err);
	if (r != -EIO || !strstr(error_msg(&err), "truncated or corrupt"))
		fail_msg("%s: %d %s", filter, r, error_msg(&err));
	error_clear(&err);
	free(kept);
	free(data);
	free(zdata);
	free(tar);
	free(z);
	free(keep);
	free(dest);
	free(cut);
	free(dest2);
}

static void test_diff_id_compressed(void **state)
{
	check_compressed(*state, "gzip");
}

static void test_diff_id_zstd(void **state)
{
	check_compressed(*state, "zstd");
}

/* Docker appends zero blocks past the end marker; the diff ID covers them. */
static void test_diff_id_includes_padding(void **state)
{
	struct fx *f = *state;
	char *tar = path_in(f, "p.tar"), *dest = mkdir_in(f, "p");
	struct tb t = tb_open(tar);
	tb_file(&t, "f", "data");
	tb_close(&t);
	int fd = open(tar, O_WRONLY | O_APPEND);
	static const char pad[8192];
	assert_int_equal(write(fd, pad, sizeof(pad)), (ssize_t)sizeof(pad));
	close(fd);
	size_t len;
	char *data = read_all(tar, &len), want[72];
	assert_int_equal(len, 2048 + 8192);
	sha256_hex(data, len, want);
	struct layer_digest dg;
	struct error err = ERROR_INIT;
	assert_int_equal(apply(tar, dest, WHITEOUT_DELETE, -1, &dg, &err), 0);
	assert_string_equal(dg.diff_id, want);
	assert_int_equal(dg.tar_size, (int64_t)len);
	free(data);
	free(tar);
	free(dest);
}

static void build_lower(struct fx *f, const char *dest)
{
	char *tar = path_in(f, "lower.tar");
	struct tb t = tb_open(tar);
	tb_file(&t, "a/x", "x");
	tb_file(&t, "a/y", "y");
	tb_file(&t, "b/z", "z");
	tb_file(&t, "c/keep", "k");
	tb_file(&t, "c/sub/old", "o");
	tb_file(&t, "d/old", "o");
	tb_close(&t);
	struct error err = ERROR_INIT;
	assert_int_equal(apply(tar, dest, WHITEOUT_DELETE, -1, NULL, &err), 0);
	free(tar);
}

/* c's marker comes after its new content, d's before: both must keep it. */
static void build_whiteout_layer(const char *tar)
{
	struct tb t = tb_open(tar);
	tb_file(&t, "a/.wh.x", "");
	tb_file(&t, ".wh.b", "");
	tb_dir(&t, "c/");
	tb_file(&t, "c/new", "n");
	tb_file(&t, "c/sub/new", "n");
	tb_file(&t, "c/.wh..wh..opq", "");
	tb_dir(&t, "d/");
	tb_file(&t, "d/.wh..wh..opq", "");
	tb_file(&t, "d/new", "n");
	tb_file(&t, ".wh..wh.plnk/123", "aufs junk");
	tb_close(&t);
}

static void test_whiteouts_delete(void **state)
{
	struct fx *f = *state;
	char *dest = mkdir_in(f, "vfs"), *tar = path_in(f, "wh.tar");
	build_lower(f, dest);
	build_whiteout_layer(tar);
	struct error err = ERROR_INIT;
	if (apply(tar, dest, WHITEOUT_DELETE, -1, NULL, &err) < 0)
		fail_msg("%s", error_msg(&err));
	assert_false(exists(dest, "a/x"));
	assert_true(exists(dest, "a/y"));
	assert_false(exists(dest, "b"));
	assert_false(exists(dest, "c/keep"));
	assert_false(exists(dest, "c/sub/old"));
	assert_true(exists(dest, "c/new"));
	assert_true(exists(dest, "c/sub/new"));
	assert_false(exists(dest, "d/old"));
	assert_true(exists(dest, "d/new"));
	assert_false(exists(dest, "c/.wh..wh..opq"));
	assert_false(exists(dest, ".wh..wh.plnk"));
	free(dest);
	free(tar);
}

static void test_whiteouts_overlay(void **state)
{
	struct fx *f = *state;
	char *dest = mkdir_in(f, "upper"), *tar = path_in(f, "wh.tar");
	build_whiteout_layer(tar);
	struct error err = ERROR_INIT;
	if (apply(tar, dest, WHITEOUT_OVERLAY, -1, NULL, &err) < 0)
		fail_msg("%s", error_msg(&err));
	struct stat st = st_of(dest, "a/x");
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	st = st_of(dest, "b");
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	char p[512], v[4];
	snprintf(p, sizeof(p), "%s/c", dest);
	assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	snprintf(p, sizeof(p), "%s/d", dest);
	assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_true(exists(dest, "c/new") && exists(dest, "d/new") && exists(dest, "c/sub/new"));
	snprintf(p, sizeof(p), "%s/a", dest);
	assert_true(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) < 0);
	free(dest);
	free(tar);
}

/* Builds a one-off tar with fn, applies it, expects code and a message that
 * names the offending entry. */
static void expect_refused(struct fx *f, void (*fn)(struct tb *), int code, const char *needle)
{
	char *tar = path_in(f, "bad.tar"), *dest = path_in(f, "bad");
	mkdir(dest, 0755);
	struct tb t = tb_open(tar);
	fn(&t);
	tb_close(&t);
	struct error err = ERROR_INIT;
	int r = apply(tar, dest, WHITEOUT_DELETE, -1, NULL, &err);
	if (r != code)
		fail_msg("want %d got %d: %s", code, r, error_msg(&err));
	if (!strstr(error_msg(&err), needle))
		fail_msg("message \"%s\" lacks \"%s\"", error_msg(&err), needle);
	error_clear(&err);
	free(tar);
	free(dest);
}

static void bad_dotdot(struct tb *t)
{
	tb_file(t, "../escaped", "x");
}
static void bad_dotdot_deep(struct tb *t)
{
	tb_file(t, "a/../../escaped", "x");
}
static void bad_absolute(struct tb *t)
{
	tb_file(t, "/var/tmp/berth-abs-escaped", "x");
}
static void bad_symlink_walk(struct tb *t)
{
	tb_symlink(t, "lnk", "/");
	tb_file(t, "lnk/var/tmp/berth-symlink-escaped", "x");
}
static void bad_hardlink_up(struct tb *t)
{
	tb_hardlink(t, "h", "../outside");
}
static void bad_hardlink_abs(struct tb *t)
{
	tb_hardlink(t, "h", "/etc/passwd");
}
static void bad_hardlink_via_symlink(struct tb *t)
{
	tb_symlink(t, "lnk", "/etc");
	tb_hardlink(t, "h", "lnk/passwd");
}
/* Found by fuzz_archive: the message named the entry through a pointer
 * freed when its path was rewritten (a use after free). */
static void bad_hardlink_missing(struct tb *t)
{
	tb_hardlink(t, "h", "missing");
}
static void bad_whiteout_via_symlink(struct tb *t)
{
	tb_symlink(t, "lnk", "/var/tmp");
	tb_file(t, "lnk/.wh.anything", "");
}

static void test_refuses_escapes(void **state)
{
	struct fx *f = *state;
	expect_refused(f, bad_dotdot, -EINVAL, "\"../escaped\": path leaves the layer root");
	expect_refused(f, bad_dotdot_deep, -EINVAL, "a/../../escaped");
	expect_refused(f, bad_absolute, -EINVAL, "absolute path");
	expect_refused(f, bad_symlink_walk, -EINVAL, "goes through a symlink");
	expect_refused(f, bad_hardlink_up, -EINVAL, "hard link target leaves the layer root");
	expect_refused(f, bad_hardlink_abs, -EINVAL, "hard link target leaves the layer root");
	expect_refused(f, bad_hardlink_via_symlink, -EINVAL, "goes through a symlink");
	expect_refused(f, bad_whiteout_via_symlink, -EINVAL, "goes through a symlink");
	expect_refused(f, bad_hardlink_missing, -ENOENT, "layer entry \"h\": Hard-link target");
	struct stat st;
	assert_true(lstat("/var/tmp/berth-abs-escaped", &st) < 0);
	assert_true(lstat("/var/tmp/berth-symlink-escaped", &st) < 0);
	assert_true(lstat("/var/tmp/escaped", &st) < 0);
	assert_true(lstat("/var/tmp/tmp", &st) < 0);
}

static void test_refuses_garbage(void **state)
{
	struct fx *f = *state;
	char *file = path_in(f, "garbage"), *dest = mkdir_in(f, "g");
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	struct error err = ERROR_INIT;
	int r = apply(file, dest, WHITEOUT_DELETE, -1, NULL, &err);
	assert_true(r == -EINVAL || r == -EIO);
	assert_non_null(err.msg);
	error_clear(&err);
	free(file);
	free(dest);
}

/* ---- image archives (docker load) ---- */

static int extract_image_archive(struct fx *f, void (*build)(struct tb *, const char *),
				 const char *outside, char **ret_dest, struct error *err)
{
	char *file = path_in(f, "image.tar");
	*ret_dest = mkdir_in(f, "img");
	struct tb t = tb_open(file);
	build(&t, outside);
	tb_close(&t);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	int r = image_archive_extract(fd, *ret_dest, err);
	close(fd);
	free(file);
	return r;
}

static void image_hardlinks(struct tb *t, const char *outside)
{
	tb_file(t, "a", "data");
	tb_hardlink(t, "b", "a");
	tb_dir(t, "d");
	tb_hardlink(t, "d/c", "b");
}

static void image_hardlink_via_symlink(struct tb *t, const char *outside)
{
	tb_symlink(t, "evil", outside);
	tb_hardlink(t, "x", "evil/secret");
}

/* Found by fuzz_archive: a hard link's target was looked up with linkat,
 * which follows symlinked directories out of the archive. */
static void test_image_archive_hardlinks(void **state)
{
	struct fx *f = *state;
	char *outside = mkdir_in(f, "outside"), *secret = path_in(f, "outside/secret"), *dest;
	int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	struct error err = ERROR_INIT;
	assert_int_equal(extract_image_archive(f, image_hardlinks, outside, &dest, &err), 0);
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/d/c", dest);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_nlink, 3);
	fsops_remove(dest, &err);
	free(dest);

	assert_int_equal(extract_image_archive(f, image_hardlink_via_symlink, outside, &dest, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "cannot extract x"));
	error_clear(&err);
	assert_int_equal(stat(secret, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	free(dest);
	free(secret);
	free(outside);
}

/* ---- writing trees ---- */

static void make_overlay_upper(const char *up)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/etc", up);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/b", up);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "bee", 3), 3);
	close(fd);
	char q[512];
	snprintf(p, sizeof(p), "%s/etc/b", up);
	snprintf(q, sizeof(q), "%s/etc/hard", up);
	assert_int_equal(link(p, q), 0);
	snprintf(p, sizeof(p), "%s/gone", up);
	assert_int_equal(mknod(p, S_IFCHR, makedev(0, 0)), 0);
	snprintf(p, sizeof(p), "%s/opq", up);
	assert_int_equal(mkdir(p, 0711), 0);
	assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
	snprintf(p, sizeof(p), "%s/opq/inside", up);
	assert_int_equal(symlink("/target", p), 0);
}

static char **tar_names(const char *file, size_t *n)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, file, 10240), ARCHIVE_OK);
	char **v = calloc(32, sizeof(*v));
	struct archive_entry *e;
	*n = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK && *n < 32) {
		const char *hl = archive_entry_hardlink(e);
		assert_true(asprintf(&v[(*n)++], "%s%s%s", archive_entry_pathname(e),
				     hl ? " => " : "", hl ? hl : "") > 0);
	}
	archive_read_free(a);
	return v;
}

static void test_write_dir_overlay(void **state)
{
	struct fx *f = *state;
	char *up = mkdir_in(f, "up"), *tar = path_in(f, "out.tar"), *tar2 = path_in(f, "out2.tar");
	make_overlay_upper(up);
	struct error err = ERROR_INIT;
	int fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (archive_write_dir(up, WHITEOUT_OVERLAY, NULL, fd, &err) < 0)
		fail_msg("%s", error_msg(&err));
	close(fd);
	fd = open(tar2, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(archive_write_dir(up, WHITEOUT_OVERLAY, NULL, fd, &err), 0);
	close(fd);
	size_t len, len2;
	char *d1 = read_all(tar, &len), *d2 = read_all(tar2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(d1, d2, len); /* deterministic */
	assert_int_equal(len % 512, 0);
	static const char zero[1024];
	assert_memory_equal(d1 + len - 1024, zero, 1024);

	size_t n;
	char **names = tar_names(tar, &n);
	const char *want[] = {"etc/",	   "etc/b", "etc/hard => etc/b",
			      ".wh.gone",  "opq/",  "opq/.wh..wh..opq",
			      "opq/inside"};
	assert_int_equal(n, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(names[i], want[i]);
		free(names[i]);
	}
	free(names);

	/* And back: applying the tar recreates the overlay form. */
	char *back = mkdir_in(f, "back");
	if (apply(tar, back, WHITEOUT_OVERLAY, -1, NULL, &err) < 0)
		fail_msg("%s", error_msg(&err));
	struct stat st = st_of(back, "gone");
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == 0);
	assert_int_equal(st_of(back, "etc/hard").st_ino, st_of(back, "etc/b").st_ino);
	assert_int_equal(st_of(back, "opq").st_mode & 07777, 0711);
	char p[512], v[2];
	snprintf(p, sizeof(p), "%s/opq", back);
	assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	free(d1);
	free(d2);
	free(up);
	free(tar);
	free(tar2);
	free(back);
}

/* ---- docker diff ---- */

static void put_file(const char *dir, const char *rel, const char *data)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void put_dir(const char *dir, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void same_times(const char *a, const char *b, const char *rel)
{
	char p[512], q[512];
	snprintf(p, sizeof(p), "%s/%s", a, rel);
	snprintf(q, sizeof(q), "%s/%s", b, rel);
	struct timespec ts[2] = {{1600000000, 0}, {1600000000, 0}};
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(utimensat(AT_FDCWD, q, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void expect_changes(const char *dir, const char *lower, enum whiteout_format wf,
			   const char *want)
{
	struct archive_change *c = NULL;
	size_t n = 0;
	struct error err = ERROR_INIT;
	if (archive_changes(dir, lower, wf, &c, &n, &err) < 0)
		fail_msg("%s", error_msg(&err));
	char got[1024] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%c %s\n", "CAD"[c[i].kind],
			 c[i].path);
	archive_changes_free(c, n);
	assert_string_equal(got, want);
}

static void test_changes_overlay(void **state)
{
	struct fx *f = *state;
	char *lower = mkdir_in(f, "lower"), *up = mkdir_in(f, "upper");
	put_dir(lower, "etc");
	put_dir(lower, "bin");
	put_file(lower, "etc/passwd", "a");
	put_file(lower, "bin/sh", "sh");
	put_dir(up, "etc");
	put_dir(up, "bin");
	put_file(up, "etc/passwd", "changed");
	put_file(up, "etc/new", "n");
	char p[512];
	snprintf(p, sizeof(p), "%s/bin/sh", up);
	assert_int_equal(mknod(p, S_IFCHR, 0), 0);
	put_dir(up, "tmp");
	same_times(lower, up, "etc");
	same_times(lower, up, "bin");
	expect_changes(up, lower, WHITEOUT_OVERLAY,
		       "C /bin\nD /bin/sh\nC /etc\nA /etc/new\nC /etc/passwd\nA /tmp\n");
	expect_changes(up, NULL, WHITEOUT_OVERLAY,
		       "A /bin\nD /bin/sh\nA /etc\nA /etc/new\nA /etc/passwd\nA /tmp\n");
	free(lower);
	free(up);
}

static void test_changes_vfs(void **state)
{
	struct fx *f = *state;
	char *old = mkdir_in(f, "old"), *new = mkdir_in(f, "new");
	put_dir(old, "etc");
	put_dir(new, "etc");
	put_file(old, "etc/passwd", "a");
	put_file(new, "etc/passwd", "a");
	same_times(old, new, "etc/passwd");
	put_file(old, "etc/group", "g");
	put_file(new, "etc/group", "gg");
	put_file(old, "etc/gone", "x");
	put_dir(old, "olddir");
	put_file(old, "olddir/f", "x");
	put_dir(new, "newdir");
	put_file(new, "newdir/f", "x");
	expect_changes(new, old, WHITEOUT_DELETE,
		       "C /etc\nC /etc/group\nD /etc/gone\nA /newdir\nA /newdir/f\nD /olddir\n");
	free(old);
	free(new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_apply_keeps_metadata, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_id_compressed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_id_zstd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_id_includes_padding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whiteouts_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whiteouts_overlay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_escapes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_image_archive_hardlinks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_dir_overlay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changes_overlay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changes_vfs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
