/* Registry endpoints: POST /images/{name}/push, POST /auth,
 * GET /distribution/{name}/json and GET /images/search. Pulls come through
 * POST /images/create (images.c). Thin handlers over src/image/registry_ops. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/http_sink.h"
#include "basic/cleanup.h"
#include "image/registry_ops.h"
#include "image/search_filter.h"
#include "shared/filters.h"

static void api_image_push(const struct api_request *ar)
{
	struct byte_sink *out = http_sink_or_reply(ar->d->loop, ar->conn);
	if (out)
		image_push(ar->d->images, out, route_param(ar->match, "name"),
			   http_request_query(ar->req, "tag"),
			   http_request_header(ar->req, "X-Registry-Auth"));
}

/* A registry answer to the connection (arg, referenced by the caller). */
static void reply_answer(void *arg, json_t *answer, const struct error *err)
{
	struct http_conn *conn = arg;
	if (err)
		http_reply_err(conn, err);
	else
		http_reply_json(conn, 200, json_incref(answer));
	http_conn_unref(conn);
}

static void api_auth(const struct api_request *ar)
{
	http_conn_ref(ar->conn);
	registry_login_check(ar->d->images, ar->req->body, ar->req->body_len, reply_answer,
			     ar->conn);
}

static void api_distribution_inspect(const struct api_request *ar)
{
	http_conn_ref(ar->conn);
	distribution_inspect(ar->d->images, route_param(ar->match, "name"),
			     http_request_header(ar->req, "X-Registry-Auth"), reply_answer,
			     ar->conn);
}

static void api_images_search(const struct api_request *ar)
{
	const char *term = http_request_query(ar->req, "term");
	const char *limit = http_request_query(ar->req, "limit");
	if (!term || !*term) {
		http_reply_error(ar->conn, 400, "term is required");
		return;
	}
	char *end = NULL;
	long n = limit && *limit ? strtol(limit, &end, 10) : 25;
	if ((limit && *limit && *end) || n < 1 || n > 100) {
		http_reply_error(ar->conn, 400, "limit %s is outside the range of [1, 100]",
				 limit ? limit : "");
		return;
	}
	_cleanup_(filters_freep) struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct search_filter sf;
	struct error err = ERROR_INIT;
	if (search_filter_parse(f, &sf, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	if (sf.automated) { /* deprecated: dockerd answers nothing, asking no one */
		http_reply_json(ar->conn, 200, json_array());
		return;
	}
	http_conn_ref(ar->conn);
	image_search(ar->d->images, term, (int)n, &sf,
		     http_request_header(ar->req, "X-Registry-Auth"), reply_answer, ar->conn);
}

static const struct route routes[] = {
    {HTTP_POST, "/images/{name*}/push", api_image_push},
    {HTTP_POST, "/auth", api_auth},
    {HTTP_GET, "/distribution/{name*}/json", api_distribution_inspect},
    {HTTP_GET, "/images/search", api_images_search},
};

const struct api_routes api_registry_routes = {routes, ARRAY_SIZE(routes)};
