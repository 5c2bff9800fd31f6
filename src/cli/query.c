/* Request path and query building for the CLI. */
#include "cli/query.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
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

/* Copies s[0..len) without surrounding whitespace, lowercased when asked. */
static char *trimmed(const char *s, size_t len, bool lower)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	char *r = strndup(s, len);
	for (char *p = r; lower && p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static bool array_has(json_t *arr, const char *v)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) if (strcmp(json_string_value(e), v) == 0) return true;
	return false;
}

/* Adds one "k=v" to the filters object. */
static int filters_add(json_t *obj, const char *kv, struct error *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return error_set(err, -EINVAL, "bad format of filter (expected name=value)");
	_cleanup_free_ char *k = trimmed(kv, (size_t)(eq - kv), true);
	_cleanup_free_ char *v = trimmed(eq + 1, strlen(eq + 1), false);
	if (!k || !v)
		return error_set(err, -ENOMEM, "out of memory");
	json_t *arr = json_object_get(obj, k);
	if (!arr) {
		arr = json_array();
		if (!arr || json_object_set_new(obj, k, arr) < 0)
			return error_set(err, -ENOMEM, "out of memory");
	}
	if (!array_has(arr, v) && json_array_append_new(arr, json_string(v)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int query_filters_json(const struct cli_strv *filters, char **ret, struct error *err)
{
	if (filters->n == 0) {
		*ret = NULL;
		return 0;
	}
	json_t *obj = json_object();
	if (!obj)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < filters->n; i++) {
		int r = filters_add(obj, filters->v[i], err);
		if (r < 0) {
			json_decref(obj);
			return r;
		}
	}
	char *s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!s)
		return error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
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

int query_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a += strspn(a, ".");
		b += strspn(b, ".");
		if (!(*a >= '0' && *a <= '9') && !(*b >= '0' && *b <= '9'))
			break;
	}
	return 0;
}
