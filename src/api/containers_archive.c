/* /containers/{id}/archive (docker cp) and /containers/{id}/export, over
 * src/engine/container_archive.h. */
#include <stdlib.h>
#include <unistd.h>

#include "api/api.h"
#include "api/containers_io.h"
#include "api/http_sink.h"
#include "engine/container_archive.h"

static void api_container_archive(const struct api_request *ar)
{
	struct container *c;
	struct byte_sink *out;
	if (!api_container_or_reply(ar, &c) || !(out = http_sink_or_reply(ar->d->loop, ar->conn)))
		return;
	container_archive(ar->d->containers, out, c, route_param(ar->match, "id"),
			  http_request_query(ar->req, "path"), ar->req->method == HTTP_HEAD);
}

static void api_container_put_archive(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	int fd = api_body_fd_or_reply(ar);
	if (fd < 0)
		return;
	struct byte_sink *out = http_sink_or_reply(ar->d->loop, ar->conn);
	if (!out) {
		close(fd);
		return;
	}
	struct container_extract_opts o = {
	    .path = http_request_query(ar->req, "path"),
	    .no_overwrite_dir_non_dir = http_request_query_bool(ar->req, "noOverwriteDirNonDir"),
	    .copy_uid_gid = http_request_query_bool(ar->req, "copyUIDGID"),
	};
	container_extract(ar->d->containers, out, c, route_param(ar->match, "id"), &o, fd);
}

static void api_container_export(const struct api_request *ar)
{
	struct container *c;
	struct byte_sink *out;
	if (api_container_or_reply(ar, &c) && (out = http_sink_or_reply(ar->d->loop, ar->conn)))
		container_export(ar->d->containers, out, c);
}

static const struct route routes[] = {
    {HTTP_GET, "/containers/{id}/archive", api_container_archive},
    {HTTP_PUT, "/containers/{id}/archive", api_container_put_archive},
    {HTTP_GET, "/containers/{id}/export", api_container_export},
};

const struct api_routes api_container_archive_routes = {routes, sizeof(routes) / sizeof(routes[0])};
