/* Swarm secrets and configs: what /secrets and /configs ask (secrets.h). */
#include "swarm/secrets.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "shared/events.h"
#include "swarm/ca.h"
#include "swarm/seal.h"
#include "swarm/swarm_int.h"

/* swarmkit answers through gRPC; dockerd passes its status text on. */
#define INVALID_ARGUMENT "rpc error: code = InvalidArgument desc = "

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void fail(swarm_done_fn cb, void *data, struct error *err)
{
	cb(data, err->code, NULL, error_msg(err));
	error_clear(err);
}

/* The public view: a secret's data is never shown. */
static json_t *view(json_t *obj)
{
	return store_public(obj);
}

/* ---- reads ---- */

static bool label_filters_match(const struct filters *f, json_t *obj)
{
	return filters_match_label(f, "label",
				   json_object_get(json_object_get(obj, "Spec"), "Labels"));
}

/* swarmkit's ListSecrets: names (exact), name and id (prefixes) OR
 * together; labels must all hold. */
static bool list_matches(const struct filters *f, const char *id, json_t *obj)
{
	static const char *const keys[] = {"names", "name", "id"};
	bool any = false;
	const char *name = json_string_value(json_object_get(json_object_get(obj, "Spec"), "Name"));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		size_t n;
		const char *const *v = filters_values(f, keys[i], &n);
		for (size_t j = 0; j < n; j++) {
			const char *of = i == 2 ? id : name;
			any = true;
			if (of &&
			    (i == 0 ? strcmp(of, v[j]) == 0 : strncmp(of, v[j], strlen(v[j])) == 0))
				return label_filters_match(f, obj);
		}
	}
	return !any && label_filters_match(f, obj);
}

int swarm_objects_list(struct swarm *sw, enum store_kind k, const struct filters *f, json_t **ret,
		       struct error *err)
{
	static const char *const secret_keys[] = {"names", "name", "id", "label", NULL};
	static const char *const config_keys[] = {"name", "id", "label", NULL};
	int r = filters_validate(f, k == STORE_SECRET ? secret_keys : config_keys, err);
	if (r == 0)
		r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	const char *id;
	json_t *v;
	json_object_foreach(store_objects(&sw->store, k), id, v)
	{
		if (list_matches(f, id, v))
			json_array_append_new(out, view(v));
	}
	*ret = out;
	return 0;
}

int swarm_object_inspect(struct swarm *sw, enum store_kind k, const char *ref, json_t **ret,
			 struct error *err)
{
	json_t *obj;
	int r = swarm_check_manager(sw, err);
	if (r == 0)
		r = store_find_object(&sw->store, k, ref, &obj, err);
	if (r == 0)
		*ret = view(obj);
	return r;
}

int swarm_object_data(struct swarm *sw, enum store_kind k, const char *id, uint8_t **ret,
		      size_t *ret_len, struct error *err)
{
	json_t *obj = json_object_get(store_objects(&sw->store, k), id);
	const char *b64 = store_object_data(obj, k);
	if (!b64)
		return error_set(err, -ENOENT, "%s %s not found", store_kind_name(k), id);
	int r = seal_unb64_alloc(b64, ret, ret_len);
	return r < 0 ? error_set(err, r, "%s %s: bad data", store_kind_name(k), id) : 0;
}

/* ---- validation ---- */

static int validate_name(const char *name, struct error *err)
{
	if (!name || !*name)
		return error_set(err, -EINVAL, INVALID_ARGUMENT "name must be provided");
	regex_t re;
	bool ok = strlen(name) <= 64 && regcomp(&re, "^[a-zA-Z0-9]+([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$",
						REG_EXTENDED | REG_NOSUB) == 0;
	if (ok) {
		ok = regexec(&re, name, 0, NULL, 0) == 0;
		regfree(&re);
	}
	if (!ok)
		return error_set(err, -EINVAL,
				 INVALID_ARGUMENT
				 "invalid name, only 64 [a-zA-Z0-9-_.] characters "
				 "allowed, and the start and end character must be "
				 "[a-zA-Z0-9]");
	return 0;
}

/* Data must be base64 (Go's []byte in JSON) of 1 to max-1 bytes. */
static int validate_data(enum store_kind k, json_t *data, struct error *err)
{
	size_t max = k == STORE_SECRET ? SWARM_MAX_SECRET_SIZE : SWARM_MAX_CONFIG_SIZE;
	_cleanup_free_ uint8_t *raw = NULL;
	size_t len = 0;
	if (data && !json_is_null(data) &&
	    (!json_is_string(data) || seal_unb64_alloc(json_string_value(data), &raw, &len) < 0))
		return error_set(err, -EINVAL, "illegal base64 data in %s data",
				 store_kind_name(k));
	if (len < 1 || len >= max)
		return error_set(err, -EINVAL,
				 INVALID_ARGUMENT "%s data must be larger than 0 and less than %zu "
						  "bytes",
				 store_kind_name(k), max);
	return 0;
}

static int validate_spec(enum store_kind k, json_t *spec, struct error *err)
{
	int r = validate_name(jstr(spec, "Name"), err);
	json_t *labels = json_object_get(spec, "Labels");
	if (r == 0 && labels && !json_is_null(labels) && !json_is_object(labels))
		r = error_set(err, -EINVAL, "Labels must be an object of strings");
	json_t *driver = json_object_get(spec, "Driver");
	/* Secret drivers are plugins; Berth has none to offer. */
	if (r == 0 && driver && !json_is_null(driver))
		r = error_set(err, -EINVAL, INVALID_ARGUMENT "%s drivers are not supported",
			      store_kind_name(k));
	if (r == 0)
		r = validate_data(k, json_object_get(spec, "Data"), err);
	return r;
}

/* The stored Spec: the request's, Labels always an object, a secret's data
 * moved out of it. */
static json_t *stored_spec(enum store_kind k, json_t *spec)
{
	json_t *s = json_deep_copy(spec);
	json_t *labels = json_object_get(s, "Labels");
	if (!json_is_object(labels))
		json_object_set_new(s, "Labels", json_object());
	json_object_del(s, "Driver");
	if (k == STORE_SECRET)
		json_object_del(s, "Data");
	return s;
}

/* ---- writes ---- */

struct create_ctx {
	swarm_done_fn cb;
	void *data;
	char id[32];
};

static void created(void *data, int status, json_t *result, const char *msg)
{
	struct create_ctx *c = data;
	json_t *out = status == 0 ? json_pack("{s:s}", "ID", c->id) : NULL;
	c->cb(c->data, status, out, msg);
	json_decref(out);
	free(c);
}

void swarm_object_create(struct swarm *sw, enum store_kind k, json_t *spec, swarm_done_fn cb,
			 void *data)
{
	struct error err = ERROR_INIT;
	if (swarm_check_manager(sw, &err) < 0 || validate_spec(k, spec, &err) < 0)
		return fail(cb, data, &err);
	const char *name = jstr(spec, "Name");
	if (store_object_named(&sw->store, k, name)) {
		error_set(&err, -EEXIST,
			  "rpc error: code = AlreadyExists desc = %s %s already exists",
			  store_kind_name(k), name);
		return fail(cb, data, &err);
	}
	struct create_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	c->cb = cb;
	c->data = data;
	swarm_new_id(c->id);
	json_t *obj = json_pack("{s:s, s:o}", "ID", c->id, "Spec", stored_spec(k, spec));
	if (k == STORE_SECRET)
		json_object_set(obj, "_data", json_object_get(spec, "Data"));
	swarm_write(sw, swarm_cmd(store_kind_name(k), obj), created, c);
}

static bool version_matches(json_t *obj, int64_t version)
{
	return json_integer_value(json_object_get(json_object_get(obj, "Version"), "Index")) ==
	       version;
}

/* Whether spec carries data other than obj's. */
static bool new_data(enum store_kind k, json_t *obj, json_t *spec)
{
	json_t *data = json_object_get(spec, "Data");
	const char *old = store_object_data(obj, k);
	return data && !json_is_null(data) &&
	       (!json_is_string(data) || !old || strcmp(json_string_value(data), old) != 0);
}

/* Docker takes Labels only. Berth also takes new Data: the secret or
 * config keeps its ID and name and gets a new version. */
static int update_allowed(enum store_kind k, json_t *obj, json_t *spec, struct error *err)
{
	const char *name = jstr(json_object_get(obj, "Spec"), "Name");
	if (!jstr(spec, "Name") || strcmp(jstr(spec, "Name"), name) != 0)
		return error_set(err, -EINVAL,
				 INVALID_ARGUMENT "only updates to Labels are allowed");
	return new_data(k, obj, spec) ? validate_data(k, json_object_get(spec, "Data"), err) : 0;
}

void swarm_object_update(struct swarm *sw, enum store_kind k, const char *ref, int64_t version,
			 json_t *spec, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *obj;
	if (swarm_check_manager(sw, &err) < 0 ||
	    store_find_object(&sw->store, k, ref, &obj, &err) < 0 ||
	    update_allowed(k, obj, spec, &err) < 0)
		return fail(cb, data, &err);
	if (!version_matches(obj, version)) {
		cb(data, -EINVAL, NULL, "rpc error: code = Unknown desc = update out of sequence");
		return;
	}
	bool rotate = new_data(k, obj, spec);
	json_t *copy = json_deep_copy(obj);
	json_t *s = json_object_get(copy, "Spec");
	json_t *labels = json_object_get(spec, "Labels");
	json_object_set_new(s, "Labels",
			    json_is_object(labels) ? json_deep_copy(labels) : json_object());
	if (rotate)
		json_object_set(k == STORE_SECRET ? copy : s, k == STORE_SECRET ? "_data" : "Data",
				json_object_get(spec, "Data"));
	json_t *cmd = swarm_cmd(store_kind_name(k), copy);
	/* The services that use it roll their tasks in the same entry, so that
	 * no leader change can leave new data with old files running. */
	if (rotate)
		json_object_set_new(cmd, "roll", json_true());
	swarm_write(sw, cmd, cb, data);
}

void swarm_object_rm(struct swarm *sw, enum store_kind k, const char *ref, swarm_done_fn cb,
		     void *data)
{
	struct error err = ERROR_INIT;
	json_t *obj;
	if (swarm_check_manager(sw, &err) < 0 ||
	    store_find_object(&sw->store, k, ref, &obj, &err) < 0)
		return fail(cb, data, &err);
	if (store_check_unused(&sw->store, k, obj, &err) < 0)
		return fail(cb, data, &err);
	const char *id = jstr(obj, "ID");
	char op[16];
	snprintf(op, sizeof(op), "rm_%s", store_kind_name(k));
	swarm_write(
	    sw, json_pack("{s:s, s:s, s:I}", "op", op, "id", id, "ts", (json_int_t)time_now_ns()),
	    cb, data);
}
