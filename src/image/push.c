/* docker push: for each tag, its layers go up in parallel (up to
 * --max-concurrent-uploads), each on the thread pool: a blob this layer is
 * known as (distribution metadata, dist_meta.h) that the repository has
 * already is "Layer already exists", one in another repository of the same
 * registry is mounted, else the layer is compressed (gzip) and the result
 * checked with HEAD and uploaded. Then the config, and the manifest last, so
 * a registry never names a blob it lacks. The digests used are recorded,
 * so the next push (or a push of a pulled image) finds them again. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "image/images.h"
#include "image/dist_meta.h"
#include "image/gzip_blob.h"
#include "image/image_store.h"
#include "image/pool_job.h"
#include "image/progress.h"
#include "image/reference.h"
#include "image/registry_client.h"
#include "image/registry_manifest.h"
#include "image/registry_ops.h"
#include "image/service.h"
#include "shared/byte_sink.h"

#define PROGRESS_MS 250
#define CHUNK (32 << 20)

enum push_state { P_WAIT, P_RUNNING, P_DONE };

struct push_layer {
	struct push_job *job;
	uv_work_t work;
	char diff[DIGEST_BUF], chain[DIGEST_BUF];
	char id[13];   /* short diff ID until the blob is known, as dockerd */
	json_t *known; /* dist_meta entries */
	char *tar_path;
	enum push_state state;
	_Atomic int64_t sent;
	int64_t shown, size;
	char digest[DIGEST_BUF];
	char outcome[256]; /* "Pushed", "Layer already exists", "Mounted from x" */
	struct error err;
};

struct push_job {
	struct image_service *is;
	struct byte_sink *out; /* ended by end_job */
	struct reference ref; /* the repository; tag of the current image */
	char **tags;
	size_t n_tags, cur;
	char *tmpdir, *db, *config_path;
	struct registry_client rc;
	bool logged_in;
	uv_work_t work;
	uv_timer_t timer;
	struct push_layer *layers;
	size_t n_layers;
	char image_id[DIGEST_BUF];
	char *manifest;
	char manifest_digest[DIGEST_BUF];
	struct pool_job pj;
};

static void layers_free(struct push_job *j)
{
	for (size_t i = 0; i < j->n_layers; i++) {
		json_decref(j->layers[i].known);
		free(j->layers[i].tar_path);
		error_clear(&j->layers[i].err);
	}
	free(j->layers);
	j->layers = NULL;
	j->n_layers = 0;
}

static void job_free(uv_handle_t *h)
{
	struct push_job *j = h->data;
	layers_free(j);
	for (size_t i = 0; i < j->n_tags; i++)
		free(j->tags[i]);
	free(j->tags);
	reference_done(&j->ref);
	registry_client_done(&j->rc);
	if (j->tmpdir)
		rmdir(j->tmpdir);
	free(j->tmpdir);
	free(j->db);
	free(j->config_path);
	free(j->manifest);
	error_clear(&j->pj.err);
	free(j);
}

static void end_job(struct pool_job *pj)
{
	struct push_job *j = (struct push_job *)((char *)pj - offsetof(struct push_job, pj));
	if (pj->running)
		return;
	if (pj->failed)
		progress_error(j->out, error_msg(&pj->err));
	sink_end(j->out, pj->failed ? &pj->err : NULL);
	uv_timer_stop(&j->timer);
	uv_close((uv_handle_t *)&j->timer, job_free);
}

/* ---- compressing a layer (thread) ---- */

struct gz_out {
	int fd;
	EVP_MD_CTX *h;
	int64_t size;
};

static int gz_sink(const void *buf, size_t n, void *ud)
{
	struct gz_out *o = ud;
	int r = fs_write_all(o->fd, buf, n);
	if (r < 0)
		return r;
	EVP_DigestUpdate(o->h, buf, n);
	o->size += (int64_t)n;
	return 0;
}

struct gz_in {
	struct gzip_blob g;
	struct error *err;
};

static int to_gz(const void *buf, size_t n, void *ud)
{
	struct gz_in *in = ud;
	return gzip_blob_write(&in->g, buf, n, in->err);
}

/* The layer's tar, gzip-compressed into fd; its digest and size. Level 1
 * (stored where nothing compresses): the CPU, not the network, is what a
 * push waits for. */
static int compress_layer(const char *tar_path, int fd, char digest[DIGEST_BUF], int64_t *size,
			  struct error *err)
{
	struct gz_out o = {.fd = fd, .h = EVP_MD_CTX_new()};
	struct gz_in in = {.err = err};
	if (!o.h || !EVP_DigestInit_ex(o.h, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(o.h);
		return error_set(err, -ENOMEM, "out of memory");
	}
	int r = gzip_blob_init(&in.g, gz_sink, &o, err);
	if (r == 0) {
		r = layer_tar_read(tar_path, to_gz, &in, err);
		if (r == 0)
			r = gzip_blob_finish(&in.g, err);
		gzip_blob_done(&in.g);
	}
	if (r == 0) {
		unsigned char md[32];
		unsigned int len = 0;
		EVP_DigestFinal_ex(o.h, md, &len);
		strcpy(digest, "sha256:");
		for (unsigned i = 0; i < 32; i++)
			snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
		*size = o.size;
	}
	EVP_MD_CTX_free(o.h);
	return r;
}

/* ---- one layer (thread) ---- */

/* Repository path of a full name on the same registry, or NULL. */
static const char *same_registry_path(const struct push_job *j, const char *full)
{
	size_t n = strlen(j->ref.domain);
	return strncmp(full, j->ref.domain, n) == 0 && full[n] == '/' ? full + n + 1 : NULL;
}

static void layer_work(uv_work_t *w)
{
	struct push_layer *l = w->data;
	struct push_job *j = l->job;
	struct registry_client *c = &j->rc;
	size_t i;
	json_t *e;
	/* Blobs this layer is known as, first in this repository, then
	 * mounted from another one of the same registry. */
	json_array_foreach(l->known, i, e)
	{
		const char *dg = json_string_value(json_object_get(e, "Digest"));
		const char *src = json_string_value(json_object_get(e, "SourceRepository"));
		const char *path = src ? same_registry_path(j, src) : NULL;
		if (!dg || !path || strcmp(path, j->ref.path) != 0)
			continue;
		int r = registry_blob_exists(c, j->ref.path, dg, &l->size, &l->err);
		if (r < 0)
			return;
		if (r == 1) {
			snprintf(l->digest, sizeof(l->digest), "%s", dg);
			snprintf(l->outcome, sizeof(l->outcome), "Layer already exists");
			return;
		}
	}
	json_array_foreach(l->known, i, e)
	{
		const char *dg = json_string_value(json_object_get(e, "Digest"));
		const char *src = json_string_value(json_object_get(e, "SourceRepository"));
		const char *path = src ? same_registry_path(j, src) : NULL;
		if (!dg || !path || strcmp(path, j->ref.path) == 0)
			continue;
		int r = registry_mount_blob(c, j->ref.path, dg, path, &l->err);
		if (r < 0) {
			error_clear(&l->err); /* a refused mount is not fatal: upload */
			continue;
		}
		/* The manifest needs the blob's size: the mounted copy tells it. */
		if (r == 1 && registry_blob_exists(c, j->ref.path, dg, &l->size, &l->err) == 1) {
			snprintf(l->digest, sizeof(l->digest), "%s", dg);
			snprintf(l->outcome, sizeof(l->outcome), "Mounted from %s", path);
			return;
		}
		if (l->err.code < 0)
			return;
	}
	_cleanup_close_ int fd = open(j->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_set(&l->err, -errno, "cannot create a file in %s: %m", j->tmpdir);
		return;
	}
	if (compress_layer(l->tar_path, fd, l->digest, &l->size, &l->err) < 0)
		return;
	int r = registry_blob_exists(c, j->ref.path, l->digest, NULL, &l->err);
	if (r < 0)
		return;
	if (r == 1) {
		snprintf(l->outcome, sizeof(l->outcome), "Layer already exists");
		return;
	}
	if (registry_upload_blob(c, j->ref.path, l->digest, fd, l->size, CHUNK, &l->sent,
				 &l->err) == 0)
		snprintf(l->outcome, sizeof(l->outcome), "Pushed");
}

/* ---- config and manifest (thread) ---- */

static void manifest_work(uv_work_t *w)
{
	struct push_job *j = w->data;
	_cleanup_free_ char *cfg = NULL;
	size_t cfg_len;
	int r = fs_read_file(j->config_path, 64 << 20, &cfg, &cfg_len);
	if (r < 0) {
		error_set(&j->pj.err, r, "cannot read the image config: %s", strerror(-r));
		return;
	}
	r = registry_blob_exists(&j->rc, j->ref.path, j->image_id, NULL, &j->pj.err);
	if (r == 0)
		r = registry_upload_blob_mem(&j->rc, j->ref.path, j->image_id, cfg, cfg_len,
					     &j->pj.err);
	if (r < 0)
		return;
	json_t *layers = json_array();
	for (size_t i = 0; i < j->n_layers; i++)
		json_array_append_new(layers,
				      json_pack("{s:s, s:I, s:s}", "mediaType", MT_DOCKER_LAYER,
						"size", (json_int_t)j->layers[i].size, "digest",
						j->layers[i].digest));
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:o}", "schemaVersion", 2, "mediaType",
			      MT_DOCKER_MANIFEST, "config", "mediaType", MT_DOCKER_CONFIG, "size",
			      (json_int_t)cfg_len, "digest", j->image_id, "layers", layers);
	j->manifest = json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (!j->manifest) {
		error_set(&j->pj.err, -ENOMEM, "out of memory");
		return;
	}
	size_t len = strlen(j->manifest);
	digest_sha256(j->manifest, len, j->manifest_digest);
	registry_put_manifest(&j->rc, j->ref.path, j->ref.tag, MT_DOCKER_MANIFEST, j->manifest, len,
			      &j->pj.err);
}

/* ---- the loop side ---- */

static void push_next_tag(struct push_job *j);
static void start_layers(struct push_job *j);

static void manifest_done(uv_work_t *w, int status)
{
	struct push_job *j = w->data;
	if (!pool_job_settle(&j->pj, &j->pj.err))
		return;
	size_t len = strlen(j->manifest);
	progress_status(j->out, NULL, "%s: digest: %s size: %zu", j->ref.tag, j->manifest_digest,
			len);
	progress_aux(j->out, json_pack("{s:s, s:s, s:I}", "Tag", j->ref.tag, "Digest",
				       j->manifest_digest, "Size", (json_int_t)len));
	_cleanup_free_ char *name = reference_name(&j->ref);
	_cleanup_free_ char *by_digest = NULL;
	struct image *img = image_store_get(j->is->store, j->image_id);
	struct error e = ERROR_INIT;
	const char *root = image_store_root(j->is->store);
	for (size_t i = 0; name && i < j->n_layers; i++)
		if (dist_meta_add(root, j->layers[i].diff, j->layers[i].digest, name, &e) < 0) {
			log_warn(j->is->deps.log, "cannot record a pushed layer: %s",
				 error_msg(&e));
			error_clear(&e);
		}
	if (img && name && asprintf(&by_digest, "%s@%s", name, j->manifest_digest) >= 0 &&
	    image_store_tag(j->is->store, img, by_digest, &e) < 0) {
		log_warn(j->is->deps.log, "cannot record the pushed digest: %s", error_msg(&e));
		error_clear(&e);
	}
	_cleanup_free_ char *fam = reference_familiar_string(&j->ref);
	image_event(j->is, j->image_id, fam ? fam : j->image_id, "push");
	free(j->manifest);
	j->manifest = NULL;
	push_next_tag(j);
}

static void layer_done(uv_work_t *w, int status)
{
	struct push_layer *l = w->data;
	struct push_job *j = l->job;
	if (!pool_job_settle(&j->pj, &l->err))
		return;
	l->state = P_DONE;
	progress_status(j->out, l->id, "%s", l->outcome);
	start_layers(j);
}

static void start_layers(struct push_job *j)
{
	size_t active = 0, done = 0;
	for (size_t i = 0; i < j->n_layers; i++) {
		active += j->layers[i].state == P_RUNNING;
		done += j->layers[i].state == P_DONE;
	}
	if (done == j->n_layers) {
		pool_job_queue(&j->pj, &j->work, manifest_work, manifest_done,
			       "the manifest upload");
		return;
	}
	for (size_t i = 0; i < j->n_layers; i++) {
		struct push_layer *l = &j->layers[i];
		if (l->state != P_WAIT || active >= (size_t)j->is->deps.max_uploads)
			continue;
		if (!pool_job_queue(&j->pj, &l->work, layer_work, layer_done, "an upload"))
			return;
		l->state = P_RUNNING;
		active++;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct push_job *j = t->data;
	for (size_t i = 0; i < j->n_layers; i++) {
		struct push_layer *l = &j->layers[i];
		int64_t sent = atomic_load(&l->sent);
		if (l->state == P_RUNNING && sent != l->shown) {
			l->shown = sent;
			progress_bytes(j->out, l->id, "Pushing", sent, l->size > 0 ? l->size : 0);
		}
	}
}

static void login_work(uv_work_t *w)
{
	struct push_job *j = w->data;
	/* Scopes for this repository and every one a layer may be mounted from. */
	json_t *scopes = json_array();
	char *s = NULL;
	if (asprintf(&s, "repository:%s:pull,push", j->ref.path) >= 0)
		json_array_append_new(scopes, json_string(s));
	free(s);
	for (size_t i = 0; i < j->n_layers; i++) {
		size_t k;
		json_t *e;
		json_array_foreach(j->layers[i].known, k, e)
		{
			const char *src = json_string_value(json_object_get(e, "SourceRepository"));
			const char *path = src ? same_registry_path(j, src) : NULL;
			s = NULL;
			if (path && strcmp(path, j->ref.path) != 0 &&
			    asprintf(&s, "repository:%s:pull", path) >= 0)
				json_array_append_new(scopes, json_string(s));
			free(s);
		}
	}
	size_t n = json_array_size(scopes);
	const char **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_string_value(json_array_get(scopes, i));
	if (!v)
		error_set(&j->pj.err, -ENOMEM, "out of memory");
	else if (registry_login(&j->rc, v, &j->pj.err) < 0 && j->pj.err.code == -EACCES)
		error_wrap(&j->pj.err, "denied: requested access to the resource is denied");
	free(v);
	json_decref(scopes);
}

static void login_done(uv_work_t *w, int status)
{
	struct push_job *j = w->data;
	if (!pool_job_settle(&j->pj, &j->pj.err))
		return;
	j->logged_in = true;
	start_layers(j);
}

/* Sets up the layers of the image the current tag names. */
static int plan_tag(struct push_job *j, struct error *err)
{
	free(j->ref.tag);
	j->ref.tag = strdup(j->tags[j->cur]);
	_cleanup_free_ char *full = reference_string(&j->ref);
	struct image *img;
	if (!full || image_store_lookup(j->is->store, full, &img, err) < 0)
		return err->code ? err->code : error_set(err, -ENOMEM, "out of memory");
	memcpy(j->image_id, img->id, DIGEST_BUF);
	free(j->config_path);
	j->config_path = NULL;
	if (asprintf(&j->config_path, "%s/imagedb/content/sha256/%s",
		     image_store_root(j->is->store), digest_hex(img->id)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	layers_free(j);
	j->layers = img->n_layers ? calloc(img->n_layers, sizeof(*j->layers)) : NULL;
	if (img->n_layers && !j->layers)
		return error_set(err, -ENOMEM, "out of memory");
	size_t i = img->n_layers;
	for (struct layer *l = img->top; l && i > 0; l = l->parent) {
		struct push_layer *p = &j->layers[--i];
		p->job = j;
		p->work.data = p;
		memcpy(p->diff, l->diff_id, DIGEST_BUF);
		memcpy(p->chain, l->chain_id, DIGEST_BUF);
		snprintf(p->id, sizeof(p->id), "%.12s", digest_hex(l->diff_id));
		p->known = dist_meta_get(image_store_root(j->is->store), l->diff_id);
		p->tar_path = layer_tar_path(j->db, l->chain_id);
		if (!p->tar_path)
			return error_set(err, -ENOMEM, "out of memory");
	}
	j->n_layers = img->n_layers;
	return 0;
}

static void push_next_tag(struct push_job *j)
{
	if (j->cur + 1 >= j->n_tags && j->logged_in) {
		end_job(&j->pj);
		return;
	}
	if (j->logged_in)
		j->cur++;
	struct error e = ERROR_INIT;
	if (plan_tag(j, &e) < 0) {
		pool_job_fail(&j->pj, &e);
		return;
	}
	for (size_t i = 0; i < j->n_layers; i++)
		progress_status(j->out, j->layers[i].id, "Preparing");
	if (j->logged_in)
		start_layers(j);
	else
		pool_job_queue(&j->pj, &j->work, login_work, login_done, "the push");
}

/* The tags to push: the one asked for, or every tag of the repository. */
static int collect_tags(struct push_job *j, const char *tag, struct error *err)
{
	_cleanup_free_ char *fam = reference_familiar_name(&j->ref);
	if (tag && *tag) {
		if (!reference_tag_valid(tag))
			return error_set(err, -EINVAL, "invalid tag format");
		j->tags = calloc(1, sizeof(char *));
		if (!j->tags || !(j->tags[0] = strdup(tag)))
			return error_set(err, -ENOMEM, "out of memory");
		j->n_tags = 1;
	} else if (j->ref.tag) {
		j->tags = calloc(1, sizeof(char *));
		if (!j->tags || !(j->tags[0] = strdup(j->ref.tag)))
			return error_set(err, -ENOMEM, "out of memory");
		j->n_tags = 1;
	} else {
		_cleanup_free_ char *name = reference_name(&j->ref);
		size_t nl = name ? strlen(name) : 0;
		for (size_t i = 0; name && i < image_store_count(j->is->store); i++) {
			size_t n;
			_cleanup_free_ const char **refs =
			    image_store_refs(j->is->store, image_store_at(j->is->store, i)->id, &n);
			for (size_t k = 0; refs && k < n; k++) {
				if (strncmp(refs[k], name, nl) != 0 || refs[k][nl] != ':')
					continue;
				char **v = realloc(j->tags, (j->n_tags + 1) * sizeof(*v));
				if (!v)
					return error_set(err, -ENOMEM, "out of memory");
				j->tags = v;
				if (!(v[j->n_tags] = strdup(refs[k] + nl + 1)))
					return error_set(err, -ENOMEM, "out of memory");
				j->n_tags++;
			}
		}
	}
	for (size_t i = 0; i < j->n_tags; i++) {
		_cleanup_free_ char *name = reference_name(&j->ref), *full = NULL;
		struct image *img;
		struct error e = ERROR_INIT;
		if (!name || asprintf(&full, "%s:%s", name, j->tags[i]) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		int r = image_store_lookup(j->is->store, full, &img, &e);
		error_clear(&e);
		if (r < 0)
			return error_set(err, -ENOENT, "tag does not exist: %s:%s", fam,
					 j->tags[i]);
	}
	if (!j->n_tags)
		return error_set(err, -ENOENT, "An image does not exist locally with the tag: %s",
				 fam);
	return 0;
}

void image_push(struct image_service *is, struct byte_sink *out, const char *name, const char *tag,
		const char *auth_header)
{
	struct push_job *j = calloc(1, sizeof(*j));
	if (!j) {
		sink_fail(out, -ENOMEM, "out of memory");
		return;
	}
	j->is = is;
	j->out = out;
	j->work.data = j;
	j->timer.data = j;
	j->pj = (struct pool_job){.loop = is->deps.loop, .end = end_job};
	struct error err = ERROR_INIT;
	struct registry_auth auth = {0};
	struct layer_paths lp = {0};
	int r = reference_parse(name, &j->ref, &err);
	if (r == 0 && j->ref.digest)
		r = error_set(&err, -EINVAL, "cannot push a digest reference");
	if (r == 0)
		r = collect_tags(j, tag, &err);
	if (r == 0)
		r = registry_auth_decode(auth_header, &auth, &err);
	if (r == 0)
		r = registry_client_init(&j->rc, is, j->ref.domain, true, &auth, &err);
	registry_auth_done(&auth);
	if (r == 0 && layer_store_paths(is->layers, &lp) == 0) {
		j->db = lp.db;
		lp.db = NULL;
		layer_paths_done(&lp);
	} else if (r == 0) {
		r = error_set(&err, -ENOMEM, "out of memory");
	}
	if (r == 0)
		r = image_store_tmpdir(is->store, "push", &j->tmpdir, &err);
	if (r < 0) {
		sink_end(out, &err);
		error_clear(&err);
		uv_timer_init(is->deps.loop, &j->timer);
		uv_close((uv_handle_t *)&j->timer, job_free);
		return;
	}
	uv_timer_init(is->deps.loop, &j->timer);
	sink_begin(out, "application/json", NULL, 0);
	/* dockerd names the repository in full here (docker.io/library/x). */
	_cleanup_free_ char *shown = reference_name(&j->ref);
	progress_status(out, NULL, "The push refers to repository [%s]", shown ? shown : name);
	uv_timer_start(&j->timer, on_tick, PROGRESS_MS, PROGRESS_MS);
	push_next_tag(j);
}
