/* Manifests of the registry protocol: Docker schema 2 and OCI image
 * manifests, manifest lists and OCI indexes (with the platform choice), and
 * the schema 2 manifest a push writes. Pure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "shared/digest.h"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct registry_descriptor {
	char media_type[128];
	char digest[DIGEST_BUF];
	int64_t size;
};

enum registry_manifest_kind { RM_IMAGE, RM_INDEX };

struct registry_manifest {
	enum registry_manifest_kind kind;
	char media_type[128];
	struct registry_descriptor config; /* RM_IMAGE */
	struct registry_descriptor *layers;
	size_t n_layers;
};

/* Parses a manifest from its bytes and the Content-Type it came with (may be
 * NULL: the mediaType field decides). -EINVAL for schema 1 (with dockerd's
 * deprecation message naming ref), an unknown media type, foreign or
 * unknown layer types, or a malformed manifest. */
int registry_manifest_parse(const char *data, size_t len, const char *content_type, const char *ref,
			    struct registry_manifest *ret, struct error *err);
void registry_manifest_done(struct registry_manifest *m);

/* Picks the entry of an index for os/arch/variant (variant may be NULL or
 * ""): digest into ret. -ENOENT "no matching manifest for linux/arm64 in the
 * manifest list entries". */
int registry_index_pick(const char *data, size_t len, const char *os, const char *arch,
			const char *variant, char ret[DIGEST_BUF], struct error *err);

/* The platforms an index lists, or the one of an image config, as
 * /distribution/{name}/json reports them (new reference). */
struct json_t;
struct json_t *registry_index_platforms(const char *data, size_t len);
