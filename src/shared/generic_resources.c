/* Generic resources: parsing as SwarmKit's api/genericresource does, and
 * the scheduler's accounting of them. */
#include "shared/generic_resources.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "basic/buf.h"
#include "basic/cleanup.h"

static const char discrete_key[] = "DiscreteResourceSpec", named_key[] = "NamedResourceSpec";

static json_t *spec_of(json_t *res, bool *named)
{
	json_t *d = json_object_get(res, discrete_key);
	*named = d == NULL;
	return d ? d : json_object_get(res, named_key);
}

static const char *kind_of(json_t *res)
{
	bool named;
	return json_string_value(json_object_get(spec_of(res, &named), "Kind")) ?: "";
}

/* strconv.ParseInt(s, 10, 64): an optional sign and decimal digits. */
static bool parse_int(const char *s, int64_t *ret)
{
	const char *p = s + (*s == '+' || *s == '-');
	if (!*p)
		return false;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno)
		return false;
	*ret = v;
	return true;
}

/* strings.TrimSpace of s[0..len), as a new string. */
static char *trimmed(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

/* Go's %v of a []string: "[a b]". */
static char *go_list(json_t *values)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *v;
	buf_append(&b, "[", 1);
	json_array_foreach(values, i, v)
	{
		if (i)
			buf_append(&b, " ", 1);
		buf_appendf(&b, "%s", json_string_value(v));
	}
	buf_append(&b, "]", 1);
	return buf_steal(&b);
}

/* The kind's values (an array of strings) turned into resources on out. */
static int add_kind(const char *kind, json_t *values, json_t *out, struct error *err)
{
	int64_t n = 0;
	size_t i, ints = 0;
	json_t *v;
	json_array_foreach(values, i, v)
	{
		if (parse_int(json_string_value(v), &n))
			ints++;
	}
	if (json_array_size(values) == 1 && ints == 1) {
		if (n < 0)
			return error_set(err, -EINVAL,
					 "could not parse GenericResource: cannot ask for negative "
					 "resource %s",
					 kind);
		return json_array_append_new(out, json_pack("{s:{s:s, s:I}}", discrete_key, "Kind",
							    kind, "Value", (json_int_t)n))
			   ? -ENOMEM
			   : 0;
	}
	if (ints) {
		_cleanup_free_ char *list = go_list(values);
		return error_set(err, -EINVAL,
				 "could not parse GenericResource: mixed discrete and named "
				 "resources in expression '%s=%s'",
				 kind, list ? list : "");
	}
	json_array_foreach(values, i, v)
	{
		if (json_array_append_new(
			out, json_pack("{s:{s:s, s:O}}", named_key, "Kind", kind, "Value", v)))
			return -ENOMEM;
	}
	return 0;
}

int generic_resources_parse(const char *const *terms, size_t n, json_t **ret, struct error *err)
{
	*ret = NULL;
	_cleanup_(json_decrefp) json_t *kinds = json_object(), *order = json_array(),
				       *out = json_array();
	if (!kinds || !order || !out)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(terms[i], '=');
		if (!eq || strchr(eq + 1, '='))
			return error_set(err, -EINVAL,
					 "could not parse GenericResource: incorrect term %s, "
					 "missing '=' or malformed expression",
					 terms[i]);
		_cleanup_free_ char *key = trimmed(terms[i], (size_t)(eq - terms[i]));
		_cleanup_free_ char *val = trimmed(eq + 1, strlen(eq + 1));
		if (!key || !val)
			return error_set(err, -ENOMEM, "out of memory");
		json_t *values = json_object_get(kinds, key);
		if (!values) {
			values = json_array();
			if (json_object_set_new(kinds, key, values) ||
			    json_array_append_new(order, json_string(key)))
				return error_set(err, -ENOMEM, "out of memory");
		}
		if (json_array_append_new(values, json_string(val)))
			return error_set(err, -ENOMEM, "out of memory");
	}
	size_t i;
	json_t *k;
	json_array_foreach(order, i, k)
	{
		const char *kind = json_string_value(k);
		int r = add_kind(kind, json_object_get(kinds, kind), out, err);
		if (r == -ENOMEM)
			return error_set(err, r, "out of memory");
		if (r < 0)
			return r;
	}
	*ret = json_incref(out);
	return 0;
}

json_t *generic_resources_first_named(json_t *list)
{
	size_t i;
	json_t *res;
	json_array_foreach(list, i, res)
	{
		bool named;
		spec_of(res, &named);
		if (named)
			return res;
	}
	return NULL;
}

/* How much of kind avail has (a count, or the number of names), and
 * whether it is counted; -1 when it has none of it. SwarmKit looks at the
 * kind's first entry to tell. */
static int64_t have(json_t *avail, const char *kind, bool *named)
{
	int64_t n = -1;
	size_t i;
	json_t *res;
	json_array_foreach(avail, i, res)
	{
		if (strcmp(kind_of(res), kind) != 0)
			continue;
		bool this_named;
		json_t *spec = spec_of(res, &this_named);
		if (n < 0) {
			*named = this_named;
			if (!this_named)
				return json_integer_value(json_object_get(spec, "Value"));
			n = 0;
		}
		n += this_named;
	}
	return n;
}

bool generic_resources_fit(json_t *avail, json_t *want)
{
	size_t i;
	json_t *res;
	json_array_foreach(want, i, res)
	{
		json_t *d = json_object_get(res, discrete_key);
		const char *kind = json_string_value(json_object_get(d, "Kind"));
		int64_t need = json_integer_value(json_object_get(d, "Value"));
		bool named;
		if (!d || !kind || have(avail, kind, &named) < need)
			return false;
	}
	return true;
}

json_t *generic_resources_claim(json_t *avail, json_t *want)
{
	json_t *out = json_array();
	size_t i, j;
	json_t *res, *a;
	json_array_foreach(want, i, res)
	{
		json_t *d = json_object_get(res, discrete_key);
		const char *kind = json_string_value(json_object_get(d, "Kind")) ?: "";
		int64_t need = json_integer_value(json_object_get(d, "Value"));
		bool named;
		if (need <= 0 || have(avail, kind, &named) < need)
			continue;
		if (!named) {
			json_array_append_new(out, json_pack("{s:{s:s, s:I}}", discrete_key, "Kind",
							     kind, "Value", (json_int_t)need));
			continue;
		}
		json_array_foreach(avail, j, a)
		{
			if (need > 0 && json_object_get(a, named_key) &&
			    strcmp(kind_of(a), kind) == 0) {
				json_array_append_new(out, json_deep_copy(a));
				need--;
			}
		}
	}
	return out;
}

void generic_resources_consume(json_t *avail, json_t *held)
{
	size_t i, j;
	json_t *res, *a;
	json_array_foreach(held, i, res)
	{
		bool named;
		json_t *spec = spec_of(res, &named);
		const char *kind = kind_of(res);
		json_array_foreach(avail, j, a)
		{
			bool a_named;
			json_t *a_spec = spec_of(a, &a_named);
			if (strcmp(kind_of(a), kind) != 0 || a_named != named)
				continue;
			if (!named) {
				json_int_t left =
				    json_integer_value(json_object_get(a_spec, "Value")) -
				    json_integer_value(json_object_get(spec, "Value"));
				json_object_set_new(a_spec, "Value", json_integer(left));
				break;
			}
			if (json_equal(json_object_get(a_spec, "Value"),
				       json_object_get(spec, "Value"))) {
				json_array_remove(avail, j);
				break;
			}
		}
	}
}

static int value_text(json_t *res, char *buf, size_t len)
{
	bool named;
	json_t *v = json_object_get(spec_of(res, &named), "Value");
	if (named)
		return snprintf(buf, len, "%s", json_string_value(v) ?: "");
	return snprintf(buf, len, "%" PRId64, (int64_t)json_integer_value(v));
}

int generic_resources_env(json_t *assigned, json_t *env)
{
	_cleanup_(json_decrefp) json_t *seen = json_object();
	size_t i, j;
	json_t *res, *other;
	if (!seen)
		return -ENOMEM;
	json_array_foreach(assigned, i, res)
	{
		const char *kind = kind_of(res);
		if (json_object_get(seen, kind))
			continue;
		json_object_set_new(seen, kind, json_true());
		struct buf b = BUF_INIT;
		buf_appendf(&b, "%s", "DOCKER_RESOURCE_");
		for (const char *p = kind; *p; p++) {
			char c = (char)toupper((unsigned char)*p);
			buf_append(&b, &c, 1);
		}
		buf_append(&b, "=", 1);
		bool first = true;
		json_array_foreach(assigned, j, other)
		{
			char v[256];
			if (strcmp(kind_of(other), kind) != 0)
				continue;
			if (!first)
				buf_append(&b, ",", 1);
			first = false;
			value_text(other, v, sizeof(v));
			buf_appendf(&b, "%s", v);
		}
		char *text = buf_steal(&b);
		if (!text || json_array_append_new(env, json_string(text))) {
			free(text);
			return -ENOMEM;
		}
		free(text);
	}
	return 0;
}
