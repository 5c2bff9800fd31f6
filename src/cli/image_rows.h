/* Rows of the image tables (images, history, system df -v) from the
 * daemon's JSON, as docker's formatter computes them. Pure logic: now_ns
 * is passed in, so tests pin the "CREATED" column. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct image_list_opts {
	bool all, digests, no_trunc, quiet;
};

struct image_history_opts {
	bool human, no_trunc, quiet;
};

/* The --format default for `images` with these options. Caller frees. */
char *image_list_default_format(const struct image_list_opts *o);
/* One row per repository:tag (and digest with --digests) of each image in
 * the /images/json array; fields Containers, CreatedAt, CreatedSince,
 * Digest, ID, Repository, SharedSize, Size, Tag, UniqueSize, VirtualSize. */
json_t *image_list_rows(json_t *images, const struct image_list_opts *o, int64_t now_ns);
json_t *image_list_headers(void);

const char *image_history_default_format(const struct image_history_opts *o);
/* Rows of /images/{name}/history: ID, CreatedSince, CreatedAt, CreatedBy,
 * Size, Comment. */
json_t *image_history_rows(json_t *history, const struct image_history_opts *o, int64_t now_ns);
json_t *image_history_headers(void);

/* For cli_print_rows when the rows are built already (new reference). */
json_t *image_row_identity(json_t *row);

/* Splits "repo[:tag]" at a tag colon (one after the last '/'); returns the
 * tag or NULL and sets *ret_repo (caller frees). */
const char *image_split_tag(const char *ref, char **ret_repo);

/* "sha256:0123..." shortened to docker's 12-character ID. */
void image_short_id(const char *id, char *buf, size_t len);
