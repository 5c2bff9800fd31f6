/* /volumes/... endpoints: thin handlers over the local volume store
 * (src/volume/volume_store.h), answering with dockerd's shapes and
 * messages. Every handler answers the client itself. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "shared/filters.h"
#include "volume/volume_store.h"

/* dockerd's CheckForJSON: a body must come as application/json. */
static bool check_json_or_reply(const struct api_request *ar)
{
	const char *ct = http_request_header(ar->req, "Content-Type");
	if ((!ct || !*ct) && ar->req->body_len == 0)
		return true;
	if (ct && strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' '))
		return true;
	http_reply_error(ar->conn, 400, "Content-Type specified (%s) must be 'application/json'",
			 ct ? ct : "");
	return false;
}

/* Optional string member; false (after replying 400) when of another type. */
static bool body_string_or_reply(const struct api_request *ar, json_t *body, const char *key,
				 const char **ret)
{
	json_t *v = json_object_get(body, key);
	*ret = json_string_value(v);
	if (!v || json_is_null(v) || json_is_string(v))
		return true;
	http_reply_error(ar->conn, 400,
			 "json: cannot unmarshal %s into Go struct field "
			 "VolumeCreateBody.%s of type string",
			 json_is_number(v) ? "number" : "object", key);
	return false;
}

static void api_volume_create(const struct api_request *ar)
{
	if (!check_json_or_reply(ar))
		return;
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	const char *name, *driver;
	struct error err = ERROR_INIT;
	char *created_name = NULL;
	json_t *out = NULL;
	if (body_string_or_reply(ar, body, "Name", &name) &&
	    body_string_or_reply(ar, body, "Driver", &driver)) {
		int r = volume_create(ar->d->volumes, name, driver,
				      json_object_get(body, "DriverOpts"),
				      json_object_get(body, "Labels"), &created_name, NULL, &err);
		if (r == 0)
			r = volume_inspect_json(ar->d->volumes, created_name, &out, &err);
		if (r < 0)
			api_reply_err_clear(ar, &err);
		else
			http_reply_json(ar->conn, 201, out);
	}
	free(created_name);
	json_decref(body);
}

static void api_volume_list(const struct api_request *ar)
{
	struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	json_t *vols = NULL;
	if (volume_list_json(ar->d->volumes, f, &vols, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200,
				json_pack("{s:o, s:n}", "Volumes", vols, "Warnings"));
	filters_free(f);
}

static void api_volume_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *v = NULL;
	if (volume_inspect_json(ar->d->volumes, route_param(ar->match, "name"), &v, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, v);
}

static void api_volume_delete(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	bool force = http_request_query_bool(ar->req, "force");
	if (volume_remove(ar->d->volumes, route_param(ar->match, "name"), force, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 204, NULL, NULL, 0, NULL, 0);
}

static void api_volume_prune(const struct api_request *ar)
{
	struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	json_t *deleted = NULL;
	uint64_t reclaimed = 0;
	if (volume_prune(ar->d->volumes, f, &deleted, &reclaimed, &err) < 0) {
		api_reply_err_clear(ar, &err);
	} else {
		http_reply_json(ar->conn, 200,
				json_pack("{s:o, s:I}", "VolumesDeleted", deleted, "SpaceReclaimed",
					  (json_int_t)reclaimed));
	}
	filters_free(f);
}

static const struct route routes[] = {
	{HTTP_GET, "/volumes", api_volume_list},
	{HTTP_POST, "/volumes/create", api_volume_create},
	{HTTP_POST, "/volumes/prune", api_volume_prune},
	{HTTP_GET, "/volumes/{name}", api_volume_inspect},
	{HTTP_DELETE, "/volumes/{name}", api_volume_delete},
};

const struct api_routes api_volume_routes = {routes, sizeof(routes) / sizeof(routes[0])};
