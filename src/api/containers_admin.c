/* POST /containers/{id}/pause, /unpause, /rename, GET /containers/{id}/top and
 * POST /containers/prune over the engine
 * (src/engine/container.h): 204 when done, dockerd's errors otherwise. */
#include "api/containers_admin.h"

#include "api/containers_io.h"
#include "engine/container.h"
#include "shared/filters.h"

typedef int (*admin_fn)(struct containers *cs, struct container *c, struct error *err);

static void run_and_reply(const struct api_request *ar, admin_fn fn)
{
	struct container *c;
	struct error err = ERROR_INIT;
	if (!api_container_or_reply(ar, &c))
		return;
	if (fn(ar->d->containers, c, &err) < 0)
		api_reply_err(ar, &err);
	else
		http_reply(ar->conn, 204, NULL, NULL, 0, NULL, 0);
	error_clear(&err);
}

void api_container_pause(const struct api_request *ar)
{
	run_and_reply(ar, container_pause);
}

void api_container_unpause(const struct api_request *ar)
{
	run_and_reply(ar, container_unpause);
}

void api_container_rename(const struct api_request *ar)
{
	struct container *c;
	struct error err = ERROR_INIT;
	if (!api_container_or_reply(ar, &c))
		return;
	if (container_rename(ar->d->containers, c, http_request_query(ar->req, "name"), &err) < 0)
		api_reply_err(ar, &err);
	else
		http_reply(ar->conn, 204, NULL, NULL, 0, NULL, 0);
	error_clear(&err);
}

static void prune_done(int r, const struct error *err, json_t *report, void *userdata)
{
	struct http_conn *conn = userdata;
	if (r < 0)
		http_reply_err(conn, err);
	else
		http_reply_json(conn, 200, report);
	http_conn_unref(conn);
}

void api_containers_prune(const struct api_request *ar)
{
	struct filters *f = NULL;
	struct error err = ERROR_INIT;
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0) {
		api_reply_err(ar, &err);
		error_clear(&err);
		return;
	}
	http_conn_ref(ar->conn);
	containers_prune(ar->d->containers, f, prune_done, ar->conn);
	filters_free(f);
}

static void top_done(int r, const struct error *err, json_t *result, void *userdata)
{
	struct http_conn *conn = userdata;
	if (r < 0)
		http_reply_err(conn, err);
	else
		http_reply_json(conn, 200, result);
	http_conn_unref(conn);
}

void api_container_top(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	http_conn_ref(ar->conn);
	container_top(ar->d->containers, c, http_request_query(ar->req, "ps_args"), top_done,
		      ar->conn);
}
