/* --secret and --config of service create (see service_refs.h). */
#include "cli/service_refs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/client.h"
#include "cli/query.h"

#define DEFAULT_MODE 0444

static int set_field(json_t *ref, json_t *file, bool secret, const char *key, const char *val,
		     struct error *err)
{
	const char *what = secret ? "secret" : "config";
	if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
		json_object_set_new(ref, secret ? "SecretName" : "ConfigName", json_string(val));
	} else if (strcmp(key, "target") == 0) {
		json_object_set_new(file, "Name", json_string(val));
	} else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
		json_object_set_new(file, key[0] == 'u' ? "UID" : "GID", json_string(val));
	} else if (strcmp(key, "mode") == 0) {
		char *end;
		errno = 0;
		unsigned long m = strtoul(val, &end, 0);
		if (!*val || *end || errno || m > 0xffffffffUL || val[0] == '-')
			return error_set(
			    err, -EINVAL,
			    "invalid mode specified: strconv.ParseUint: parsing \"%s\": "
			    "invalid syntax",
			    val);
		json_object_set_new(file, "Mode", json_integer((json_int_t)m));
	} else {
		return error_set(err, -EINVAL, "invalid field in %s request: %s", what, key);
	}
	return 0;
}

/* One value: "name", or comma-separated key=value fields. */
static int parse_one(bool secret, const char *value, json_t **ret, struct error *err)
{
	json_t *file = json_pack("{s:s, s:s, s:i}", "UID", "0", "GID", "0", "Mode", DEFAULT_MODE);
	_cleanup_(cli_json_decrefp) json_t *ref = json_pack("{s:o}", "File", file);
	_cleanup_free_ char *copy = strdup(value);
	if (!copy || !ref)
		return error_set(err, -ENOMEM, "out of memory");
	bool single = strchr(value, ',') == NULL;
	char *save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		if (!eq && single) {
			json_object_set_new(ref, secret ? "SecretName" : "ConfigName",
					    json_string(f));
			continue;
		}
		if (!eq)
			return error_set(err, -EINVAL,
					 "invalid field '%s' must be a key=value pair", f);
		*eq = '\0';
		int r = set_field(ref, file, secret, f, eq + 1, err);
		if (r < 0)
			return r;
	}
	const char *name =
	    json_string_value(json_object_get(ref, secret ? "SecretName" : "ConfigName"));
	if (!name || !*name)
		return error_set(err, -EINVAL, "source is required");
	if (!json_string_length(json_object_get(file, "Name")))
		json_object_set_new(file, "Name", json_string(name));
	*ret = TAKE_PTR(ref);
	return 0;
}

int service_refs_parse(bool secret, const struct cli_strv *values, json_t **ret, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *refs = json_array();
	for (size_t i = 0; i < values->n; i++) {
		json_t *ref = NULL;
		struct error perr = ERROR_INIT;
		int r = parse_one(secret, values->v[i], &ref, &perr);
		if (r < 0) {
			error_set(err, r, "invalid argument \"%s\" for \"--%s\" flag: %s",
				  values->v[i], secret ? "secret" : "config", error_msg(&perr));
			error_clear(&perr);
			return r;
		}
		const char *target =
		    json_string_value(json_object_get(json_object_get(ref, "File"), "Name"));
		size_t j;
		json_t *prev;
		json_array_foreach(refs, j, prev)
		{
			const char *pt = json_string_value(
			    json_object_get(json_object_get(prev, "File"), "Name"));
			if (strcmp(pt, target) == 0) {
				error_set(err, -EINVAL, "duplicate %s target for %s not allowed",
					  secret ? "secret" : "config",
					  json_string_value(json_object_get(
					      ref, secret ? "SecretName" : "ConfigName")));
				json_decref(ref);
				return -EINVAL;
			}
		}
		json_array_append_new(refs, ref);
	}
	*ret = TAKE_PTR(refs);
	return 0;
}

int service_refs_resolve(const struct cli *cli, bool secret, json_t *refs, struct error *err)
{
	const char *name_key = secret ? "SecretName" : "ConfigName";
	if (json_array_size(refs) == 0)
		return 0;
	_cleanup_(cli_json_decrefp) json_t *names = json_object();
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref) json_object_set_new(
	    names, json_string_value(json_object_get(ref, name_key)), json_true());
	_cleanup_(cli_json_decrefp) json_t *filters = json_pack("{s:O}", "name", names);
	_cleanup_free_ char *fj = json_dumps(filters, JSON_COMPACT);
	struct query q = {0};
	_cleanup_(cli_json_decrefp) json_t *list = NULL;
	int r = fj ? query_add(&q, "filters", fj) : -ENOMEM;
	if (r < 0)
		r = error_set(err, r, "out of memory");
	else
		r = cli_call(cli, "GET", secret ? "/secrets" : "/configs", &q, NULL, &list, err);
	query_done(&q);
	if (r < 0)
		return r;
	json_array_foreach(refs, i, ref)
	{
		const char *want = json_string_value(json_object_get(ref, name_key));
		const char *id = NULL;
		size_t j;
		json_t *obj;
		json_array_foreach(list, j, obj)
		{
			const char *n = json_string_value(
			    json_object_get(json_object_get(obj, "Spec"), "Name"));
			if (n && strcmp(n, want) == 0)
				id = json_string_value(json_object_get(obj, "ID"));
		}
		if (!id)
			return error_set(err, -ENOENT, "%s not found: %s",
					 secret ? "secret" : "config", want);
		json_object_set_new(ref, secret ? "SecretID" : "ConfigID", json_string(id));
	}
	return 0;
}
