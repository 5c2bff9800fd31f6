/* The image service's lifecycle in the daemon: the storage driver, then the
 * layer store, then the image store, then garbage left by a crash. */
#include "image/images.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "daemon/daemon.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "storage/driver.h"

static int open_stores(struct daemon *d, const char *root, struct error *err)
{
	int r = layer_store_open(d->loop, root, d->storage, &d->layers, err);
	if (r == 0)
		r = image_store_open(root, d->layers, &d->images, err);
	/* Containers hold their image's top layer (containers_load finds it). */
	for (size_t i = 0; r == 0 && d->layer_pins && d->layer_pins[i]; i++) {
		struct layer *l = layer_store_get(d->layers, d->layer_pins[i]);
		if (l)
			layer_ref(l);
	}
	/* Only now is it known which layers and cache entries images use;
	 * containers' read-write entries (listed by daemon_start) stay too. */
	if (r == 0)
		r = layer_store_gc(d->layers, (const char *const *)d->storage_keep, err);
	return r;
}

int images_init(struct daemon *d, struct error *err)
{
	_cleanup_free_ char *root = NULL, *tmp = NULL;
	int r = storage_driver_open(d->cfg.storage_driver, d->cfg.data_root, &d->storage, err);
	if (r < 0)
		return r;
	if (asprintf(&root, "%s/image/%s", d->cfg.data_root, d->cfg.storage_driver) < 0 ||
	    asprintf(&tmp, "%s/tmp", root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	r = fs_mkdir_p(root, 0700, err);
	if (r == 0) {
		image_rm_rf(tmp); /* scratch of interrupted loads and saves */
		r = fs_mkdir_p(tmp, 0700, err);
	}
	if (r == 0)
		r = open_stores(d, root, err);
	if (r < 0)
		error_wrap(err, "cannot open the image store");
	return r;
}

void images_done(struct daemon *d)
{
	image_store_free(d->images);
	d->images = NULL;
	layer_store_free(d->layers);
	d->layers = NULL;
	storage_driver_close(d->storage);
	d->storage = NULL;
}
