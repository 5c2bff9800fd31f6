/* Parsing of docker-archive manifests and OCI image layouts. */
#include "image/manifest.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "shared/digest.h"
#include "image/reference.h"

#define MAX_INDEX_DEPTH 4

static void image_done(struct manifest_image *im)
{
	free(im->config);
	for (size_t i = 0; i < im->n_layers; i++)
		free(im->layers[i]);
	free(im->layers);
	for (size_t i = 0; i < im->n_tags; i++)
		free(im->tags[i]);
	free(im->tags);
	free(im->parent);
}

void manifest_done(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		image_done(&m->images[i]);
	free(m->images);
	m->images = NULL;
	m->n = 0;
}

static int read_json(manifest_read_fn read, void *ud, const char *path, json_t **ret,
		     struct error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read(path, &data, &len, ud);
	if (r < 0)
		return error_set(err, r == -ENOENT ? -EINVAL : r, "invalid archive: cannot read %s: %s",
				 path, strerror(-r));
	json_error_t jerr;
	*ret = json_loadb(data, len, 0, &jerr);
	if (!*ret)
		return error_set(err, -EINVAL, "invalid archive: %s is not JSON: %s", path, jerr.text);
	return 0;
}

static struct manifest_image *add_image(struct manifest *m)
{
	struct manifest_image *v = realloc(m->images, (m->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	m->images = v;
	memset(&v[m->n], 0, sizeof(v[m->n]));
	return &v[m->n++];
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The config's rootfs.diff_ids must list one diff ID per layer file. */
static int check_layers(const struct manifest_image *im, const char *what, struct error *err)
{
	json_t *cfg = json_loadb(im->config, im->config_len, 0, NULL);
	json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	size_t n = json_array_size(ids);
	json_decref(cfg);
	if (!cfg)
		return error_set(err, -EINVAL, "invalid archive: config %s is not JSON", what);
	if (n != im->n_layers)
		return error_set(err, -EINVAL,
				 "invalid archive: %s lists %zu layers but its config has %zu diff IDs",
				 what, im->n_layers, n);
	return 0;
}

static const char *safe_member(const char *p)
{
	return p && *p ? p : NULL;
}

/* ---- docker save (manifest.json) ---- */

static int docker_entry(manifest_read_fn read, void *ud, json_t *e, struct manifest *m,
			struct error *err)
{
	const char *cfg = safe_member(json_string_value(json_object_get(e, "Config")));
	json_t *layers = json_object_get(e, "Layers");
	if (!cfg || !json_is_array(layers))
		return error_set(err, -EINVAL, "invalid archive: manifest.json entry without Config or Layers");
	struct manifest_image *im = add_image(m);
	if (!im)
		return error_set(err, -ENOMEM, "out of memory");
	int r = read(cfg, &im->config, &im->config_len, ud);
	if (r < 0)
		return error_set(err, r == -ENOENT ? -EINVAL : r,
				 "invalid archive: config %s is missing", cfg);
	size_t i;
	json_t *v;
	json_array_foreach(layers, i, v) {
		const char *p = safe_member(json_string_value(v));
		if (!p)
			return error_set(err, -EINVAL, "invalid archive: bad layer path in manifest.json");
		if (strv_add(&im->layers, &im->n_layers, p) < 0)
			return error_set(err, -ENOMEM, "out of memory");
	}
	json_array_foreach(json_object_get(e, "RepoTags"), i, v)
		if (json_string_value(v) && strv_add(&im->tags, &im->n_tags, json_string_value(v)) < 0)
			return error_set(err, -ENOMEM, "out of memory");
	const char *parent = json_string_value(json_object_get(e, "Parent"));
	if (parent && digest_valid(parent) && !(im->parent = strdup(parent)))
		return error_set(err, -ENOMEM, "out of memory");
	return check_layers(im, cfg, err);
}

static int parse_docker(manifest_read_fn read, void *ud, json_t *j, struct manifest *m,
			struct error *err)
{
	if (!json_is_array(j))
		return error_set(err, -EINVAL, "invalid archive: manifest.json is not a list");
	size_t i;
	json_t *e;
	json_array_foreach(j, i, e) {
		int r = docker_entry(read, ud, e, m, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- OCI layout ---- */

static char *blob_path(const char *digest)
{
	char *p;
	if (!digest_valid(digest) || asprintf(&p, "blobs/sha256/%s", digest_hex(digest)) < 0)
		return NULL;
	return p;
}

/* Reads the blob a descriptor points at and checks its digest. */
static int read_blob(manifest_read_fn read, void *ud, json_t *desc, char **ret, size_t *ret_len,
		     struct error *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	_cleanup_free_ char *path = blob_path(digest);
	if (!path)
		return error_set(err, -EINVAL, "invalid OCI layout: bad digest %s", digest ? digest : "(none)");
	int r = read(path, ret, ret_len, ud);
	if (r < 0)
		return error_set(err, r == -ENOENT ? -EINVAL : r,
				 "invalid OCI layout: blob %s is missing", digest);
	char got[DIGEST_BUF];
	digest_sha256(*ret, *ret_len, got);
	if (strcmp(got, digest) != 0) {
		free(*ret);
		*ret = NULL;
		return error_set(err, -EINVAL, "invalid OCI layout: blob %s has digest %s", digest, got);
	}
	return 0;
}

static bool is_reference(const char *s)
{
	struct reference r = REFERENCE_INIT;
	if (reference_parse(s, &r, NULL) < 0)
		return false;
	reference_done(&r);
	return true;
}

static const char *oci_name(json_t *desc, json_t *outer)
{
	json_t *srcs[] = {desc, outer};
	for (size_t i = 0; i < 2; i++) {
		json_t *a = json_object_get(srcs[i], "annotations");
		const char *n = json_string_value(json_object_get(a, "io.containerd.image.name"));
		if (n)
			return n;
		n = json_string_value(json_object_get(a, "org.opencontainers.image.ref.name"));
		/* A bare tag names nothing; only a full reference is a name. */
		if (n && (strchr(n, '/') || strchr(n, ':')) && is_reference(n))
			return n;
	}
	return NULL;
}

static int oci_image(manifest_read_fn read, void *ud, json_t *mf, const char *name,
		     struct manifest *m, struct error *err)
{
	struct manifest_image *im = add_image(m);
	if (!im)
		return error_set(err, -ENOMEM, "out of memory");
	int r = read_blob(read, ud, json_object_get(mf, "config"), &im->config, &im->config_len, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(mf, "layers"), i, l) {
		_cleanup_free_ char *p = blob_path(json_string_value(json_object_get(l, "digest")));
		if (!p)
			return error_set(err, -EINVAL, "invalid OCI layout: bad layer digest");
		if (strv_add(&im->layers, &im->n_layers, p) < 0)
			return error_set(err, -ENOMEM, "out of memory");
	}
	if (name && strv_add(&im->tags, &im->n_tags, name) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return check_layers(im, "OCI manifest", err);
}

static bool platform_ok(json_t *desc, const char *arch)
{
	json_t *p = json_object_get(desc, "platform");
	if (!p)
		return true;
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *a = json_string_value(json_object_get(p, "architecture"));
	return (!os || strcmp(os, "linux") == 0) && (!a || !arch || strcmp(a, arch) == 0);
}

static int oci_index(manifest_read_fn read, void *ud, json_t *index, json_t *outer,
		     const char *arch, int depth, struct manifest *m, struct error *err);

static int oci_descriptor(manifest_read_fn read, void *ud, json_t *desc, json_t *outer,
			  const char *arch, int depth, struct manifest *m, struct error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_blob(read, ud, desc, &data, &len, err);
	if (r < 0)
		return r;
	json_t *j = json_loadb(data, len, 0, NULL);
	if (!j)
		return error_set(err, -EINVAL, "invalid OCI layout: manifest is not JSON");
	if (json_object_get(j, "manifests"))
		r = oci_index(read, ud, j, desc, arch, depth + 1, m, err);
	else
		r = oci_image(read, ud, j, oci_name(desc, outer), m, err);
	json_decref(j);
	return r;
}

static int oci_index(manifest_read_fn read, void *ud, json_t *index, json_t *outer,
		     const char *arch, int depth, struct manifest *m, struct error *err)
{
	if (depth > MAX_INDEX_DEPTH)
		return error_set(err, -EINVAL, "invalid OCI layout: indexes nested too deep");
	json_t *list = json_object_get(index, "manifests");
	size_t i, before = m->n;
	json_t *desc;
	json_array_foreach(list, i, desc) {
		/* A multi-platform index: only the entry for this host. */
		if (!platform_ok(desc, arch))
			continue;
		const char *mt = json_string_value(json_object_get(desc, "mediaType"));
		if (mt && strstr(mt, "attestation"))
			continue;
		int r = oci_descriptor(read, ud, desc, outer, arch, depth, m, err);
		if (r < 0)
			return r;
		if (depth > 0)
			break;
	}
	if (m->n == before && depth == 0)
		return error_set(err, -EINVAL, "invalid OCI layout: no image for linux/%s", arch ? arch : "?");
	return 0;
}

int manifest_parse(manifest_read_fn read, void *ud, const char *arch, struct manifest *ret,
		   struct error *err)
{
	struct manifest m = {0};
	json_t *j = NULL;
	_cleanup_free_ char *probe = NULL;
	size_t len;
	int r;
	if (read("manifest.json", &probe, &len, ud) == 0) {
		r = read_json(read, ud, "manifest.json", &j, err);
		if (r == 0)
			r = parse_docker(read, ud, j, &m, err);
	} else if (read("index.json", &probe, &len, ud) == 0) {
		r = read_json(read, ud, "index.json", &j, err);
		if (r == 0)
			r = oci_index(read, ud, j, NULL, arch, 0, &m, err);
	} else {
		r = error_set(err, -EINVAL,
			      "invalid archive: neither manifest.json nor an OCI index.json found");
	}
	json_decref(j);
	if (r == 0 && m.n == 0)
		r = error_set(err, -EINVAL, "invalid archive: no images in the manifest");
	if (r < 0) {
		manifest_done(&m);
		return r;
	}
	*ret = m;
	return 0;
}
