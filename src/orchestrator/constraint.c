/* Placement constraints (see constraint.h). */
#include "orchestrator/constraint.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct parsed {
	char key[256], value[256];
	bool eq;
};

static void trim_into(char *dst, size_t cap, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	snprintf(dst, cap, "%.*s", (int)len, s);
}

static bool key_valid(const char *k)
{
	if (!(isalpha((unsigned char)k[0]) || k[0] == '_') || !k[1])
		return false;
	for (const char *p = k + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return false;
	return true;
}

static bool value_valid(const char *v)
{
	if (!*v)
		return false;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !isspace((unsigned char)*p) &&
		    !strchr(":-_.*()?+[]\\^$|/", *p))
			return false;
	return true;
}

static int parse(const char *c, struct parsed *out, struct error *err)
{
	static const char *const ops[] = {"==", "!="};
	for (int i = 0; i < 2; i++) {
		const char *at = strstr(c, ops[i]);
		if (!at)
			continue;
		trim_into(out->key, sizeof(out->key), c, (size_t)(at - c));
		trim_into(out->value, sizeof(out->value), at + 2, strlen(at + 2));
		out->eq = i == 0;
		if (!key_valid(out->key))
			return error_set(err, -EINVAL, "key '%s' is invalid", out->key);
		if (!value_valid(out->value))
			return error_set(err, -EINVAL, "value '%s' is invalid", out->value);
		return 0;
	}
	return error_set(err, -EINVAL, "constraint expected one operator from ==, !=");
}

int constraints_check(json_t *constraints, struct error *err)
{
	size_t i;
	json_t *c;
	json_array_foreach(constraints, i, c)
	{
		struct parsed p;
		if (!json_is_string(c))
			return error_set(err, -EINVAL,
					 "constraint expected one operator from ==, !=");
		int r = parse(json_string_value(c), &p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *str_at(json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v) ?: "";
}

static const char *label_of(json_t *labels, const char *key)
{
	return json_string_value(json_object_get(labels, key)) ?: "";
}

bool constraint_matches(const char *c, json_t *node)
{
	struct parsed p;
	if (parse(c, &p, NULL) < 0)
		return false;
	const char *what;
	static const char nl[] = "node.labels.", el[] = "engine.labels.";
	if (strcasecmp(p.key, "node.id") == 0)
		what = str_at(node, "ID", NULL, NULL);
	else if (strcasecmp(p.key, "node.hostname") == 0)
		what = str_at(node, "Description", "Hostname", NULL);
	else if (strcasecmp(p.key, "node.role") == 0)
		what = str_at(node, "Spec", "Role", NULL);
	else if (strcasecmp(p.key, "node.platform.os") == 0)
		what = str_at(node, "Description", "Platform", "OS");
	else if (strcasecmp(p.key, "node.platform.arch") == 0)
		what = str_at(node, "Description", "Platform", "Architecture");
	else if (strlen(p.key) > sizeof(nl) - 1 && strncasecmp(p.key, nl, sizeof(nl) - 1) == 0)
		what = label_of(json_object_get(json_object_get(node, "Spec"), "Labels"),
				p.key + sizeof(nl) - 1);
	else if (strlen(p.key) > sizeof(el) - 1 && strncasecmp(p.key, el, sizeof(el) - 1) == 0)
		what = label_of(
		    json_object_get(json_object_get(json_object_get(node, "Description"), "Engine"),
				    "Labels"),
		    p.key + sizeof(el) - 1);
	else
		return false;
	return (strcasecmp(p.value, what) == 0) == p.eq;
}
