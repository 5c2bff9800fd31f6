/* A client of one registry's HTTP API v2 (the CNCF distribution protocol)
 * through libcurl: endpoint choice (TLS with certs.d, plain HTTP for
 * insecure registries), the authentication challenge (basic and bearer
 * tokens with scopes), manifests and blobs. Set up on the loop; every
 * request blocks, so they run on the thread pool. After registry_login, a
 * client may serve several threads at once: it is only read. */
#pragma once

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/buf.h"
#include "basic/error.h"

struct fetch_curl;
struct image_service;

/* Credentials as the X-Registry-Auth header or /auth carry them. */
struct registry_auth {
	char *username, *password;
	char *identity_token; /* OAuth refresh token (not issued by Berth) */
	char *registry_token; /* a bearer token used as is */
	char *server_address;
};

/* Decodes X-Registry-Auth (base64url JSON; empty or "{}" is anonymous).
 * -EINVAL when it is not valid. */
int registry_auth_decode(const char *header, struct registry_auth *ret, struct error *err);
int registry_auth_from_json(const char *json, size_t len, struct registry_auth *ret,
			    struct error *err);
void registry_auth_done(struct registry_auth *a);

struct registry_client {
	struct fetch_curl *curl; /* its endpoint memory is touched on the loop only */
	char *host;		 /* "127.0.0.1:5000"; registry-1.docker.io for docker.io */
	char *base;		 /* "https://host" or "http://host", chosen by registry_login */
	bool insecure;		 /* unverified TLS, then plain HTTP */
	bool plain_first;	 /* it answered over plain HTTP last time */
	bool reached;		 /* registry_login settled on base */
	char *ca_file, *cert_file, *key_file; /* <config dir>/certs.d/<host>/ */
	struct registry_auth auth;
	char *authorization; /* the Authorization header once challenged */
};

/* Prepares c for domain (a reference's domain) from the daemon's settings
 * (push: never a mirror); auth is moved into c. On the loop; loads libcurl. */
int registry_client_init(struct registry_client *c, struct image_service *is, const char *domain,
			 bool push, struct registry_auth *auth, struct error *err);
/* On the loop: remembers which scheme the registry answered on, for the
 * next client of it, and frees c. */
void registry_client_done(struct registry_client *c);

/* Pings /v2/ and answers its challenge for scopes ("repository:lib/x:pull",
 * NULL-terminated). -EACCES with the registry's words when refused. */
int registry_login(struct registry_client *c, const char *const *scopes, struct error *err);

struct registry_response {
	long status;
	struct buf body;
	char *content_type, *docker_digest, *location, *link;
	int64_t content_length; /* -1 when not sent */
};
void registry_response_done(struct registry_response *r);

/* The registry's error body as distribution's client words it
 * ("manifest unknown: manifest unknown"), or "" (caller frees). */
char *registry_error_text(const struct registry_response *r);

/* GET /v2/<repo>/manifests/<ref> with every supported media type accepted,
 * body kept in memory (manifests are small). */
int registry_get_manifest(struct registry_client *c, const char *repo, const char *ref,
			  struct registry_response *ret, struct error *err);
/* GET a small blob (an image config) into memory; its digest is checked. */
int registry_get_small_blob(struct registry_client *c, const char *repo, const char *digest,
			    struct buf *ret, struct error *err);
/* GET a blob into fd (appended); progress counts bytes as they come. The
 * content must hash to digest: -EIO otherwise. */
int registry_get_blob(struct registry_client *c, const char *repo, const char *digest, int fd,
		      _Atomic int64_t *progress, struct error *err);

/* HEAD /v2/<repo>/blobs/<digest>: 1 present (its size in *size, may be
 * NULL), 0 absent. */
int registry_blob_exists(struct registry_client *c, const char *repo, const char *digest,
			 int64_t *size, struct error *err);
/* Cross-repository mount from another repository of the same registry: 1
 * mounted, 0 when the registry would rather have an upload. */
int registry_mount_blob(struct registry_client *c, const char *repo, const char *digest,
			const char *from, struct error *err);
/* Uploads size bytes of fd from its start as blob digest: one PUT up to
 * chunk bytes, else PATCH chunks of that size and a closing PUT. */
int registry_upload_blob(struct registry_client *c, const char *repo, const char *digest, int fd,
			 int64_t size, int64_t chunk, _Atomic int64_t *progress, struct error *err);
int registry_upload_blob_mem(struct registry_client *c, const char *repo, const char *digest,
			     const char *data, size_t len, struct error *err);
/* GET /v2/<repo>/tags/list, following its Link pages: *ret a new array of
 * the tags in the registry's order. */
int registry_list_tags(struct registry_client *c, const char *repo, json_t **ret,
		       struct error *err);
/* PUT /v2/<repo>/manifests/<tag>. */
int registry_put_manifest(struct registry_client *c, const char *repo, const char *tag,
			  const char *media_type, const char *data, size_t len, struct error *err);

/* The URL users see for a registry host ("https://127.0.0.1:5000/v2/"). */
char *registry_ping_url(const struct registry_client *c);

/* GET /v2/ with the credentials registry_login settled on: the status. */
int registry_check(struct registry_client *c, long *status, struct error *err);
/* GET path (from the host's root) into memory: for the v1 search. */
int registry_get_path(struct registry_client *c, const char *path, struct registry_response *ret,
		      struct error *err);
