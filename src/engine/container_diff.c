/* GET /containers/{id}/changes (docker diff): the container's read-write
 * layer compared with its image, walked on the thread pool. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "engine/container.h"
#include "engine/containers_priv.h"
#include "image/archive.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "shared/byte_sink.h"
#include "storage/driver.h"
#include "image/images.h"

struct diff_job {
	uv_work_t work;
	struct containers *cs;
	struct byte_sink *out; /* ended by diff_done or container_changes */
	char *upper;	       /* the container's own changes (vfs: its whole tree) */
	char *lower;	       /* the image's merged tree, NULL without layers */
	char lower_id[80];     /* storage entry mounted for lower, "" if none */
	enum whiteout_format whiteouts;
	struct archive_change *changes;
	size_t n;
	struct error err;
};

static void job_free(struct diff_job *j)
{
	if (j->lower_id[0]) {
		struct error e = ERROR_INIT;
		storage_unmount(j->cs->deps.images->storage, j->lower_id, &e);
		error_clear(&e);
	}
	archive_changes_free(j->changes, j->n);
	free(j->upper);
	free(j->lower);
	error_clear(&j->err);
	free(j);
}

static void diff_work(uv_work_t *w)
{
	struct diff_job *j = w->data;
	archive_changes(j->upper, j->lower, j->whiteouts, &j->changes, &j->n, &j->err);
}

/* What Docker keeps in a container's init layer, below the read-write one:
 * mount points the runtime creates, which docker diff never shows. */
static const char *const init_paths[] = {
    "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/pts",
    "/dev/shm",	  "/dev/console",  "/dev/mqueue",      "/proc",
    "/sys",	  "/dev",	   "/.dockerenv",      "/etc/mtab",
};

static bool is_init_path(const char *path)
{
	for (size_t i = 0; i < sizeof(init_paths) / sizeof(init_paths[0]); i++)
		if (strcmp(path, init_paths[i]) == 0)
			return true;
	return false;
}

/* A directory changed only because init paths were created in it. */
static bool only_init_below(const struct diff_job *j, const char *dir)
{
	size_t len = strlen(dir);
	bool init_child = false;
	for (size_t i = 0; i < j->n; i++) {
		const char *p = j->changes[i].path;
		if (strncmp(p, dir, len) != 0 || p[len] != '/')
			continue;
		if (!is_init_path(p))
			return false;
		init_child = true;
	}
	return init_child;
}

static bool shown(const struct diff_job *j, const struct archive_change *c)
{
	return !is_init_path(c->path) && !(c->kind == 0 && only_init_below(j, c->path));
}

static void diff_done(uv_work_t *w, int status)
{
	struct diff_job *j = w->data;
	if (j->err.code < 0) {
		sink_end(j->out, &j->err);
		job_free(j);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < j->n; i++)
		if (shown(j, &j->changes[i]))
			json_array_append_new(list,
					      json_pack("{s:s, s:i}", "Path", j->changes[i].path,
							"Kind", j->changes[i].kind));
	/* Go's encoder ends JSON documents with a newline; clients compare. */
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!text) {
		error_set(&j->err, -ENOMEM, "could not encode the changes");
		sink_end(j->out, &j->err);
	} else {
		sink_begin(j->out, "application/json", NULL, 0);
		sink_write(j->out, text, strlen(text));
		sink_write(j->out, "\n", 1);
		sink_end(j->out, NULL);
		free(text);
	}
	job_free(j);
}

/* Mounts the image's top layer so added files can be told from modified
 * ones; an image removed with rmi -f leaves every change "added". */
static int mount_lower(struct diff_job *j, const struct container *c)
{
	const struct image *img = image_store_get(j->cs->deps.images->store, c->image_id);
	if (!img || !img->top)
		return 0;
	int r = storage_mount(j->cs->deps.images->storage, img->top->cache_id, &j->lower, &j->err);
	if (r == 0)
		snprintf(j->lower_id, sizeof(j->lower_id), "%s", img->top->cache_id);
	return r;
}

void container_changes(struct containers *cs, struct byte_sink *out, struct container *c)
{
	struct diff_job *j = calloc(1, sizeof(*j));
	if (!j) {
		struct error err = ERROR_INIT;
		error_set(&err, -ENOMEM, "out of memory");
		sink_end(out, &err);
		error_clear(&err);
		return;
	}
	j->cs = cs;
	j->out = out;
	j->work.data = j;
	j->whiteouts = storage_driver_whiteouts(cs->deps.images->storage);
	int r = storage_diff_path(cs->deps.images->storage, c->id, &j->upper, &j->err);
	if (r == 0)
		r = mount_lower(j, c);
	if (r == 0 && uv_queue_work(cs->deps.loop, &j->work, diff_work, diff_done) < 0)
		r = error_set(&j->err, -EAGAIN, "cannot queue the diff");
	if (r < 0) {
		sink_end(out, &j->err);
		job_free(j);
	}
}
