/* Segment-by-segment matching of request paths against route patterns. */
#include "router.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Length of the segment starting at s (up to '/' or end). */
static size_t seglen(const char *s)
{
	return strcspn(s, "/");
}

static int add_param(struct route_match *m, const char *name, size_t nlen, const char *val,
		     size_t vlen)
{
	if (m->n_params >= ROUTE_MAX_PARAMS)
		return -E2BIG;
	m->names[m->n_params] = strndup(name, nlen);
	m->values[m->n_params] = strndup(val, vlen);
	m->n_params++;
	return m->names[m->n_params - 1] && m->values[m->n_params - 1] ? 0 : -ENOMEM;
}

/* Matches the pattern tail pat against the path tail path. A greedy param
 * takes one or more segments, leaving enough for the rest of the pattern. */
static bool match_from(const char *pat, const char *path, struct route_match *m)
{
	while (*pat && *path) {
		if (*pat == '/' || *path == '/') {
			if (*pat != *path)
				return false;
			pat++;
			path++;
			continue;
		}
		size_t pl = seglen(pat), sl = seglen(path);
		if (pat[0] == '{' && pat[pl - 1] == '}') {
			bool greedy = pl > 3 && pat[pl - 2] == '*';
			size_t nlen = pl - 2 - (greedy ? 1 : 0);
			if (sl == 0)
				return false;
			if (!greedy) {
				add_param(m, pat + 1, nlen, path, sl);
			} else {
				/* Try the longest span first, back off segment by segment. */
				const char *rest_pat = pat + pl;
				for (const char *end = path + strlen(path); end > path;) {
					size_t n_before = m->n_params;
					if (match_from(rest_pat, end, m)) {
						add_param(m, pat + 1, nlen, path, (size_t)(end - path));
						return true;
					}
					while (m->n_params > n_before) {
						m->n_params--;
						free(m->names[m->n_params]);
						free(m->values[m->n_params]);
					}
					do
						end--;
					while (end > path && *end != '/');
				}
				return false;
			}
		} else if (pl != sl || strncmp(pat, path, pl) != 0) {
			return false;
		}
		pat += pl;
		path += sl;
	}
	return *pat == '\0' && *path == '\0';
}

static bool path_matches(const char *pattern, const char *path, struct route_match *m)
{
	*m = (struct route_match){0};
	if (match_from(pattern, path, m))
		return true;
	route_match_done(m);
	return false;
}

int router_match(const struct route *routes, size_t n, enum http_method method, const char *path,
		 struct route_match *m)
{
	bool path_found = false;
	enum http_method want = method == HTTP_HEAD ? HTTP_GET : method;
	for (size_t i = 0; i < n; i++) {
		struct route_match tmp;
		if (!path_matches(routes[i].pattern, path, &tmp))
			continue;
		if (routes[i].method == method || routes[i].method == want) {
			tmp.route = &routes[i];
			*m = tmp;
			return 0;
		}
		path_found = true;
		route_match_done(&tmp);
	}
	return path_found ? -EPERM : -ENOENT;
}

void route_match_done(struct route_match *m)
{
	for (size_t i = 0; i < m->n_params; i++) {
		free(m->names[i]);
		free(m->values[i]);
	}
	m->n_params = 0;
}

const char *route_param(const struct route_match *m, const char *name)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NULL;
}
