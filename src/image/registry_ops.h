/* The registry endpoints' work: pull (POST /images/create?fromImage=), push,
 * /auth, /distribution/{name}/json and /images/search. Each answers the
 * HTTP request itself, now or when done; the network and the unpacking run
 * on the thread pool. */
#pragma once

#include <stddef.h>

struct daemon;
struct http_conn;

struct pull_opts {
	const char *from_image; /* as sent: "busybox", "127.0.0.1:5000/app" */
	const char *tag;	/* tag or digest; NULL or "" for latest */
	const char *platform;	/* "linux/arm64[/v8]" or NULL */
	const char *auth;	/* X-Registry-Auth, may be NULL */
};
void image_pull_and_reply(struct daemon *d, struct http_conn *conn, const struct pull_opts *o);

/* POST /images/{name}/push: tag NULL or "" pushes every tag of name. */
void image_push_and_reply(struct daemon *d, struct http_conn *conn, const char *name,
			  const char *tag, const char *auth);

/* POST /auth: the body's credentials are tried against the registry. */
void registry_auth_and_reply(struct daemon *d, struct http_conn *conn, const char *body,
			     size_t len);

/* GET /distribution/{name}/json. */
void distribution_inspect_and_reply(struct daemon *d, struct http_conn *conn, const char *name,
				    const char *auth);

/* GET /images/search?term=&limit=. */
void image_search_and_reply(struct daemon *d, struct http_conn *conn, const char *term, int limit,
			    const char *auth);
