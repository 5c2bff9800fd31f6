/* The layer store: layerdb/sha256/<chain-id>/{diff,size,cache-id,parent,
 * layer.tar.zst} under <data-root>/image/<driver>, like dockerd's, with each
 * layer's files in a storage driver entry named by its cache ID.
 *
 * Layers are reference counted (images hold their top layer, a layer holds its
 * parent) and removed when the last reference goes. A layer appears on disk
 * only by renaming a complete, fsynced directory from layerdb/tmp into
 * layerdb/sha256, so a crash leaves either the whole layer or a temp dir that
 * the next start removes. The store itself lives on the loop; the prepare
 * functions are the part that runs on the thread pool. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"
#include "image/archive.h"
#include "shared/digest.h"

struct storage_driver;

struct layer {
	char chain_id[DIGEST_BUF];
	char diff_id[DIGEST_BUF];
	char cache_id[DIGEST_HEX_LEN + 1];
	struct layer *parent;
	int64_t size;	  /* bytes unpacked by this layer */
	int64_t tar_size; /* bytes of its uncompressed tar */
	unsigned refs;
};

struct layer_store;

/* Loads the layers under root/layerdb, dropping unfinished temp dirs and
 * layers whose parent is missing. Every loaded layer starts with no
 * reference: the image store takes them, then layer_store_gc drops the rest. */
int layer_store_open(uv_loop_t *loop, const char *root, struct storage_driver *drv,
		     struct layer_store **ret, struct error *err);
void layer_store_free(struct layer_store *ls);

/* Removes layers nobody references (left by a crash during a delete) and
 * tells the driver which cache IDs to keep: the layers' and extra_keep
 * (NULL-terminated, may be NULL; containers' read-write entries once they
 * exist). Call once after loading images. */
int layer_store_gc(struct layer_store *ls, const char *const *extra_keep, struct error *err);

struct layer *layer_store_get(struct layer_store *ls, const char *chain_id);
void layer_ref(struct layer *l);
/* Drops a reference; when it was the last, the layer leaves the store (its
 * files are removed on the thread pool) and its parent is released too. The
 * chain IDs of removed layers are appended to removed (may be NULL). */
void layer_store_release(struct layer_store *ls, struct layer *l, json_t *removed);
/* Calls cb(data) once every removal queued so far has finished (at once when
 * none is pending): a reply that promises layers are gone waits for this. */
int layer_store_after_removals(struct layer_store *ls, void (*cb)(void *data), void *data);

size_t layer_store_count(const struct layer_store *ls);
/* Sum of all layers' sizes. */
int64_t layer_store_total_size(const struct layer_store *ls);
/* Bytes of l and all its parents. */
int64_t layer_chain_size(const struct layer *l);

/* --- thread-pool side --- */

/* A layer unpacked and written under layerdb/tmp, not yet in the store. */
struct layer_prep {
	char chain_id[DIGEST_BUF];
	char diff_id[DIGEST_BUF];
	char cache_id[DIGEST_HEX_LEN + 1];
	char parent_chain[DIGEST_BUF]; /* "" for a base layer */
	int64_t size, tar_size;
	char *tmpdir;
};

/* What a thread needs from the store to prepare layers. Copied on the loop. */
struct layer_paths {
	char *db; /* root/layerdb */
	struct storage_driver *drv;
};
int layer_store_paths(const struct layer_store *ls, struct layer_paths *ret);
void layer_paths_done(struct layer_paths *p);

/* Unpacks the layer tarball read from fd (any compression) into a new driver
 * entry on top of parent_cache (NULL: base) and writes the layer's files into
 * a temp dir. expect_diff_id (may be NULL) must match what the tar hashes to.
 * On failure nothing is left behind. Thread-safe. */
int layer_prepare(const struct layer_paths *p, int fd, const char *parent_chain,
		  const char *parent_cache, const char *expect_diff_id, struct layer_prep *ret,
		  struct error *err);
/* Undoes a prepared layer that will not be committed. Thread-safe. */
void layer_prep_discard(const struct layer_paths *p, struct layer_prep *prep);
void layer_prep_done(struct layer_prep *prep);

/* On the loop: moves a prepared layer into the store with one reference for
 * the caller. When the chain ID is already there the preparation is
 * discarded and the existing layer is referenced instead. */
int layer_store_commit(struct layer_store *ls, struct layer_prep *prep, struct layer **ret,
		       struct error *err);

/* The kept layer tarball (zstd) of chain_id: path under db. Caller frees. */
char *layer_tar_path(const char *db, const char *chain_id);
/* Copies the uncompressed tar of the layer at gz_path into write_fn calls.
 * Thread-safe. */
int layer_tar_read(const char *gz_path, int (*write_fn)(const void *, size_t, void *),
		   void *userdata, struct error *err);

/* rm -rf; thread-safe, 0 when path is already gone. */
int image_rm_rf(const char *path);
