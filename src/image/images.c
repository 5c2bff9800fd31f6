/* The image service's lifecycle in the daemon: the storage driver, then the
 * layer store, then the image store, then garbage left by a crash. */
#include "image/images.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "image/fetch.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "storage/driver.h"

static int open_stores(struct image_service *is, const char *root, const char *const *keep,
		       const char *const *pins, struct error *err)
{
	int r = layer_store_open(is->deps.loop, root, is->storage, &is->layers, err);
	if (r == 0)
		r = image_store_open(root, is->layers, &is->store, err);
	/* Containers hold their image's top layer (containers_load finds it). */
	for (size_t i = 0; r == 0 && pins && pins[i]; i++) {
		struct layer *l = layer_store_get(is->layers, pins[i]);
		if (l)
			layer_ref(l);
	}
	/* Only now is it known which layers and cache entries images use;
	 * containers' read-write entries stay too. */
	if (r == 0)
		r = layer_store_gc(is->layers, keep, err);
	return r;
}

int images_init(struct image_service **ret, const struct image_deps *deps, const char *const *keep,
		const char *const *pins, struct error *err)
{
	struct image_service *is = calloc(1, sizeof(*is));
	*ret = is;
	if (!is)
		return error_set(err, -ENOMEM, "out of memory");
	is->deps = *deps;
	_cleanup_free_ char *root = NULL, *tmp = NULL;
	int r = storage_driver_open(deps->storage_driver, deps->data_root, &is->storage, err);
	if (r < 0)
		return r;
	if (asprintf(&root, "%s/image/%s", deps->data_root, deps->storage_driver) < 0 ||
	    asprintf(&tmp, "%s/tmp", root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	r = fs_mkdir_p(root, 0700, err);
	if (r == 0) {
		image_rm_rf(tmp); /* scratch of interrupted loads and saves */
		r = fs_mkdir_p(tmp, 0700, err);
	}
	if (r == 0)
		r = open_stores(is, root, keep, pins, err);
	if (r < 0)
		error_wrap(err, "cannot open the image store");
	return r;
}

void images_done(struct image_service *is)
{
	if (!is)
		return;
	fetch_done(is);
	image_store_free(is->store);
	layer_store_free(is->layers);
	storage_driver_close(is->storage);
	free(is);
}
