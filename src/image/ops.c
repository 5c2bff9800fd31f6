/* Tag, delete and prune with dockerd's rules (daemon/images/image_delete.go,
 * image_prune.go), and image events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "image/images.h"
#include "shared/events.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "image/service.h"

/* dockerd's conflict kinds. */
enum {
	CONFLICT_CHILD = 1,
	CONFLICT_RUNNING = 2,
	CONFLICT_REFERENCE = 4,
	CONFLICT_STOPPED = 8,
	CONFLICT_HARD = CONFLICT_CHILD | CONFLICT_RUNNING,
	CONFLICT_SOFT = CONFLICT_REFERENCE | CONFLICT_STOPPED,
};

void image_event(struct image_service *is, const char *id, const char *name, const char *action)
{
	json_t *attrs = json_object();
	struct image *img = image_store_get(is->store, id);
	json_t *labels = img ? image_labels(img) : NULL;
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
		if (json_is_string(v))
			json_object_set(attrs, k, v);
	if (name && *name)
		json_object_set_new(attrs, "name", json_string(name));
	event_log_publish(is->deps.events, "image", action, id, attrs, "local");
}

int image_tag(struct image_service *is, struct image *img, const char *repo, const char *tag,
	      struct error *err)
{
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(repo, &r, err);
	if (e < 0)
		return e;
	if (r.digest || r.tag) {
		reference_done(&r);
		return error_set(err, -EINVAL, "invalid reference format: cannot tag with a tag or digest in the repository name");
	}
	if (tag && *tag) {
		if (!reference_tag_valid(tag)) {
			reference_done(&r);
			return error_set(err, -EINVAL, "invalid tag format");
		}
		r.tag = strdup(tag);
	}
	reference_default_tag(&r);
	_cleanup_free_ char *full = reference_string(&r);
	_cleanup_free_ char *fam = reference_familiar_string(&r);
	reference_done(&r);
	if (!full || !fam)
		return error_set(err, -ENOMEM, "out of memory");
	e = image_store_tag(is->store, img, full, err);
	if (e == 0)
		image_event(is, img->id, fam, "tag");
	return e;
}

static void truncate_id(const char *id, char out[13])
{
	const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
	snprintf(out, 13, "%.12s", hex);
}

/* checkImageDeleteConflict; returns 0 or a conflict (-EBUSY with message). */
static int check_conflict(struct image_service *is, const struct image *img, int mask, bool *used,
			  struct error *err)
{
	char run[65], stop[65], sid[13], cid[13];
	truncate_id(img->id, sid);
	bool in_use = image_store_used(is->store, img->id, run, stop);
	*used = false;
	if ((mask & CONFLICT_CHILD) && image_store_children(is->store, img->id))
		return error_set(err, -EBUSY, "conflict: unable to delete %s (cannot be forced) - image has dependent child images", sid);
	if ((mask & CONFLICT_RUNNING) && in_use && run[0]) {
		*used = true;
		truncate_id(run, cid);
		return error_set(err, -EBUSY, "conflict: unable to delete %s (cannot be forced) - image is being used by running container %s", sid, cid);
	}
	size_t n = 0;
	free(image_store_refs(is->store, img->id, &n));
	if ((mask & CONFLICT_REFERENCE) && n)
		return error_set(err, -EBUSY, "conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", sid);
	if ((mask & CONFLICT_STOPPED) && in_use && stop[0]) {
		*used = true;
		truncate_id(stop, cid);
		return error_set(err, -EBUSY, "conflict: unable to delete %s (must be forced) - image is being used by stopped container %s", sid, cid);
	}
	return 0;
}

static void record(json_t *records, const char *key, const char *value)
{
	json_array_append_new(records, json_pack("{s:s}", key, value));
}

static int untag_one(struct image_service *is, const struct image *img, const char *full,
		     json_t *records, struct error *err)
{
	_cleanup_free_ char *fam = reference_familiarize(full);
	int r = image_store_untag(is->store, full, err);
	if (r < 0)
		return r;
	record(records, "Untagged", fam ? fam : full);
	image_event(is, img->id, img->id, "untag");
	return 0;
}

static bool is_digest_ref(const char *full)
{
	return strchr(full, '@') != NULL;
}

/* The repository part of a normalized reference. */
static size_t repo_len(const char *full)
{
	const char *at = strchr(full, '@');
	size_t n = at ? (size_t)(at - full) : strlen(full);
	const char *slash = memrchr(full, '/', n);
	const char *colon = memchr(slash ? slash : full, ':', n - (size_t)((slash ? slash : full) - full));
	return colon ? (size_t)(colon - full) : n;
}

static bool same_repo(const char *a, const char *b)
{
	size_t n = repo_len(a);
	return n == repo_len(b) && strncmp(a, b, n) == 0;
}

/* isSingleReference: all references in one repository, at most one tag. */
static bool single_reference(const char **refs, size_t n)
{
	if (n <= 1)
		return n == 1;
	const char *single = NULL;
	for (size_t i = 0; i < n; i++) {
		if (is_digest_ref(refs[i]))
			continue;
		if (single)
			return false;
		single = refs[i];
	}
	if (!single)
		single = refs[0];
	bool ok = false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digest_ref(refs[i]))
			continue;
		if (!same_repo(refs[i], refs[0]) && !same_repo(refs[i], single))
			return false;
		ok = ok || same_repo(refs[i], single);
	}
	return ok;
}

static int delete_helper(struct image_service *is, struct image *img, json_t *records, bool force,
			 bool prune, bool quiet, struct error *err);

static int remove_all_refs(struct image_service *is, const struct image *img, json_t *records,
			   struct error *err)
{
	size_t n;
	_cleanup_free_ const char **refs = image_store_refs(is->store, img->id, &n);
	_cleanup_free_ char **copy = calloc(n + 1, sizeof(*copy));
	if (!refs || !copy)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		copy[i] = strdup(refs[i]);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && copy[i])
			r = untag_one(is, img, copy[i], records, err);
		free(copy[i]);
	}
	return r;
}

static int delete_helper(struct image_service *is, struct image *img, json_t *records, bool force,
			 bool prune, bool quiet, struct error *err)
{
	int mask = CONFLICT_HARD | (force ? 0 : CONFLICT_SOFT);
	bool used;
	struct error conflict = ERROR_INIT;
	if (check_conflict(is, img, mask, &used, &conflict) < 0) {
		size_t n = 0;
		free(image_store_refs(is->store, img->id, &n));
		/* imageIsDangling: no references and no children. */
		bool dangling = n == 0 && !image_store_children(is->store, img->id);
		if (quiet && (!dangling || used)) {
			error_clear(&conflict);
			return 0;
		}
		*err = conflict;
		return err->code;
	}
	char parent[DIGEST_BUF], id[DIGEST_BUF];
	memcpy(parent, img->parent, sizeof(parent));
	memcpy(id, img->id, sizeof(id));
	int r = remove_all_refs(is, img, records, err);
	if (r < 0)
		return r;
	json_t *layers = json_array();
	r = image_store_remove(is->store, img, layers, err);
	if (r < 0) {
		json_decref(layers);
		return r;
	}
	image_event(is, id, id, "delete");
	record(records, "Deleted", id);
	size_t i;
	json_t *v;
	json_array_foreach(layers, i, v)
		record(records, "Deleted", json_string_value(v));
	json_decref(layers);
	struct image *p = parent[0] ? image_store_get(is->store, parent) : NULL;
	if (!prune || !p)
		return 0;
	return delete_helper(is, p, records, false, true, true, err);
}

/* A tag given: untag it (and the repository's digests if it was its last
 * tag); the image goes only with its last reference. */
static int delete_by_ref(struct image_service *is, struct image *img, const char *name, bool force,
			 bool prune, json_t *records, struct error *err)
{
	size_t n;
	_cleanup_free_ const char **refs = image_store_refs(is->store, img->id, &n);
	char run[65], stop[65], cid[13], sid[13];
	if (!refs)
		return error_set(err, -ENOMEM, "out of memory");
	if (!force && single_reference(refs, n) &&
	    image_store_used(is->store, img->id, run, stop)) {
		truncate_id(run[0] ? run : stop, cid);
		truncate_id(img->id, sid);
		return error_set(err, -EBUSY, "conflict: unable to remove repository reference \"%s\" (must force) - container %s is using its referenced image %s", name, cid, sid);
	}
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(name, &r, err);
	if (e < 0)
		return e;
	reference_default_tag(&r);
	_cleanup_free_ char *full = reference_string(&r);
	reference_done(&r);
	if (!full)
		return error_set(err, -ENOMEM, "out of memory");
	e = untag_one(is, img, full, records, err);
	if (e < 0)
		return e;
	if (!is_digest_ref(full)) {
		free(refs);
		refs = image_store_refs(is->store, img->id, &n);
		bool tag_left = false;
		for (size_t i = 0; i < n; i++)
			tag_left |= !is_digest_ref(refs[i]) && same_repo(refs[i], full);
		for (size_t i = 0; !tag_left && i < n && e == 0; i++) {
			if (!is_digest_ref(refs[i]) || !same_repo(refs[i], full))
				continue;
			_cleanup_free_ char *dref = strdup(refs[i]);
			e = dref ? untag_one(is, img, dref, records, err) : -ENOMEM;
			free(refs);
			refs = image_store_refs(is->store, img->id, &n);
			i = (size_t)-1;
		}
		if (e < 0)
			return e;
	}
	free(refs);
	refs = image_store_refs(is->store, img->id, &n);
	if (n > 0)
		return 0;
	return delete_helper(is, img, records, force, prune, true, err);
}

static bool is_id_prefix(const char *id, const char *name)
{
	const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
	return strncmp(digest_hex(id), hex, strlen(hex)) == 0;
}

int image_delete(struct image_service *is, const char *name, bool force, bool prune,
		 json_t *records, struct error *err)
{
	struct image *img;
	int r = image_store_lookup(is->store, name, &img, err);
	if (r < 0)
		return r;
	if (!is_id_prefix(img->id, name))
		return delete_by_ref(is, img, name, force, prune, records, err);
	size_t n;
	_cleanup_free_ const char **refs = image_store_refs(is->store, img->id, &n);
	if (!refs)
		return error_set(err, -ENOMEM, "out of memory");
	if (single_reference(refs, n)) {
		int mask = CONFLICT_HARD | (force ? 0 : (CONFLICT_SOFT & ~CONFLICT_REFERENCE));
		bool used;
		r = check_conflict(is, img, mask, &used, err);
		if (r == 0)
			r = remove_all_refs(is, img, records, err);
		if (r < 0)
			return r;
	}
	return delete_helper(is, img, records, force, prune, false, err);
}

/* ---- prune ---- */

static const char *const prune_keys[] = {"dangling", "label", "label!", "until", NULL};

static bool prune_match(struct image_service *is, const struct image *img, const struct filters *f,
			bool dangling_only, int64_t until_ns)
{
	size_t n;
	free(image_store_refs(is->store, img->id, &n));
	if (dangling_only && n > 0)
		return false;
	if (until_ns && img->created_ns >= until_ns)
		return false;
	json_t *labels = image_labels(img);
	if (!filters_match_label(f, "label", labels))
		return false;
	if (filters_has_key(f, "label!") && filters_len(f) && filters_values(f, "label!", &n) && n &&
	    filters_match_label(f, "label!", labels))
		return false;
	char run[65], stop[65];
	return !image_store_used(is->store, img->id, run, stop);
}

/* Untags every reference (the last one deletes the image), then deletes
 * by ID what is left, as ImagesPrune does for dangling=false. */
static int prune_one(struct image_service *is, const char *id, json_t *deleted, struct error *err)
{
	size_t n;
	const char **refs = image_store_refs(is->store, id, &n);
	_cleanup_free_ char *first = refs && n ? strdup(refs[0]) : NULL;
	free(refs);
	while (first) {
		int r = image_delete(is, first, false, true, deleted, err);
		if (r < 0)
			return r;
		free(TAKE_PTR(first));
		if (!image_store_get(is->store, id))
			return 0;
		refs = image_store_refs(is->store, id, &n);
		first = refs && n ? strdup(refs[0]) : NULL;
		free(refs);
	}
	return image_store_get(is->store, id) ? image_delete(is, id, false, true, deleted, err) : 0;
}

int image_prune(struct image_service *is, const struct filters *f, json_t **ret, struct error *err)
{
	int r = filters_validate(f, prune_keys, err);
	bool dangling = true;
	int64_t until = 0;
	if (r == 0)
		r = filters_get_bool(f, "dangling", true, &dangling, err);
	if (r == 0)
		r = filters_get_until(f, time_now_ns(), &until, err);
	if (r < 0)
		return r;
	json_t *deleted = json_array();
	int64_t before = layer_store_total_size(is->layers);
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < image_store_count(is->store); i++) {
			struct image *img = image_store_at(is->store, i);
			if (!prune_match(is, img, f, dangling, until))
				continue;
			struct error e = ERROR_INIT;
			char id[DIGEST_BUF];
			memcpy(id, img->id, sizeof(id));
			/* Conflicts (children, users) keep an image; prune goes on. */
			if (prune_one(is, id, deleted, &e) == 0)
				again = true;
			error_clear(&e);
			if (again)
				break;
		}
	}
	int64_t reclaimed = before - layer_store_total_size(is->layers);
	*ret = json_pack("{s:o, s:I}", "ImagesDeleted",
			 json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
			 "SpaceReclaimed", (json_int_t)reclaimed);
	return 0;
}
