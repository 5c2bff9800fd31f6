/* Request path and query building for the CLI. */
#include "cli/query.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "shared/filters.h"
#include "basic/timeutil.h"

char *query_escape(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p)) {
			*o++ = (char)*p;
		} else {
			sprintf(o, "%%%02X", *p);
			o += 3;
		}
	}
	*o = '\0';
	return out;
}

char *query_path(const char *fmt, const char *name)
{
	_cleanup_free_ char *esc = query_escape(name);
	char *p = NULL;
	if (!esc || asprintf(&p, fmt, esc) < 0)
		return NULL;
	return p;
}

int query_add(struct query *q, const char *key, const char *value)
{
	_cleanup_free_ char *ev = query_escape(value);
	if (!ev)
		return -ENOMEM;
	char *n = NULL;
	if (asprintf(&n, "%s%c%s=%s", q->buf ? q->buf : "", q->buf ? '&' : '?', key, ev) < 0)
		return -ENOMEM;
	free(q->buf);
	q->buf = n;
	return 0;
}

void query_done(struct query *q)
{
	free(q->buf);
	q->buf = NULL;
}

char *query_build_path(const char *version, const char *path, const struct query *q)
{
	char *out = NULL;
	const char *qs = q && q->buf ? q->buf : "";
	int r = version ? asprintf(&out, "/v%s%s%s", version, path, qs)
			: asprintf(&out, "%s%s", path, qs);
	return r < 0 ? NULL : out;
}

bool query_filter_valid(const char *v)
{
	return strchr(v, '=') != NULL;
}

int query_filters_json(const struct cli_strv *filters, char **ret, struct error *err)
{
	*ret = NULL;
	if (filters->n == 0)
		return 0;
	_cleanup_(filters_freep) struct filters *f = filters_new();
	if (!f)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < filters->n; i++) {
		int r = filters_add_arg(f, filters->v[i], err);
		if (r < 0)
			return r;
	}
	*ret = filters_to_string(f);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

int query_timestamp(const char *user, int64_t now_ns, char *buf, size_t len, struct error *err)
{
	int64_t ns;
	if (time_parse_user_timestamp(user, now_ns, &ns) < 0)
		return error_set(err, -EINVAL, "failed to parse value as time or duration: \"%s\"",
				 user);
	int64_t sec = ns / 1000000000LL, frac = ns % 1000000000LL;
	if (frac < 0) {
		frac += 1000000000LL;
		sec--;
	}
	snprintf(buf, len, "%lld.%09lld", (long long)sec, (long long)frac);
	return 0;
}

