/* Layer store: on-disk layout, loading, reference counting, crash-safe commit
 * and the thread-pool side that unpacks layers. */
#define _XOPEN_SOURCE 700
#include "image/layer_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "storage/driver.h"

struct removal_waiter {
	void (*cb)(void *data);
	void *data;
	struct removal_waiter *next;
};

struct layer_store {
	uv_loop_t *loop;
	char *db;
	struct storage_driver *drv;
	struct layer **v;
	size_t n, cap;
	unsigned removing;		  /* removals queued on the thread pool */
	bool sync_removals;		  /* at start-up, before berthd serves */
	struct removal_waiter *waiters; /* called once removing drops to 0 */
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);
	return r < 0 && errno != ENOENT ? -1 : 0;
}

int image_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

char *layer_tar_path(const char *db, const char *chain_id)
{
	char *p;
	if (asprintf(&p, "%s/sha256/%s/layer.tar.zst", db, digest_hex(chain_id)) < 0)
		return NULL;
	return p;
}

/* ---- loading ---- */

static int read_small(const char *dir, const char *name, char *out, size_t size)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	size_t len;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	int r = fs_read_file(path, 4096, &data, &len);
	if (r < 0)
		return r;
	while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	if (len >= size)
		return -EINVAL;
	memcpy(out, data, len);
	out[len] = '\0';
	return 0;
}

static int store_add(struct layer_store *ls, struct layer *l)
{
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? 2 * ls->cap : 16;
		struct layer **v = realloc(ls->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ls->v = v;
		ls->cap = cap;
	}
	ls->v[ls->n++] = l;
	return 0;
}

static void store_remove_at(struct layer_store *ls, size_t i)
{
	ls->v[i] = ls->v[--ls->n];
}

struct layer *layer_store_get(struct layer_store *ls, const char *chain_id)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i]->chain_id, chain_id) == 0)
			return ls->v[i];
	return NULL;
}

/* One layerdb/sha256/<hex> directory; parent_out gets the parent chain ID. */
static int load_one(const char *dir, const char *hex, struct layer **ret, char *parent_out)
{
	_cleanup_free_ struct layer *l = calloc(1, sizeof(*l));
	char num[32];
	if (!l)
		return -ENOMEM;
	memcpy(l->chain_id, "sha256:", 7);
	memcpy(l->chain_id + 7, hex, DIGEST_HEX_LEN + 1); /* checked by the caller */
	if (read_small(dir, "diff", l->diff_id, sizeof(l->diff_id)) < 0 ||
	    read_small(dir, "cache-id", l->cache_id, sizeof(l->cache_id)) < 0 ||
	    !digest_valid(l->diff_id) || strlen(l->cache_id) != DIGEST_HEX_LEN)
		return -EINVAL;
	if (read_small(dir, "size", num, sizeof(num)) == 0)
		l->size = strtoll(num, NULL, 10);
	if (read_small(dir, "tar-size", num, sizeof(num)) == 0)
		l->tar_size = strtoll(num, NULL, 10);
	if (read_small(dir, "parent", parent_out, DIGEST_BUF) < 0)
		parent_out[0] = '\0';
	*ret = TAKE_PTR(l);
	return 0;
}

/* Parents are linked after all layers are read; a layer whose parent is
 * missing cannot be mounted and is dropped (with its descendants). */
static void link_parents(struct layer_store *ls, char (*parents)[DIGEST_BUF])
{
	bool changed = true;
	for (size_t i = 0; i < ls->n; i++)
		if (parents[i][0])
			ls->v[i]->parent = layer_store_get(ls, parents[i]);
	while (changed) {
		changed = false;
		for (size_t i = 0; i < ls->n; i++) {
			struct layer *l = ls->v[i];
			bool broken = parents[i][0] && (!l->parent || !layer_store_get(ls, parents[i]));
			if (!broken)
				continue;
			_cleanup_free_ char *dir = NULL;
			if (asprintf(&dir, "%s/sha256/%s", ls->db, digest_hex(l->chain_id)) >= 0)
				image_rm_rf(dir);
			free(l);
			memcpy(parents[i], parents[ls->n - 1], DIGEST_BUF);
			store_remove_at(ls, i);
			changed = true;
			break;
		}
	}
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i]->parent)
			ls->v[i]->parent->refs++;
}

static int load_all(struct layer_store *ls, struct error *err)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/sha256", ls->db) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	DIR *d = opendir(dir);
	if (!d)
		return error_set(err, -errno, "cannot read %s: %m", dir);
	_cleanup_free_ char(*parents)[DIGEST_BUF] = NULL;
	size_t cap = 0;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d)) && r == 0) {
		if (!digest_is_hex(de->d_name, strlen(de->d_name)) ||
		    strlen(de->d_name) != DIGEST_HEX_LEN)
			continue;
		_cleanup_free_ char *ldir = NULL;
		struct layer *l;
		char parent[DIGEST_BUF];
		if (asprintf(&ldir, "%s/%s", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (load_one(ldir, de->d_name, &l, parent) < 0) {
			image_rm_rf(ldir); /* not a complete layer */
			continue;
		}
		fs_remove_stale_tmp(ldir); /* writes kill -9 cut short */
		if (ls->n == cap) {
			cap = cap ? 2 * cap : 16;
			void *p = realloc(parents, cap * sizeof(*parents));
			if (!p) {
				free(l);
				r = -ENOMEM;
				break;
			}
			parents = p;
		}
		memcpy(parents[ls->n], parent, DIGEST_BUF);
		r = store_add(ls, l);
		if (r < 0)
			free(l);
	}
	closedir(d);
	if (r < 0)
		return error_set(err, r, "cannot load layers");
	link_parents(ls, parents);
	return 0;
}

int layer_store_open(uv_loop_t *loop, const char *root, struct storage_driver *drv,
		     struct layer_store **ret, struct error *err)
{
	_cleanup_free_ struct layer_store *ls = calloc(1, sizeof(*ls));
	_cleanup_free_ char *sha = NULL, *tmp = NULL;
	if (!ls || asprintf(&ls->db, "%s/layerdb", root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	ls->loop = loop;
	ls->drv = drv;
	if (asprintf(&sha, "%s/sha256", ls->db) < 0 || asprintf(&tmp, "%s/tmp", ls->db) < 0) {
		free(ls->db);
		return error_set(err, -ENOMEM, "out of memory");
	}
	image_rm_rf(tmp); /* unfinished unpacks and removals of a previous run */
	int r = fs_mkdir_p(sha, 0700, err);
	if (r == 0)
		r = fs_mkdir_p(tmp, 0700, err);
	if (r == 0)
		r = load_all(ls, err);
	if (r < 0) {
		layer_store_free(TAKE_PTR(ls));
		return r;
	}
	*ret = TAKE_PTR(ls);
	return 0;
}

void layer_store_free(struct layer_store *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->n; i++)
		free(ls->v[i]);
	free(ls->v);
	free(ls->db);
	free(ls);
}

size_t layer_store_count(const struct layer_store *ls)
{
	return ls->n;
}

int64_t layer_store_total_size(const struct layer_store *ls)
{
	int64_t t = 0;
	for (size_t i = 0; i < ls->n; i++)
		t += ls->v[i]->size;
	return t;
}

int64_t layer_chain_size(const struct layer *l)
{
	int64_t t = 0;
	for (; l; l = l->parent)
		t += l->size;
	return t;
}

void layer_ref(struct layer *l)
{
	l->refs++;
}

/* ---- removal ---- */

struct remove_job {
	uv_work_t w;
	struct layer_store *ls;
	struct storage_driver *drv;
	char cache_id[DIGEST_HEX_LEN + 1];
	char *dir;
};

static void remove_work(uv_work_t *w)
{
	struct remove_job *j = w->data;
	struct error err = ERROR_INIT;
	storage_remove(j->drv, j->cache_id, &err); /* a leftover is cleaned at start */
	error_clear(&err);
	image_rm_rf(j->dir);
}

static void remove_done(uv_work_t *w, int status)
{
	struct remove_job *j = w->data;
	struct layer_store *ls = j->ls;
	(void)status;
	free(j->dir);
	free(j);
	if (--ls->removing > 0)
		return;
	struct removal_waiter *list = TAKE_PTR(ls->waiters);
	while (list) {
		struct removal_waiter *next = list->next;
		list->cb(list->data);
		free(list);
		list = next;
	}
}

int layer_store_after_removals(struct layer_store *ls, void (*cb)(void *data), void *data)
{
	if (ls->removing == 0) {
		cb(data);
		return 0;
	}
	struct removal_waiter *w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct removal_waiter){.cb = cb, .data = data, .next = ls->waiters};
	ls->waiters = w;
	return 0;
}

/* The layer's directory leaves layerdb/sha256 at once (a rename, so a crash
 * cannot leave it half there); the slow deletion runs on the thread pool. */
static void layer_destroy(struct layer_store *ls, struct layer *l)
{
	_cleanup_free_ char *dir = NULL, *grave = NULL;
	struct remove_job *j = calloc(1, sizeof(*j));
	if (asprintf(&dir, "%s/sha256/%s", ls->db, digest_hex(l->chain_id)) < 0 ||
	    asprintf(&grave, "%s/tmp/remove-%s", ls->db, digest_hex(l->chain_id)) < 0 || !j) {
		free(j);
		return;
	}
	image_rm_rf(grave);
	if (rename(dir, grave) < 0)
		image_rm_rf(dir);
	j->ls = ls;
	j->drv = ls->drv;
	memcpy(j->cache_id, l->cache_id, sizeof(j->cache_id));
	j->dir = TAKE_PTR(grave);
	j->w.data = j;
	ls->removing++;
	if (ls->sync_removals || uv_queue_work(ls->loop, &j->w, remove_work, remove_done) < 0) {
		remove_work(&j->w);
		remove_done(&j->w, 0);
	}
}

void layer_store_release(struct layer_store *ls, struct layer *l, json_t *removed)
{
	while (l && --l->refs == 0) {
		struct layer *parent = l->parent;
		for (size_t i = 0; i < ls->n; i++)
			if (ls->v[i] == l)
				store_remove_at(ls, i);
		if (removed)
			json_array_append_new(removed, json_string(l->chain_id));
		layer_destroy(ls, l);
		free(l);
		l = parent;
	}
}

int layer_store_gc(struct layer_store *ls, const char *const *extra_keep, struct error *err)
{
	bool again = true;
	/* Leftovers are gone before berthd serves: nothing for a client to see. */
	ls->sync_removals = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < ls->n; i++) {
			if (ls->v[i]->refs)
				continue;
			ls->v[i]->refs = 1;
			layer_store_release(ls, ls->v[i], NULL);
			again = true;
			break;
		}
	}
	ls->sync_removals = false;
	size_t n_extra = 0;
	while (extra_keep && extra_keep[n_extra])
		n_extra++;
	_cleanup_free_ const char **keep = calloc(ls->n + n_extra + 1, sizeof(*keep));
	if (!keep)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < ls->n; i++)
		keep[i] = ls->v[i]->cache_id;
	for (size_t i = 0; i < n_extra; i++)
		keep[ls->n + i] = extra_keep[i];
	return storage_cleanup(ls->drv, keep, err);
}

/* ---- preparing (thread pool) ---- */

int layer_store_paths(const struct layer_store *ls, struct layer_paths *ret)
{
	ret->db = strdup(ls->db);
	ret->drv = ls->drv;
	return ret->db ? 0 : -ENOMEM;
}

void layer_paths_done(struct layer_paths *p)
{
	free(p->db);
	p->db = NULL;
}

static int write_text(const char *dir, const char *name, const char *text, struct error *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_write_atomic(path, text, strlen(text), 0600, err);
}

static int archive_fail(struct archive *a, const char *what, struct error *err)
{
	int e = archive_errno(a);
	return error_set(err, e > 0 ? -e : -EIO, "%s: %s", what, archive_error_string(a));
}

/* Compresses the file at src_fd (from its start) into a zstd file at dst.
 * zstd at level 1 keeps up with unpacking, where gzip halved its speed. */
static int compress_file(int src_fd, const char *dst, struct error *err)
{
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return error_set(err, -errno, "cannot create %s: %m", dst);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char buf[1 << 16];
	int r = 0;
	archive_write_add_filter_zstd(a);
	archive_write_set_filter_option(a, "zstd", "compression-level", "1");
	archive_write_set_format_raw(a);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "layer.tar");
	if (archive_write_open_fd(a, out) != ARCHIVE_OK || archive_write_header(a, e) != ARCHIVE_OK)
		r = archive_fail(a, "cannot compress layer", err);
	while (r == 0) {
		ssize_t n = read(src_fd, buf, sizeof(buf));
		if (n < 0) {
			r = error_set(err, -errno, "cannot read layer: %m");
			break;
		}
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t)n) < 0)
			r = archive_fail(a, "cannot compress layer", err);
	}
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = archive_fail(a, "cannot compress layer", err);
	archive_entry_free(e);
	archive_write_free(a);
	if (r == 0 && fsync(out) < 0)
		r = error_set(err, -errno, "cannot sync %s: %m", dst);
	return r;
}

int layer_tar_read(const char *gz_path, int (*write_fn)(const void *, size_t, void *),
		   void *userdata, struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, gz_path, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		r = archive_fail(a, "cannot read layer", err);
	char buf[1 << 16];
	while (r == 0) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			r = archive_fail(a, "cannot read layer", err);
		else if (n == 0)
			break;
		else
			r = write_fn(buf, (size_t)n, userdata);
	}
	archive_read_free(a);
	if (r < 0 && !err->msg)
		error_set(err, r, "cannot write layer: %s", strerror(-r));
	return r;
}

static int write_layer_files(const char *dir, const struct layer_prep *p, struct error *err)
{
	char num[32];
	int r = write_text(dir, "diff", p->diff_id, err);
	if (r == 0)
		r = write_text(dir, "cache-id", p->cache_id, err);
	snprintf(num, sizeof(num), "%" PRId64, p->size);
	if (r == 0)
		r = write_text(dir, "size", num, err);
	snprintf(num, sizeof(num), "%" PRId64, p->tar_size);
	if (r == 0)
		r = write_text(dir, "tar-size", num, err);
	if (r == 0 && p->parent_chain[0])
		r = write_text(dir, "parent", p->parent_chain, err);
	return r;
}

static int unpack(const struct layer_paths *lp, int fd, const char *parent_cache,
		  const char *expect, struct layer_prep *p, struct error *err)
{
	_cleanup_free_ char *diff = NULL, *raw = NULL, *gz = NULL;
	int r = storage_create(lp->drv, p->cache_id, parent_cache, err);
	if (r < 0)
		return r;
	r = storage_diff_path(lp->drv, p->cache_id, &diff, err);
	if (r < 0)
		return r;
	if (asprintf(&raw, "%s/layer.tar", p->tmpdir) < 0 ||
	    asprintf(&gz, "%s/layer.tar.zst", p->tmpdir) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int keep = open(raw, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (keep < 0)
		return error_set(err, -errno, "cannot create %s: %m", raw);
	struct layer_digest ld;
	r = archive_apply_layer(fd, diff, storage_driver_whiteouts(lp->drv), keep, &ld, err);
	if (r < 0)
		return r;
	if (expect && strcmp(expect, ld.diff_id) != 0)
		return error_set(err, -EINVAL,
				 "layer content does not match its diff ID: expected %s, got %s",
				 expect, ld.diff_id);
	memcpy(p->diff_id, ld.diff_id, sizeof(p->diff_id));
	p->size = ld.size;
	p->tar_size = ld.tar_size;
	if (lseek(keep, 0, SEEK_SET) < 0)
		return error_set(err, -errno, "cannot rewind layer: %m");
	r = compress_file(keep, gz, err);
	unlink(raw);
	return r;
}

int layer_prepare(const struct layer_paths *lp, int fd, const char *parent_chain,
		  const char *parent_cache, const char *expect_diff_id, struct layer_prep *ret,
		  struct error *err)
{
	struct layer_prep p = {0};
	int r = digest_random_hex(p.cache_id);
	if (r < 0)
		return error_set(err, r, "cannot make a layer ID: %s", strerror(-r));
	snprintf(p.parent_chain, sizeof(p.parent_chain), "%s", parent_chain ? parent_chain : "");
	if (asprintf(&p.tmpdir, "%s/tmp/write-%s", lp->db, p.cache_id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (mkdir(p.tmpdir, 0700) < 0) {
		r = error_set(err, -errno, "cannot create %s: %m", p.tmpdir);
		free(p.tmpdir);
		return r;
	}
	r = unpack(lp, fd, parent_cache, expect_diff_id, &p, err);
	if (r == 0) {
		digest_chain_next(p.parent_chain, p.diff_id, p.chain_id);
		r = write_layer_files(p.tmpdir, &p, err);
	}
	if (r < 0) {
		layer_prep_discard(lp, &p);
		return r;
	}
	*ret = p;
	return 0;
}

void layer_prep_discard(const struct layer_paths *lp, struct layer_prep *p)
{
	struct error err = ERROR_INIT;
	storage_remove(lp->drv, p->cache_id, &err);
	error_clear(&err);
	if (p->tmpdir)
		image_rm_rf(p->tmpdir);
	layer_prep_done(p);
}

void layer_prep_done(struct layer_prep *p)
{
	free(p->tmpdir);
	p->tmpdir = NULL;
}

static int sync_dir(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 || fsync(fd) < 0 ? -errno : 0;
}

int layer_store_commit(struct layer_store *ls, struct layer_prep *p, struct layer **ret,
		       struct error *err)
{
	struct layer *l = layer_store_get(ls, p->chain_id);
	if (l) {
		/* Same content already stored: keep one copy. */
		struct layer_paths lp = {ls->db, ls->drv};
		layer_prep_discard(&lp, p);
		layer_ref(l);
		*ret = l;
		return 0;
	}
	struct layer *parent = p->parent_chain[0] ? layer_store_get(ls, p->parent_chain) : NULL;
	if (p->parent_chain[0] && !parent)
		return error_set(err, -ENOENT, "parent layer %s is gone", p->parent_chain);
	_cleanup_free_ char *dir = NULL, *sha = NULL;
	l = calloc(1, sizeof(*l));
	if (!l || asprintf(&sha, "%s/sha256", ls->db) < 0 ||
	    asprintf(&dir, "%s/%s", sha, digest_hex(p->chain_id)) < 0 || store_add(ls, l) < 0) {
		free(l);
		return error_set(err, -ENOMEM, "out of memory");
	}
	if (sync_dir(p->tmpdir) < 0 || rename(p->tmpdir, dir) < 0) {
		int e = -errno;
		ls->n--;
		free(l);
		return error_set(err, e, "cannot register layer %s: %s", p->chain_id, strerror(-e));
	}
	sync_dir(sha);
	memcpy(l->chain_id, p->chain_id, sizeof(l->chain_id));
	memcpy(l->diff_id, p->diff_id, sizeof(l->diff_id));
	memcpy(l->cache_id, p->cache_id, sizeof(l->cache_id));
	l->size = p->size;
	l->tar_size = p->tar_size;
	l->parent = parent;
	if (parent)
		layer_ref(parent);
	l->refs = 1;
	layer_prep_done(p);
	*ret = l;
	return 0;
}
