/* /plugins/... endpoints. berth runs no managed plugins (its drivers are
 * built in), so the list is empty and every plugin name is unknown, which
 * dockerd with no plugins installed answers the same way; installing one
 * (pull, create, privileges of a remote) is 501 Not Implemented. */

#include "api/api.h"
#include "basic/cleanup.h"
#include "shared/filters.h"

static void api_plugin_list(const struct api_request *ar)
{
	static const char *const keys[] = {"capability", "enable", NULL};
	_cleanup_(filters_freep) struct filters *f = NULL;
	struct error err = ERROR_INIT;
	bool enabled;
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0 ||
	    filters_validate(f, keys, &err) < 0 ||
	    filters_get_bool(f, "enable", true, &enabled, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	http_reply_json(ar->conn, 200, json_array());
}

/* dockerd's errNotFound for a name no installed plugin has. */
static void api_plugin_not_found(const struct api_request *ar)
{
	http_reply_error(ar->conn, 404, "plugin \"%s\" not found", route_param(ar->match, "name"));
}

static void api_plugin_install(const struct api_request *ar)
{
	http_reply_error(ar->conn, 501,
			 "plugins are not supported by berth: its network, volume and log "
			 "drivers are built in");
}

static const struct route routes[] = {
	{HTTP_GET, "/plugins", api_plugin_list},
	{HTTP_GET, "/plugins/privileges", api_plugin_install},
	{HTTP_POST, "/plugins/pull", api_plugin_install},
	{HTTP_POST, "/plugins/create", api_plugin_install},
	{HTTP_GET, "/plugins/{name*}/json", api_plugin_not_found},
	{HTTP_POST, "/plugins/{name*}/enable", api_plugin_not_found},
	{HTTP_POST, "/plugins/{name*}/disable", api_plugin_not_found},
	{HTTP_POST, "/plugins/{name*}/push", api_plugin_not_found},
	{HTTP_POST, "/plugins/{name*}/upgrade", api_plugin_not_found},
	{HTTP_POST, "/plugins/{name*}/set", api_plugin_not_found},
	{HTTP_DELETE, "/plugins/{name*}", api_plugin_not_found},
};

const struct api_routes api_plugin_routes = {routes, ARRAY_SIZE(routes)};
