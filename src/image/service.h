/* The image operations behind the /images endpoints that change state or
 * run long: load, import, save, tag, delete, prune. They run on the loop;
 * unpacking and archive writing go to the thread pool. Those given a byte
 * sink (shared/byte_sink.h) own it and end it, now or when done, with the
 * answer or the error. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"
#include "shared/filters.h"

struct byte_sink;
struct image_service;
struct image;

/* POST /images/load: fd (owned) is the archive. A bad archive is an error
 * line in the JSON stream, as dockerd answers (a 200 over HTTP). */
void image_load(struct image_service *is, struct byte_sink *out, int fd, bool quiet);

struct import_opts {
	const char *repo, *tag, *message; /* may be NULL */
	const char *const *changes;	  /* Dockerfile instructions */
	size_t n_changes;
	const char *platform_arch;
};
/* POST /images/create?fromSrc=-: fd (owned) is the rootfs tarball. */
void image_import(struct image_service *is, struct byte_sink *out, int fd,
		  const struct import_opts *opts);

/* GET /images/get and /images/{name}/get: names as the user typed them. */
void image_save(struct image_service *is, struct byte_sink *out, const char *const *names,
		size_t n);

/* Publishes an image event as dockerd does: the image's labels, then name. */
void image_event(struct image_service *is, const char *id, const char *name, const char *action);

/* Tags img with repo[:tag] (tag defaults to latest). */
int image_tag(struct image_service *is, struct image *img, const char *repo, const char *tag,
	      struct error *err);

/* DELETE /images/{name}: Docker's untag-versus-delete rules; the response
 * items ({"Untagged":..}, {"Deleted":..}) are appended to records. */
int image_delete(struct image_service *is, const char *name, bool force, bool prune,
		 json_t *records, struct error *err);

/* POST /images/prune. *ret is {"ImagesDeleted":[...],"SpaceReclaimed":n}. */
int image_prune(struct image_service *is, const struct filters *f, json_t **ret, struct error *err);
