/* What an image archive holds, from Docker's manifest.json (docker save) or
 * an OCI image layout (oci-layout, index.json, blobs/sha256): for each image
 * its config, its layer files in order and its names. Pure: files are read
 * through a callback, so tests feed it from memory. */
#pragma once

#include <stddef.h>

#include "basic/error.h"

/* Reads the archive member at path (relative, as written in the manifests)
 * into *ret (NUL-terminated, caller frees). -ENOENT when absent. */
typedef int (*manifest_read_fn)(const char *path, char **ret, size_t *ret_len, void *userdata);

struct manifest_image {
	char *config; /* the config bytes, exactly */
	size_t config_len;
	char **layers; /* member paths of the layer tarballs */
	size_t n_layers;
	char **tags; /* references as written (familiar or full) */
	size_t n_tags;
	char *parent; /* "sha256:..." or NULL */
};

struct manifest {
	struct manifest_image *images;
	size_t n;
};

/* Parses manifest.json when present, else an OCI layout's index.json
 * (nested indexes followed, the platform linux/arch preferred). Checks that
 * every config digest and layer count agree. -EINVAL with a message naming
 * what is wrong. */
int manifest_parse(manifest_read_fn read, void *userdata, const char *arch, struct manifest *ret,
		   struct error *err);
void manifest_done(struct manifest *m);
