/* Layer tarballs (see archive.h).
 *
 * Applying a layer runs two libarchive readers in a chain: an outer one
 * (format "raw", every filter) only decompresses; its blocks are hashed (the
 * diff ID is the sha256 of the uncompressed tar), copied to keep_fd and fed
 * to an inner one (format "tar") through a read callback. After the tar's end
 * marker the outer reader is drained to EOF so the hash covers padding too.
 *
 * Entries are extracted with archive_write_disk after our own checks, because
 * libarchive's are not enough on their own: we hand it absolute paths (the
 * daemon is multi-threaded, so chdir(dest) is not an option), which rules
 * out ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS, and its hard-link target checks
 * do not cover symlinked parents of the target. So every entry's path and
 * hard-link target is cleaned lexically (refused if absolute or escaping),
 * and its parent directories are walked with O_NOFOLLOW from dest: a symlink
 * on the way is refused. Missing parents are created 0755 as dockerd does. */
#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "storage/fsops.h"

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"
#define BLOCK_SIZE 65536

/* ---- a set of strings (paths), open addressing ---- */

struct strset {
	char **slots;
	size_t cap, len;
};

static size_t str_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static char **strset_slot(char **slots, size_t cap, const char *s)
{
	for (size_t i = str_hash(s) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i] || !strcmp(slots[i], s))
			return &slots[i];
}

static bool strset_has(const struct strset *set, const char *s)
{
	return set->cap && *strset_slot(set->slots, set->cap, s);
}

static int strset_add(struct strset *set, const char *s)
{
	if ((set->len + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		char **slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i])
				*strset_slot(slots, cap, set->slots[i]) = set->slots[i];
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	char **slot = strset_slot(set->slots, set->cap, s);
	if (*slot)
		return 0;
	if (!(*slot = strdup(s)))
		return -ENOMEM;
	set->len++;
	return 1;
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	*set = (struct strset){0};
}

/* ---- path helpers ---- */

/* Cleans a tar member name lexically like Go's filepath.Clean: drops "./"
 * and empty components and resolves "..". "" is the layer root. -EINVAL for
 * absolute names and names that climb out of the root. */
static int clean_rel(const char *name, char **ret)
{
	if (name[0] == '/')
		return -EINVAL;
	size_t n = strlen(name);
	char *out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	size_t len = 0;
	for (const char *p = name; *p;) {
		const char *e = strchrnul(p, '/');
		size_t cl = (size_t)(e - p);
		if (cl == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0) {
				free(out);
				return -EINVAL;
			}
			char *slash = memrchr(out, '/', len);
			len = slash ? (size_t)(slash - out) : 0;
		} else if (cl > 0 && !(cl == 1 && p[0] == '.')) {
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, cl);
			len += cl;
		}
		p = *e ? e + 1 : e;
	}
	out[len] = '\0';
	*ret = out;
	return 0;
}

static const char *base_of(const char *rel)
{
	const char *s = strrchr(rel, '/');
	return s ? s + 1 : rel;
}

/* rel's parent ("" for top-level names), as a new string. */
static char *parent_of(const char *rel)
{
	const char *s = strrchr(rel, '/');
	return strndup(rel, s ? (size_t)(s - rel) : 0);
}

static bool is_prefix_path(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	return !strncmp(prefix, path, n) && (path[n] == '\0' || path[n] == '/');
}

/* ---- applying a layer ---- */

struct apply {
	struct archive *outer, *inner, *disk;
	EVP_MD_CTX *md;
	int keep_fd;
	int root_fd;
	char *root; /* realpath of dest */
	enum whiteout_format whiteouts;
	struct layer_digest dg;
	bool outer_eof;
	int outer_err; /* negative errno once decompression or keep_fd failed */
	char outer_msg[256];
	struct strset unpacked; /* rel paths this layer wrote (and their parents) */
	struct strset opaque;	/* rel paths of dirs marked opaque */
	char *checked_parent;	/* last parent proven symlink-free */
	unsigned char *buf;
	struct error *err;
};

/* One block of the uncompressed stream: hashed, kept, counted. */
static la_ssize_t pull_block(struct apply *a, const void **buf)
{
	if (a->outer_eof || a->outer_err)
		return a->outer_err ? -1 : 0;
	la_ssize_t n = archive_read_data(a->outer, a->buf, BLOCK_SIZE);
	if (n < 0) {
		a->outer_err = -EIO;
		snprintf(a->outer_msg, sizeof(a->outer_msg), "%s",
			 archive_error_string(a->outer) ? archive_error_string(a->outer)
							: "read error");
		return -1;
	}
	if (n == 0) {
		a->outer_eof = true;
		return 0;
	}
	EVP_DigestUpdate(a->md, a->buf, (size_t)n);
	a->dg.tar_size += n;
	int r = a->keep_fd >= 0 ? fs_write_all(a->keep_fd, a->buf, (size_t)n) : 0;
	if (r < 0) {
		a->outer_err = r;
		snprintf(a->outer_msg, sizeof(a->outer_msg), "writing layer copy: %s",
			 strerror(-r));
		return -1;
	}
	*buf = a->buf;
	return n;
}

static la_ssize_t inner_read_cb(struct archive *ar, void *ud, const void **buf)
{
	struct apply *a = ud;
	la_ssize_t n = pull_block(a, buf);
	if (n < 0)
		archive_set_error(ar, EIO, "%s", a->outer_msg);
	return n;
}

static int fail_entry(struct apply *a, int code, const char *name, const char *why)
{
	return error_set(a->err, code, "layer entry \"%s\": %s", name, why);
}

/* Opens rel's directory below the root without following symlinks, making
 * missing directories (0755, root-owned, as dockerd's MkdirAll). -EINVAL
 * when a component is a symlink or not a directory. */
static int open_dir_nofollow(struct apply *a, const char *rel, bool create, int *ret_fd)
{
	_cleanup_close_ int fd = dup(a->root_fd);
	_cleanup_free_ char *copy = strdup(rel);
	if (fd < 0 || !copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
				return -errno;
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0)
			return errno == ELOOP || errno == ENOTDIR ? -EINVAL : -errno;
		close(fd);
		fd = next;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Proves parent (a rel dir) is a real directory chain below the root,
 * creating it if missing. Cached: archives list siblings together. */
static int check_parent(struct apply *a, const char *name, const char *parent)
{
	if (a->checked_parent && !strcmp(a->checked_parent, parent))
		return 0;
	int fd = -1;
	int r = open_dir_nofollow(a, parent, true, &fd);
	if (r == -EINVAL)
		return fail_entry(a, -EINVAL, name,
				  "its path goes through a symlink or a non-directory");
	if (r < 0)
		return error_set(a->err, r, "layer entry \"%s\": creating parent: %s", name,
				 strerror(-r));
	close(fd);
	free(a->checked_parent);
	a->checked_parent = strdup(parent);
	return 0;
}

/* Anything written or removed at rel may turn a checked parent into a
 * symlink: forget the cache when rel is that parent or above it. */
static void touched(struct apply *a, const char *rel)
{
	if (a->checked_parent && is_prefix_path(rel, a->checked_parent)) {
		free(a->checked_parent);
		a->checked_parent = NULL;
	}
}

/* Records rel and its ancestors as content of this layer, so an opaque
 * marker in the same layer does not delete them. */
static int mark_unpacked(struct apply *a, const char *rel)
{
	_cleanup_free_ char *p = strdup(rel);
	if (!p)
		return -ENOMEM;
	for (;;) {
		int r = strset_add(&a->unpacked, p);
		if (r <= 0) /* already there: so are its ancestors */
			return r;
		char *s = strrchr(p, '/');
		if (!s)
			return 0;
		*s = '\0';
	}
}

static int whiteout_file(struct apply *a, struct archive_entry *e, const char *name,
			 const char *parent, const char *victim)
{
	if (!*victim || !strcmp(victim, ".") || !strcmp(victim, "..") || strchr(victim, '/'))
		return fail_entry(a, -EINVAL, name, "invalid whiteout name");
	_cleanup_close_ int dfd = -1;
	int r = open_dir_nofollow(a, parent, true, &dfd);
	if (r < 0)
		return fail_entry(a, r == -EINVAL ? -EINVAL : r, name,
				  "its path goes through a symlink or a non-directory");
	_cleanup_free_ char *rel = NULL;
	if (asprintf(&rel, "%s%s%s", parent, *parent ? "/" : "", victim) < 0)
		return -ENOMEM;
	touched(a, rel);
	if ((r = fsops_remove_at(dfd, victim, a->err)) < 0)
		return r;
	if (a->whiteouts == WHITEOUT_DELETE)
		return 0;
	if (mknodat(dfd, victim, S_IFCHR | 0, makedev(0, 0)) < 0 ||
	    fchownat(dfd, victim, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
		     AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(a->err, -errno, "layer entry \"%s\": whiteout: %s", name,
				 strerror(errno));
	return mark_unpacked(a, rel);
}

/* trusted.overlay.* in a tarball would steer overlayfs (redirects, opaque
 * dirs) behind our back: only whiteout entries may say that. */
static int strip_overlay_xattrs(struct archive_entry *e)
{
	const char *k;
	const void *v;
	size_t n, count = 0, bad = 0;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &k, &v, &n) == ARCHIVE_OK) {
		count++;
		bad += !strncmp(k, "trusted.overlay.", 16);
	}
	if (!bad)
		return 0;
	struct {
		char *k;
		void *v;
		size_t n;
	} *keep = calloc(count, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	size_t m = 0;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &k, &v, &n) == ARCHIVE_OK)
		if (strncmp(k, "trusted.overlay.", 16) && (keep[m].k = strdup(k)) &&
		    (keep[m].v = malloc(n ? n : 1))) {
			memcpy(keep[m].v, v, n);
			keep[m++].n = n;
		}
	archive_entry_xattr_clear(e);
	for (size_t i = 0; i < count; i++) {
		if (i < m)
			archive_entry_xattr_add_entry(e, keep[i].k, keep[i].v, keep[i].n);
		free(keep[i].k);
		free(keep[i].v);
	}
	free(keep);
	return 0;
}

/* Points a hard link at the same path below the root, after the same checks
 * as a member name: libarchive 3.6 would otherwise follow symlinked parents
 * of the target. */
static int fix_hardlink(struct apply *a, struct archive_entry *e, const char *name)
{
	const char *target = archive_entry_hardlink(e);
	if (!target)
		return 0;
	_cleanup_free_ char *rel = NULL, *parent = NULL, *abs = NULL;
	int r = clean_rel(target, &rel);
	if (r == -EINVAL || (r == 0 && !*rel))
		return fail_entry(a, -EINVAL, name, "hard link target leaves the layer root");
	if (r < 0)
		return r;
	int fd = -1;
	if (!(parent = parent_of(rel)))
		return -ENOMEM;
	if ((r = open_dir_nofollow(a, parent, false, &fd)) < 0)
		return fail_entry(a, r == -EINVAL ? -EINVAL : -ENOENT, name,
				  "hard link target goes through a symlink or does not exist");
	close(fd);
	if (asprintf(&abs, "%s/%s", a->root, rel) < 0)
		return -ENOMEM;
	archive_entry_copy_hardlink(e, abs);
	return 0;
}

/* dockerd replaces whatever is at the path unless both are directories. */
static int clear_target(struct apply *a, struct archive_entry *e, const char *rel)
{
	struct stat st;
	if (fstatat(a->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISDIR(st.st_mode) && archive_entry_filetype(e) == AE_IFDIR &&
	    !archive_entry_hardlink(e))
		return 0;
	touched(a, rel);
	return fsops_remove_at(a->root_fd, rel, a->err);
}

static int disk_error(struct apply *a, const char *name)
{
	int e = archive_errno(a->disk);
	return error_set(a->err, e > 0 ? -e : -EINVAL, "layer entry \"%s\": %s", name,
			 archive_error_string(a->disk) ? archive_error_string(a->disk)
						       : "cannot extract");
}

static int copy_entry_data(struct apply *a, const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	for (;;) {
		int r = archive_read_data_block(a->inner, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return a->outer_err ? a->outer_err : -EINVAL;
		if (archive_write_data_block(a->disk, buf, len, off) < ARCHIVE_WARN)
			return disk_error(a, name);
	}
}

static int extract_entry(struct apply *a, struct archive_entry *e, const char *name,
			 const char *rel)
{
	int r = strip_overlay_xattrs(e);
	if (r >= 0)
		r = fix_hardlink(a, e, name);
	if (r >= 0)
		r = clear_target(a, e, rel);
	if (r < 0)
		return r;
	/* name may be the entry's own pathname, which the copy below frees. */
	_cleanup_free_ char *abs = NULL, *shown = strdup(name);
	if (!shown || asprintf(&abs, "%s/%s", a->root, rel) < 0)
		return -ENOMEM;
	name = shown;
	archive_entry_copy_pathname(e, abs);
	if (archive_write_header(a->disk, e) < ARCHIVE_WARN)
		return disk_error(a, name);
	if (archive_entry_size(e) > 0 && (r = copy_entry_data(a, name)) < 0)
		return r;
	if (archive_write_finish_entry(a->disk) < ARCHIVE_WARN)
		return disk_error(a, name);
	if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
		a->dg.size += archive_entry_size(e);
	touched(a, rel);
	return mark_unpacked(a, rel);
}

static int apply_entry(struct apply *a, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return fail_entry(a, -EINVAL, "?", "unreadable name");
	_cleanup_free_ char *rel = NULL, *parent = NULL;
	int r = clean_rel(name, &rel);
	if (r == -EINVAL)
		return fail_entry(a, -EINVAL, name,
				  name[0] == '/' ? "absolute path" : "path leaves the layer root");
	if (r < 0 || !*rel) /* the root itself: keep dest's own metadata */
		return r;
	for (const char *p = rel; *p;) {
		size_t len = strcspn(p, "/");
		if (len > NAME_MAX)
			return fail_entry(a, -EINVAL, name,
					  "a file name is too long (more than 255 bytes)");
		p += len + (p[len] == '/');
	}
	if (!(parent = parent_of(rel)))
		return -ENOMEM;
	const char *base = base_of(rel);
	/* aufs bookkeeping (.wh..wh.plnk/, .wh..wh.aufs) means nothing to us. */
	if ((!strncmp(base, WH_META_PREFIX, strlen(WH_META_PREFIX)) && strcmp(base, WH_OPAQUE)) ||
	    !strncmp(rel, WH_META_PREFIX "plnk/", strlen(WH_META_PREFIX "plnk/")))
		return 0;
	if ((r = check_parent(a, name, parent)) < 0)
		return r;
	if (!strcmp(base, WH_OPAQUE))
		return strset_add(&a->opaque, parent) < 0 ? -ENOMEM : 0;
	if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
		return whiteout_file(a, e, name, parent, base + strlen(WH_PREFIX));
	return extract_entry(a, e, name, rel);
}

/* Deletes what lies below dir (an open fd at rel) that this layer did not
 * write: the DELETE form of an opaque directory. */
static int prune_opaque(struct apply *a, int dfd, const char *rel)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return error_set(a->err, -errno, "opening %s: %s", rel, strerror(errno));
	}
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *child = NULL;
		if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (!strset_has(&a->unpacked, child)) {
			r = fsops_remove_at(dfd, de->d_name, a->err);
			continue;
		}
		_cleanup_close_ int sub =
		    openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			r = prune_opaque(a, sub, child);
	}
	closedir(d);
	return r;
}

/* Opaque markers are applied after every entry: a tar may list the marker
 * before or after the directory's new content, and that content must stay. */
static int apply_opaques(struct apply *a)
{
	for (size_t i = 0; i < a->opaque.cap; i++) {
		const char *rel = a->opaque.slots[i];
		if (!rel)
			continue;
		_cleanup_close_ int fd = -1;
		int r = open_dir_nofollow(a, rel, true, &fd);
		if (r < 0)
			return error_set(a->err, r, "opaque directory \"%s\": %s", rel,
					 r == -EINVAL ? "path goes through a symlink"
						      : strerror(-r));
		if (a->whiteouts == WHITEOUT_DELETE)
			r = prune_opaque(a, fd, rel);
		else if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
			r = error_set(a->err, -errno, "opaque directory \"%s\": setxattr: %s", rel,
				      strerror(errno));
		if (r < 0)
			return r;
	}
	return 0;
}

static int open_readers(struct apply *a, int fd)
{
	a->outer = archive_read_new();
	a->inner = archive_read_new();
	a->disk = archive_write_disk_new();
	a->md = EVP_MD_CTX_new();
	a->buf = malloc(BLOCK_SIZE);
	if (!a->outer || !a->inner || !a->disk || !a->md || !a->buf ||
	    !EVP_DigestInit_ex(a->md, EVP_sha256(), NULL))
		return error_set(a->err, -ENOMEM, "out of memory");
	archive_read_support_filter_all(a->outer);
	archive_read_support_format_raw(a->outer);
	struct archive_entry *e;
	if (archive_read_open_fd(a->outer, fd, BLOCK_SIZE) != ARCHIVE_OK)
		return error_set(a->err, -EIO, "reading layer: truncated or corrupt stream: %s",
				 archive_error_string(a->outer));
	int r = archive_read_next_header(a->outer, &e);
	if (r == ARCHIVE_EOF) /* an empty stream is an empty layer */
		a->outer_eof = true;
	else if (r < ARCHIVE_WARN)
		return error_set(a->err, -EIO, "reading layer: truncated or corrupt stream: %s",
				 archive_error_string(a->outer));
	archive_read_support_format_tar(a->inner);
	if (archive_read_open(a->inner, a, NULL, inner_read_cb, NULL) != ARCHIVE_OK &&
	    !a->outer_eof)
		return a->outer_err ? error_set(a->err, a->outer_err,
						"reading layer: truncated or corrupt stream: %s",
						a->outer_msg)
				    : error_set(a->err, -EINVAL, "layer is not a tar archive: %s",
						archive_error_string(a->inner));
	archive_write_disk_set_options(
	    a->disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
			 ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
			 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	return 0;
}

static int read_error(struct apply *a)
{
	if (a->outer_err == -EIO)
		return error_set(a->err, -EIO, "reading layer: truncated or corrupt stream: %s",
				 a->outer_msg);
	if (a->outer_err)
		return error_set(a->err, a->outer_err, "%s", a->outer_msg);
	return error_set(a->err, -EINVAL, "invalid layer tar: %s", archive_error_string(a->inner));
}

static int apply_all(struct apply *a)
{
	struct archive_entry *e;
	int r;
	while (!(a->outer_eof && a->dg.tar_size == 0)) {
		r = archive_read_next_header(a->inner, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return read_error(a);
		if ((r = apply_entry(a, e)) < 0) {
			if (a->err && a->err->msg)
				return r;
			/* An entry's data ended early: say why the stream did. */
			if (a->outer_err)
				return read_error(a);
			return error_set(a->err, r, "applying layer: %s", strerror(-r));
		}
	}
	const void *ignored;
	while ((r = (int)pull_block(a, &ignored)) > 0)
		;
	if (r < 0)
		return read_error(a);
	if ((r = apply_opaques(a)) < 0)
		return r;
	if (archive_write_close(a->disk) < ARCHIVE_WARN)
		return disk_error(a, "(directory fixups)");
	return 0;
}

static void apply_free(struct apply *a)
{
	if (a->inner)
		archive_read_free(a->inner);
	if (a->outer)
		archive_read_free(a->outer);
	if (a->disk)
		archive_write_free(a->disk);
	EVP_MD_CTX_free(a->md);
	free(a->buf);
	free(a->root);
	free(a->checked_parent);
	if (a->root_fd >= 0)
		close(a->root_fd);
	strset_free(&a->unpacked);
	strset_free(&a->opaque);
}

int archive_apply_layer(int fd, const char *dest, enum whiteout_format whiteouts, int keep_fd,
			struct layer_digest *ret, struct error *err)
{
	struct apply a = {.keep_fd = keep_fd, .root_fd = -1, .whiteouts = whiteouts, .err = err};
	int r;
	if (!(a.root = realpath(dest, NULL)))
		r = error_set(err, -errno, "layer destination %s: %s", dest, strerror(errno));
	else if ((a.root_fd = open(a.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = error_set(err, -errno, "layer destination %s: %s", dest, strerror(errno));
	else if ((r = open_readers(&a, fd)) >= 0)
		r = apply_all(&a);
	if (r >= 0) {
		unsigned char md[32];
		unsigned int n = 0;
		EVP_DigestFinal_ex(a.md, md, &n);
		int o = snprintf(a.dg.diff_id, sizeof(a.dg.diff_id), "sha256:");
		for (unsigned int i = 0; i < n; i++)
			o += snprintf(a.dg.diff_id + o, sizeof(a.dg.diff_id) - (size_t)o, "%02x",
				      md[i]);
		*ret = a.dg;
	}
	apply_free(&a);
	return r;
}

/* ---- walking trees in a stable order ---- */

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Names of a directory's entries in byte order, as Go's filepath.Walk
 * visits them: the same tree always gives the same tar and change list. */
static int sorted_names(int dfd, char ***ret, size_t *ret_n)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char **nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			r = -ENOMEM;
			break;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (r < 0) {
		names_free(v, n);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool is_whiteout_dev(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque_dir(int dfd, const char *name)
{
	char v[2];
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && fgetxattr(fd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* ---- writing a tree as a layer tar ---- */

struct tarw {
	struct archive *ar;
	struct fsops_inode_map *links;
	enum whiteout_format whiteouts;
	struct error *err;
	const char *const *skip; /* rel paths left out (with what is below) */
	bool own;		 /* every entry gets uid:gid */
	uid_t uid;
	gid_t gid;
};

static int tar_error(struct tarw *w, const char *rel)
{
	int e = archive_errno(w->ar);
	return error_set(w->err, e > 0 ? -e : -EIO, "writing tar entry %s: %s", rel,
			 archive_error_string(w->ar) ? archive_error_string(w->ar) : "failed");
}

/* An empty regular file header standing for a whiteout (".wh.x" or the
 * opaque marker), as dockerd's overlay converter writes them. */
static int put_marker(struct tarw *w, const char *path, mode_t perm, const struct stat *st,
		      bool keep_mtime)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return error_set(w->err, -ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_size(e, 0);
	archive_entry_set_mtime(e, keep_mtime ? st->st_mtim.tv_sec : 0, 0);
	int r = archive_write_header(w->ar, e) < ARCHIVE_WARN ? tar_error(w, path) : 0;
	archive_entry_free(e);
	return r;
}

/* Only security.capability goes into the tar, like dockerd: other xattrs
 * (selinux labels, overlay's own) belong to the host, not the image. */
static void add_capability(struct archive_entry *e, int dfd, const char *name)
{
	char v[256];
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "/proc/self/fd/%d/%s", dfd, name) < 0)
		return;
	ssize_t n = lgetxattr(p, "security.capability", v, sizeof(v));
	if (n > 0)
		archive_entry_xattr_add_entry(e, "security.capability", v, (size_t)n);
}

static int put_data(struct tarw *w, int dfd, const char *name, const char *rel, int64_t size)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(w->err, -errno, "open %s: %s", rel, strerror(errno));
	char buf[BLOCK_SIZE];
	while (size > 0) {
		ssize_t n = read(fd, buf, (size_t)(size < BLOCK_SIZE ? size : BLOCK_SIZE));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(w->err, -errno, "read %s: %s", rel, strerror(errno));
		if (n == 0) { /* shrank while we read: pad, the header is written */
			memset(buf, 0, sizeof(buf));
			n = size < BLOCK_SIZE ? (ssize_t)size : BLOCK_SIZE;
		}
		if (archive_write_data(w->ar, buf, (size_t)n) < 0)
			return tar_error(w, rel);
		size -= n;
	}
	return 0;
}

static int fill_entry(struct tarw *w, struct archive_entry *e, int dfd, const char *name,
		      const char *rel, const struct stat *st)
{
	archive_entry_set_mode(e, st->st_mode);
	archive_entry_set_uid(e, w->own ? w->uid : st->st_uid);
	archive_entry_set_gid(e, w->own ? w->gid : st->st_gid);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		archive_entry_set_rdev(e, st->st_rdev);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return error_set(w->err, -errno, "readlink %s: %s", rel, strerror(errno));
		target[n] = '\0';
		archive_entry_copy_symlink(e, target);
	}
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		int r;
		const char *first = fsops_inode_map_add(w->links, st->st_dev, st->st_ino, rel, &r);
		if (r < 0)
			return error_set(w->err, r, "out of memory");
		if (first) {
			archive_entry_copy_hardlink(e, first);
			return 0;
		}
	}
	if (S_ISREG(st->st_mode))
		archive_entry_set_size(e, st->st_size);
	add_capability(e, dfd, name);
	return 0;
}

static int put_tree(struct tarw *w, int dfd, const char *prefix);

static bool skipped(const struct tarw *w, const char *rel)
{
	for (const char *const *s = w->skip; s && *s; s++)
		if (!strcmp(*s, rel))
			return true;
	return false;
}

static int put_one(struct tarw *w, int dfd, const char *name, const char *rel)
{
	struct stat st;
	if (skipped(w, rel))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			   ? 0
			   : error_set(w->err, -errno, "stat %s: %s", rel, strerror(errno));
	if (S_ISSOCK(st.st_mode)) /* tar cannot hold sockets; dockerd skips them too */
		return 0;
	if (w->whiteouts == WHITEOUT_OVERLAY && is_whiteout_dev(&st)) {
		_cleanup_free_ char *p = NULL, *parent = parent_of(rel);
		if (!parent ||
		    asprintf(&p, "%s%s" WH_PREFIX "%s", parent, *parent ? "/" : "", name) < 0)
			return error_set(w->err, -ENOMEM, "out of memory");
		return put_marker(w, p, 0600, &st, true);
	}
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s%s", rel, S_ISDIR(st.st_mode) ? "/" : "") < 0)
		return error_set(w->err, -ENOMEM, "out of memory");
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return error_set(w->err, -ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, path);
	int r = fill_entry(w, e, dfd, name, rel, &st);
	if (r >= 0 && archive_write_header(w->ar, e) < ARCHIVE_WARN)
		r = tar_error(w, rel);
	if (r >= 0 && archive_entry_size(e) > 0)
		r = put_data(w, dfd, name, rel, archive_entry_size(e));
	archive_entry_free(e);
	if (r < 0 || !S_ISDIR(st.st_mode))
		return r;
	if (w->whiteouts == WHITEOUT_OVERLAY && is_opaque_dir(dfd, name)) {
		_cleanup_free_ char *m = NULL;
		if (asprintf(&m, "%s/" WH_OPAQUE, rel) < 0)
			return error_set(w->err, -ENOMEM, "out of memory");
		if ((r = put_marker(w, m, st.st_mode & 0777, &st, false)) < 0)
			return r;
	}
	_cleanup_close_ int sub =
	    openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return error_set(w->err, -errno, "open %s: %s", rel, strerror(errno));
	return put_tree(w, sub, rel);
}

static int put_tree(struct tarw *w, int dfd, const char *prefix)
{
	char **names = NULL;
	size_t n = 0;
	int r = sorted_names(dfd, &names, &n);
	if (r < 0)
		return error_set(w->err, r, "reading directory %s: %s", *prefix ? prefix : ".",
				 strerror(-r));
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *rel = NULL;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", names[i]) < 0)
			r = error_set(w->err, -ENOMEM, "out of memory");
		else
			r = put_one(w, dfd, names[i], rel);
	}
	names_free(names, n);
	return r;
}

static int write_open(struct tarw *w, int out_fd, const char *what)
{
	if (!w->ar || !w->links)
		return error_set(w->err, -ENOMEM, "out of memory");
	/* PAX headers only where ustar cannot say it (Go's FormatPAX writer does
	 * the same), and no padding past the two end blocks, as Go writes. */
	archive_write_set_format_pax_restricted(w->ar);
	archive_write_set_bytes_per_block(w->ar, 0);
	if (archive_write_open_fd(w->ar, out_fd) != ARCHIVE_OK)
		return tar_error(w, what);
	return 0;
}

static void write_free(struct tarw *w)
{
	if (w->ar)
		archive_write_free(w->ar);
	fsops_inode_map_free(w->links);
}

int archive_write_dir(const char *dir, enum whiteout_format whiteouts, const char *const *skip,
		      int out_fd, struct error *err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_set(err, -errno, "open %s: %s", dir, strerror(errno));
	struct tarw w = {.ar = archive_write_new(),
			 .links = fsops_inode_map_new(),
			 .whiteouts = whiteouts,
			 .err = err,
			 .skip = skip};
	int r = write_open(&w, out_fd, dir);
	if (r >= 0)
		r = put_tree(&w, dfd, "");
	if (r >= 0 && archive_write_close(w.ar) != ARCHIVE_OK)
		r = tar_error(&w, "(end)");
	write_free(&w);
	return r;
}

int archive_write_entry(int dfd, const char *name, const char *as, int out_fd, struct error *err)
{
	struct archive_tar *t;
	int r = archive_tar_open(out_fd, &t, err);
	if (r < 0)
		return r;
	r = archive_tar_add(t, dfd, name, as, NULL);
	return archive_tar_close(t, r);
}

struct archive_tar {
	struct tarw w;
};

int archive_tar_open(int out_fd, struct archive_tar **ret, struct error *err)
{
	struct archive_tar *t = calloc(1, sizeof(*t));
	if (!t)
		return error_set(err, -ENOMEM, "out of memory");
	t->w = (struct tarw){.ar = archive_write_new(),
			     .links = fsops_inode_map_new(),
			     .whiteouts = WHITEOUT_DELETE,
			     .err = err};
	int r = write_open(&t->w, out_fd, "(tar)");
	if (r < 0) {
		write_free(&t->w);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int archive_tar_add(struct archive_tar *t, int dfd, const char *name, const char *as,
		    const struct archive_owner *owner)
{
	t->w.own = owner != NULL;
	if (owner) {
		t->w.uid = owner->uid;
		t->w.gid = owner->gid;
	}
	return put_one(&t->w, dfd, name, as);
}

int archive_tar_add_dir(struct archive_tar *t, const char *as, mode_t mode,
			const struct archive_owner *owner, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return error_set(t->w.err, -ENOMEM, "out of memory");
	_cleanup_free_ char *path = NULL;
	int r = asprintf(&path, "%s/", as) < 0 ? error_set(t->w.err, -ENOMEM, "out of memory") : 0;
	if (r == 0) {
		archive_entry_copy_pathname(e, path);
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, mode);
		archive_entry_set_uid(e, owner ? owner->uid : 0);
		archive_entry_set_gid(e, owner ? owner->gid : 0);
		archive_entry_set_mtime(e, mtime, 0);
		if (archive_write_header(t->w.ar, e) < ARCHIVE_WARN)
			r = tar_error(&t->w, as);
	}
	archive_entry_free(e);
	return r;
}

int archive_tar_add_file(struct archive_tar *t, int fd, const char *as, mode_t mode,
			 const struct archive_owner *owner, int64_t mtime)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_set(t->w.err, -errno, "%s: %s", as, strerror(errno));
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return error_set(t->w.err, -ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, as);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, mode);
	archive_entry_set_uid(e, owner ? owner->uid : 0);
	archive_entry_set_gid(e, owner ? owner->gid : 0);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_size(e, st.st_size);
	int r = 0;
	if (archive_write_header(t->w.ar, e) < ARCHIVE_WARN)
		r = tar_error(&t->w, as);
	char buf[65536];
	for (off_t off = 0; r == 0 && off < st.st_size;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n <= 0) {
			r = error_set(t->w.err, n < 0 ? -errno : -EIO, "reading %s", as);
			break;
		}
		if (archive_write_data(t->w.ar, buf, (size_t)n) < 0)
			r = tar_error(&t->w, as);
		off += n;
	}
	archive_entry_free(e);
	return r;
}

/* One entry of an archive being copied in under prefix. */
static int copy_in_entry(struct archive_tar *t, struct archive *in, struct archive_entry *e,
			 const char *prefix)
{
	_cleanup_free_ char *rel = NULL, *path = NULL, *link = NULL;
	int r = clean_rel(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", &rel);
	if (r < 0 || !*rel)
		return r == -EINVAL
			   ? error_set(t->w.err, r, "archive entry %s leaves the destination",
				       archive_entry_pathname(e))
			   : 0;
	if (asprintf(&path, "%s/%s", prefix, rel) < 0)
		return error_set(t->w.err, -ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, path);
	const char *hl = archive_entry_hardlink(e);
	if (hl) {
		_cleanup_free_ char *hrel = NULL;
		if (clean_rel(hl, &hrel) < 0 || asprintf(&link, "%s/%s", prefix, hrel) < 0)
			return error_set(t->w.err, -EINVAL, "archive entry %s: bad hard link",
					 path);
		archive_entry_copy_hardlink(e, link);
	}
	if (archive_write_header(t->w.ar, e) < ARCHIVE_WARN)
		return tar_error(&t->w, path);
	const void *buf;
	size_t len;
	la_int64_t off;
	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data(t->w.ar, buf, len) < 0)
			return tar_error(&t->w, path);
	return r == ARCHIVE_EOF ? 0 : error_set(t->w.err, -EINVAL, "%s", archive_error_string(in));
}

int archive_tar_add_archive(struct archive_tar *t, int fd, const char *prefix)
{
	struct archive *in = archive_read_new();
	if (!in)
		return error_set(t->w.err, -ENOMEM, "out of memory");
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	int r = 0;
	if (archive_read_open_fd(in, fd, 64 * 1024) != ARCHIVE_OK)
		r = error_set(t->w.err, -EINVAL, "%s", archive_error_string(in));
	struct archive_entry *e;
	int ar = ARCHIVE_EOF;
	while (r == 0 &&
	       ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN))
		r = copy_in_entry(t, in, e, prefix);
	if (r == 0 && ar != ARCHIVE_EOF)
		r = error_set(t->w.err, -EINVAL, "%s", archive_error_string(in));
	archive_read_free(in);
	return r;
}

int archive_tar_close(struct archive_tar *t, int r)
{
	if (r >= 0 && archive_write_close(t->w.ar) != ARCHIVE_OK)
		r = tar_error(&t->w, "(end)");
	write_free(&t->w);
	free(t);
	return r;
}

bool archive_is_tar(int fd)
{
	struct archive *in = archive_read_new();
	if (!in)
		return false;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	struct archive_entry *e;
	bool ok = archive_read_open_fd(in, fd, 64 * 1024) == ARCHIVE_OK &&
		  archive_read_next_header(in, &e) == ARCHIVE_OK;
	archive_read_free(in);
	return ok;
}

/* ---- docker diff ---- */

struct changes {
	struct archive_change *v;
	size_t n, cap;
	struct strset changed_dirs;
	const char *lower;
	enum whiteout_format whiteouts;
	struct error *err;
};

static int change_insert(struct changes *c, size_t at, const char *rel, int kind)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct archive_change *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return error_set(c->err, -ENOMEM, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	char *p = NULL;
	if (asprintf(&p, "/%s", rel) < 0)
		return error_set(c->err, -ENOMEM, "out of memory");
	memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof(*c->v));
	c->v[at] = (struct archive_change){p, kind};
	c->n++;
	return 0;
}

static int change_add(struct changes *c, const char *rel, int kind)
{
	return change_insert(c, c->n, rel, kind);
}

enum { CHANGE_MODIFY = 0, CHANGE_ADD = 1, CHANGE_DELETE = 2 };

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec &&
	       (a->tv_nsec == b->tv_nsec || a->tv_nsec == 0 || b->tv_nsec == 0);
}

/* One upper-dir entry, following moby's changes() for overlay: a whiteout
 * or opaque dir is a deletion; otherwise added, unless the lower tree has
 * it (modified) — a directory only copied up as a parent does not count. */
static int upper_entry(struct changes *c, int dfd, const char *name, const char *rel,
		       const struct stat *st)
{
	int kind = CHANGE_ADD;
	if (is_whiteout_dev(st) || (S_ISDIR(st->st_mode) && is_opaque_dir(dfd, name))) {
		kind = CHANGE_DELETE;
	} else if (c->lower) {
		_cleanup_free_ char *lp = NULL;
		struct stat ls;
		if (asprintf(&lp, "%s/%s", c->lower, rel) < 0)
			return error_set(c->err, -ENOMEM, "out of memory");
		if (lstat(lp, &ls) == 0) {
			if (S_ISDIR(st->st_mode) && S_ISDIR(ls.st_mode) &&
			    st->st_size == ls.st_size && st->st_mode == ls.st_mode &&
			    same_time(&st->st_mtim, &ls.st_mtim))
				return 0;
			kind = CHANGE_MODIFY;
		}
	}
	if (S_ISDIR(st->st_mode) && strset_add(&c->changed_dirs, rel) < 0)
		return error_set(c->err, -ENOMEM, "out of memory");
	_cleanup_free_ char *parent = parent_of(rel);
	if (!parent)
		return error_set(c->err, -ENOMEM, "out of memory");
	if (kind != CHANGE_MODIFY && *parent && !strset_has(&c->changed_dirs, parent)) {
		if (strset_add(&c->changed_dirs, parent) < 0 ||
		    change_add(c, parent, CHANGE_MODIFY) < 0)
			return error_set(c->err, -ENOMEM, "out of memory");
	}
	return change_add(c, rel, kind);
}

static int walk_upper(struct changes *c, int dfd, const char *prefix)
{
	char **names = NULL;
	size_t n = 0;
	int r = sorted_names(dfd, &names, &n);
	if (r < 0)
		return error_set(c->err, r, "reading %s: %s", prefix, strerror(-r));
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *rel = NULL;
		struct stat st;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", names[i]) < 0) {
			r = error_set(c->err, -ENOMEM, "out of memory");
			break;
		}
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if ((r = upper_entry(c, dfd, names[i], rel, &st)) < 0 || !S_ISDIR(st.st_mode))
			continue;
		_cleanup_close_ int sub =
		    openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			r = walk_upper(c, sub, rel);
	}
	names_free(names, n);
	return r;
}

/* moby's statDifferent plus the capability xattr: for directories only
 * mode and owner count, their size and mtime move for unrelated reasons. */
static bool stat_differs(int nfd, int ofd, const char *name, const struct stat *a,
			 const struct stat *b)
{
	if (a->st_mode != b->st_mode || a->st_uid != b->st_uid || a->st_gid != b->st_gid ||
	    a->st_rdev != b->st_rdev)
		return true;
	if (!S_ISDIR(a->st_mode) &&
	    (!same_time(&a->st_mtim, &b->st_mtim) || a->st_size != b->st_size))
		return true;
	char p1[64], p2[64], v1[256], v2[256];
	snprintf(p1, sizeof(p1), "/proc/self/fd/%d/", nfd);
	snprintf(p2, sizeof(p2), "/proc/self/fd/%d/", ofd);
	_cleanup_free_ char *f1 = NULL, *f2 = NULL;
	if (asprintf(&f1, "%s%s", p1, name) < 0 || asprintf(&f2, "%s%s", p2, name) < 0)
		return false;
	ssize_t n1 = lgetxattr(f1, "security.capability", v1, sizeof(v1));
	ssize_t n2 = lgetxattr(f2, "security.capability", v2, sizeof(v2));
	return (n1 > 0 || n2 > 0) && (n1 != n2 || memcmp(v1, v2, (size_t)n1));
}

static bool name_in(char **v, size_t n, const char *name)
{
	return n && bsearch(&name, v, n, sizeof(*v), cmp_names);
}

/* moby's addChanges over two full trees (vfs): ofd < 0 means the old side
 * has no such directory. A directory with changes inside is listed as
 * modified before them. */
static int compare_dirs(struct changes *c, int nfd, int ofd, const char *prefix, bool added)
{
	size_t at = c->n;
	char **nn = NULL, **on = NULL;
	size_t nn_n = 0, on_n = 0;
	int r = sorted_names(nfd, &nn, &nn_n);
	if (r >= 0 && ofd >= 0)
		r = sorted_names(ofd, &on, &on_n);
	for (size_t i = 0; r >= 0 && i < nn_n; i++) {
		_cleanup_free_ char *rel = NULL;
		struct stat ns, os;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", nn[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		if (fstatat(nfd, nn[i], &ns, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		bool old =
		    name_in(on, on_n, nn[i]) && fstatat(ofd, nn[i], &os, AT_SYMLINK_NOFOLLOW) == 0;
		bool child_added = !old || stat_differs(nfd, ofd, nn[i], &ns, &os);
		if (child_added && (r = change_add(c, rel, old ? CHANGE_MODIFY : CHANGE_ADD)) < 0)
			break;
		if (!S_ISDIR(ns.st_mode))
			continue;
		_cleanup_close_ int nsub =
		    openat(nfd, nn[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int osub =
		    old && S_ISDIR(os.st_mode)
			? openat(ofd, nn[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			: -1;
		if (nsub >= 0)
			r = compare_dirs(c, nsub, osub, rel, child_added);
	}
	for (size_t i = 0; r >= 0 && i < on_n; i++) {
		_cleanup_free_ char *rel = NULL;
		if (name_in(nn, nn_n, on[i]))
			continue;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", on[i]) < 0)
			r = -ENOMEM;
		else
			r = change_add(c, rel, CHANGE_DELETE);
	}
	names_free(nn, nn_n);
	names_free(on, on_n);
	if (r >= 0 && c->n > at && !added && *prefix)
		r = change_insert(c, at, prefix, CHANGE_MODIFY);
	if (r < 0 && !c->err->msg)
		error_set(c->err, r, "comparing %s: %s", *prefix ? prefix : "/", strerror(-r));
	return r;
}

int archive_changes(const char *dir, const char *lower, enum whiteout_format whiteouts,
		    struct archive_change **ret, size_t *ret_n, struct error *err)
{
	struct error local = ERROR_INIT;
	struct changes c = {.lower = lower, .whiteouts = whiteouts, .err = err ? err : &local};
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int lfd = lower && whiteouts == WHITEOUT_DELETE
				      ? open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				      : -1;
	int r;
	if (dfd < 0 || (lower && whiteouts == WHITEOUT_DELETE && lfd < 0))
		r = error_set(c.err, -errno, "open %s: %s", dfd < 0 ? dir : lower, strerror(errno));
	else if (whiteouts == WHITEOUT_OVERLAY)
		r = walk_upper(&c, dfd, "");
	else
		r = compare_dirs(&c, dfd, lfd, "", lower == NULL);
	strset_free(&c.changed_dirs);
	error_clear(&local);
	if (r < 0) {
		archive_changes_free(c.v, c.n);
		return r;
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

void archive_changes_free(struct archive_change *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].path);
	free(c);
}
