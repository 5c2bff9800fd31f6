/* The Engine API: listeners from --host, request dispatch with version
 * checks, and the handlers of each resource. */
#pragma once

#include "api/router.h"
#include "daemon/daemon.h"
#include "shared/http_server.h"

struct filters;

/* What a handler gets: the daemon, the connection to answer on, the request,
 * the API version it speaks and the route's path parameters. */
struct api_request {
	struct daemon *d;
	struct http_conn *conn;
	const struct http_request *req;
	const char *version;
	const struct route_match *match;
};

typedef void (*api_handler_fn)(const struct api_request *ar);

/* Each resource file exports its routes; api.c lists the tables. */
struct api_routes {
	const struct route *routes;
	size_t n;
};

extern const struct api_routes api_system_routes;
extern const struct api_routes api_image_routes;  /* images.c */
extern const struct api_routes api_volume_routes; /* volumes.c */
extern const struct api_routes api_container_routes; /* containers.c */
extern const struct api_routes api_exec_routes; /* exec.c */
extern const struct api_routes api_network_routes; /* networks.c */
extern const struct api_routes api_swarm_routes; /* swarm.c: /swarm and /nodes */
extern const struct api_routes api_secret_routes; /* secrets.c: /secrets and /configs */
extern const struct api_routes api_registry_routes; /* registry.c: push, auth, search */
extern const struct api_routes api_commit_routes; /* commit.c */
extern const struct api_routes api_build_routes; /* build.c */
extern const struct api_routes api_container_archive_routes; /* containers_archive.c */
extern const struct api_routes api_service_routes; /* services.c: /services, /tasks */
extern const struct api_routes api_service_log_routes; /* service_logs.c: their logs */
extern const struct api_routes api_plugin_routes;  /* plugins.c */

/* Finds the route of every resource for method and path (without the
 * version prefix); -ENOENT or -EPERM as router_match. Pure. */
int api_route_match(enum http_method method, const char *path, struct route_match *m);

/* The server's should_spool: request bodies that are archives (image load
 * and import, build contexts, container archives) go to disk. */
bool api_should_spool(enum http_method method, const char *url, void *userdata);

/* Opens a listener for every --host. On failure nothing stays open. */
int api_start(struct daemon *d, struct error *err);
/* Closes listeners and connections; the loop ends when all are closed. */
void api_stop(struct daemon *d);

/* Replies with Docker's error shape and the status http_status_from_errno
 * gives err's code (-ENOENT 404, -EEXIST/-EBUSY 409, -EINVAL 400...). */
void api_reply_err(const struct api_request *ar, const struct error *err);
/* api_reply_err, then clears err. */
void api_reply_err_clear(const struct api_request *ar, struct error *err);
/* The request's ?filters= parsed into *ret; false after replying 400. */
bool api_filters_or_reply(const struct api_request *ar, struct filters **ret);
/* Why a request body is not a JSON object, in the user's terms (not the
 * JSON library's): parsed is what did parse (NULL when nothing did). */
const char *api_json_problem(const json_error_t *jerr, json_t *parsed, char *buf, size_t len);
/* The request body as a JSON object; NULL after replying 400 for an empty
 * body or one that is not a JSON object. */
json_t *api_json_body_or_reply(const struct api_request *ar);

/* Every value of the query parameter key, NULL-terminated (free the array
 * only); *ret_n counts them. */
const char **api_query_all(const struct http_request *req, const char *key, size_t *ret_n);
/* A file descriptor (owned by the caller) reading the request body from its
 * start; -1 after replying 500. */
int api_body_fd_or_reply(const struct api_request *ar);
/* Replies body (taking it) once the layer removals queued so far are done: a
 * client told that images are deleted may look at the disk at once. */
void api_reply_json_after_removals(const struct api_request *ar, int status, json_t *body);

/* GET /events, in events_stream.c. */
void api_events(const struct api_request *ar);
