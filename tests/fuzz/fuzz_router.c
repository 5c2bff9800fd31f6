/* Routing of a request's decoded path (api/api.c, api/router.c,
 * shared/api_version.c) as dispatch does it: the version prefix, its
 * bounds, then the route tables of every resource. Input: one byte
 * choosing the method, then the path. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"
#include "shared/api_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const enum http_method methods[] = {HTTP_GET,	HTTP_HEAD,    HTTP_POST, HTTP_PUT,
						   HTTP_DELETE, HTTP_OPTIONS, HTTP_PATCH};
	enum http_method method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	char *full = fuzz_str(data + 1, size - 1);
	char version[16];
	const char *path;
	if (api_version_split_path(full, version, sizeof(version), &path)) {
		if (strlen(version) >= sizeof(version))
			abort();
		api_version_compare(version, API_VERSION_MAX);
		api_version_compare(version, API_VERSION_MIN);
	}
	struct route_match m;
	int r = api_route_match(method, path, &m);
	if (r == 0) {
		if (!m.route || m.n_params > ROUTE_MAX_PARAMS)
			abort();
		for (size_t i = 0; i < m.n_params; i++) {
			/* A parameter is never empty and comes from the path. */
			if (!*m.values[i] || !strstr(path, m.values[i]))
				abort();
			if (route_param(&m, m.names[i]) == NULL)
				abort();
		}
		route_match_done(&m);
	} else if (r != -ENOENT && r != -EPERM) {
		abort();
	}
	free(full);
	return 0;
}
