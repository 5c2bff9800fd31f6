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
extern const struct api_routes api_service_routes; /* services.c: /services, /tasks */

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
/* The request body as a JSON object; NULL after replying 400 for an empty
 * body or one that is not a JSON object. */
json_t *api_json_body_or_reply(const struct api_request *ar);

/* GET /events, in events_stream.c. */
void api_events(const struct api_request *ar);
