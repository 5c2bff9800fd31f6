/* Registry endpoints: POST /images/{name}/push, POST /auth,
 * GET /distribution/{name}/json and GET /images/search. Pulls come through
 * POST /images/create (images.c). Thin handlers over src/image/registry_ops. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "basic/cleanup.h"
#include "image/registry_ops.h"

static void api_image_push(const struct api_request *ar)
{
	image_push_and_reply(ar->d, ar->conn, route_param(ar->match, "name"),
			     http_request_query(ar->req, "tag"),
			     http_request_header(ar->req, "X-Registry-Auth"));
}

static void api_auth(const struct api_request *ar)
{
	registry_auth_and_reply(ar->d, ar->conn, ar->req->body, ar->req->body_len);
}

static void api_distribution_inspect(const struct api_request *ar)
{
	distribution_inspect_and_reply(ar->d, ar->conn, route_param(ar->match, "name"),
				       http_request_header(ar->req, "X-Registry-Auth"));
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
	image_search_and_reply(ar->d, ar->conn, term, (int)n,
			       http_request_header(ar->req, "X-Registry-Auth"));
}

static const struct route routes[] = {
    {HTTP_POST, "/images/{name*}/push", api_image_push},
    {HTTP_POST, "/auth", api_auth},
    {HTTP_GET, "/distribution/{name*}/json", api_distribution_inspect},
    {HTTP_GET, "/images/search", api_images_search},
};

const struct api_routes api_registry_routes = {routes, ARRAY_SIZE(routes)};
