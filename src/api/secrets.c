/* /secrets and /configs: thin handlers over src/swarm/secrets.h, with
 * dockerd's status codes (201 create, 204 rm). Writes answer once Raft
 * committed them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "basic/cleanup.h"
#include "shared/filters.h"
#include "swarm/secrets.h"

struct sreq {
	struct http_conn *conn;
	int ok_status; /* 201 answers the result ({"ID"}), others no body */
};

static void answer(void *data, int status, json_t *result, const char *msg)
{
	struct sreq *s = data;
	if (status < 0) {
		struct error e = {status, (char *)(msg ? msg : "swarm error")};
		http_reply_err(s->conn, &e);
	} else if (s->ok_status == 201 && result) {
		http_reply_json(s->conn, s->ok_status, json_incref(result));
	} else {
		http_reply(s->conn, s->ok_status, NULL, NULL, 0, NULL, 0);
	}
	http_conn_unref(s->conn);
	free(s);
}

static struct sreq *sreq_new(const struct api_request *ar, int ok_status)
{
	struct sreq *s = calloc(1, sizeof(*s));
	if (!s) {
		http_reply_error(ar->conn, 500, "out of memory");
		return NULL;
	}
	s->conn = ar->conn;
	s->ok_status = ok_status;
	http_conn_ref(ar->conn);
	return s;
}

/* Both resources share the handlers; the path says which. */
static enum store_kind kind_of(const struct api_request *ar)
{
	return strstr(ar->match->route->pattern, "/secrets") == ar->match->route->pattern
		   ? STORE_SECRET
		   : STORE_CONFIG;
}

static void api_list(const struct api_request *ar)
{
	_cleanup_(filters_freep) struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	json_t *out;
	if (swarm_objects_list(ar->d->swarm, kind_of(ar), f, &out, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, out);
}

static void api_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *out;
	if (swarm_object_inspect(ar->d->swarm, kind_of(ar), route_param(ar->match, "id"), &out,
				 &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, out);
}

static void api_create(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct sreq *s = sreq_new(ar, 201);
	if (s)
		swarm_object_create(ar->d->swarm, kind_of(ar), body, answer, s);
	json_decref(body);
}

static void api_update(const struct api_request *ar)
{
	enum store_kind k = kind_of(ar);
	const char *v = http_request_query(ar->req, "version");
	char *end = NULL;
	long long version = v && *v ? strtoll(v, &end, 10) : -1;
	if (version < 0 || *end) {
		http_reply_error(ar->conn, 400, "invalid %s version", store_kind_name(k));
		return;
	}
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct sreq *s = sreq_new(ar, 200);
	if (s)
		swarm_object_update(ar->d->swarm, k, route_param(ar->match, "id"), version, body,
				    answer, s);
	json_decref(body);
}

static void api_delete(const struct api_request *ar)
{
	struct sreq *s = sreq_new(ar, 204);
	if (s)
		swarm_object_rm(ar->d->swarm, kind_of(ar), route_param(ar->match, "id"), answer, s);
}

static const struct route routes[] = {
    {HTTP_GET, "/secrets", api_list},
    {HTTP_POST, "/secrets/create", api_create},
    {HTTP_GET, "/secrets/{id}", api_inspect},
    {HTTP_DELETE, "/secrets/{id}", api_delete},
    {HTTP_POST, "/secrets/{id}/update", api_update},
    {HTTP_GET, "/configs", api_list},
    {HTTP_POST, "/configs/create", api_create},
    {HTTP_GET, "/configs/{id}", api_inspect},
    {HTTP_DELETE, "/configs/{id}", api_delete},
    {HTTP_POST, "/configs/{id}/update", api_update},
};

const struct api_routes api_secret_routes = {routes, sizeof(routes) / sizeof(routes[0])};
