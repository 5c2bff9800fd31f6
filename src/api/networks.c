/* /networks/... endpoints: thin handlers over the network service
 * (src/network/network.h). Every handler answers the client itself. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "api/api.h"
#include "network/network.h"
#include "shared/api_version.h"
#include "shared/filters.h"

static void api_network_list(const struct api_request *ar)
{
	struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	json_t *out = NULL;
	if (network_list_json(ar->d, f, &out, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, out);
	filters_free(f);
}

static void api_network_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *out = NULL;
	const char *id = route_param(ar->match, "id");
	const char *scope = http_request_query(ar->req, "scope");
	if (network_inspect_json(ar->d, id, &out, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	/* dockerd looks only among the networks of the scope asked for. The
	 * predefined networks are found for "swarm" too: the docker CLI resolves
	 * a service's --network with that scope, and services run on bridge,
	 * host and none until overlay networks exist. */
	const char *its = json_string_value(json_object_get(out, "Scope"));
	const char *name = json_string_value(json_object_get(out, "Name"));
	bool predefined = name && (strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
				   strcmp(name, "none") == 0);
	if (scope && *scope && (!its || strcmp(scope, its) != 0) &&
	    !(predefined && strcmp(scope, "swarm") == 0)) {
		json_decref(out);
		http_reply_error(ar->conn, 404, "network %s not found", id);
		return;
	}
	http_reply_json(ar->conn, 200, out);
}

static void api_network_create(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	char *id = NULL, *warning = NULL;
	/* API 1.44 made CheckDuplicate always true. */
	bool check = json_is_true(json_object_get(body, "CheckDuplicate")) || !ar->version ||
		     api_version_compare(ar->version, "1.44") >= 0;
	if (network_create(ar->d, body, check, &id, &warning, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(
		    ar->conn, 201,
		    json_pack("{s:s, s:s}", "Id", id, "Warning", warning ? warning : ""));
	free(id);
	free(warning);
	json_decref(body);
}

static void api_network_delete(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	if (network_remove(ar->d, route_param(ar->match, "id"), &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 204, NULL, NULL, 0, NULL, 0);
}

static void api_network_connect(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	const char *c = json_string_value(json_object_get(body, "Container"));
	if (network_connect(ar->d, route_param(ar->match, "id"), c ? c : "",
			    json_object_get(body, "EndpointConfig"), &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	json_decref(body);
}

static void api_network_disconnect(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	const char *c = json_string_value(json_object_get(body, "Container"));
	if (network_disconnect(ar->d, route_param(ar->match, "id"), c ? c : "",
			       json_is_true(json_object_get(body, "Force")), &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	json_decref(body);
}

static void api_network_prune(const struct api_request *ar)
{
	struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	json_t *deleted = NULL;
	if (network_prune(ar->d, f, &deleted, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, json_pack("{s:o}", "NetworksDeleted", deleted));
	filters_free(f);
}

static const struct route routes[] = {
    {HTTP_GET, "/networks", api_network_list},
    {HTTP_POST, "/networks/create", api_network_create},
    {HTTP_POST, "/networks/prune", api_network_prune},
    {HTTP_GET, "/networks/{id}", api_network_inspect},
    {HTTP_DELETE, "/networks/{id}", api_network_delete},
    {HTTP_POST, "/networks/{id}/connect", api_network_connect},
    {HTTP_POST, "/networks/{id}/disconnect", api_network_disconnect},
};

const struct api_routes api_network_routes = {routes, sizeof(routes) / sizeof(routes[0])};
