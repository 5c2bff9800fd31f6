/* docker build with the classic builder (POST /build): a Dockerfile run
 * step by step over the image store and the container engine. RUN steps
 * are containers started through the same code as docker run; each step
 * is committed as an image whose parent is the previous step's, so the
 * classic cache (parent image plus instruction, content checksums of
 * COPY/ADD sources) finds earlier results. Progress is dockerd's JSON
 * stream. Everything here runs on the loop; file work goes to the pool. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct containers;
struct byte_sink;

struct build_opts {
	char *dockerfile; /* name in the context, default "Dockerfile" */
	char **tags;	  /* normalized name:tag, validated */
	size_t n_tags;
	json_t *buildargs, *labels; /* objects of strings, may be NULL */
	char *target;		    /* stage to stop at, may be NULL */
	bool nocache, rm, forcerm, quiet;
	json_t *host_config; /* HostConfig for RUN containers */
};

/* Runs the build of the context read from fd (owned) and writes to out,
 * which it ends: an error before any output (bad Dockerfile, missing
 * context file), else the JSON stream ending with the image ID or an
 * errorDetail. Takes the options' contents. */
void build_start(struct containers *cs, struct byte_sink *out, struct build_opts *o, int fd);
void build_opts_done(struct build_opts *o);

/* POST /build/prune: removes the dangling images builds left (untagged,
 * without children, not used by containers); *ret is
 * {"CachesDeleted":[...],"SpaceReclaimed":n}. */
int build_prune(struct containers *cs, json_t **ret, struct error *err);
