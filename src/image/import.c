/* docker import: a rootfs tarball becomes a one-layer image. The layer is
 * unpacked on the thread pool; the config is made and everything registered
 * on the loop, like dockerd's ImportImage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "basic/build_info.h"
#include "image/images.h"
#include "image/changes.h"
#include "image/image_job.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "image/service.h"
#include "shared/byte_sink.h"

struct import_job {
	struct image_job base;
	uv_work_t work;
	struct image_service *is;
	struct byte_sink *out; /* ended by import_done or reply_error */
	int fd;
	struct layer_paths lp;
	struct layer_prep prep;
	bool prepared;
	char *ref;     /* normalized name:tag, or NULL */
	json_t *config; /* container config with the changes applied */
	char *message;
	struct error err;
};

static void job_free(struct import_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->prepared)
		layer_prep_discard(&j->lp, &j->prep);
	layer_paths_done(&j->lp);
	free(j->ref);
	free(j->message);
	json_decref(j->config);
	error_clear(&j->err);
	free(j);
}

static void job_free_base(struct image_job *base)
{
	job_free((struct import_job *)base);
}

static void finish(struct import_job *j)
{
	image_job_finish(j->is->store, &j->base);
}

static void reply_error(struct import_job *j)
{
	image_job_fail(j->is->store, &j->base, j->out, &j->err);
}

static void import_work(uv_work_t *w)
{
	struct import_job *j = w->data;
	if (layer_prepare(&j->lp, j->fd, NULL, NULL, NULL, &j->prep, &j->err) == 0)
		j->prepared = true;
}

/* The image config dockerd's ImportImage writes (V1Image fields in Go's
 * order, then rootfs and history). */
static char *make_config(struct import_job *j, const char *diff_id)
{
	char created[64];
	time_format_rfc3339nano(time_now_ns(), created, sizeof(created));
	json_t *c = json_object();
	if (j->message && *j->message)
		json_object_set_new(c, "comment", json_string(j->message));
	json_object_set_new(c, "created", json_string(created));
	json_object_set_new(c, "container_config", changes_empty_config());
	json_object_set_new(c, "docker_version", json_string(BERTH_VERSION));
	json_object_set(c, "config", j->config);
	json_object_set_new(c, "architecture", json_string(j->is->deps.go_arch));
	json_object_set_new(c, "os", json_string("linux"));
	json_object_set_new(c, "rootfs", json_pack("{s:s, s:[s]}", "type", "layers", "diff_ids", diff_id));
	json_t *h = json_pack("{s:s}", "created", created);
	if (j->message && *j->message)
		json_object_set_new(h, "comment", json_string(j->message));
	json_object_set_new(c, "history", json_pack("[o]", h));
	char *s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return s;
}

static int register_import(struct import_job *j, struct image **ret)
{
	struct layer *l;
	int r = layer_store_commit(j->is->layers, &j->prep, &l, &j->err);
	if (r < 0)
		return r;
	j->prepared = false;
	_cleanup_free_ char *cfg = make_config(j, l->diff_id);
	r = cfg ? image_store_add(j->is->store, cfg, strlen(cfg), ret, &j->err)
		: error_set(&j->err, -ENOMEM, "out of memory");
	layer_store_release(j->is->layers, l, NULL); /* the image holds it now */
	if (r < 0 || !j->ref)
		return r;
	r = image_store_tag(j->is->store, *ret, j->ref, &j->err);
	if (r == 0) {
		_cleanup_free_ char *fam = reference_familiarize(j->ref);
		image_event(j->is, (*ret)->id, fam ? fam : j->ref, "tag");
	}
	return r;
}

static void import_done(uv_work_t *w, int status)
{
	struct import_job *j = w->data;
	struct image *img;
	if (j->err.code < 0 || register_import(j, &img) < 0) {
		reply_error(j);
		return;
	}
	image_event(j->is, img->id, img->id, "import");
	json_t *o = json_pack("{s:s}", "status", img->id);
	_cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	sink_begin(j->out, "application/json", NULL, 0);
	if (s) {
		sink_write(j->out, s, strlen(s));
		sink_write(j->out, "\r\n", 2);
	}
	sink_end(j->out, NULL);
	finish(j);
}

static void import_start(struct image_job *base)
{
	struct import_job *j = (struct import_job *)base;
	if (uv_queue_work(j->is->deps.loop, &j->work, import_work, import_done) < 0) {
		error_set(&j->err, -EAGAIN, "cannot queue the import");
		reply_error(j);
	}
}

/* repo[:tag] plus an optional tag parameter (ImportImage's rules). */
static int import_ref(const struct import_opts *o, char **ret, struct error *err)
{
	*ret = NULL;
	if (!o->repo || !*o->repo)
		return 0;
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(o->repo, &r, err);
	if (e < 0)
		return e;
	if (r.digest) {
		reference_done(&r);
		return error_set(err, -EINVAL, "cannot import digest reference");
	}
	if (o->tag && *o->tag) {
		free(r.tag);
		r.tag = strdup(o->tag);
		if (!reference_tag_valid(o->tag)) {
			reference_done(&r);
			return error_set(err, -EINVAL, "invalid tag format");
		}
	}
	reference_default_tag(&r);
	*ret = reference_string(&r);
	reference_done(&r);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

void image_import(struct image_service *is, struct byte_sink *out, int fd,
		  const struct import_opts *opts)
{
	struct import_job *j = calloc(1, sizeof(*j));
	if (!j) {
		close(fd);
		sink_fail(out, -ENOMEM, "out of memory");
		return;
	}
	j->is = is;
	j->out = out;
	j->fd = fd;
	j->work.data = j;
	j->base.free = job_free_base;
	j->base.start = import_start;
	j->config = changes_empty_config();
	j->message = opts->message ? strdup(opts->message) : NULL;
	int r = import_ref(opts, &j->ref, &j->err);
	if (r == 0)
		r = changes_apply(j->config, opts->changes, opts->n_changes, &j->err);
	if (r == 0 && layer_store_paths(is->layers, &j->lp) < 0)
		r = error_set(&j->err, -ENOMEM, "out of memory");
	if (r < 0) {
		reply_error(j);
		return;
	}
	image_store_exclusive(is->store, &j->base);
}
