/* Secrets and configs in the replicated store (see store_secrets.h). */
#include "swarm/store_secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/store.h"

const char *store_kind_name(enum store_kind k)
{
	return k == STORE_SECRET ? "secret" : "config";
}

json_t *store_objects(const struct store *s, enum store_kind k)
{
	return k == STORE_SECRET ? s->secrets : s->configs;
}

static const char *name_of(json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "Spec"), "Name"));
}

json_t *store_object_named(const struct store *s, enum store_kind k, const char *name)
{
	const char *id;
	json_t *v;
	json_object_foreach(store_objects(s, k), id, v)
	{
		const char *n = name_of(v);
		if (n && name && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

const char *store_object_data(json_t *obj, enum store_kind k)
{
	json_t *data = k == STORE_SECRET ? json_object_get(obj, "_data")
					 : json_object_get(json_object_get(obj, "Spec"), "Data");
	return json_string_value(data);
}

bool store_secrets_handles(const char *op)
{
	static const char *const ops[] = {"secret", "config", "rm_secret", "rm_config"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			return true;
	return false;
}

static void changed(struct store *s, enum store_kind k, const char *action, json_t *obj,
		    json_t *old, int64_t ts)
{
	if (s->on_change)
		s->on_change(s->change_data, store_kind_name(k), action, obj, old, ts);
}

static bool uses(json_t *svc, enum store_kind k, const char *id)
{
	json_t *cs = json_object_get(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"),
				     "ContainerSpec");
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(cs, k == STORE_SECRET ? "Secrets" : "Configs"), i, ref)
	{
		const char *rid = json_string_value(
		    json_object_get(ref, k == STORE_SECRET ? "SecretID" : "ConfigID"));
		if (id && rid && strcmp(rid, id) == 0)
			return true;
	}
	return false;
}

static bool is_job(json_t *svc)
{
	json_t *m = json_object_get(json_object_get(svc, "Spec"), "Mode");
	return json_object_get(m, "ReplicatedJob") || json_object_get(m, "GlobalJob");
}

/* A job is not run again for new data: its tasks that are still to start
 * get it anyway. */
static void roll_users(struct store *s, enum store_kind k, const char *id, int64_t ts)
{
	json_t *ids = json_array();
	const char *sid;
	json_t *svc;
	json_object_foreach(s->services, sid, svc)
	{
		if (uses(svc, k, id) && !is_job(svc))
			json_array_append_new(ids, json_string(sid));
	}
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) store_service_force_update(s, json_string_value(v), ts);
	json_decref(ids);
}

static int put(struct store *s, enum store_kind k, json_t *v, bool roll, int64_t ts,
	       struct error *err)
{
	const char *id = json_string_value(json_object_get(v, "ID"));
	const char *name = name_of(v);
	if (!id || !name)
		return error_set(err, -EINVAL, "bad %s command", store_kind_name(k));
	json_t *map = store_objects(s, k);
	json_t *old = json_object_get(map, id);
	json_t *same_name = store_object_named(s, k, name);
	if (same_name && same_name != old)
		return error_set(err, -EEXIST, "%s %s already exists", store_kind_name(k), name);
	json_t *copy = json_deep_copy(v);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	if (old && json_object_get(old, "CreatedAt"))
		json_object_set(copy, "CreatedAt", json_object_get(old, "CreatedAt"));
	store_stamp(s, copy, ts);
	json_incref(old);
	json_object_set_new(map, id, copy);
	changed(s, k, old ? "update" : "create", copy, old, ts);
	if (roll && old)
		roll_users(s, k, id, ts);
	json_decref(old);
	return 0;
}

static void rm(struct store *s, enum store_kind k, const char *id, int64_t ts)
{
	json_t *map = store_objects(s, k);
	json_t *old = json_incref(json_object_get(map, id));
	s->index++;
	if (old) {
		json_object_del(map, id);
		changed(s, k, "remove", old, NULL, ts);
	}
	json_decref(old);
}

int store_secrets_apply(struct store *s, const char *op, json_t *cmd, int64_t ts_ns,
			struct error *err)
{
	bool removal = strncmp(op, "rm_", 3) == 0;
	enum store_kind k =
	    strcmp(removal ? op + 3 : op, "secret") == 0 ? STORE_SECRET : STORE_CONFIG;
	if (!removal) {
		json_t *v = json_object_get(cmd, "v");
		return json_is_object(v)
			   ? put(s, k, v, json_is_true(json_object_get(cmd, "roll")), ts_ns, err)
			   : error_set(err, -EINVAL, "bad %s command", op);
	}
	const char *id = json_string_value(json_object_get(cmd, "id"));
	if (!id)
		return error_set(err, -EINVAL, "bad %s command", op);
	rm(s, k, id, ts_ns);
	return 0;
}

/* The names of the services whose tasks refer to the secret or config id. */
static json_t *services_using(const struct store *s, enum store_kind k, const char *id)
{
	json_t *names = json_array();
	const char *sid;
	json_t *svc;
	json_object_foreach(s->services, sid, svc)
	{
		if (uses(svc, k, id))
			json_array_append(names,
					  json_object_get(json_object_get(svc, "Spec"), "Name"));
	}
	return names;
}

int store_check_unused(const struct store *s, enum store_kind k, json_t *obj, struct error *err)
{
	json_t *users = services_using(s, k, json_string_value(json_object_get(obj, "ID")));
	size_t n = json_array_size(users);
	if (n == 0) {
		json_decref(users);
		return 0;
	}
	char *names = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&names, &len);
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
	{
		if (f)
			fprintf(f, "%s%s", i ? ", " : "", json_string_value(u));
	}
	if (f)
		fclose(f);
	json_decref(users);
	int r = error_set(err, -EINVAL,
			  "rpc error: code = InvalidArgument desc = %s '%s' is in use by the "
			  "following %s: %s",
			  store_kind_name(k), name_of(obj) ? name_of(obj) : "",
			  n == 1 ? "service" : "services", names ? names : "");
	free(names);
	return r;
}

int store_find_object(const struct store *s, enum store_kind k, const char *ref, json_t **ret,
		      struct error *err)
{
	json_t *map = store_objects(s, k);
	json_t *hit = ref && *ref ? json_object_get(map, ref) : NULL;
	if (!hit)
		hit = store_object_named(s, k, ref);
	if (hit) {
		*ret = hit;
		return 0;
	}
	size_t rl = ref ? strlen(ref) : 0, matches = 0;
	const char *id;
	json_t *v;
	json_object_foreach(map, id, v)
	{
		if (rl && strncmp(id, ref, rl) == 0) {
			hit = v;
			matches++;
		}
	}
	if (matches == 1) {
		*ret = hit;
		return 0;
	}
	if (matches > 1)
		return error_set(err, -EINVAL, "%s %s is ambiguous (%zu matches found)",
				 store_kind_name(k), ref, matches);
	return error_set(err, -ENOENT, "%s %s not found", store_kind_name(k), ref ? ref : "");
}
