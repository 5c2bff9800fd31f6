/* Building request paths: URL encoding, query strings, the filters JSON of
 * --filter flags, API version arithmetic. Pure logic, unit tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "cli/cli.h"

/* Percent-encodes s for a query component (RFC 3986 unreserved kept). Caller frees. */
char *query_escape(const char *s);

/* fmt (a path with one %s) with name percent-encoded in it, e.g.
 * query_path("/services/%s", name). NULL on allocation failure. Caller frees. */
char *query_path(const char *fmt, const char *name);

/* A query string under construction: "?a=1&b=2". */
struct query {
	char *buf; /* NULL while empty */
};

/* Appends key=escaped(value). -ENOMEM on allocation failure. */
int query_add(struct query *q, const char *key, const char *value);
void query_done(struct query *q);

/* Returns "/v<version><path><query>" (version NULL: unversioned). Caller frees. */
char *query_build_path(const char *version, const char *path, const struct query *q);

/* Turns "--filter k=v" values into the filters JSON {"k":["v",...]} (keys
 * lowercased and trimmed, values trimmed, duplicates dropped, first-seen
 * order). *ret is NULL when there are no filters. -EINVAL with pflag's
 * "bad format of filter (expected name=value)" on a value without '='. */
int query_filters_json(const struct cli_strv *filters, char **ret, struct error *err);

/* Checks a single --filter value the way docker's flag type does. */
bool query_filter_valid(const char *v);

/* Formats a user --since/--until value as the API's "SECONDS.NANOS". */
int query_timestamp(const char *user, int64_t now_ns, char *buf, size_t len, struct error *err);

