/* docker load: the archive is extracted to a scratch directory and its
 * manifest read (thread pool); layers already stored are pinned and the
 * others unpacked (thread pool, parents first); then everything is
 * registered at once on the loop. A failure at any step removes what the job
 * made, so nothing half-loaded is ever visible. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "image/images.h"
#include "shared/byte_sink.h"
#include "shared/events.h"
#include "image/image_job.h"
#include "image/image_store.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/service.h"
#include "image/unpack_archive.h"

#define MEMBER_MAX (64u << 20)

struct load_layer {
	char chain[DIGEST_BUF], diff[DIGEST_BUF], parent_chain[DIGEST_BUF];
	char parent_cache[DIGEST_HEX_LEN + 1]; /* of a stored parent */
	int parent_idx;			       /* parent prepared by this job, or -1 */
	const char *member;
	struct layer *pinned; /* stored already: held while the job runs */
	struct layer_prep prep;
	bool prepared;
};

struct load_job {
	struct image_job base;
	uv_work_t work;
	struct image_service *is;
	struct byte_sink *out; /* ended by unpack_done or reply_error */
	int fd, root_fd;
	char *tmpdir;
	struct layer_paths lp;
	struct manifest m;
	struct load_layer *layers;
	size_t n_layers;
	struct error err;
};

static void job_free(struct load_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->root_fd >= 0)
		close(j->root_fd);
	if (j->tmpdir)
		image_rm_rf(j->tmpdir);
	free(j->tmpdir);
	for (size_t i = 0; i < j->n_layers; i++) {
		if (j->layers[i].pinned)
			layer_store_release(j->is->layers, j->layers[i].pinned, NULL);
		if (j->layers[i].prepared)
			layer_prep_discard(&j->lp, &j->layers[i].prep);
	}
	free(j->layers);
	manifest_done(&j->m);
	layer_paths_done(&j->lp);
	error_clear(&j->err);
	free(j);
}

static void job_free_base(struct image_job *base)
{
	job_free((struct load_job *)base);
}

static void finish(struct load_job *j)
{
	image_job_finish(j->is->store, &j->base);
}

static void reply_error(struct load_job *j)
{
	image_job_fail_in_stream(j->is->store, &j->base, j->out, &j->err);
}

/* ---- step 1 (thread): extract and read the manifest ---- */

static int member_read(const char *path, char **ret, size_t *ret_len, void *ud)
{
	struct load_job *j = ud;
	return image_archive_read(j->root_fd, path, MEMBER_MAX, ret, ret_len);
}

static void extract_work(uv_work_t *w)
{
	struct load_job *j = w->data;
	if (image_archive_extract(j->fd, j->tmpdir, &j->err) < 0)
		return;
	j->root_fd = open(j->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->root_fd < 0) {
		error_set(&j->err, -errno, "cannot open %s: %m", j->tmpdir);
		return;
	}
	manifest_parse(member_read, j, j->is->deps.go_arch, &j->m, &j->err);
}

/* ---- step 2 (loop): which layers are new ---- */

static struct load_layer *find_planned(struct load_job *j, const char *chain)
{
	for (size_t i = 0; i < j->n_layers; i++)
		if (strcmp(j->layers[i].chain, chain) == 0)
			return &j->layers[i];
	return NULL;
}

static int plan_layer(struct load_job *j, const char *diff, const char *parent_chain,
		      const char *member)
{
	char chain[DIGEST_BUF];
	digest_chain_next(parent_chain, diff, chain);
	if (find_planned(j, chain))
		return 0;
	struct load_layer *v = realloc(j->layers, (j->n_layers + 1) * sizeof(*v));
	if (!v)
		return error_set(&j->err, -ENOMEM, "out of memory");
	j->layers = v;
	struct load_layer *l = &v[j->n_layers++];
	memset(l, 0, sizeof(*l));
	memcpy(l->chain, chain, DIGEST_BUF);
	memcpy(l->diff, diff, DIGEST_BUF);
	snprintf(l->parent_chain, sizeof(l->parent_chain), "%s", parent_chain);
	l->member = member;
	l->parent_idx = -1;
	l->pinned = layer_store_get(j->is->layers, chain);
	if (l->pinned) {
		layer_ref(l->pinned);
		return 0;
	}
	struct layer *stored =
	    parent_chain[0] ? layer_store_get(j->is->layers, parent_chain) : NULL;
	if (stored)
		memcpy(l->parent_cache, stored->cache_id, sizeof(l->parent_cache));
	else if (parent_chain[0])
		l->parent_idx = (int)(find_planned(j, parent_chain) - j->layers);
	return 0;
}

static int plan_image(struct load_job *j, const struct manifest_image *im)
{
	json_t *cfg = json_loadb(im->config, im->config_len, 0, NULL);
	json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	char parent[DIGEST_BUF] = "";
	int r = 0;
	for (size_t i = 0; i < im->n_layers && r == 0; i++) {
		const char *diff = json_string_value(json_array_get(ids, i));
		if (!digest_valid(diff)) {
			r = error_set(&j->err, -EINVAL, "invalid image config: bad diff ID");
			break;
		}
		r = plan_layer(j, diff, parent, im->layers[i]);
		digest_chain_next(parent, diff, parent);
	}
	json_decref(cfg);
	return r;
}

/* ---- step 3 (thread): unpack new layers ---- */

static int prepare_one(struct load_job *j, struct load_layer *l)
{
	const char *parent_cache = l->parent_cache[0] ? l->parent_cache : NULL;
	if (l->parent_idx >= 0)
		parent_cache = j->layers[l->parent_idx].prep.cache_id;
	_cleanup_close_ int fd = image_archive_open(j->root_fd, l->member);
	if (fd < 0)
		return error_set(&j->err, -EINVAL, "invalid archive: layer %s is missing: %s",
				 l->member, strerror(-fd));
	int r =
	    layer_prepare(&j->lp, fd, l->parent_chain, parent_cache, l->diff, &l->prep, &j->err);
	if (r < 0)
		return error_wrap(&j->err, "cannot load layer %s", l->member);
	l->prepared = true;
	return 0;
}

static void unpack_work(uv_work_t *w)
{
	struct load_job *j = w->data;
	for (size_t i = 0; i < j->n_layers; i++)
		if (!j->layers[i].pinned && prepare_one(j, &j->layers[i]) < 0)
			break;
	/* On failure the layers made so far go too, off the loop. */
	for (size_t i = 0; j->err.code < 0 && i < j->n_layers; i++)
		if (j->layers[i].prepared) {
			layer_prep_discard(&j->lp, &j->layers[i].prep);
			j->layers[i].prepared = false;
		}
	/* The extracted archive is not needed any more; remove it here rather
	 * than on the loop. */
	close(j->root_fd);
	j->root_fd = -1;
	image_rm_rf(j->tmpdir);
}

/* ---- step 4 (loop): register ---- */

static int commit_layers(struct load_job *j)
{
	for (size_t i = 0; i < j->n_layers; i++) {
		struct load_layer *l = &j->layers[i];
		if (!l->prepared)
			continue;
		int r = layer_store_commit(j->is->layers, &l->prep, &l->pinned, &j->err);
		if (r < 0)
			return r;
		l->prepared = false;
	}
	return 0;
}

static void say(struct byte_sink *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct byte_sink *out, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	image_job_stream_line(out, json_pack("{s:s}", "stream", msg));
}

static int tag_loaded(struct load_job *j, struct image *img, const char *tag)
{
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(tag, &r, &j->err);
	if (e < 0)
		return e;
	_cleanup_free_ char *full = reference_string(&r);
	_cleanup_free_ char *fam = reference_familiar_string(&r);
	bool tagged = r.tag && !r.digest;
	reference_done(&r);
	if (!tagged)
		return error_set(&j->err, -EINVAL, "invalid tag \"%s\"", tag);
	if (!full || !fam)
		return error_set(&j->err, -ENOMEM, "out of memory");
	struct image *prev;
	struct error err = ERROR_INIT;
	if (image_store_lookup(j->is->store, full, &prev, &err) == 0 && prev != img)
		say(j->out,
		    "The image %s already exists, renaming the old one with ID %s to empty "
		    "string\n",
		    fam, prev->id);
	error_clear(&err);
	e = image_store_tag(j->is->store, img, full, &j->err);
	if (e == 0)
		say(j->out, "Loaded image: %s\n", fam);
	return e;
}

static int register_image(struct load_job *j, const struct manifest_image *im)
{
	struct image *img;
	int r = image_store_add(j->is->store, im->config, im->config_len, &img, &j->err);
	if (r < 0)
		return r;
	if (im->parent)
		image_store_set_parent(j->is->store, img, im->parent, NULL);
	for (size_t i = 0; i < im->n_tags && r == 0; i++)
		r = tag_loaded(j, img, im->tags[i]);
	if (r == 0 && !im->n_tags)
		say(j->out, "Loaded image ID: %s\n", img->id);
	image_event(j->is, img->id, img->id, "load");
	return r;
}

/* Tags are checked before anything is registered, so a bad one fails the
 * whole load instead of leaving half of it. */
static int check_tags(struct load_job *j)
{
	for (size_t i = 0; i < j->m.n; i++)
		for (size_t k = 0; k < j->m.images[i].n_tags; k++) {
			struct reference r = REFERENCE_INIT;
			int e = reference_parse(j->m.images[i].tags[k], &r, &j->err);
			if (e < 0)
				return error_wrap(&j->err, "invalid tag \"%s\"",
						  j->m.images[i].tags[k]);
			bool ok = r.tag && !r.digest;
			reference_done(&r);
			if (!ok)
				return error_set(&j->err, -EINVAL, "invalid tag \"%s\"",
						 j->m.images[i].tags[k]);
		}
	return 0;
}

static void unpack_done(uv_work_t *w, int status)
{
	struct load_job *j = w->data;
	if (j->err.code < 0 || commit_layers(j) < 0) {
		reply_error(j);
		return;
	}
	sink_begin(j->out, "application/json", NULL, 0);
	for (size_t i = 0; i < j->m.n; i++) {
		if (register_image(j, &j->m.images[i]) < 0) {
			image_job_stream_error(j->out, error_msg(&j->err));
			break;
		}
	}
	sink_end(j->out, j->err.code < 0 ? &j->err : NULL);
	finish(j);
}

static void extract_done(uv_work_t *w, int status)
{
	struct load_job *j = w->data;
	if (j->err.code < 0 || check_tags(j) < 0) {
		reply_error(j);
		return;
	}
	for (size_t i = 0; i < j->m.n; i++)
		if (plan_image(j, &j->m.images[i]) < 0) {
			reply_error(j);
			return;
		}
	if (uv_queue_work(j->is->deps.loop, &j->work, unpack_work, unpack_done) < 0) {
		error_set(&j->err, -EAGAIN, "cannot queue the unpack");
		reply_error(j);
	}
}

static void load_start(struct image_job *base)
{
	struct load_job *j = (struct load_job *)base;
	if (uv_queue_work(j->is->deps.loop, &j->work, extract_work, extract_done) < 0) {
		error_set(&j->err, -EAGAIN, "cannot queue the load");
		reply_error(j);
	}
}

void image_load(struct image_service *is, struct byte_sink *out, int fd, bool quiet)
{
	(void)quiet; /* no progress bars are sent either way */
	struct load_job *j = calloc(1, sizeof(*j));
	if (!j) {
		close(fd);
		sink_fail(out, -ENOMEM, "out of memory");
		return;
	}
	j->is = is;
	j->out = out;
	j->fd = fd;
	j->root_fd = -1;
	j->work.data = j;
	j->base.free = job_free_base;
	j->base.start = load_start;
	if (layer_store_paths(is->layers, &j->lp) < 0 ||
	    image_store_tmpdir(is->store, "load", &j->tmpdir, &j->err) < 0) {
		if (!j->err.msg)
			error_set(&j->err, -ENOMEM, "out of memory");
		reply_error(j);
		return;
	}
	image_store_exclusive(is->store, &j->base);
}
