/* docker commit: a container's read-write layer becomes the top layer of a
 * new image whose config is the container's with the --change instructions
 * applied (dockerd's CreateImageFromContainer). A running container is
 * frozen meanwhile unless pause is false. */
#include "engine/container_commit.h"
#include "engine/containers_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "image/changes.h"
#include "image/commit.h"
#include "image/image_store.h"
#include "storage/driver.h"
#include "image/images.h"

struct ccommit {
	struct containers *cs;
	char id[DIGEST_HEX_LEN + 1];
	bool unpause;
	container_commit_fn done;
	void *userdata;
};

static void committed(int r, const struct error *err, struct image *img, void *userdata)
{
	struct ccommit *cc = userdata;
	struct container *c = NULL;
	struct error e = ERROR_INIT;
	if (containers_lookup(cc->cs, cc->id, &c, &e) == 0 && cc->unpause && c->paused)
		container_unpause(cc->cs, c, NULL);
	error_clear(&e);
	if (r == 0 && c)
		container_event(cc->cs, c, "commit", json_pack("{s:s}", "imageID", img->id));
	cc->done(r, err, img, cc->userdata);
	free(cc);
}

static void fail_now(container_commit_fn done, void *userdata, struct error *err)
{
	done(err->code, err, NULL, userdata);
	error_clear(err);
}

void container_commit(struct containers *cs, struct container *c,
		      const struct container_commit_opts *o, container_commit_fn done,
		      void *userdata)
{
	struct error err = ERROR_INIT;
	_cleanup_free_ char *upper = NULL;
	json_t *config = json_deep_copy(c->config);
	int r = config ? changes_apply(config, o->changes, o->n_changes, &err)
		       : error_set(&err, -ENOMEM, "out of memory");
	if (r == 0)
		r = storage_diff_path(cs->deps.images->storage, c->id, &upper, &err);
	struct ccommit *cc = r == 0 ? calloc(1, sizeof(*cc)) : NULL;
	if (r == 0 && !cc)
		r = error_set(&err, -ENOMEM, "out of memory");
	if (r < 0) {
		json_decref(config);
		fail_now(done, userdata, &err);
		return;
	}
	*cc = (struct ccommit){.cs = cs, .done = done, .userdata = userdata};
	memcpy(cc->id, c->id, sizeof(cc->id));
	if (o->pause && c->state == CONTAINER_RUNNING && !c->paused &&
	    container_pause(cs, c, NULL) == 0)
		cc->unpause = true;
	_cleanup_free_ char *cmd = NULL;
	json_t *argv = json_object_get(c->config, "Cmd");
	size_t i;
	json_t *a;
	json_array_foreach(argv, i, a)
	{
		char *next = NULL;
		if (asprintf(&next, "%s%s%s", cmd ? cmd : "", cmd ? " " : "",
			     json_string_value(a) ? json_string_value(a) : "") < 0)
			break;
		free(cmd);
		cmd = next;
	}
	struct image_commit_opts io = {
	    .parent_id = c->image_id,
	    .config = config,
	    .container_config = c->config,
	    .container_id = c->id,
	    .author = o->author,
	    .comment = o->comment,
	    .created_by = cmd,
	    .layer_dir = upper,
	    .whiteouts = storage_driver_whiteouts(cs->deps.images->storage),
	    .skip = image_commit_init_paths,
	    .layer_fd = -1,
	};
	image_commit(cs->deps.images, &io, committed, cc);
	json_decref(config);
}
