/* Path routing for the Engine API: patterns like "/containers/{id}/json" and
 * greedy "{name*}" segments (image names contain slashes). Pure: no I/O. */
#pragma once

#include <http_parser.h>
#include <stddef.h>

#define ROUTE_MAX_PARAMS 4

struct route {
	enum http_method method;
	const char *pattern;
	void *handler; /* opaque to the router */
};

struct route_match {
	const struct route *route;
	size_t n_params;
	char *names[ROUTE_MAX_PARAMS];
	char *values[ROUTE_MAX_PARAMS];
};

/* Finds the route for method and path (without version prefix). Returns 0
 * and fills m (release with route_match_done) on success, -ENOENT when no
 * pattern matches the path, -EPERM when a pattern matches but not for this
 * method (HEAD also matches GET routes). */
int router_match(const struct route *routes, size_t n, enum http_method method, const char *path,
		 struct route_match *m);
void route_match_done(struct route_match *m);
/* The value of parameter name in m, NULL when absent. */
const char *route_param(const struct route_match *m, const char *name);
