/* /images/... endpoints: list, inspect, history, tag, delete, prune, load,
 * save (get), import (create). Thin handlers over src/image; every handler
 * answers the client itself, the long ones when their job is done. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/api.h"
#include "api/http_sink.h"
#include "image/fetch.h"
#include "basic/buf.h"
#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "image/registry_ops.h"
#include "image/service.h"
#include "shared/filters.h"
#include "storage/driver.h"
#include "image/images.h"

static bool lookup_or_reply(const struct api_request *ar, struct image **ret)
{
	struct error err = ERROR_INIT;
	if (image_store_lookup(ar->d->images->store, route_param(ar->match, "name"), ret, &err) ==
	    0)
		return true;
	api_reply_err_clear(ar, &err);
	return false;
}

/* All values of a repeated query parameter, NULL-terminated (array only). */

/* ---- shared JSON pieces ---- */

static void refs_json(const struct daemon *d, const struct image *img, const struct filters *f,
		      json_t **tags, json_t **digests)
{
	size_t n, np;
	_cleanup_free_ const char **refs = image_store_refs(d->images->store, img->id, &n);
	const char *const *patterns = filters_values(f, "reference", &np);
	*tags = json_array();
	*digests = json_array();
	for (size_t i = 0; refs && i < n; i++) {
		_cleanup_free_ char *fam = reference_familiarize(refs[i]);
		if (!fam)
			continue;
		bool match = np == 0;
		for (size_t k = 0; k < np && !match; k++) {
			size_t nl = strcspn(fam, strchr(fam, '@') ? "@" : ":");
			_cleanup_free_ char *name = strndup(fam, nl);
			match = fnmatch(patterns[k], fam, FNM_PATHNAME) == 0 ||
				(name && fnmatch(patterns[k], name, FNM_PATHNAME) == 0);
		}
		if (match)
			json_array_append_new(strchr(fam, '@') ? *digests : *tags, json_string(fam));
	}
}

static json_t *labels_or_null(const struct image *img)
{
	json_t *l = image_labels(img);
	return l ? json_incref(l) : json_null();
}

/* ---- GET /images/json ---- */

static const char *const list_keys[] = {"before", "since", "dangling", "label", "reference", NULL};

struct list_opts {
	const struct filters *f;
	bool all, dangling_set, dangling;
	int64_t before_ns, since_ns; /* 0 when unset */
};

static int time_of_image(const struct daemon *d, const struct filters *f, const char *key,
			 int64_t *ret, struct error *err)
{
	size_t n;
	const char *const *v = filters_values(f, key, &n);
	struct image *img;
	for (size_t i = 0; i < n; i++) {
		int r = image_store_lookup(d->images->store, v[i], &img, err);
		if (r < 0)
			return r;
		*ret = img->created_ns;
	}
	return 0;
}

static json_t *summary_json(const struct daemon *d, const struct image *img,
			    const struct list_opts *o)
{
	json_t *tags, *digests;
	refs_json(d, img, o->f, &tags, &digests);
	bool tagged = json_array_size(tags) || json_array_size(digests);
	size_t n;
	free(image_store_refs(d->images->store, img->id, &n));
	if (filters_has_key(o->f, "reference") && !tagged)
		goto skip;
	if (n == 0) {
		if (!o->all && image_store_children(d->images->store, img->id))
			goto skip;
		if (o->dangling_set && !o->dangling)
			goto skip;
		json_array_append_new(tags, json_string("<none>:<none>"));
		json_array_append_new(digests, json_string("<none>@<none>"));
	} else if (o->dangling_set && o->dangling) {
		goto skip;
	}
	if ((o->before_ns && img->created_ns >= o->before_ns) ||
	    (o->since_ns && img->created_ns <= o->since_ns) ||
	    !filters_match_label(o->f, "label", image_labels(img)))
		goto skip;
	int64_t size = layer_chain_size(img->top);
	return json_pack("{s:i, s:I, s:s, s:o, s:s, s:o, s:o, s:I, s:I, s:I}", "Containers", -1,
			 "Created", (json_int_t)(img->created_ns / 1000000000), "Id", img->id,
			 "Labels", labels_or_null(img), "ParentId", img->parent, "RepoDigests",
			 digests, "RepoTags", tags, "SharedSize", (json_int_t)-1, "Size",
			 (json_int_t)size, "VirtualSize", (json_int_t)size);
skip:
	json_decref(tags);
	json_decref(digests);
	return NULL;
}

static int cmp_created(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "Created"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "Created"));
	return x < y ? 1 : x > y ? -1 : 0;
}

static int list_opts_parse(const struct api_request *ar, struct filters *f, struct list_opts *o,
			   struct error *err)
{
	o->f = f;
	o->all = http_request_query_bool(ar->req, "all");
	o->dangling_set = filters_has_key(f, "dangling");
	int r = filters_validate(f, list_keys, err);
	if (r == 0)
		r = filters_get_bool(f, "dangling", false, &o->dangling, err);
	if (r == 0)
		r = time_of_image(ar->d, f, "before", &o->before_ns, err);
	if (r == 0)
		r = time_of_image(ar->d, f, "since", &o->since_ns, err);
	/* The legacy ?filter=name parameter. */
	const char *legacy = http_request_query(ar->req, "filter");
	if (r == 0 && legacy && *legacy)
		filters_add(f, "reference", legacy);
	return r;
}

static void api_images_list(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	_cleanup_(filters_freep) struct filters *f = NULL;
	struct list_opts o = {0};
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0 ||
	    list_opts_parse(ar, f, &o, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	size_t n = image_store_count(ar->d->images->store), k = 0;
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++)
		if ((v[k] = summary_json(ar->d, image_store_at(ar->d->images->store, i), &o)))
			k++;
	qsort(v, k, sizeof(*v), cmp_created);
	json_t *list = json_array();
	for (size_t i = 0; i < k; i++)
		json_array_append_new(list, v[i]);
	http_reply_json(ar->conn, 200, list);
}

/* ---- GET /images/{name}/json ---- */

static json_t *graph_driver_json(const struct daemon *d, const struct image *img)
{
	struct storage_driver *drv = d->images->storage;
	return json_pack("{s:o, s:s}", "Data",
			 img->top ? storage_metadata(drv, img->top->cache_id) : json_null(), "Name",
			 storage_driver_name(drv));
}

static json_t *rootfs_json(const struct image *img)
{
	json_t *layers = json_array();
	json_t *ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) json_array_append(layers, v);
	return json_pack("{s:s, s:o}", "Type", "layers", "Layers", layers);
}

static json_t *config_field(const struct image *img, const char *key, json_t *def)
{
	json_t *v = json_object_get(img->config, key);
	if (v) {
		json_decref(def);
		return json_incref(v);
	}
	return def;
}

static json_t *inspect_json(const struct daemon *d, const struct image *img)
{
	json_t *tags, *digests;
	refs_json(d, img, NULL, &tags, &digests);
	char last[64] = "0001-01-01T00:00:00Z";
	if (img->last_tag_ns)
		time_format_rfc3339nano(img->last_tag_ns, last, sizeof(last));
	int64_t size = layer_chain_size(img->top);
	json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "Id",
			      img->id, "RepoTags", tags, "RepoDigests", digests, "Parent",
			      img->parent, "Comment", config_field(img, "comment", json_string("")),
			      "Created", config_field(img, "created", json_string("0001-01-01T00:00:00Z")),
			      "Container", config_field(img, "container", json_string("")),
			      "ContainerConfig", config_field(img, "container_config", json_object()),
			      "DockerVersion", config_field(img, "docker_version", json_string("")),
			      "Author", config_field(img, "author", json_string("")), "Config",
			      config_field(img, "config", json_null()));
	json_object_set_new(o, "Architecture", config_field(img, "architecture", json_string("")));
	if (json_object_get(img->config, "variant"))
		json_object_set_new(o, "Variant", config_field(img, "variant", NULL));
	json_object_set_new(o, "Os", config_field(img, "os", json_string("")));
	if (json_object_get(img->config, "os.version"))
		json_object_set_new(o, "OsVersion", config_field(img, "os.version", NULL));
	json_object_set_new(o, "Size", json_integer(size));
	json_object_set_new(o, "VirtualSize", json_integer(size));
	json_object_set_new(o, "GraphDriver", graph_driver_json(d, img));
	json_object_set_new(o, "RootFS", rootfs_json(img));
	json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", last));
	return o;
}

static void api_image_inspect(const struct api_request *ar)
{
	struct image *img;
	if (lookup_or_reply(ar, &img))
		http_reply_json(ar->conn, 200, inspect_json(ar->d, img));
}

/* ---- GET /images/{name}/history ---- */

/* Newest entry first: each takes the ID and tags of the next image up the
 * parent chain, as dockerd's ImageHistory; the rest stay "<missing>". */
static void history_fill_ids(const struct daemon *d, const struct image *img, json_t *out)
{
	size_t i;
	json_t *h;
	json_array_foreach(out, i, h) {
		if (!img)
			break;
		json_t *tags, *digests;
		refs_json(d, img, NULL, &tags, &digests);
		json_decref(digests);
		json_object_set_new(h, "Id", json_string(img->id));
		json_object_set_new(h, "Tags",
				    json_array_size(tags) ? tags : (json_decref(tags), json_null()));
		img = img->parent[0] ? image_store_get(d->images->store, img->parent) : NULL;
	}
}

static void api_image_history(const struct api_request *ar)
{
	struct image *img;
	if (!lookup_or_reply(ar, &img))
		return;
	struct layer *stack[512];
	size_t nl = 0;
	for (struct layer *l = img->top; l && nl < 512; l = l->parent)
		stack[nl++] = l;
	json_t *hist = json_object_get(img->config, "history"), *h, *out = json_array();
	size_t i, layer = 0;
	json_array_foreach(hist, i, h) {
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		int64_t size = !empty && layer < nl ? stack[nl - 1 - layer++]->size : 0;
		int64_t created = 0;
		const char *c = json_string_value(json_object_get(h, "created"));
		if (c)
			time_parse_user_timestamp(c, 0, &created);
		const char *by = json_string_value(json_object_get(h, "created_by"));
		const char *comment = json_string_value(json_object_get(h, "comment"));
		json_array_insert_new(out, 0, json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", "<missing>",
							"Created", (json_int_t)(created / 1000000000),
							"CreatedBy", by ? by : "", "Tags", "Size",
							(json_int_t)size, "Comment", comment ? comment : ""));
	}
	history_fill_ids(ar->d, img, out);
	http_reply_json(ar->conn, 200, out);
}

/* ---- POST /images/{name}/tag ---- */

static void api_image_tag(const struct api_request *ar)
{
	struct image *img;
	struct error err = ERROR_INIT;
	if (!lookup_or_reply(ar, &img))
		return;
	const char *repo = http_request_query(ar->req, "repo");
	if (image_tag(ar->d->images, img, repo ? repo : "", http_request_query(ar->req, "tag"),
		      &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	http_reply(ar->conn, 201, "text/plain; charset=utf-8", NULL, 0, "", 0);
}

/* ---- DELETE /images/{name} ---- */

static void api_image_delete(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *records = json_array();
	bool force = http_request_query_bool(ar->req, "force");
	bool noprune = http_request_query_bool(ar->req, "noprune");
	if (image_delete(ar->d->images, route_param(ar->match, "name"), force, !noprune, records,
			 &err) < 0) {
		json_decref(records);
		api_reply_err_clear(ar, &err);
		return;
	}
	api_reply_json_after_removals(ar, 200, records);
}

/* ---- POST /images/prune ---- */

static void api_images_prune(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	_cleanup_(filters_freep) struct filters *f = NULL;
	json_t *report;
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0 ||
	    image_prune(ar->d->images, f, &report, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	api_reply_json_after_removals(ar, 200, report);
}

/* ---- POST /images/load, POST /images/create ---- */

/* The request body as a file the job owns: the spooled one duplicated, or
 * a small in-memory body copied into a memfd. */

static void api_images_load(const struct api_request *ar)
{
	int fd = api_body_fd_or_reply(ar);
	struct byte_sink *out = fd >= 0 ? http_sink_or_reply(ar->d->loop, ar->conn) : NULL;
	if (out)
		image_load(ar->d->images, out, fd, http_request_query_bool(ar->req, "quiet"));
	else if (fd >= 0)
		close(fd);
}

/* ---- POST /images/create?fromSrc=URL ---- */

/* Fills o from the request; returns the changes array o points into, for
 * the caller to free. */
static const char **import_opts_from(const struct http_request *req, struct import_opts *o)
{
	size_t n;
	const char **changes = api_query_all(req, "changes", &n);
	*o = (struct import_opts){
		.repo = http_request_query(req, "repo"),
		.tag = http_request_query(req, "tag"),
		.message = http_request_query(req, "message"),
		.changes = changes,
		.n_changes = changes ? n : 0,
	};
	return changes;
}

/* The request's options, kept while the download runs. */
struct url_import {
	struct daemon *d;
	struct http_conn *conn;
	const struct http_request *req;
};

static void url_import_done(int fd, const struct error *err, void *userdata)
{
	struct url_import *u = userdata;
	if (fd < 0) {
		http_reply_err(u->conn, err);
	} else {
		/* The request stays allocated while we hold the connection. */
		struct import_opts o;
		_cleanup_free_ const char **changes = import_opts_from(u->req, &o);
		struct byte_sink *out = http_sink_or_reply(u->d->loop, u->conn);
		if (out)
			image_import(u->d->images, out, fd, &o);
		else
			close(fd);
	}
	http_conn_unref(u->conn);
	free(u);
}

static void import_from_url(const struct api_request *ar, const char *url)
{
	struct url_import *u = calloc(1, sizeof(*u));
	if (!u) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*u = (struct url_import){.d = ar->d, .conn = ar->conn, .req = ar->req};
	http_conn_ref(ar->conn);
	struct error err = ERROR_INIT;
	if (fetch_url_async(ar->d->images, url, ar->d->spool_dir, url_import_done, u, &err) < 0) {
		http_reply_err(ar->conn, &err);
		error_clear(&err);
		http_conn_unref(ar->conn);
		free(u);
	}
}

static void api_images_create(const struct api_request *ar)
{
	const char *from_image = http_request_query(ar->req, "fromImage");
	const char *from_src = http_request_query(ar->req, "fromSrc");
	if (from_image && *from_image) {
		struct pull_opts o = {
			.from_image = from_image,
			.tag = http_request_query(ar->req, "tag"),
			.platform = http_request_query(ar->req, "platform"),
			.auth = http_request_header(ar->req, "X-Registry-Auth"),
			.all_tags = true,
		};
		struct byte_sink *out = http_sink_or_reply(ar->d->loop, ar->conn);
		if (out)
			image_pull(ar->d->images, out, &o);
		return;
	}
	if (!from_src || !*from_src) {
		http_reply_error(ar->conn, 400, "fromImage or fromSrc is required");
		return;
	}
	if (strcmp(from_src, "-") != 0) {
		import_from_url(ar, from_src);
		return;
	}
	struct import_opts o;
	_cleanup_free_ const char **changes = import_opts_from(ar->req, &o);
	int fd = api_body_fd_or_reply(ar);
	struct byte_sink *out = fd >= 0 ? http_sink_or_reply(ar->d->loop, ar->conn) : NULL;
	if (out)
		image_import(ar->d->images, out, fd, &o);
	else if (fd >= 0)
		close(fd);
}

/* ---- GET /images/get, GET /images/{name}/get ---- */

static void api_images_get(const struct api_request *ar)
{
	size_t n;
	_cleanup_free_ const char **names = api_query_all(ar->req, "names", &n);
	if (!names || !n) {
		http_reply_error(ar->conn, 400, "no image names given");
		return;
	}
	struct byte_sink *out = http_sink_or_reply(ar->d->loop, ar->conn);
	if (out)
		image_save(ar->d->images, out, names, n);
}

static void api_image_get(const struct api_request *ar)
{
	const char *name = route_param(ar->match, "name");
	struct byte_sink *out = http_sink_or_reply(ar->d->loop, ar->conn);
	if (out)
		image_save(ar->d->images, out, &name, 1);
}

static const struct route routes[] = {
	{HTTP_GET, "/images/json", api_images_list},
	{HTTP_POST, "/images/load", api_images_load},
	{HTTP_POST, "/images/create", api_images_create},
	{HTTP_POST, "/images/prune", api_images_prune},
	{HTTP_GET, "/images/get", api_images_get},
	{HTTP_GET, "/images/{name*}/json", api_image_inspect},
	{HTTP_GET, "/images/{name*}/history", api_image_history},
	{HTTP_GET, "/images/{name*}/get", api_image_get},
	{HTTP_POST, "/images/{name*}/tag", api_image_tag},
	{HTTP_DELETE, "/images/{name*}", api_image_delete},
};

const struct api_routes api_image_routes = {routes, ARRAY_SIZE(routes)};
