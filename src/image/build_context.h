/* The file side of docker build, run on the thread pool: the build context
 * (a tar or a bare Dockerfile in the request body) unpacked into a private
 * directory with .dockerignore applied, and the layers COPY and ADD make. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/error.h"

struct build_context {
	char *dir; /* the unpacked context */
	int dir_fd;
	char *dockerfile; /* its text */
	size_t dockerfile_len;
};

/* Unpacks the body read from fd under tmp_root (a tar, plain or
 * compressed; anything else is taken as the Dockerfile itself), reads the
 * Dockerfile called name ("Cannot locate specified Dockerfile: name") and
 * removes what .dockerignore excludes. A tar entry leaving the context
 * ("../", absolute) is refused with -EINVAL. On failure nothing is left. */
int build_context_open(int fd, const char *tmp_root, const char *name, struct build_context *ret,
		       struct error *err);
/* Removes the context directory (blocking: thread pool). */
void build_context_remove(struct build_context *ctx);

struct copy_spec {
	const char *cmd;	 /* "COPY" or "ADD", for messages */
	const char *const *srcs; /* source paths, expanded; relative to src_root */
	size_t n_srcs;
	int src_root_fd;   /* the context, or a stage's filesystem (--from) */
	bool from_context; /* messages name the build context */
	const char *dest;  /* absolute in the image; a trailing '/' kept */
	int image_root_fd; /* the parent image's filesystem, -1 for none */
	bool chown;
	uid_t uid;
	gid_t gid;
	bool unpack; /* ADD: local tar archives are unpacked */
	/* ADD of URLs: the downloaded files (names from the URLs' paths). */
	const char *const *url_names;
	const int *url_fds;
	size_t n_urls;
};

/* Writes the layer of one COPY or ADD to out_fd and the cache key of its
 * sources ("file:<sha256>", "dir:<sha256>" or "multi:<sha256>") to
 * key (72 + 8 bytes). Errors carry dockerd's wording ("file not found in
 * build context or excluded by .dockerignore: ...", "forbidden path
 * outside the build context: ..."). */
int build_copy_layer(const struct copy_spec *s, int out_fd, char *key, size_t key_len,
		     struct error *err);
