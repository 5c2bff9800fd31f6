/* Child images: a parent's config and layers plus one layer and one history
 * entry (moby's image.NewChildImage, daemon.CommitImage). */
#include "image/commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/build_info.h"
#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "image/images.h"
#include "image/archive.h"
#include "image/changes.h"
#include "image/image_store.h"
#include "image/layer_store.h"

/* The digest of a tar with no entries: dockerd records no layer for it. */
#define EMPTY_LAYER_DIFF_ID                                                                        \
	"sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

const char *const image_commit_init_paths[] = {
    "etc/hosts", "etc/hostname", "etc/resolv.conf", "dev", "proc",
    "sys",	 ".dockerenv",	 "etc/mtab",	    NULL,
};

struct commit_job {
	uv_work_t work;
	struct image_service *is;
	char parent_id[DIGEST_BUF];
	struct layer *parent_top; /* pinned while the job runs */
	json_t *config, *container_config;
	char *container_id, *author, *comment, *created_by;
	char *layer_dir;
	enum whiteout_format whiteouts;
	const char *const *skip;
	int layer_fd;
	bool has_layer;
	struct layer_paths lp;
	struct layer_prep prep;
	bool prepared;
	image_commit_fn done;
	void *userdata;
	struct error err;
};

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void job_free(struct commit_job *j)
{
	if (j->prepared)
		layer_prep_discard(&j->lp, &j->prep);
	if (j->layer_fd >= 0)
		close(j->layer_fd);
	if (j->parent_top)
		layer_store_release(j->is->layers, j->parent_top, NULL);
	layer_paths_done(&j->lp);
	json_decref(j->config);
	json_decref(j->container_config);
	free(j->container_id);
	free(j->author);
	free(j->comment);
	free(j->created_by);
	free(j->layer_dir);
	error_clear(&j->err);
	free(j);
}

static void finish(struct commit_job *j, struct image *img)
{
	j->done(j->err.code < 0 ? j->err.code : 0, &j->err, img, j->userdata);
	job_free(j);
}

static int tar_dir(struct commit_job *j)
{
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/tmp", j->lp.db) < 0)
		return error_set(&j->err, -ENOMEM, "out of memory");
	j->layer_fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j->layer_fd < 0)
		return error_set(&j->err, -errno, "cannot create a scratch file in %s: %m", tmp);
	return archive_write_dir(j->layer_dir, j->whiteouts, j->skip, j->layer_fd, &j->err);
}

static void commit_work(uv_work_t *w)
{
	struct commit_job *j = w->data;
	if (!j->has_layer)
		return;
	if (j->layer_dir && tar_dir(j) < 0)
		return;
	if (lseek(j->layer_fd, 0, SEEK_SET) < 0) {
		error_set(&j->err, -errno, "cannot read the layer: %m");
		return;
	}
	const char *pchain = j->parent_top ? j->parent_top->chain_id : NULL;
	const char *pcache = j->parent_top ? j->parent_top->cache_id : NULL;
	if (layer_prepare(&j->lp, j->layer_fd, pchain, pcache, NULL, &j->prep, &j->err) < 0)
		return;
	if (strcmp(j->prep.diff_id, EMPTY_LAYER_DIFF_ID) == 0) {
		layer_prep_discard(&j->lp, &j->prep);
		j->has_layer = false;
		return;
	}
	j->prepared = true;
}

static void set_or_drop(json_t *o, const char *key, const char *value)
{
	if (value && *value)
		json_object_set_new(o, key, json_string(value));
	else
		json_object_del(o, key);
}

/* The child's config: the parent's with this step's fields, layer and
 * history entry (dockerd's field names; "parent" lives in metadata). */
static char *child_config(struct commit_job *j, const struct image *parent, const char *diff_id)
{
	char created[64];
	time_format_rfc3339nano(time_now_ns(), created, sizeof(created));
	json_t *c = parent ? json_deep_copy(parent->config) : json_object();
	json_object_del(c, "id");
	json_object_del(c, "parent");
	set_or_drop(c, "author", j->author);
	set_or_drop(c, "comment", j->comment);
	set_or_drop(c, "container", j->container_id);
	json_object_set_new(c, "created", json_string(created));
	json_object_set_new(c, "docker_version", json_string(BERTH_VERSION));
	json_object_set(c, "config", j->config);
	json_object_set_new(c, "container_config",
			    j->container_config ? json_incref(j->container_config)
						: changes_empty_config());
	if (!json_object_get(c, "architecture"))
		json_object_set_new(c, "architecture", json_string(j->is->deps.go_arch));
	if (!json_object_get(c, "os"))
		json_object_set_new(c, "os", json_string("linux"));
	json_t *rootfs = json_object_get(c, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(c, "rootfs", rootfs);
	}
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		ids = json_array();
		json_object_set_new(rootfs, "diff_ids", ids);
	}
	if (diff_id)
		json_array_append_new(ids, json_string(diff_id));
	json_t *hist = json_object_get(c, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(c, "history", hist);
	}
	json_t *h = json_pack("{s:s}", "created", created);
	set_or_drop(h, "author", j->author);
	set_or_drop(h, "created_by", j->created_by);
	set_or_drop(h, "comment", j->comment);
	if (!diff_id)
		json_object_set_new(h, "empty_layer", json_true());
	json_array_append_new(hist, h);
	char *s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return s;
}

static int register_child(struct commit_job *j, struct image **ret)
{
	struct image *parent = NULL;
	if (j->parent_id[0] && !(parent = image_store_get(j->is->store, j->parent_id)))
		return error_set(&j->err, -ENOENT, "No such image: %s", j->parent_id);
	struct layer *l = NULL;
	if (j->prepared) {
		int r = layer_store_commit(j->is->layers, &j->prep, &l, &j->err);
		if (r < 0)
			return r;
		j->prepared = false;
	}
	_cleanup_free_ char *cfg = child_config(j, parent, l ? l->diff_id : NULL);
	int r = cfg ? image_store_add(j->is->store, cfg, strlen(cfg), ret, &j->err)
		    : error_set(&j->err, -ENOMEM, "out of memory");
	if (l)
		layer_store_release(j->is->layers, l, NULL); /* the image holds it now */
	if (r == 0 && parent)
		r = image_store_set_parent(j->is->store, *ret, parent->id, &j->err);
	return r;
}

static void commit_done(uv_work_t *w, int status)
{
	struct commit_job *j = w->data;
	struct image *img = NULL;
	(void)status;
	if (j->err.code == 0)
		register_child(j, &img);
	finish(j, j->err.code < 0 ? NULL : img);
}

static int job_init(struct commit_job *j, struct image_service *is,
		    const struct image_commit_opts *o)
{
	j->is = is;
	j->work.data = j;
	j->layer_fd = o->layer_fd;
	j->has_layer = o->layer_dir || o->layer_fd >= 0;
	j->whiteouts = o->whiteouts;
	j->skip = o->skip;
	j->config = json_incref(o->config);
	j->container_config = o->container_config ? json_incref(o->container_config) : NULL;
	j->container_id = dup_or_null(o->container_id);
	j->author = dup_or_null(o->author);
	j->comment = dup_or_null(o->comment);
	j->created_by = dup_or_null(o->created_by);
	j->layer_dir = dup_or_null(o->layer_dir);
	if (o->parent_id && *o->parent_id) {
		struct image *p = image_store_get(is->store, o->parent_id);
		if (!p)
			return error_set(&j->err, -ENOENT, "No such image: %s", o->parent_id);
		snprintf(j->parent_id, sizeof(j->parent_id), "%s", p->id);
		if ((j->parent_top = p->top))
			layer_ref(p->top);
	}
	if (layer_store_paths(is->layers, &j->lp) < 0)
		return error_set(&j->err, -ENOMEM, "out of memory");
	return 0;
}

void image_commit(struct image_service *is, const struct image_commit_opts *o, image_commit_fn done,
		  void *userdata)
{
	struct commit_job *j = calloc(1, sizeof(*j));
	if (!j) {
		struct error e = ERROR_INIT;
		error_set(&e, -ENOMEM, "out of memory");
		if (o->layer_fd >= 0)
			close(o->layer_fd);
		done(-ENOMEM, &e, NULL, userdata);
		error_clear(&e);
		return;
	}
	j->done = done;
	j->userdata = userdata;
	if (job_init(j, is, o) < 0) {
		finish(j, NULL);
		return;
	}
	if (uv_queue_work(is->deps.loop, &j->work, commit_work, commit_done) < 0) {
		error_set(&j->err, -EAGAIN, "cannot queue the commit");
		finish(j, NULL);
	}
}
