/* docker pull --all-tags: the repository's tags listed by the registry, then
 * pulled one after the other into one progress stream, as dockerd's
 * pullRepository does. Internal to the image service's pulls. */
#pragma once

#include <stdbool.h>

struct byte_sink;
struct image_service;
struct pull_opts;

/* One tag or digest (pull.c); with ret_newer, the final "Status:" line is
 * left to the caller and *ret_newer says whether the image changed. */
void image_pull_one(struct image_service *is, struct byte_sink *out, const struct pull_opts *o,
		    bool *ret_newer);

/* Every tag of o->from_image (a name without tag or digest). */
void image_pull_all_tags(struct image_service *is, struct byte_sink *out,
			 const struct pull_opts *o);
