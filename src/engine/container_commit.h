/* docker commit and docker export/cp of containers (container_commit.c,
 * container_archive.c). On the loop; the file work runs on the thread pool. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/container.h"

struct image;

struct container_commit_opts {
	const char *author, *comment; /* may be NULL */
	const char *const *changes;   /* Dockerfile instructions (--change) */
	size_t n_changes;
	bool pause;
};

/* img is the store's new image (NULL when r < 0). */
typedef void (*container_commit_fn)(int r, const struct error *err, struct image *img,
				    void *userdata);
/* Commits c's read-write layer; done may run before this returns (bad
 * changes: -EINVAL with dockerd's message). */
void container_commit(struct containers *cs, struct container *c,
		      const struct container_commit_opts *o, container_commit_fn done,
		      void *userdata);
