/* The registry operations: pull (POST /images/create?fromImage=), push,
 * login (/auth), /distribution/{name}/json and /images/search. The network
 * and the unpacking run on the thread pool; the callers learn the outcome
 * on the loop. Pull and push stream dockerd's JSON progress messages to a
 * byte sink (shared/byte_sink.h) they own and end, with the failure (if
 * any) written in band first and given to sink_end. The small requests
 * hand a JSON answer or an error to a callback. A registry that refuses the
 * credentials is -EKEYREJECTED. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"

struct byte_sink;
struct image_service;
struct search_filter;

struct pull_opts {
	const char *from_image; /* as sent: "busybox", "127.0.0.1:5000/app" */
	const char *tag;	/* tag or digest; NULL or "" for latest */
	const char *platform;	/* "linux/arm64[/v8]" or NULL */
	const char *auth;	/* X-Registry-Auth, may be NULL */
	bool all_tags;		/* the API's rule: no tag anywhere pulls every tag */
};
/* The image is in the store when out ends without an error. */
void image_pull(struct image_service *is, struct byte_sink *out, const struct pull_opts *o);

/* POST /images/{name}/push: tag NULL or "" pushes every tag of name. */
void image_push(struct image_service *is, struct byte_sink *out, const char *name, const char *tag,
		const char *auth);

/* answer (borrowed) on success, else err; called once, maybe before the
 * function that takes it returns. */
typedef void (*registry_answer_fn)(void *arg, json_t *answer, const struct error *err);

/* POST /auth: the body's credentials are tried against the registry. */
void registry_login_check(struct image_service *is, const char *body, size_t len,
			  registry_answer_fn done, void *arg);

/* GET /distribution/{name}/json. */
void distribution_inspect(struct image_service *is, const char *name, const char *auth,
			  registry_answer_fn done, void *arg);

/* GET /images/search?term=&limit=&filters=, the registry's results that pass
 * filter (search_filter.h). */
void image_search(struct image_service *is, const char *term, int limit,
		  const struct search_filter *filter, const char *auth, registry_answer_fn done,
		  void *arg);
