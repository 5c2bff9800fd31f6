/* Image store: configs, metadata, repositories.json, lookup. */
#include "image/image_store.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "image/reference.h"

#define CONFIG_MAX (64u << 20)

struct image_ref {
	char *name; /* normalized: docker.io/library/busybox:latest */
	char id[DIGEST_BUF];
};

struct image_store {
	char *root;
	struct layer_store *ls;
	struct image **v;
	size_t n, cap;
	struct image_ref *refs;
	size_t n_refs, cap_refs;
	image_usage_fn usage;
	void *usage_data;
	struct image_job *queue, *queue_tail;
	bool busy;
};

static void image_free(struct image *img)
{
	if (!img)
		return;
	json_decref(img->config);
	free(img);
}

static char *store_path(const struct image_store *is, const char *fmt, const char *hex)
{
	char *p, *sub;
	if (asprintf(&sub, fmt, hex) < 0)
		return NULL;
	int r = asprintf(&p, "%s/%s", is->root, sub);
	free(sub);
	return r < 0 ? NULL : p;
}

/* ---- configs ---- */

/* The image's layers from rootfs.diff_ids; -EINVAL when malformed. */
static int config_top_chain(const json_t *config, char ret[DIGEST_BUF], size_t *ret_n)
{
	json_t *rootfs = json_object_get(config, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids");
	const char *type = json_string_value(json_object_get(rootfs, "type"));
	if (!type || strcmp(type, "layers") != 0 || (ids && !json_is_array(ids)))
		return -EINVAL;
	ret[0] = '\0';
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		const char *d = json_string_value(v);
		if (!digest_valid(d))
			return -EINVAL;
		digest_chain_next(ret, d, ret);
	}
	*ret_n = json_array_size(ids);
	return 0;
}

/* A struct image from config bytes, holding a reference on its top layer. */
static int image_from_config(struct image_store *is, const char *data, size_t len,
			     struct image **ret, struct error *err)
{
	json_error_t jerr;
	_cleanup_free_ struct image *img = calloc(1, sizeof(*img));
	if (!img)
		return error_set(err, -ENOMEM, "out of memory");
	img->config = json_loadb(data, len, 0, &jerr);
	char chain[DIGEST_BUF];
	if (!json_is_object(img->config) ||
	    config_top_chain(img->config, chain, &img->n_layers) < 0) {
		json_decref(img->config);
		return error_set(err, -EINVAL, "invalid image config: %s",
				 img->config ? "bad rootfs" : jerr.text);
	}
	if (chain[0]) {
		img->top = layer_store_get(is->ls, chain);
		if (!img->top) {
			json_decref(img->config);
			return error_set(err, -ENOENT, "layer %s of the image is missing", chain);
		}
		layer_ref(img->top);
	}
	digest_sha256(data, len, img->id);
	img->config_len = len;
	const char *created = json_string_value(json_object_get(img->config, "created"));
	if (created)
		time_parse_user_timestamp(created, 0, &img->created_ns);
	*ret = TAKE_PTR(img);
	return 0;
}

static int images_append(struct image_store *is, struct image *img)
{
	if (is->n == is->cap) {
		size_t cap = is->cap ? 2 * is->cap : 16;
		struct image **v = realloc(is->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		is->v = v;
		is->cap = cap;
	}
	is->v[is->n++] = img;
	return 0;
}

static void load_metadata(struct image_store *is, struct image *img)
{
	_cleanup_free_ char *p1 =
	    store_path(is, "imagedb/metadata/sha256/%s/lastUpdated", digest_hex(img->id));
	_cleanup_free_ char *p2 =
	    store_path(is, "imagedb/metadata/sha256/%s/parent", digest_hex(img->id));
	_cleanup_free_ char *s = NULL;
	size_t len;
	_cleanup_free_ char *dir =
	    store_path(is, "imagedb/metadata/sha256/%s", digest_hex(img->id));
	if (dir)
		fs_remove_stale_tmp(dir); /* writes kill -9 cut short */
	if (p1 && fs_read_file(p1, 128, &s, &len) == 0)
		time_parse_user_timestamp(s, 0, &img->last_tag_ns);
	free(TAKE_PTR(s));
	if (p2 && fs_read_file(p2, 128, &s, &len) == 0 && digest_valid(s))
		memcpy(img->parent, s, DIGEST_BUF);
}

static void load_one_config(struct image_store *is, const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	size_t len;
	char hex[DIGEST_HEX_LEN + 1];
	struct error err = ERROR_INIT;
	struct image *img;
	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    fs_read_file(path, CONFIG_MAX, &data, &len) < 0)
		return;
	digest_sha256_hex(data, len, hex);
	/* A config that does not hash to its name, or whose layers are gone, is
	 * not an image: drop it rather than serve something else. */
	if (strcmp(hex, name) != 0 || image_from_config(is, data, len, &img, &err) < 0) {
		error_clear(&err);
		unlink(path);
		return;
	}
	load_metadata(is, img);
	if (images_append(is, img) < 0)
		image_free(img);
}

static int load_configs(struct image_store *is, struct error *err)
{
	_cleanup_free_ char *dir = store_path(is, "imagedb/content/%s", "sha256");
	if (!dir)
		return error_set(err, -ENOMEM, "out of memory");
	fs_remove_stale_tmp(dir); /* writes kill -9 cut short */
	DIR *d = opendir(dir);
	if (!d)
		return error_set(err, -errno, "cannot read %s: %m", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) == DIGEST_HEX_LEN &&
		    digest_is_hex(de->d_name, DIGEST_HEX_LEN))
			load_one_config(is, dir, de->d_name);
		else if (de->d_name[0] == '.' && strncmp(de->d_name, ".tmp", 4) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return 0;
}

struct image *image_store_get(const struct image_store *is, const char *id)
{
	for (size_t i = 0; i < is->n; i++)
		if (strcmp(is->v[i]->id, id) == 0)
			return is->v[i];
	return NULL;
}

/* ---- references ---- */

static int refs_set(struct image_store *is, const char *name, const char *id)
{
	for (size_t i = 0; i < is->n_refs; i++)
		if (strcmp(is->refs[i].name, name) == 0) {
			memcpy(is->refs[i].id, id, DIGEST_BUF);
			return 0;
		}
	if (is->n_refs == is->cap_refs) {
		size_t cap = is->cap_refs ? 2 * is->cap_refs : 16;
		struct image_ref *v = realloc(is->refs, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		is->refs = v;
		is->cap_refs = cap;
	}
	char *dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	is->refs[is->n_refs].name = dup;
	memcpy(is->refs[is->n_refs].id, id, DIGEST_BUF);
	is->n_refs++;
	return 0;
}

static const char *refs_get(const struct image_store *is, const char *name)
{
	for (size_t i = 0; i < is->n_refs; i++)
		if (strcmp(is->refs[i].name, name) == 0)
			return is->refs[i].id;
	return NULL;
}

/* repositories.json as dockerd writes it: familiar names and references. */
static json_t *refs_to_json(const struct image_store *is)
{
	json_t *repos = json_object();
	for (size_t i = 0; i < is->n_refs; i++) {
		struct reference r = REFERENCE_INIT;
		if (reference_parse(is->refs[i].name, &r, NULL) < 0)
			continue;
		_cleanup_free_ char *fname = reference_familiar_name(&r);
		_cleanup_free_ char *fstr = reference_familiar_string(&r);
		reference_done(&r);
		if (!fname || !fstr)
			continue;
		json_t *repo = json_object_get(repos, fname);
		if (!repo)
			json_object_set_new(repos, fname, repo = json_object());
		json_object_set_new(repo, fstr, json_string(is->refs[i].id));
	}
	return json_pack("{s:o}", "Repositories", repos);
}

static int refs_save(struct image_store *is, struct error *err)
{
	json_t *j = refs_to_json(is);
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *path = store_path(is, "%s", "repositories.json");
	json_decref(j);
	if (!s || !path)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_write_atomic(path, s, strlen(s), 0600, err);
}

static int refs_load(struct image_store *is, struct error *err)
{
	_cleanup_free_ char *path = store_path(is, "%s", "repositories.json");
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (!path)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_read_file(path, CONFIG_MAX, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return error_set(err, r, "cannot read %s: %s", path, strerror(-r));
	json_t *j = json_loadb(data, len, 0, NULL);
	json_t *repos = json_object_get(j, "Repositories"), *repo, *id;
	const char *rname, *ref;
	json_object_foreach(repos, rname, repo)
	{
		json_object_foreach(repo, ref, id)
		{
			_cleanup_free_ char *full = NULL;
			const char *ids = json_string_value(id);
			if (!ids || !image_store_get(is, ids) ||
			    reference_normalize(ref, &full, NULL) < 0)
				continue; /* an image a crash removed before its tags */
			refs_set(is, full, ids);
		}
	}
	json_decref(j);
	return 0;
}

/* ---- open/close ---- */

int image_store_open(const char *root, struct layer_store *ls, struct image_store **ret,
		     struct error *err)
{
	_cleanup_free_ struct image_store *is = calloc(1, sizeof(*is));
	if (!is || !(is->root = strdup(root)))
		return error_set(err, -ENOMEM, "out of memory");
	is->ls = ls;
	_cleanup_free_ char *content = store_path(is, "imagedb/content/%s", "sha256");
	_cleanup_free_ char *meta = store_path(is, "imagedb/metadata/%s", "sha256");
	int r = !content || !meta ? error_set(err, -ENOMEM, "out of memory") : 0;
	if (r == 0)
		r = fs_mkdir_p(content, 0700, err);
	if (r == 0)
		r = fs_mkdir_p(meta, 0700, err);
	if (r == 0)
		r = load_configs(is, err);
	/* repositories.json and distribution metadata kill -9 cut short. */
	_cleanup_free_ char *dist =
	    store_path(is, "distribution/v2metadata-by-diffid/%s", "sha256");
	fs_remove_stale_tmp(is->root);
	if (dist)
		fs_remove_stale_tmp(dist);
	if (r == 0)
		r = refs_load(is, err);
	if (r < 0) {
		image_store_free(TAKE_PTR(is));
		return r;
	}
	*ret = TAKE_PTR(is);
	return 0;
}

void image_store_free(struct image_store *is)
{
	if (!is)
		return;
	for (size_t i = 0; i < is->n; i++)
		image_free(is->v[i]);
	for (size_t i = 0; i < is->n_refs; i++)
		free(is->refs[i].name);
	free(is->refs);
	free(is->v);
	free(is->root);
	free(is);
}

void image_store_set_usage(struct image_store *is, image_usage_fn fn, void *userdata)
{
	is->usage = fn;
	is->usage_data = userdata;
}

bool image_store_used(const struct image_store *is, const char *image_id, char *running_id,
		      char *stopped_id)
{
	running_id[0] = stopped_id[0] = '\0';
	return is->usage && is->usage(image_id, running_id, stopped_id, is->usage_data);
}

size_t image_store_count(const struct image_store *is)
{
	return is->n;
}

struct image *image_store_at(const struct image_store *is, size_t i)
{
	return is->v[i];
}

const char *image_store_root(const struct image_store *is)
{
	return is->root;
}

int image_store_tmpdir(const struct image_store *is, const char *what, char **ret,
		       struct error *err)
{
	_cleanup_free_ char *base = NULL, *dir = NULL;
	if (asprintf(&base, "%s/tmp", image_store_root(is)) < 0 ||
	    asprintf(&dir, "%s/%s-XXXXXX", base, what) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_mkdir_p(base, 0700, err);
	if (r < 0)
		return r;
	if (!mkdtemp(dir))
		return error_set(err, -errno, "cannot create %s: %m", dir);
	*ret = TAKE_PTR(dir);
	return 0;
}

struct layer_store *image_store_layers(const struct image_store *is)
{
	return is->ls;
}

/* ---- lookup ---- */

static int lookup_prefix(const struct image_store *is, const char *s, struct image **ret,
			 struct error *err)
{
	const char *hex = strncmp(s, "sha256:", 7) == 0 ? s + 7 : s;
	size_t n = strlen(hex);
	struct image *found = NULL;
	if (!digest_is_hex(hex, n) || n > DIGEST_HEX_LEN)
		return -ENOENT;
	for (size_t i = 0; i < is->n; i++) {
		if (strncmp(digest_hex(is->v[i]->id), hex, n) != 0)
			continue;
		if (found)
			return error_set(
			    err, -EINVAL,
			    "ambiguous image ID prefix %s: more than one image matches", s);
		found = is->v[i];
	}
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

static int not_found(const char *what, struct error *err)
{
	return error_set(err, -ENOENT, "No such image: %s", what);
}

int image_store_lookup(const struct image_store *is, const char *s, struct image **ret,
		       struct error *err)
{
	char id[DIGEST_BUF];
	if (strlen(s) == DIGEST_HEX_LEN && digest_is_hex(s, DIGEST_HEX_LEN))
		snprintf(id, sizeof(id), "sha256:%s", s);
	else
		snprintf(id, sizeof(id), "%.71s", s);
	if (digest_valid(id)) {
		struct image *img = image_store_get(is, id);
		if (!img)
			return not_found(id, err);
		*ret = img;
		return 0;
	}
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(s, &r, err);
	if (e < 0)
		return e;
	reference_default_tag(&r);
	_cleanup_free_ char *fam = reference_familiar_string(&r);
	/* As dockerd's reference store: a digest wins over a tag beside it
	 * (docker service create pins images as name:tag@digest). */
	if (r.digest) {
		free(r.tag);
		r.tag = NULL;
	}
	_cleanup_free_ char *full = reference_string(&r);
	reference_done(&r);
	const char *target = full ? refs_get(is, full) : NULL;
	if (target && (*ret = image_store_get(is, target)))
		return 0;
	e = lookup_prefix(is, s, ret, err);
	if (e != -ENOENT)
		return e;
	return not_found(fam ? fam : s, err);
}

/* ---- changes ---- */

static int write_metadata(struct image_store *is, const struct image *img, const char *name,
			  const char *value, struct error *err)
{
	_cleanup_free_ char *dir =
	    store_path(is, "imagedb/metadata/sha256/%s", digest_hex(img->id));
	_cleanup_free_ char *path = NULL;
	if (!dir || asprintf(&path, "%s/%s", dir, name) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_mkdir_p(dir, 0700, err);
	return r < 0 ? r : fs_write_atomic(path, value, strlen(value), 0600, err);
}

int image_store_add(struct image_store *is, const char *data, size_t len, struct image **ret,
		    struct error *err)
{
	char id[DIGEST_BUF];
	digest_sha256(data, len, id);
	struct image *img = image_store_get(is, id);
	if (img) {
		*ret = img;
		return 0;
	}
	int r = image_from_config(is, data, len, &img, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *path = store_path(is, "imagedb/content/sha256/%s", digest_hex(id));
	r = path ? fs_write_atomic(path, data, len, 0600, err)
		 : error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && images_append(is, img) < 0)
		r = error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		if (path)
			unlink(path);
		layer_store_release(is->ls, img->top, NULL);
		image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int image_store_set_parent(struct image_store *is, struct image *img, const char *parent,
			   struct error *err)
{
	if (!digest_valid(parent))
		return 0;
	int r = write_metadata(is, img, "parent", parent, err);
	if (r == 0)
		memcpy(img->parent, parent, DIGEST_BUF);
	return r;
}

int image_store_tag(struct image_store *is, struct image *img, const char *full, struct error *err)
{
	if (refs_set(is, full, img->id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = refs_save(is, err);
	if (r < 0)
		return r;
	char ts[64];
	img->last_tag_ns = time_now_ns();
	time_format_rfc3339nano(img->last_tag_ns, ts, sizeof(ts));
	write_metadata(is, img, "lastUpdated", ts, NULL);
	return 0;
}

int image_store_untag(struct image_store *is, const char *full, struct error *err)
{
	for (size_t i = 0; i < is->n_refs; i++) {
		if (strcmp(is->refs[i].name, full) != 0)
			continue;
		free(is->refs[i].name);
		is->refs[i] = is->refs[--is->n_refs];
		return refs_save(is, err);
	}
	return error_set(err, -ENOENT, "No such image: %s", full);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **image_store_refs(const struct image_store *is, const char *id, size_t *ret_n)
{
	const char **v = calloc(is->n_refs + 1, sizeof(*v));
	size_t n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < is->n_refs; i++)
		if (strcmp(is->refs[i].id, id) == 0)
			v[n++] = is->refs[i].name;
	qsort(v, n, sizeof(*v), cmp_str);
	if (ret_n)
		*ret_n = n;
	return v;
}

size_t image_store_children(const struct image_store *is, const char *id)
{
	size_t n = 0;
	for (size_t i = 0; i < is->n; i++)
		n += strcmp(is->v[i]->parent, id) == 0;
	return n;
}

int image_store_remove(struct image_store *is, struct image *img, json_t *removed_layers,
		       struct error *err)
{
	bool had_refs = false;
	for (size_t i = 0; i < is->n_refs;) {
		if (strcmp(is->refs[i].id, img->id) == 0) {
			free(is->refs[i].name);
			is->refs[i] = is->refs[--is->n_refs];
			had_refs = true;
		} else {
			i++;
		}
	}
	/* Tags go first, then the config, then layers: a crash in between
	 * leaves a dangling image or an unreferenced layer, both cleaned up. */
	int r = had_refs ? refs_save(is, err) : 0;
	if (r < 0)
		return r;
	_cleanup_free_ char *cfg = store_path(is, "imagedb/content/sha256/%s", digest_hex(img->id));
	_cleanup_free_ char *meta =
	    store_path(is, "imagedb/metadata/sha256/%s", digest_hex(img->id));
	if (cfg && unlink(cfg) < 0 && errno != ENOENT)
		return error_set(err, -errno, "cannot remove %s: %m", cfg);
	if (meta)
		image_rm_rf(meta);
	for (size_t i = 0; i < is->n; i++)
		if (is->v[i] == img) {
			memmove(is->v + i, is->v + i + 1, (is->n - i - 1) * sizeof(*is->v));
			is->n--;
			break;
		}
	if (img->top)
		layer_store_release(is->ls, img->top, removed_layers);
	image_free(img);
	return 0;
}

/* ---- exclusive jobs ---- */

void image_store_exclusive(struct image_store *is, struct image_job *job)
{
	job->next = NULL;
	if (!is->busy) {
		is->busy = true;
		job->started = true;
		job->start(job);
		return;
	}
	if (is->queue_tail)
		is->queue_tail->next = job;
	else
		is->queue = job;
	is->queue_tail = job;
}

void image_store_exclusive_done(struct image_store *is)
{
	struct image_job *job = is->queue;
	if (!job) {
		is->busy = false;
		return;
	}
	is->queue = job->next;
	if (!is->queue)
		is->queue_tail = NULL;
	job->started = true;
	job->start(job);
}

json_t *image_labels(const struct image *img)
{
	json_t *l = json_object_get(json_object_get(img->config, "config"), "Labels");
	return json_is_object(l) ? l : NULL;
}
