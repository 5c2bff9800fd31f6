/* GET /system/df: disk usage of images (with shared sizes), containers,
 * local volumes and the build cache, in dockerd's shapes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/system_df.h"
#include "engine/container.h"
#include "basic/cleanup.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "volume/volume_store.h"
#include "image/images.h"

/* Images using each layer, to tell shared bytes from unique ones. */
static size_t users_of(const struct image_store *is, const struct layer *layer)
{
	size_t n = 0;
	for (size_t i = 0; i < image_store_count(is); i++)
		for (const struct layer *l = image_store_at(is, i)->top; l; l = l->parent)
			if (l == layer) {
				n++;
				break;
			}
	return n;
}

static json_t *df_image(const struct daemon *d, const struct image *img)
{
	const struct image_store *is = d->images->store;
	int64_t size = layer_chain_size(img->top), shared = 0;
	for (const struct layer *l = img->top; l; l = l->parent)
		if (users_of(is, l) > 1)
			shared += l->size;
	size_t n;
	_cleanup_free_ const char **refs = image_store_refs(is, img->id, &n);
	json_t *tags = json_array(), *digests = json_array();
	for (size_t i = 0; refs && i < n; i++) {
		_cleanup_free_ char *fam = reference_familiarize(refs[i]);
		if (fam)
			json_array_append_new(strchr(fam, '@') ? digests : tags, json_string(fam));
	}
	if (!n) {
		json_array_append_new(tags, json_string("<none>:<none>"));
		json_array_append_new(digests, json_string("<none>@<none>"));
	}
	char run[65], stop[65];
	int containers = image_store_used(is, img->id, run, stop) ? 1 : 0;
	json_t *labels = image_labels(img);
	return json_pack("{s:i, s:I, s:s, s:O, s:s, s:o, s:o, s:I, s:I, s:I}", "Containers",
			 containers, "Created", (json_int_t)(img->created_ns / 1000000000), "Id",
			 img->id, "Labels", labels ? labels : json_null(), "ParentId", img->parent,
			 "RepoDigests", digests, "RepoTags", tags, "SharedSize", (json_int_t)shared,
			 "Size", (json_int_t)size, "VirtualSize", (json_int_t)size);
}

void api_system_df(const struct api_request *ar)
{
	struct daemon *d = ar->d;
	json_t *images = json_array();
	for (size_t i = 0; d->images->store && i < image_store_count(d->images->store); i++)
		json_array_append_new(images, df_image(d, image_store_at(d->images->store, i)));
	int64_t layers = d->images->layers ? layer_store_total_size(d->images->layers) : 0;
	/* Volume figures come from the volume store when it is open. */
	json_t *volumes = d->volumes ? volume_store_df_json(d->volumes) : NULL;
	json_t *containers = json_array();
	for (size_t i = 0; d->containers && i < containers_count(d->containers); i++)
		json_array_append_new(
		    containers,
		    container_list_entry(d->containers, containers_at(d->containers, i), true));
	json_t *df = json_pack("{s:I, s:o, s:o, s:o, s:[]}", "LayersSize", (json_int_t)layers,
			       "Images", images, "Containers", containers, "Volumes",
			       volumes ? volumes : json_array(), "BuildCache");
	http_reply_json(ar->conn, 200, df);
}
