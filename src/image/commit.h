/* Images made from a parent image plus a layer (or no layer): what docker
 * commit and each step of docker build produce, as dockerd's CommitImage
 * and NewChildImage. The layer tar is written and unpacked on the thread
 * pool; the image is registered on the loop. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"
#include "storage/driver.h"

struct image_service;
struct image;

struct image_commit_opts {
	const char *parent_id;	  /* image ID, "" or NULL for none (FROM scratch) */
	json_t *config;		  /* the new image's Config (borrowed) */
	json_t *container_config; /* recorded as container_config; may be NULL */
	const char *container_id; /* recorded as container; may be NULL */
	const char *author, *comment, *created_by; /* may be NULL */
	/* The layer: the changes in layer_dir (a container's upper dir, in
	 * `whiteouts` format, without skip paths), or the tar in layer_fd
	 * (owned, any position), or neither: no layer (empty_layer history). */
	const char *layer_dir;
	enum whiteout_format whiteouts;
	const char *const *skip;
	int layer_fd;
};

/* img is NULL when r < 0; it is the store's. */
typedef void (*image_commit_fn)(int r, const struct error *err, struct image *img, void *userdata);

/* Makes the child image of o->parent_id and calls done (maybe before
 * returning, on failure). An empty layer (the tar of nothing) is recorded
 * as empty_layer, as dockerd does. */
void image_commit(struct image_service *is, const struct image_commit_opts *o, image_commit_fn done,
		  void *userdata);

/* Paths a container's runtime creates as mount points (its init layer in
 * dockerd), left out of commits: rel paths, NULL-terminated. */
extern const char *const image_commit_init_paths[];
