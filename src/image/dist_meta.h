/* Distribution metadata, as dockerd keeps it under
 * image/<driver>/distribution/: for each layer (by diff ID) the compressed
 * blobs it was pulled as or pushed as, and from which repository. A push
 * uses it to say "Layer already exists" or mount the blob instead of
 * compressing and uploading the layer again, so a pulled image pushes back
 * with the same digests. On the loop; files replaced atomically. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

/* Records that diff_id is blob digest in repository repo (full name,
 * "127.0.0.1:5000/app"). Newest first; at most a few entries kept. */
int dist_meta_add(const char *image_root, const char *diff_id, const char *digest, const char *repo,
		  struct error *err);
/* [{"Digest", "SourceRepository", "HMAC"}...] for diff_id (new reference,
 * an empty array when nothing is known). */
json_t *dist_meta_get(const char *image_root, const char *diff_id);
