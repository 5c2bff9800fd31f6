/* docker pull: the manifest and config are resolved on the thread pool
 * (challenge, tag or digest, index -> platform, schema checks, digests);
 * then on the loop the layers already stored are skipped and the others
 * downloaded in parallel (up to --max-concurrent-downloads), each into an
 * unlinked file and checked against its digest before anything is kept.
 * Layers are unpacked in order as soon as their download and their parent
 * are ready, while later downloads go on; the unpacking holds the image
 * store's exclusive slot (load, import and other pulls wait), so two jobs
 * never build the same layer on top of each other's half-made parents.
 * Everything is registered at the end on the loop; a failure anywhere
 * leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
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
#include "image/image_store.h"
#include "image/pool_job.h"
#include "image/pull_tags.h"
#include "image/progress.h"
#include "image/reference.h"
#include "image/registry_client.h"
#include "image/registry_manifest.h"
#include "image/registry_ops.h"
#include "image/service.h"
#include "shared/byte_sink.h"

#define PROGRESS_MS 250

enum layer_state { L_WAIT, L_EXISTS, L_DOWNLOADING, L_DOWNLOADED, L_EXTRACTING, L_DONE };

struct pull_layer {
	struct pull_job *job;
	uv_work_t work;
	struct registry_descriptor blob;
	char diff[DIGEST_BUF], chain[DIGEST_BUF], parent_chain[DIGEST_BUF];
	char id[13]; /* short blob digest, as the progress lines name layers */
	enum layer_state state;
	_Atomic int64_t got;
	int64_t shown;
	int fd; /* the verified download */
	struct layer *pinned;
	struct layer_prep prep;
	bool prepared;
	struct error err;
};

struct pull_job {
	struct image_service *is;
	struct byte_sink *out; /* ended by end_job or finish_pull */
	struct reference ref; /* with a tag or a digest */
	char *os, *arch, *variant;
	bool platform_given;
	struct registry_client rc;
	struct layer_paths lp;
	char *tmpdir;
	uv_work_t work;
	uv_timer_t timer;
	bool timer_on;
	/* resolved */
	char *config;
	size_t config_len;
	char config_digest[DIGEST_BUF];
	char manifest_digest[DIGEST_BUF];
	struct pull_layer *layers;
	size_t n_layers;
	/* progress of the job */
	struct pool_job pj;
	size_t next_extract;
	struct image_job slot; /* the store's exclusive slot while unpacking */
	bool slot_waiting;
	bool streaming;
	bool *ret_newer; /* one tag of an all-tags pull: no Status line of its own */
};

#define job_of_slot(s) ((struct pull_job *)((char *)(s)-offsetof(struct pull_job, slot)))

static void job_free(struct pull_job *j)
{
	for (size_t i = 0; i < j->n_layers; i++) {
		struct pull_layer *l = &j->layers[i];
		if (l->fd >= 0)
			close(l->fd);
		if (l->prepared)
			layer_prep_discard(&j->lp, &l->prep);
		if (l->pinned)
			layer_store_release(j->is->layers, l->pinned, NULL);
		error_clear(&l->err);
	}
	free(j->layers);
	if (j->slot.started)
		image_store_exclusive_done(j->is->store);
	reference_done(&j->ref);
	free(j->os);
	free(j->arch);
	free(j->variant);
	registry_client_done(&j->rc);
	layer_paths_done(&j->lp);
	if (j->tmpdir)
		rmdir(j->tmpdir);
	free(j->tmpdir);
	free(j->config);
	error_clear(&j->pj.err);
	free(j);
}

static void timer_closed(uv_handle_t *h)
{
	job_free(h->data);
}

/* Ends the job once nothing of it runs on the pool any more. */
static void end_job(struct pool_job *pj)
{
	struct pull_job *j = (struct pull_job *)((char *)pj - offsetof(struct pull_job, pj));
	if (pj->running || j->slot_waiting)
		return;
	if (pj->failed) {
		if (j->streaming)
			progress_error(j->out, error_msg(&pj->err));
		sink_end(j->out, &pj->err);
	}
	if (j->timer_on) {
		j->timer_on = false;
		uv_timer_stop(&j->timer);
		uv_close((uv_handle_t *)&j->timer, timer_closed);
		return;
	}
	job_free(j);
}

/* ---- step 1 (thread): resolve the manifest and the config ---- */

static char *ref_for_messages(const struct reference *r)
{
	return reference_familiar_string(r);
}

/* The config of an image the store holds already, read from its file (which
 * is written once, atomically) instead of fetched: a pull of what is there
 * asks the registry for the manifest only. False when it is not there or does
 * not match its digest. Thread-safe: it reads no store state. */
static bool local_config(struct pull_job *j, const char *digest)
{
	_cleanup_free_ char *path = NULL;
	if (!digest_valid(digest) ||
	    asprintf(&path, "%s/imagedb/content/sha256/%s", image_store_root(j->is->store),
		     digest_hex(digest)) < 0)
		return false;
	char *data = NULL, got[DIGEST_BUF];
	size_t len = 0;
	if (fs_read_file(path, 8 << 20, &data, &len) < 0)
		return false;
	digest_sha256(data, len, got);
	if (strcmp(got, digest) != 0) {
		free(data);
		return false;
	}
	j->config = data;
	j->config_len = len;
	return true;
}

static int resolve_config(struct pull_job *j, const struct registry_manifest *m, struct error *err)
{
	int r = 0;
	if (!local_config(j, m->config.digest)) {
		struct buf cfg = BUF_INIT;
		r = registry_get_small_blob(&j->rc, j->ref.path, m->config.digest, &cfg, err);
		if (r < 0)
			return r;
		j->config_len = cfg.len;
		j->config = buf_steal(&cfg);
	}
	memcpy(j->config_digest, m->config.digest, DIGEST_BUF);
	json_t *c = json_loadb(j->config, j->config_len, 0, NULL);
	json_t *ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	if (!json_is_array(ids) || json_array_size(ids) != m->n_layers)
		r = error_set(err, -EINVAL, "layers from manifest don't match image configuration");
	const char *cos = json_string_value(json_object_get(c, "os"));
	const char *carch = json_string_value(json_object_get(c, "architecture"));
	if (r == 0 && j->platform_given && cos && carch &&
	    (strcmp(cos, j->os) != 0 || strcmp(carch, j->arch) != 0)) {
		_cleanup_free_ char *name = ref_for_messages(&j->ref);
		r = error_set(err, -EINVAL,
			      "image with reference %s was found but its platform (%s/%s) does not "
			      "match the specified platform (%s/%s)",
			      name, cos, carch, j->os, j->arch);
	}
	if (r == 0 && m->n_layers) {
		j->layers = calloc(m->n_layers, sizeof(*j->layers));
		if (!j->layers)
			r = error_set(err, -ENOMEM, "out of memory");
	}
	char parent[DIGEST_BUF] = "";
	for (size_t i = 0; r == 0 && i < m->n_layers; i++) {
		struct pull_layer *l = &j->layers[i];
		const char *diff = json_string_value(json_array_get(ids, i));
		if (!diff || !digest_valid(diff)) {
			r = error_set(err, -EINVAL, "invalid image config: bad diff ID");
			break;
		}
		l->job = j;
		l->fd = -1;
		l->blob = m->layers[i];
		memcpy(l->diff, diff, DIGEST_BUF);
		memcpy(l->parent_chain, parent, DIGEST_BUF);
		digest_chain_next(parent, diff, l->chain);
		memcpy(parent, l->chain, DIGEST_BUF);
		snprintf(l->id, sizeof(l->id), "%.12s", digest_hex(l->blob.digest));
		l->work.data = l;
		j->n_layers = i + 1;
	}
	json_decref(c);
	return r;
}

static void resolve_work(uv_work_t *w)
{
	struct pull_job *j = w->data;
	struct error *err = &j->pj.err;
	_cleanup_free_ char *scope = NULL, *name = ref_for_messages(&j->ref);
	if (asprintf(&scope, "repository:%s:pull", j->ref.path) < 0) {
		error_set(err, -ENOMEM, "out of memory");
		return;
	}
	const char *scopes[] = {scope, NULL};
	if (registry_login(&j->rc, scopes, err) < 0)
		return;
	const char *want = j->ref.digest ? j->ref.digest : j->ref.tag;
	struct registry_response rs = {0};
	struct registry_manifest m = {0};
	int r = registry_get_manifest(&j->rc, j->ref.path, want, &rs, err);
	if (r < 0) {
		if (err->code == -ENOENT) {
			/* dockerd: "manifest for x:tag not found: manifest unknown: ..." */
			_cleanup_free_ char *text = registry_error_text(&rs);
			error_clear(err);
			error_set(err, -ENOENT, "manifest for %s not found: %s", name,
				  *text ? text : "manifest unknown");
		} else if (err->code == -EACCES) {
			_cleanup_free_ char *fam = reference_familiar_name(&j->ref);
			error_wrap(err,
				   "pull access denied for %s, repository does not exist or may "
				   "require 'docker login'",
				   fam);
		}
		registry_response_done(&rs);
		return;
	}
	digest_sha256(rs.body.data, rs.body.len, j->manifest_digest);
	if (j->ref.digest && strcmp(j->manifest_digest, j->ref.digest) != 0) {
		error_set(err, -EIO, "manifest verification failed for digest %s", j->ref.digest);
		registry_response_done(&rs);
		return;
	}
	r = registry_manifest_parse(rs.body.data, rs.body.len, rs.content_type, name, &m, err);
	if (r == 0 && m.kind == RM_INDEX) {
		char pick[DIGEST_BUF];
		r = registry_index_pick(rs.body.data, rs.body.len, j->os, j->arch, j->variant, pick,
					err);
		registry_manifest_done(&m);
		registry_response_done(&rs);
		if (r == 0)
			r = registry_get_manifest(&j->rc, j->ref.path, pick, &rs, err);
		char got[DIGEST_BUF];
		if (r == 0) {
			digest_sha256(rs.body.data, rs.body.len, got);
			if (strcmp(got, pick) != 0)
				r = error_set(err, -EIO,
					      "manifest verification failed for digest %s", pick);
		}
		if (r == 0)
			r = registry_manifest_parse(rs.body.data, rs.body.len, rs.content_type,
						    name, &m, err);
		if (r == 0 && m.kind != RM_IMAGE)
			r = error_set(err, -EINVAL,
				      "manifest list entry %s is not an image manifest", pick);
	}
	registry_response_done(&rs);
	if (r == 0)
		resolve_config(j, &m, err);
	registry_manifest_done(&m);
}

/* ---- step 2 (loop): what is there already, then downloads ---- */

static void start_downloads(struct pull_job *j);
static void try_extract(struct pull_job *j);
static bool adopt_stored(struct pull_job *j, struct pull_layer *l);

static void on_tick(uv_timer_t *t)
{
	struct pull_job *j = t->data;
	for (size_t i = 0; i < j->n_layers; i++) {
		struct pull_layer *l = &j->layers[i];
		int64_t got = atomic_load(&l->got);
		if (l->state == L_DOWNLOADING && got != l->shown) {
			l->shown = got;
			progress_bytes(j->out, l->id, "Downloading", got, l->blob.size);
		}
	}
}

static void download_work(uv_work_t *w)
{
	struct pull_layer *l = w->data;
	struct pull_job *j = l->job;
	int fd = open(j->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_set(&l->err, -errno, "cannot create a download file in %s: %m", j->tmpdir);
		return;
	}
	if (registry_get_blob(&j->rc, j->ref.path, l->blob.digest, fd, &l->got, &l->err) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		if (!l->err.code)
			error_set(&l->err, -errno, "cannot read back the download: %m");
		close(fd);
		return;
	}
	l->fd = fd;
}

static void download_done(uv_work_t *w, int status)
{
	struct pull_layer *l = w->data;
	struct pull_job *j = l->job;
	if (!pool_job_settle(&j->pj, &l->err))
		return;
	l->state = L_DOWNLOADED;
	progress_bytes(j->out, l->id, "Downloading", atomic_load(&l->got), l->blob.size);
	progress_status(j->out, l->id, "Verifying Checksum");
	progress_status(j->out, l->id, "Download complete");
	start_downloads(j);
	try_extract(j);
}

static void start_downloads(struct pull_job *j)
{
	size_t active = 0;
	for (size_t i = 0; i < j->n_layers; i++)
		active += j->layers[i].state == L_DOWNLOADING;
	for (size_t i = 0; i < j->n_layers && !j->pj.failed; i++) {
		struct pull_layer *l = &j->layers[i];
		if (l->state != L_WAIT || active >= (size_t)j->is->deps.max_downloads ||
		    adopt_stored(j, l))
			continue;
		if (!pool_job_queue(&j->pj, &l->work, download_work, download_done, "a download"))
			return;
		l->state = L_DOWNLOADING;
		active++;
	}
}

/* ---- step 3 (thread): unpack, in order ---- */

static void extract_work(uv_work_t *w)
{
	struct pull_layer *l = w->data;
	struct pull_job *j = l->job;
	size_t i = (size_t)(l - j->layers);
	const char *parent_cache = NULL;
	if (i > 0)
		parent_cache = j->layers[i - 1].pinned ? j->layers[i - 1].pinned->cache_id
						       : j->layers[i - 1].prep.cache_id;
	if (layer_prepare(&j->lp, l->fd, l->parent_chain, parent_cache, l->diff, &l->prep,
			  &l->err) < 0)
		error_wrap(&l->err, "failed to register layer");
	else
		l->prepared = true;
	close(l->fd);
	l->fd = -1;
}

static void finish_pull(struct pull_job *j);

static void extract_done(uv_work_t *w, int status)
{
	struct pull_layer *l = w->data;
	struct pull_job *j = l->job;
	if (!pool_job_settle(&j->pj, &l->err))
		return;
	l->state = L_DONE;
	progress_status(j->out, l->id, "Pull complete");
	j->next_extract++;
	try_extract(j);
}

/* Pins l instead of fetching or unpacking it when its chain is stored. */
static bool adopt_stored(struct pull_job *j, struct pull_layer *l)
{
	if (l->state != L_WAIT && l->state != L_DOWNLOADED)
		return false;
	struct layer *stored = layer_store_get(j->is->layers, l->chain);
	if (!stored)
		return false;
	layer_ref(stored);
	l->pinned = stored;
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	l->state = L_EXISTS;
	progress_status(j->out, l->id, "Already exists");
	return true;
}

static void slot_start(struct image_job *s)
{
	struct pull_job *j = job_of_slot(s);
	j->slot_waiting = false;
	if (j->pj.failed)
		end_job(&j->pj);
	else
		try_extract(j);
}

static void slot_free(struct image_job *s)
{
	(void)s; /* the job owns itself; the slot is handed back in job_free */
}

static void try_extract(struct pull_job *j)
{
	if (j->pj.failed)
		return;
	/* Under the slot, a layer another pull stored meanwhile is taken as is. */
	for (size_t i = j->next_extract; j->slot.started && i < j->n_layers; i++)
		adopt_stored(j, &j->layers[i]);
	while (j->next_extract < j->n_layers && j->layers[j->next_extract].state == L_EXISTS)
		j->next_extract++;
	if (j->next_extract == j->n_layers) {
		finish_pull(j);
		return;
	}
	struct pull_layer *l = &j->layers[j->next_extract];
	if (l->state != L_DOWNLOADED)
		return;
	if (!j->slot.started) {
		if (!j->slot_waiting) {
			j->slot_waiting = true;
			image_store_exclusive(j->is->store, &j->slot);
		}
		return;
	}
	l->state = L_EXTRACTING;
	progress_status(j->out, l->id, "Extracting");
	pool_job_queue(&j->pj, &l->work, extract_work, extract_done, "an unpack");
}

/* ---- step 4 (loop): register ---- */

static int register_image(struct pull_job *j, struct image **ret, bool *newer)
{
	for (size_t i = 0; i < j->n_layers; i++) {
		struct pull_layer *l = &j->layers[i];
		if (!l->prepared)
			continue;
		int r = layer_store_commit(j->is->layers, &l->prep, &l->pinned, &j->pj.err);
		if (r < 0)
			return r;
		l->prepared = false;
	}
	struct image *img;
	int r = image_store_add(j->is->store, j->config, j->config_len, &img, &j->pj.err);
	if (r < 0)
		return r;
	_cleanup_free_ char *full = reference_string(&j->ref);
	_cleanup_free_ char *name = reference_name(&j->ref);
	_cleanup_free_ char *by_digest = NULL;
	if (!full || !name || asprintf(&by_digest, "%s@%s", name, j->manifest_digest) < 0)
		return error_set(&j->pj.err, -ENOMEM, "out of memory");
	struct image *prev = NULL;
	struct error e = ERROR_INIT;
	image_store_lookup(j->is->store, full, &prev, &e);
	error_clear(&e);
	*newer = prev != img;
	if (!j->ref.digest && *newer) {
		r = image_store_tag(j->is->store, img, full, &j->pj.err);
		if (r < 0)
			return r;
	}
	/* A pull of what is there already writes nothing. */
	struct image *pinned = NULL;
	image_store_lookup(j->is->store, by_digest, &pinned, &e);
	error_clear(&e);
	r = pinned == img ? 0 : image_store_tag(j->is->store, img, by_digest, &j->pj.err);
	if (r < 0)
		return r;
	const char *root = image_store_root(j->is->store);
	for (size_t i = 0; i < j->n_layers; i++) {
		e = (struct error)ERROR_INIT;
		if (dist_meta_add(root, j->layers[i].diff, j->layers[i].blob.digest, name, &e) < 0)
			log_warn(j->is->deps.log, "cannot record where layer %s came from: %s",
				 j->layers[i].diff, error_msg(&e));
		error_clear(&e);
	}
	*ret = img;
	return 0;
}

static void finish_pull(struct pull_job *j)
{
	struct image *img = NULL;
	bool newer = false;
	if (register_image(j, &img, &newer) < 0) {
		pool_job_fail(&j->pj, &j->pj.err);
		return;
	}
	_cleanup_free_ char *fam = reference_familiar_string(&j->ref);
	image_event(j->is, img->id, fam ? fam : img->id, "pull");
	progress_status(j->out, NULL, "Digest: %s", j->manifest_digest);
	if (j->ret_newer)
		*j->ret_newer = newer;
	else
		progress_status(j->out, NULL, "Status: %s for %s",
				newer ? "Downloaded newer image" : "Image is up to date",
				fam ? fam : "");
	sink_end(j->out, NULL);
	end_job(&j->pj);
}

static void resolve_done(uv_work_t *w, int status)
{
	struct pull_job *j = w->data;
	if (!pool_job_settle(&j->pj, &j->pj.err))
		return;
	sink_begin(j->out, "application/json", NULL, 0);
	j->streaming = true;
	progress_status(j->out, j->ref.digest ? j->ref.digest : j->ref.tag, "Pulling from %s",
			j->ref.path);
	bool all_there = true;
	for (size_t i = 0; i < j->n_layers; i++) {
		struct pull_layer *l = &j->layers[i];
		l->pinned = layer_store_get(j->is->layers, l->chain);
		if (l->pinned) {
			layer_ref(l->pinned);
			l->state = L_EXISTS;
			progress_status(j->out, l->id, "Already exists");
		} else {
			all_there = false;
			progress_status(j->out, l->id, "Pulling fs layer");
		}
	}
	if (!all_there) {
		uv_timer_init(j->is->deps.loop, &j->timer);
		j->timer.data = j;
		j->timer_on = true;
		uv_timer_start(&j->timer, on_tick, PROGRESS_MS, PROGRESS_MS);
	}
	start_downloads(j);
	try_extract(j);
}

/* ---- the request ---- */

static int parse_platform(struct pull_job *j, const char *platform, struct error *err)
{
	const char *os = "linux", *arch = j->is->deps.go_arch, *variant = "";
	_cleanup_free_ char *copy = platform && *platform ? strdup(platform) : NULL;
	if (copy) {
		char *save = NULL;
		char *a = strtok_r(copy, "/", &save), *b = strtok_r(NULL, "/", &save),
		     *c = strtok_r(NULL, "/", &save);
		if (!a || !b || strtok_r(NULL, "/", &save))
			return error_set(
			    err, -EINVAL,
			    "\"%s\": unknown operating system or architecture: invalid argument",
			    platform);
		os = a;
		arch = b;
		variant = c ? c : "";
		j->platform_given = true;
	}
	j->os = strdup(os);
	j->arch = strdup(arch);
	j->variant = strdup(variant);
	return j->os && j->arch && j->variant ? 0 : error_set(err, -ENOMEM, "out of memory");
}

static int parse_ref(struct pull_job *j, const struct pull_opts *o, struct error *err)
{
	int r = reference_parse(o->from_image, &j->ref, err);
	if (r < 0)
		return r;
	if (o->tag && *o->tag) {
		if (strchr(o->tag, ':')) {
			if (!digest_valid(o->tag))
				return error_set(err, -EINVAL, "invalid digest format");
			free(j->ref.digest);
			j->ref.digest = strdup(o->tag);
		} else {
			if (!reference_tag_valid(o->tag))
				return error_set(err, -EINVAL, "invalid tag format");
			free(j->ref.tag);
			j->ref.tag = strdup(o->tag);
		}
	}
	if (j->ref.digest) {
		free(j->ref.tag);
		j->ref.tag = NULL;
	} else {
		reference_default_tag(&j->ref);
	}
	return 0;
}

void image_pull_one(struct image_service *is, struct byte_sink *out, const struct pull_opts *o,
		    bool *ret_newer)
{
	struct pull_job *j = calloc(1, sizeof(*j));
	if (!j) {
		sink_fail(out, -ENOMEM, "out of memory");
		return;
	}
	j->ret_newer = ret_newer;
	j->is = is;
	j->out = out;
	j->work.data = j;
	j->slot.start = slot_start;
	j->slot.free = slot_free;
	j->pj = (struct pool_job){.loop = is->deps.loop, .end = end_job};
	struct error err = ERROR_INIT;
	struct registry_auth auth = {0};
	int r = parse_ref(j, o, &err);
	if (r == 0)
		r = parse_platform(j, o->platform, &err);
	if (r == 0)
		r = registry_auth_decode(o->auth, &auth, &err);
	if (r == 0)
		r = registry_client_init(&j->rc, is, j->ref.domain, false, &auth, &err);
	registry_auth_done(&auth);
	if (r == 0 && layer_store_paths(is->layers, &j->lp) < 0)
		r = error_set(&err, -ENOMEM, "out of memory");
	if (r == 0)
		r = image_store_tmpdir(is->store, "pull", &j->tmpdir, &err);
	if (r < 0)
		pool_job_fail(&j->pj, &err);
	else
		pool_job_queue(&j->pj, &j->work, resolve_work, resolve_done, "the pull");
}

/* dockerd pulls every tag when the reference has neither tag nor digest and
 * none is given beside it. */
static bool wants_all_tags(const struct pull_opts *o)
{
	if (!o->all_tags || (o->tag && *o->tag))
		return false;
	struct reference ref = REFERENCE_INIT;
	struct error err = ERROR_INIT;
	bool bare = reference_parse(o->from_image, &ref, &err) == 0 && !ref.tag && !ref.digest;
	reference_done(&ref);
	error_clear(&err);
	return bare;
}

void image_pull(struct image_service *is, struct byte_sink *out, const struct pull_opts *o)
{
	if (wants_all_tags(o))
		image_pull_all_tags(is, out, o);
	else
		image_pull_one(is, out, o, NULL);
}
