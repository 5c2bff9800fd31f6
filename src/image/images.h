/* The daemon's image service: storage driver, layer store and image store,
 * opened at start and closed at shutdown, and libcurl for downloads. */
#pragma once

#include <uv.h>

#include "basic/error.h"
#include "basic/log.h"
#include "image/registry_settings.h"

struct event_log;
struct fetch_curl;
struct image_store;
struct layer_store;
struct storage_driver;

/* What the daemon gives the image service: borrowed, it outlives the
 * service. */
struct image_deps {
	uv_loop_t *loop;
	struct logger *log;
	struct event_log *events;
	const char *data_root;
	const char *storage_driver; /* --storage-driver */
	struct registry_settings registries;
	int max_downloads, max_uploads; /* layers at once per pull or push */
	const char *go_arch;		/* the host's, for images made here */
};

struct image_service {
	struct image_deps deps;
	struct storage_driver *storage;
	struct layer_store *layers;
	struct image_store *store;
	struct fetch_curl *curl; /* libcurl, loaded on first download */
};

/* Opens the storage driver named by --storage-driver and loads the layer and
 * image stores from the data root, cleaning up what a crash left half-made:
 * storage entries other than keep (containers' read-write layers) go, and
 * the layers named by pins (containers' top layers) stay referenced. *ret is
 * set even on failure, for images_done. */
int images_init(struct image_service **ret, const struct image_deps *deps, const char *const *keep,
		const char *const *pins, struct error *err);
void images_done(struct image_service *is);
