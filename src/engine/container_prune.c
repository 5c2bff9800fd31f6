/* POST /containers/prune: removes every container that is not running (nor
 * starting, restarting or being removed) and matches the filters until,
 * label and label!, as dockerd's ContainersPrune. The report comes once
 * every removal finished. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "storage/driver.h"
#include "image/images.h"

struct prune_job {
	struct containers *cs;
	json_t *deleted;
	int64_t reclaimed;
	size_t pending;
	containers_prune_fn done;
	void *userdata;
};

struct prune_item {
	struct prune_job *job;
	char id[DIGEST_HEX_LEN + 1];
	int64_t size;
};

static void job_unref(struct prune_job *job)
{
	if (--job->pending > 0)
		return;
	json_t *report = json_pack("{s:o, s:I}", "ContainersDeleted",
				   json_array_size(job->deleted) ? json_incref(job->deleted) : json_null(),
				   "SpaceReclaimed", (json_int_t)job->reclaimed);
	job->done(0, NULL, report, job->userdata);
	json_decref(job->deleted);
	free(job);
}

static void item_removed(int r, const struct error *err, void *userdata)
{
	struct prune_item *it = userdata;
	struct prune_job *job = it->job;
	if (r < 0) {
		log_warn(job->cs->deps.log, "prune: container %s: %s", it->id, error_msg(err));
	} else {
		json_array_append_new(job->deleted, json_string(it->id));
		job->reclaimed += it->size;
	}
	free(it);
	job_unref(job);
}

static bool prunable(const struct container *c, const struct filters *f, int64_t until_ns)
{
	if (c->state == CONTAINER_RUNNING || c->starting || c->restart_timer || c->removing)
		return false;
	if (until_ns && c->created_ns >= until_ns)
		return false;
	json_t *labels = json_object_get(c->config, "Labels");
	if (!filters_match_label(f, "label", labels))
		return false;
	size_t n;
	return !(filters_values(f, "label!", &n) && n && filters_match_label(f, "label!", labels));
}

static int parse_until(const struct filters *f, int64_t *ret, struct error *err)
{
	static const char *const keys[] = {"label", "label!", "until", NULL};
	*ret = 0;
	int r = filters_validate(f, keys, err);
	return r < 0 ? r : filters_get_until(f, time_now_ns(), ret, err);
}

/* Removals change the store: collect first. */
static size_t collect(struct containers *cs, const struct filters *f, int64_t until,
		      struct container **v)
{
	size_t n = 0;
	for (size_t i = 0; i < containers_count(cs); i++)
		if (prunable(containers_at(cs, i), f, until))
			v[n++] = containers_at(cs, i);
	return n;
}

void containers_prune(struct containers *cs, const struct filters *f, containers_prune_fn done,
		      void *userdata)
{
	struct error err = ERROR_INIT;
	int64_t until;
	struct prune_job *job = NULL;
	struct container **v = calloc(containers_count(cs) + 1, sizeof(*v));
	int r = parse_until(f, &until, &err);
	if (r == 0 && (!v || !(job = calloc(1, sizeof(*job)))))
		r = error_set(&err, -ENOMEM, "out of memory");
	if (r < 0) {
		free(v);
		done(r, &err, NULL, userdata);
		error_clear(&err);
		return;
	}
	*job = (struct prune_job){
	    .cs = cs, .deleted = json_array(), .pending = 1, .done = done, .userdata = userdata};
	size_t n = collect(cs, f, until, v);
	for (size_t i = 0; i < n; i++) {
		struct prune_item *it = calloc(1, sizeof(*it));
		if (!it)
			break;
		it->job = job;
		memcpy(it->id, v[i]->id, sizeof(it->id));
		storage_diff_size(cs->deps.images->storage, v[i]->id, &it->size, NULL);
		job->pending++;
		container_remove(cs, v[i], false, false, item_removed, it);
	}
	free(v);
	job_unref(job);
}
