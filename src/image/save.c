/* docker save: the archive (docker-archive format as dockerd 20.10 writes it:
 * <config-hex>.json, <v1-id>/{VERSION,json,layer.tar}, manifest.json,
 * repositories) is written by a thread-pool job into an unlinked scratch file,
 * never into memory, then streamed to the client from the loop in chunks. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "image/images.h"
#include "shared/byte_sink.h"
#include "shared/events.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "image/service.h"

struct save_layer {
	char v1id[DIGEST_HEX_LEN + 1];
	char *gz_path;
	int64_t tar_size;
	char *json; /* the legacy v1 "json" file */
};

struct save_image {
	char id[DIGEST_BUF];
	char *config;
	size_t config_len;
	json_t *tags; /* familiar name:tag strings */
	size_t first_layer, n_layers;
	struct layer *top; /* held so a concurrent rmi cannot remove the files */
};

struct save_job {
	uv_work_t work;
	struct image_service *is;
	struct byte_sink *out; /* ended by save_done or image_save */
	struct save_image *images;
	size_t n_images;
	struct save_layer *layers;
	size_t n_layers;
	json_t *repositories;
	int fd;
	struct error err;
};

static void job_free(struct save_job *j)
{
	for (size_t i = 0; i < j->n_images; i++) {
		free(j->images[i].config);
		json_decref(j->images[i].tags);
		if (j->images[i].top)
			layer_store_release(j->is->layers, j->images[i].top, NULL);
	}
	free(j->images);
	for (size_t i = 0; i < j->n_layers; i++) {
		free(j->layers[i].gz_path);
		free(j->layers[i].json);
	}
	free(j->layers);
	json_decref(j->repositories);
	if (j->fd >= 0)
		close(j->fd);
	error_clear(&j->err);
	free(j);
}

/* ---- collecting (loop) ---- */

static struct save_image *image_entry(struct save_job *j, const struct image *img)
{
	for (size_t i = 0; i < j->n_images; i++)
		if (strcmp(j->images[i].id, img->id) == 0)
			return &j->images[i];
	struct save_image *v = realloc(j->images, (j->n_images + 1) * sizeof(*v));
	if (!v)
		return NULL;
	j->images = v;
	struct save_image *si = &v[j->n_images];
	memset(si, 0, sizeof(*si));
	memcpy(si->id, img->id, DIGEST_BUF);
	si->tags = json_array();
	j->n_images++;
	return si;
}

static int read_config(struct image_service *is, const struct image *img, struct save_image *si)
{
	_cleanup_free_ char *path = NULL;
	free(si->config);
	si->config = NULL;
	if (asprintf(&path, "%s/imagedb/content/sha256/%s", image_store_root(is->store),
		     digest_hex(img->id)) < 0)
		return -ENOMEM;
	return fs_read_file(path, 64u << 20, &si->config, &si->config_len);
}

static int add_tag(struct save_image *si, const char *full, json_t *repos)
{
	_cleanup_free_ char *fam = reference_familiarize(full);
	if (!fam)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(si->tags); i++)
		if (strcmp(json_string_value(json_array_get(si->tags, i)), fam) == 0)
			return 0;
	json_array_append_new(si->tags, json_string(fam));
	char *colon = strrchr(fam, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		json_t *repo = json_object_get(repos, fam);
		if (!repo)
			json_object_set_new(repos, fam, repo = json_object());
		json_object_set_new(repo, colon + 1, json_string("")); /* v1 ID set later */
	}
	return 0;
}

/* The images and tags that name selects (parseNames): a bare repository
 * name means all its tags. */
static int select_name(struct save_job *j, const char *name)
{
	struct image_store *is = j->is->store;
	struct reference r = REFERENCE_INIT;
	bool bare = false;
	_cleanup_free_ char *repo = NULL;
	if (reference_parse(name, &r, NULL) == 0) {
		bare = !r.tag && !r.digest;
		repo = reference_name(&r);
		reference_done(&r);
	}
	size_t found = 0;
	for (size_t i = 0; bare && repo && i < image_store_count(is); i++) {
		struct image *img = image_store_at(is, i);
		size_t n;
		_cleanup_free_ const char **refs = image_store_refs(is, img->id, &n);
		for (size_t k = 0; refs && k < n; k++) {
			size_t rl = strlen(repo);
			if (strncmp(refs[k], repo, rl) != 0 || refs[k][rl] != ':')
				continue;
			struct save_image *si = image_entry(j, img);
			if (!si || add_tag(si, refs[k], j->repositories) < 0)
				return error_set(&j->err, -ENOMEM, "out of memory");
			found++;
		}
	}
	if (found)
		return 0;
	struct image *img;
	int e = image_store_lookup(is, name, &img, &j->err);
	if (e < 0)
		return e;
	struct save_image *si = image_entry(j, img);
	if (!si)
		return error_set(&j->err, -ENOMEM, "out of memory");
	const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
	bool by_id = strncmp(digest_hex(img->id), hex, strlen(hex)) == 0;
	if (!by_id) {
		_cleanup_free_ char *full = NULL;
		if (reference_normalize(name, &full, NULL) == 0 && !strchr(full, '@')) {
			if (add_tag(si, full, j->repositories) < 0)
				return error_set(&j->err, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

static char *v1_json(const char *id, const char *parent, const struct image *img, bool top)
{
	json_t *o = json_pack("{s:s}", "id", id);
	if (parent)
		json_object_set_new(o, "parent", json_string(parent));
	json_t *created = json_object_get(img->config, "created");
	json_object_set(o, "created", created ? created : json_string("1970-01-01T00:00:00Z"));
	if (top) {
		const char *keys[] = {"config", "architecture", "os", "author", "comment"};
		for (size_t i = 0; i < 5; i++)
			if (json_object_get(img->config, keys[i]))
				json_object_set(o, keys[i], json_object_get(img->config, keys[i]));
	}
	json_object_set_new(o, "container_config", json_pack("{s:n}", "Cmd"));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Layers of img from base to top, with v1 IDs chained as dockerd does
 * (any stable function of the chain works: loaders read manifest.json). */
static int add_layers(struct save_job *j, const struct image *img, struct save_image *si)
{
	struct layer *stack[256];
	size_t n = 0;
	for (struct layer *l = img->top; l; l = l->parent) {
		if (n == 256)
			return error_set(&j->err, -EINVAL, "image has too many layers");
		stack[n++] = l;
	}
	struct save_layer *v = realloc(j->layers, (j->n_layers + n) * sizeof(*v));
	if (!v)
		return error_set(&j->err, -ENOMEM, "out of memory");
	j->layers = v;
	si->first_layer = j->n_layers;
	si->n_layers = n;
	if (img->top) {
		si->top = img->top;
		layer_ref(si->top);
	}
	_cleanup_free_ char *db = NULL;
	if (asprintf(&db, "%s/layerdb", image_store_root(j->is->store)) < 0)
		return error_set(&j->err, -ENOMEM, "out of memory");
	const char *parent = NULL;
	for (size_t i = 0; i < n; i++) {
		struct layer *l = stack[n - 1 - i];
		struct save_layer *sl = &j->layers[j->n_layers++];
		char seed[2 * DIGEST_BUF + 2];
		snprintf(seed, sizeof(seed), "%s %s", parent ? parent : "", l->chain_id);
		if (i == n - 1)
			snprintf(seed, sizeof(seed), "%s %s", l->chain_id, img->id);
		digest_sha256_hex(seed, strlen(seed), sl->v1id);
		sl->gz_path = layer_tar_path(db, l->chain_id);
		sl->tar_size = l->tar_size;
		sl->json = v1_json(sl->v1id, parent, img, i == n - 1);
		parent = sl->v1id;
	}
	return 0;
}

static int collect(struct save_job *j, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (select_name(j, names[i]) < 0)
			return -1;
	for (size_t i = 0; i < j->n_images; i++) {
		struct image *img = image_store_get(j->is->store, j->images[i].id);
		if (read_config(j->is, img, &j->images[i]) < 0)
			return error_set(&j->err, -EIO, "cannot read the config of %s", img->id);
		if (add_layers(j, img, &j->images[i]) < 0)
			return -1;
	}
	return 0;
}

/* ---- writing (thread) ---- */

static int put_file(struct archive *a, const char *name, const void *data, size_t len, int mode)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, mode ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, mode ? 0755 : 0644);
	archive_entry_set_size(e, mode ? 0 : (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return -EIO;
	if (!mode && len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return -EIO;
	return 0;
}

static int to_archive(const void *data, size_t len, void *ud)
{
	return archive_write_data(ud, data, len) == (la_ssize_t)len ? 0 : -EIO;
}

static int put_layer(struct save_job *j, struct archive *a, const struct save_layer *l)
{
	char name[DIGEST_HEX_LEN + 16];
	snprintf(name, sizeof(name), "%s", l->v1id);
	int r = put_file(a, name, NULL, 0, 1);
	snprintf(name, sizeof(name), "%s/VERSION", l->v1id);
	if (r == 0)
		r = put_file(a, name, "1.0", 3, 0);
	snprintf(name, sizeof(name), "%s/json", l->v1id);
	if (r == 0)
		r = put_file(a, name, l->json, strlen(l->json), 0);
	if (r < 0)
		return error_set(&j->err, r, "cannot write the archive: %s", archive_error_string(a));
	struct archive_entry *e = archive_entry_new();
	snprintf(name, sizeof(name), "%s/layer.tar", l->v1id);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, l->tar_size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -EIO;
	archive_entry_free(e);
	if (r < 0)
		return error_set(&j->err, r, "cannot write the archive: %s", archive_error_string(a));
	return layer_tar_read(l->gz_path, to_archive, a, &j->err);
}

static json_t *manifest_json(struct save_job *j)
{
	json_t *m = json_array();
	for (size_t i = 0; i < j->n_images; i++) {
		const struct save_image *si = &j->images[i];
		char cfg[DIGEST_HEX_LEN + 8];
		snprintf(cfg, sizeof(cfg), "%s.json", digest_hex(si->id));
		json_t *layers = json_array();
		for (size_t k = 0; k < si->n_layers; k++) {
			char p[DIGEST_HEX_LEN + 16];
			snprintf(p, sizeof(p), "%s/layer.tar", j->layers[si->first_layer + k].v1id);
			json_array_append_new(layers, json_string(p));
		}
		json_array_append_new(m, json_pack("{s:s, s:O, s:o}", "Config", cfg, "RepoTags",
						   json_array_size(si->tags) ? si->tags : json_null(),
						   "Layers", layers));
	}
	return m;
}

/* repositories maps name -> tag -> the top layer's v1 ID. */
static void fill_repositories(struct save_job *j)
{
	for (size_t i = 0; i < j->n_images; i++) {
		const struct save_image *si = &j->images[i];
		if (!si->n_layers)
			continue;
		const char *top = j->layers[si->first_layer + si->n_layers - 1].v1id;
		for (size_t k = 0; k < json_array_size(si->tags); k++) {
			_cleanup_free_ char *t = strdup(json_string_value(json_array_get(si->tags, k)));
			char *colon = t ? strrchr(t, ':') : NULL;
			if (!colon)
				continue;
			*colon = '\0';
			json_object_set_new(json_object_get(j->repositories, t), colon + 1,
					    json_string(top));
		}
	}
}

static int put_json(struct save_job *j, struct archive *a, const char *name, json_t *v)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT);
	if (!s || put_file(a, name, s, strlen(s), 0) < 0)
		return error_set(&j->err, -EIO, "cannot write %s", name);
	return 0;
}

static int write_all_entries(struct save_job *j, struct archive *a)
{
	bool *done = calloc(j->n_layers + 1, 1);
	int r = 0;
	for (size_t i = 0; i < j->n_layers && r == 0; i++) {
		for (size_t k = 0; k < i; k++)
			done[i] |= strcmp(j->layers[k].v1id, j->layers[i].v1id) == 0;
		if (!done[i])
			r = put_layer(j, a, &j->layers[i]);
	}
	free(done);
	for (size_t i = 0; i < j->n_images && r == 0; i++) {
		char name[DIGEST_HEX_LEN + 8];
		snprintf(name, sizeof(name), "%s.json", digest_hex(j->images[i].id));
		if (put_file(a, name, j->images[i].config, j->images[i].config_len, 0) < 0)
			r = error_set(&j->err, -EIO, "cannot write %s", name);
	}
	json_t *m = manifest_json(j);
	if (r == 0)
		r = put_json(j, a, "manifest.json", m);
	json_decref(m);
	fill_repositories(j);
	if (r == 0 && json_object_size(j->repositories))
		r = put_json(j, a, "repositories", j->repositories);
	return r;
}

static void save_work(uv_work_t *w)
{
	struct save_job *j = w->data;
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, j->fd) != ARCHIVE_OK)
		error_set(&j->err, -EIO, "cannot write the archive: %s", archive_error_string(a));
	else if (write_all_entries(j, a) == 0 && archive_write_close(a) != ARCHIVE_OK)
		error_set(&j->err, -EIO, "cannot write the archive: %s", archive_error_string(a));
	archive_write_free(a);
}

/* ---- streaming (loop) ---- */

/* The archive is written to a scratch file on the thread pool, then streamed
 * at the reader's pace. A failure is the server's: dockerd answers 500 for
 * any of them. */
static void save_done(uv_work_t *w, int status)
{
	struct save_job *j = w->data;
	if (j->err.code < 0) {
		sink_fail(j->out, -EIO, error_msg(&j->err));
	} else {
		sink_begin(j->out, "application/x-tar", NULL, 0);
		sink_send_file(j->out, j->fd);
		j->fd = -1;
	}
	job_free(j);
}

static int open_scratch(struct save_job *j)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/tmp", image_store_root(j->is->store)) < 0)
		return error_set(&j->err, -ENOMEM, "out of memory");
	j->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return error_set(&j->err, -errno, "cannot create a scratch file in %s: %m", dir);
	return 0;
}

void image_save(struct image_service *is, struct byte_sink *out, const char *const *names, size_t n)
{
	struct save_job *j = calloc(1, sizeof(*j));
	if (!j) {
		sink_fail(out, -ENOMEM, "out of memory");
		return;
	}
	j->is = is;
	j->out = out;
	j->fd = -1;
	j->repositories = json_object();
	j->work.data = j;
	int r = collect(j, names, n);
	if (r == 0)
		r = open_scratch(j);
	if (r == 0 && uv_queue_work(is->deps.loop, &j->work, save_work, save_done) < 0)
		r = error_set(&j->err, -EAGAIN, "cannot queue the save");
	if (r < 0) {
		sink_end(out, &j->err);
		job_free(j);
	}
}
