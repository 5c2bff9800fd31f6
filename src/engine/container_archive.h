/* docker cp and docker export on containers (container_archive.c). Each
 * function ends the sink it is given (shared/byte_sink.h) with the answer or
 * the error, once the thread pool is done. */
#pragma once

#include <stdbool.h>

#include "engine/container.h"

struct byte_sink;

/* HEAD (head) or GET /containers/{id}/archive?path=: the path's stat in
 * the X-Docker-Container-Path-Stat header (base64 JSON), and for GET a tar
 * of it. ref is the container as the user named it (404 message). */
void container_archive(struct containers *cs, struct byte_sink *out, struct container *c,
		       const char *ref, const char *path, bool head);

struct container_extract_opts {
	const char *path; /* an existing directory in the container */
	bool no_overwrite_dir_non_dir;
	bool copy_uid_gid; /* entries owned by the container's user */
};
/* PUT /containers/{id}/archive: extracts the tar read from fd (owned). */
void container_extract(struct containers *cs, struct byte_sink *out, struct container *c,
		       const char *ref, const struct container_extract_opts *o, int fd);

/* GET /containers/{id}/export: a tar of the container's whole filesystem. */
void container_export(struct containers *cs, struct byte_sink *out, struct container *c);
