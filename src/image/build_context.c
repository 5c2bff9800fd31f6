/* Build contexts and COPY/ADD layers (moby's builder/remotecontext and
 * builder/dockerfile/copy.go, reduced to local sources). */
#include "image/build_context.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/path.h"
#include "image/archive.h"
#include "image/dockerfile.h"
#include "image/layer_store.h"
#include "image/unpack_archive.h"
#include "image/untar_in_root.h"
#include "storage/fsops.h"

#define DOCKERFILE_MAX (16 << 20)

/* ---- the context ---- */

static int sorted_children(int dfd, char ***ret, size_t *ret_n)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char **nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		if (!(v[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* insertion sort: byte order, as Go walks */
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Removes what the patterns exclude below dfd (at prefix). A directory
 * that an exception may re-include is walked rather than removed. */
static int prune(int dfd, const char *prefix, const struct dockerignore *di, struct error *err)
{
	char **names;
	size_t n;
	int r = sorted_children(dfd, &names, &n);
	if (r < 0)
		return error_set(err, r, "reading the build context: %s", strerror(-r));
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *rel = NULL;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", names[i]) < 0) {
			r = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		struct stat st;
		bool dir =
		    fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		bool excluded = dockerignore_excluded(di, rel);
		if (excluded && (!dir || !dockerignore_has_exceptions(di))) {
			r = fsops_remove_at(dfd, names[i], err);
			continue;
		}
		if (!dir)
			continue;
		_cleanup_close_ int sub =
		    openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		r = prune(sub, rel, di, err);
		if (r == 0 && excluded)
			unlinkat(dfd, names[i],
				 AT_REMOVEDIR); /* kept only if something came back */
	}
	names_free(names, n);
	return r;
}

static int apply_dockerignore(struct build_context *c, struct error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = image_archive_read(c->dir_fd, ".dockerignore", DOCKERFILE_MAX, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return error_set(err, r, "reading .dockerignore: %s", strerror(-r));
	struct dockerignore *di;
	if ((r = dockerignore_parse(text, len, &di, err)) < 0)
		return r;
	r = prune(c->dir_fd, "", di, err);
	dockerignore_free(di);
	return r;
}

static int read_dockerfile(struct build_context *c, const char *name, struct error *err)
{
	_cleanup_free_ char *clean = path_clean(name);
	if (!clean)
		return error_set(err, -ENOMEM, "out of memory");
	int r = image_archive_read(c->dir_fd, clean, DOCKERFILE_MAX, &c->dockerfile,
				   &c->dockerfile_len);
	if (r == -ENOENT && !strcmp(clean, "Dockerfile"))
		r = image_archive_read(c->dir_fd, "dockerfile", DOCKERFILE_MAX, &c->dockerfile,
				       &c->dockerfile_len);
	if (r == -ENOENT)
		return error_set(err, -ENOENT, "Cannot locate specified Dockerfile: %s", name);
	if (r < 0)
		return error_set(err, r, "reading %s: %s", name, strerror(-r));
	return 0;
}

/* A body that is not a tar is the Dockerfile itself (docker build - <
 * Dockerfile). */
static int bare_dockerfile(struct build_context *c, int fd, struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return error_set(err, -errno, "reading the build context: %m");
	if (st.st_size > DOCKERFILE_MAX)
		return error_set(err, -EFBIG, "the Dockerfile is too large");
	c->dockerfile = malloc((size_t)st.st_size + 1);
	if (!c->dockerfile)
		return error_set(err, -ENOMEM, "out of memory");
	ssize_t n = pread(fd, c->dockerfile, (size_t)st.st_size, 0);
	if (n < 0)
		return error_set(err, -errno, "reading the build context: %m");
	c->dockerfile[n] = '\0';
	c->dockerfile_len = (size_t)n;
	return 0;
}

static int open_context(struct build_context *c, int fd, const char *name, struct error *err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return error_set(err, -errno, "reading the build context: %m");
	bool tar = archive_is_tar(fd);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return error_set(err, -errno, "reading the build context: %m");
	struct stat st;
	if (!tar && fstat(fd, &st) == 0 && st.st_size > 0)
		return bare_dockerfile(c, fd, err);
	if (tar) {
		struct untar_opts o = {0};
		int r = untar_in_root(fd, c->dir_fd, "/", &o, err);
		if (r < 0)
			return error_wrap(err, "Error processing tar file");
	}
	int r = read_dockerfile(c, name, err);
	return r < 0 ? r : apply_dockerignore(c, err);
}

int build_context_open(int fd, const char *tmp_root, const char *name, struct build_context *ret,
		       struct error *err)
{
	struct build_context c = {.dir_fd = -1};
	if (asprintf(&c.dir, "%s/build-XXXXXX", tmp_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (!mkdtemp(c.dir)) {
		int r = error_set(err, -errno, "cannot create %s: %m", c.dir);
		free(c.dir);
		return r;
	}
	c.dir_fd = open(c.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = c.dir_fd < 0 ? error_set(err, -errno, "%s: %m", c.dir)
			     : open_context(&c, fd, name, err);
	if (r < 0) {
		build_context_remove(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void build_context_remove(struct build_context *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	if (c->dir)
		image_rm_rf(c->dir);
	free(c->dir);
	free(c->dockerfile);
	*c = (struct build_context){.dir_fd = -1};
}

/* ---- COPY and ADD ---- */

struct source {
	int dir_fd; /* the source's directory (O_PATH) */
	char *name; /* its name there; "." for a directory itself */
	char *base; /* the last element of the path as written */
	struct stat st;
};

struct copy_job {
	const struct copy_spec *s;
	struct source *v;
	size_t n;
	struct error *err;
};

static void sources_free(struct copy_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		if (j->v[i].dir_fd >= 0)
			close(j->v[i].dir_fd);
		free(j->v[i].name);
		free(j->v[i].base);
	}
	free(j->v);
}

static int not_found(struct copy_job *j, const char *src)
{
	if (j->s->from_context)
		return error_set(j->err, -ENOENT,
				 "%s failed: file not found in build context or excluded by "
				 ".dockerignore: stat %s: file does not exist",
				 j->s->cmd, src);
	return error_set(j->err, -ENOENT, "%s failed: stat %s: file does not exist", j->s->cmd,
			 src);
}

static int add_source(struct copy_job *j, const char *rel, const char *src)
{
	_cleanup_free_ char *dir = path_dir(rel), *base = path_base(rel);
	if (!dir || !base)
		return error_set(j->err, -ENOMEM, "out of memory");
	struct source s = {.dir_fd = -1};
	bool root = !strcmp(rel, ".");
	s.dir_fd = path_open_in_root(j->s->src_root_fd, root ? "." : dir, O_PATH | O_DIRECTORY);
	if (s.dir_fd < 0)
		return not_found(j, src);
	s.name = strdup(root ? "." : base);
	s.base = strdup(base);
	if (!s.name || !s.base || fstatat(s.dir_fd, s.name, &s.st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		close(s.dir_fd);
		free(s.name);
		free(s.base);
		return e == ENOENT || e == ENOTDIR
			   ? not_found(j, src)
			   : error_set(j->err, -e, "%s: %s", src, strerror(e));
	}
	struct source *v = realloc(j->v, (j->n + 1) * sizeof(*v));
	if (!v) {
		close(s.dir_fd);
		free(s.name);
		free(s.base);
		return error_set(j->err, -ENOMEM, "out of memory");
	}
	j->v = v;
	j->v[j->n++] = s;
	return 0;
}

/* Every path below dfd matching pattern (filepath.Match on the whole
 * relative path), in walk order. */
static int add_matches(struct copy_job *j, int dfd, const char *prefix, const char *pattern)
{
	char **names;
	size_t n;
	if (sorted_children(dfd, &names, &n) < 0)
		return 0;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *rel = NULL;
		if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", names[i]) < 0) {
			r = error_set(j->err, -ENOMEM, "out of memory");
			break;
		}
		if (df_glob_match(pattern, rel, false)) {
			r = add_source(j, rel, rel);
			continue;
		}
		_cleanup_close_ int sub =
		    openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			r = add_matches(j, sub, rel, pattern);
	}
	names_free(names, n);
	return r;
}

static int collect(struct copy_job *j)
{
	size_t dl = strlen(j->s->dest);
	if (j->s->n_srcs + j->s->n_urls > 1 && (!dl || j->s->dest[dl - 1] != '/'))
		return error_set(j->err, -EINVAL,
				 "When using %s with more than one source file, the destination "
				 "must be a directory and end with a /",
				 j->s->cmd);
	for (size_t i = 0; i < j->s->n_srcs; i++) {
		const char *src = j->s->srcs[i];
		_cleanup_free_ char *rel = path_clean(src[0] == '/' ? src + 1 : src);
		if (!rel)
			return error_set(j->err, -ENOMEM, "out of memory");
		if (!strcmp(rel, "..") || !strncmp(rel, "../", 3))
			return error_set(
			    j->err, -EPERM,
			    "%s failed: forbidden path outside the build context: %s ()", j->s->cmd,
			    src);
		int r;
		if (strpbrk(rel, "*?[")) {
			size_t before = j->n;
			r = add_matches(j, j->s->src_root_fd, "", rel);
			if (r == 0 && j->n == before)
				r = error_set(j->err, -ENOENT,
					      "%s failed: no source files were specified",
					      j->s->cmd);
		} else {
			r = add_source(j, rel, src);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static bool image_has_dir(const struct copy_spec *s, const char *path)
{
	if (s->image_root_fd < 0)
		return false;
	int fd = path_open_in_root(s->image_root_fd, path, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The contents of the directory src go to dest (rel, no leading '/'). */
static int put_dir_contents(struct copy_job *j, struct archive_tar *t, const struct source *src,
			    const char *dest, const struct archive_owner *own)
{
	_cleanup_close_ int fd = openat(src->dir_fd, src->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(j->err, -errno, "%s: %m", src->base);
	char **names;
	size_t n;
	int r = sorted_children(fd, &names, &n);
	if (r < 0)
		return error_set(j->err, r, "%s: %s", src->base, strerror(-r));
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *as = NULL;
		if (asprintf(&as, "%s%s%s", dest, *dest ? "/" : "", names[i]) < 0)
			r = error_set(j->err, -ENOMEM, "out of memory");
		else
			r = archive_tar_add(t, fd, names[i], as, own);
	}
	names_free(names, n);
	return r;
}

static int put_source(struct copy_job *j, struct archive_tar *t, const struct source *src,
		      const char *dest, bool dest_dir, const struct archive_owner *own)
{
	if (S_ISDIR(src->st.st_mode))
		return put_dir_contents(j, t, src, dest, own);
	if (j->s->unpack && S_ISREG(src->st.st_mode)) {
		_cleanup_close_ int fd =
		    openat(src->dir_fd, src->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		bool tar = fd >= 0 && archive_is_tar(fd);
		if (tar && lseek(fd, 0, SEEK_SET) == 0)
			return archive_tar_add_archive(t, fd, dest);
	}
	_cleanup_free_ char *as = NULL;
	if (dest_dir ? asprintf(&as, "%s%s%s", dest, *dest ? "/" : "", src->base) < 0
		     : !(as = strdup(dest)))
		return error_set(j->err, -ENOMEM, "out of memory");
	return archive_tar_add(t, src->dir_fd, src->name, as, own);
}

static int write_layer(struct copy_job *j, int out_fd)
{
	const struct copy_spec *s = j->s;
	size_t dl = strlen(s->dest);
	bool slash = dl && s->dest[dl - 1] == '/';
	_cleanup_free_ char *clean = path_clean(s->dest);
	if (!clean)
		return error_set(j->err, -ENOMEM, "out of memory");
	size_t n = j->n + s->n_urls;
	if (n > 1 && !slash)
		return error_set(j->err, -EINVAL,
				 "When using %s with more than one source file, the destination "
				 "must be a directory and end with a /",
				 s->cmd);
	bool single_dir = j->n == 1 && !s->n_urls && S_ISDIR(j->v[0].st.st_mode);
	bool unpacking = s->unpack && j->n == 1 && S_ISREG(j->v[0].st.st_mode);
	bool dest_dir = slash || n > 1 || single_dir || image_has_dir(s, clean);
	const char *rel = clean[1] ? clean + 1 : "";
	struct archive_owner own = {s->uid, s->gid};
	const struct archive_owner *o = s->chown ? &own : NULL;
	struct archive_owner root = {0, 0};
	struct archive_tar *t;
	int r = archive_tar_open(out_fd, &t, j->err);
	if (r < 0)
		return r;
	/* A directory made for the copy is owned as its files are. */
	int64_t mtime = j->n ? j->v[0].st.st_mtim.tv_sec : 0;
	if ((dest_dir || unpacking) && *rel && !image_has_dir(s, clean))
		r = archive_tar_add_dir(t, rel, 0755, o, mtime);
	for (size_t i = 0; i < j->n && r == 0; i++)
		r = put_source(j, t, &j->v[i], rel, dest_dir, o ? o : &root);
	for (size_t i = 0; i < s->n_urls && r == 0; i++) {
		_cleanup_free_ char *as = NULL;
		if (dest_dir ? asprintf(&as, "%s%s%s", rel, *rel ? "/" : "", s->url_names[i]) < 0
			     : !(as = strdup(rel)))
			r = error_set(j->err, -ENOMEM, "out of memory");
		else /* dockerd gives downloads mode 0600 */
			r = archive_tar_add_file(t, s->url_fds[i], as, 0600, o ? o : &root, 0);
	}
	return archive_tar_close(t, r);
}

/* The cache key hashes what the layer holds, not when it was unpacked:
 * names, types, modes, owners, link targets and contents, no times. */
static int hash_layer(int fd, char *out, size_t out_len, struct error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct archive *ar = archive_read_new();
	int r = 0;
	if (!md || !ar || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_format_tar(ar);
	if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(ar, fd, 65536) != ARCHIVE_OK) {
		r = error_set(err, -EIO, "reading the layer back: %s", archive_error_string(ar));
		goto out;
	}
	struct archive_entry *e;
	int a;
	while ((a = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		char head[256];
		int n = snprintf(head, sizeof(head), "%o %lld %lld %lld|",
				 (unsigned)archive_entry_mode(e), (long long)archive_entry_uid(e),
				 (long long)archive_entry_gid(e), (long long)archive_entry_size(e));
		EVP_DigestUpdate(md, head, (size_t)n);
		const char *strs[] = {archive_entry_pathname(e), archive_entry_symlink(e),
				      archive_entry_hardlink(e)};
		for (size_t i = 0; i < 3; i++)
			EVP_DigestUpdate(md, strs[i] ? strs[i] : "",
					 strs[i] ? strlen(strs[i]) + 1 : 1);
		const void *buf;
		size_t len;
		la_int64_t off;
		while (archive_read_data_block(ar, &buf, &len, &off) == ARCHIVE_OK)
			EVP_DigestUpdate(md, buf, len);
	}
	if (a != ARCHIVE_EOF) {
		r = error_set(err, -EIO, "reading the layer back: %s", archive_error_string(ar));
		goto out;
	}
	unsigned char d[32];
	EVP_DigestFinal_ex(md, d, NULL);
	size_t o = strlen(out);
	for (int i = 0; i < 32 && o + 2 < out_len; i++, o += 2)
		snprintf(out + o, out_len - o, "%02x", d[i]);
out:
	EVP_MD_CTX_free(md);
	if (ar)
		archive_read_free(ar);
	return r;
}

int build_copy_layer(const struct copy_spec *s, int out_fd, char *key, size_t key_len,
		     struct error *err)
{
	struct copy_job j = {.s = s, .err = err};
	int r = collect(&j);
	if (r == 0)
		r = write_layer(&j, out_fd);
	if (r == 0) {
		size_t n = j.n + s->n_urls;
		const char *kind = n > 1			       ? "multi"
				   : j.n && S_ISDIR(j.v[0].st.st_mode) ? "dir"
								       : "file";
		snprintf(key, key_len, "%s:", kind);
		r = hash_layer(out_fd, key, key_len, err);
	}
	sources_free(&j);
	return r;
}
