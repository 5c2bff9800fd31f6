/* Registry manifests (see registry_manifest.h). */
#include "image/registry_manifest.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
	    MT_DOCKER_LAYER,
	    "application/vnd.oci.image.layer.v1.tar",
	    "application/vnd.oci.image.layer.v1.tar+gzip",
	    "application/vnd.oci.image.layer.v1.tar+zstd",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

static int descriptor(json_t *o, struct registry_descriptor *d, const char *what, struct error *err)
{
	const char *mt = json_string_value(json_object_get(o, "mediaType"));
	const char *dg = json_string_value(json_object_get(o, "digest"));
	json_t *size = json_object_get(o, "size");
	if (!dg || !digest_valid(dg) || !json_is_integer(size) || json_integer_value(size) < 0)
		return error_set(err, -EINVAL, "invalid manifest: bad %s descriptor", what);
	snprintf(d->media_type, sizeof(d->media_type), "%s", mt ? mt : "");
	memcpy(d->digest, dg, DIGEST_BUF);
	d->size = json_integer_value(size);
	return 0;
}

static int schema1_error(const char *ref, struct error *err)
{
	return error_set(err, -EINVAL,
			 "Docker Image Format v1 and Docker Image manifest version 2, schema 1 "
			 "support has been removed. Suggest the author of %s to upgrade the image "
			 "to the OCI Format or Docker Image manifest v2, schema 2. More "
			 "information at https://docs.docker.com/go/deprecated-image-specs/",
			 ref);
}

int registry_manifest_parse(const char *data, size_t len, const char *content_type, const char *ref,
			    struct registry_manifest *ret, struct error *err)
{
	*ret = (struct registry_manifest){0};
	json_t *o = json_loadb(data, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return error_set(err, -EINVAL, "invalid manifest for %s: not a JSON object", ref);
	}
	const char *mt = json_string_value(json_object_get(o, "mediaType"));
	char ct[128] = "";
	if (content_type)
		snprintf(ct, sizeof(ct), "%.*s", (int)strcspn(content_type, "; "), content_type);
	json_int_t version = json_integer_value(json_object_get(o, "schemaVersion"));
	/* The body's mediaType wins; a registry may answer a generic type. */
	const char *kind = mt && *mt ? mt : ct;
	int r = 0;
	if (version == 1 ||
	    strncmp(kind, "application/vnd.docker.distribution.manifest.v1", 47) == 0) {
		r = schema1_error(ref, err);
	} else if (strcmp(kind, MT_DOCKER_LIST) == 0 || strcmp(kind, MT_OCI_INDEX) == 0 ||
		   (!*kind && json_is_array(json_object_get(o, "manifests")))) {
		ret->kind = RM_INDEX;
		snprintf(ret->media_type, sizeof(ret->media_type), "%s",
			 *kind ? kind : MT_OCI_INDEX);
	} else if (strcmp(kind, MT_DOCKER_MANIFEST) == 0 || strcmp(kind, MT_OCI_MANIFEST) == 0 ||
		   (!*kind || strcmp(kind, "application/json") == 0)) {
		ret->kind = RM_IMAGE;
		snprintf(ret->media_type, sizeof(ret->media_type), "%s",
			 *kind && strcmp(kind, "application/json") != 0 ? kind : MT_OCI_MANIFEST);
		json_t *layers = json_object_get(o, "layers");
		r = descriptor(json_object_get(o, "config"), &ret->config, "config", err);
		if (r == 0 && !json_is_array(layers))
			r = error_set(err, -EINVAL, "invalid manifest for %s: no layers", ref);
		size_t n = json_array_size(layers);
		if (r == 0 && n) {
			ret->layers = calloc(n, sizeof(*ret->layers));
			if (!ret->layers)
				r = error_set(err, -ENOMEM, "out of memory");
		}
		for (size_t i = 0; r == 0 && i < n; i++) {
			r = descriptor(json_array_get(layers, i), &ret->layers[i], "layer", err);
			if (r == 0 && !layer_type_ok(ret->layers[i].media_type))
				r = error_set(
				    err, -EINVAL, "unsupported layer media type %s for %s",
				    ret->layers[i].media_type[0] ? ret->layers[i].media_type
								 : "\"\"",
				    ref);
			if (r == 0)
				ret->n_layers = i + 1;
		}
	} else {
		r = error_set(err, -EINVAL,
			      "unsupported manifest media type and no default available: %s", kind);
	}
	json_decref(o);
	if (r < 0)
		registry_manifest_done(ret);
	return r;
}

void registry_manifest_done(struct registry_manifest *m)
{
	free(m->layers);
	*m = (struct registry_manifest){0};
}

int registry_index_pick(const char *data, size_t len, const char *os, const char *arch,
			const char *variant, char ret[DIGEST_BUF], struct error *err)
{
	json_t *o = json_loadb(data, len, 0, NULL);
	json_t *list = json_object_get(o, "manifests");
	size_t i;
	json_t *e;
	int best = -1, best_score = -1;
	json_array_foreach(list, i, e)
	{
		json_t *p = json_object_get(e, "platform");
		const char *eos = json_string_value(json_object_get(p, "os"));
		const char *earch = json_string_value(json_object_get(p, "architecture"));
		const char *evar = json_string_value(json_object_get(p, "variant"));
		const char *dg = json_string_value(json_object_get(e, "digest"));
		if (!eos || !earch || !dg || !digest_valid(dg) || strcmp(eos, os) ||
		    strcmp(earch, arch))
			continue;
		/* A requested variant must match; without one, an entry without a
		 * variant is preferred (containerd's matcher for amd64, arm64/v8). */
		int score = 1;
		if (variant && *variant) {
			if (!evar || strcmp(evar, variant) != 0)
				continue;
		} else if (!evar || !*evar || strcmp(evar, "v8") == 0) {
			score = 2;
		}
		if (score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	int r = 0;
	if (best < 0)
		r = error_set(
		    err, -ENOENT, "no matching manifest for %s/%s%s%s in the manifest list entries",
		    os, arch, variant && *variant ? "/" : "", variant && *variant ? variant : "");
	else
		memcpy(ret,
		       json_string_value(
			   json_object_get(json_array_get(list, (size_t)best), "digest")),
		       DIGEST_BUF);
	json_decref(o);
	return r;
}

json_t *registry_index_platforms(const char *data, size_t len)
{
	json_t *o = json_loadb(data, len, 0, NULL);
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(o, "manifests"), i, e)
	{
		json_t *p = json_object_get(e, "platform");
		if (json_is_object(p))
			json_array_append(out, p);
	}
	json_decref(o);
	return out;
}
