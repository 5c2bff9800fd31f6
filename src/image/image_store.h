/* The image store: image configs in imagedb/content/sha256/<id> (the ID is
 * the sha256 of exactly those bytes), per-image metadata in
 * imagedb/metadata/sha256/<id>/, and repositories.json for tags and digests,
 * laid out as dockerd does under <data-root>/image/<driver>. Lives on the
 * loop; every file is replaced atomically. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "shared/digest.h"
#include "image/layer_store.h"

struct image {
	char id[DIGEST_BUF]; /* "sha256:<hex>" */
	json_t *config;
	size_t config_len;
	struct layer *top; /* NULL for an image without layers */
	size_t n_layers;
	int64_t created_ns;
	int64_t last_tag_ns;	 /* 0 when never tagged here */
	char parent[DIGEST_BUF]; /* "" when none */
};

struct image_store;

/* Asks the container code whether image_id is used; fills *running_id or
 * *stopped_id (first container found, caller-owned buffers of 65) and
 * returns true when one is. */
typedef bool (*image_usage_fn)(const char *image_id, char *running_id, char *stopped_id,
			       void *userdata);

int image_store_open(const char *root, struct layer_store *ls, struct image_store **ret,
		     struct error *err);
void image_store_free(struct image_store *is);
/* The container code registers who uses which image (rmi conflicts). */
void image_store_set_usage(struct image_store *is, image_usage_fn fn, void *userdata);
bool image_store_used(const struct image_store *is, const char *image_id, char *running_id,
		      char *stopped_id);

size_t image_store_count(const struct image_store *is);
struct image *image_store_at(const struct image_store *is, size_t i);
struct image *image_store_get(const struct image_store *is, const char *id);
struct layer_store *image_store_layers(const struct image_store *is);
/* <data-root>/image/<driver>; scratch space is its tmp/ (emptied at start). */
const char *image_store_root(const struct image_store *is);
/* A new empty directory <root>/tmp/<what>-XXXXXX for a job's files (the
 * caller frees the path and removes the directory). */
int image_store_tmpdir(const struct image_store *is, const char *what, char **ret,
		       struct error *err);

/* Resolves what a user typed (full or short ID, name, name:tag,
 * name@digest) as dockerd's GetImage. -ENOENT "No such image: ...", -EINVAL
 * for a malformed reference or an ambiguous ID prefix. */
int image_store_lookup(const struct image_store *is, const char *ref, struct image **ret,
		       struct error *err);

/* Adds (or finds) the image whose config is data; its layers must be in the
 * layer store already. -EINVAL when the config is not an image config. */
int image_store_add(struct image_store *is, const char *data, size_t len, struct image **ret,
		    struct error *err);
/* Records the image's parent (committed and loaded images can have one). */
int image_store_set_parent(struct image_store *is, struct image *img, const char *parent,
			   struct error *err);

/* Points the normalized reference full (name:tag or name@digest) at img. */
int image_store_tag(struct image_store *is, struct image *img, const char *full, struct error *err);
/* Removes a normalized reference; -ENOENT when absent. */
int image_store_untag(struct image_store *is, const char *full, struct error *err);
/* The normalized references pointing at id, NULL-terminated (free the array
 * only; strings belong to the store and stay valid until it changes). */
const char **image_store_refs(const struct image_store *is, const char *id, size_t *ret_n);
/* Images whose parent is id. */
size_t image_store_children(const struct image_store *is, const char *id);

/* Removes img (config, metadata, references) and releases its layers; the
 * chain IDs of layers that went are appended to removed_layers (may be
 * NULL). img is freed. */
int image_store_remove(struct image_store *is, struct image *img, json_t *removed_layers,
		       struct error *err);

/* Runs fn now or after the exclusive jobs queued before it (load and
 * import: one unpacks at a time, so two jobs never race to create the same
 * layer). The job ends with image_job_finish or image_job_fail
 * (image_job.c), which call image_store_exclusive_done once it started. */
struct image_job {
	void (*start)(struct image_job *job);
	void (*free)(struct image_job *job);
	bool started; /* holds the store's exclusive slot */
	struct image_job *next;
};
void image_store_exclusive(struct image_store *is, struct image_job *job);
void image_store_exclusive_done(struct image_store *is);

/* Docker's config fields for an image: its labels (may be NULL) etc. */
json_t *image_labels(const struct image *img);
