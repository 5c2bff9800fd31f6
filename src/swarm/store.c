/* The managers' replicated store (see store.h). */
#include "swarm/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "swarm/netkeys.h"

void store_init(struct store *s)
{
	s->cluster = NULL;
	s->nodes = json_object();
	s->secrets = json_object();
	s->configs = json_object();
	s->services = json_object();
	s->tasks = json_object();
	s->networks = json_object();
	s->index = 0;
	s->on_change = NULL;
	s->change_data = NULL;
}

void store_done(struct store *s)
{
	json_decref(s->cluster);
	json_decref(s->nodes);
	json_decref(s->secrets);
	json_decref(s->configs);
	json_decref(s->services);
	json_decref(s->tasks);
	json_decref(s->networks);
	s->cluster = s->nodes = s->secrets = s->configs = s->services = s->tasks = s->networks =
	    NULL;
}

void store_stamp(struct store *s, json_t *obj, int64_t ts_ns)
{
	s->index++;
	json_object_set_new(obj, "Version", json_pack("{s:I}", "Index", (json_int_t)s->index));
	char ts[64];
	time_format_rfc3339nano(ts_ns, ts, sizeof(ts));
	if (!json_object_get(obj, "CreatedAt"))
		json_object_set_new(obj, "CreatedAt", json_string(ts));
	json_object_set_new(obj, "UpdatedAt", json_string(ts));
}

void store_changed(struct store *s, const char *type, const char *action, json_t *obj, json_t *old,
		   int64_t ts_ns)
{
	if (s->on_change)
		s->on_change(s->change_data, type, action, obj, old, ts_ns);
}

int store_apply(struct store *s, const char *cmd, size_t len, struct error *err)
{
	json_t *c = json_loadb(cmd, len, 0, NULL);
	const char *op = json_string_value(json_object_get(c, "op"));
	json_t *v = json_object_get(c, "v");
	/* The leader's clock, so that every manager stores the same times. */
	int64_t ts = json_integer_value(json_object_get(c, "ts"));
	if (ts <= 0)
		ts = time_now_ns();
	int r = 0;
	if (!op) {
		r = error_set(err, -EINVAL, "bad store command");
	} else if (strcmp(op, "cluster") == 0 && json_is_object(v)) {
		json_t *copy = json_deep_copy(v);
		netkeys_carry(s->cluster, copy);
		store_stamp(s, copy, ts);
		json_decref(s->cluster);
		s->cluster = copy;
	} else if (strcmp(op, "node") == 0 && json_is_object(v) &&
		   json_is_string(json_object_get(v, "ID"))) {
		json_t *copy = json_deep_copy(v);
		json_t *old = json_incref(
		    json_object_get(s->nodes, json_string_value(json_object_get(v, "ID"))));
		if (old && json_object_get(old, "CreatedAt"))
			json_object_set(copy, "CreatedAt", json_object_get(old, "CreatedAt"));
		store_stamp(s, copy, ts);
		json_object_set_new(s->nodes, json_string_value(json_object_get(v, "ID")), copy);
		store_changed(s, "node", old ? "update" : "create", copy, old, ts);
		json_decref(old);
	} else if (strcmp(op, "rm_node") == 0 && json_is_string(json_object_get(c, "id"))) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *old = json_incref(json_object_get(s->nodes, id));
		s->index++;
		json_object_del(s->nodes, id);
		if (old)
			store_changed(s, "node", "remove", old, NULL, ts);
		json_decref(old);
	} else if (strcmp(op, NETKEYS_OP) == 0) {
		r = netkeys_apply(s, c, err);
	} else if (store_networks_handles(op)) {
		r = store_networks_apply(s, op, c, ts, err);
	} else if (store_secrets_handles(op)) {
		r = store_secrets_apply(s, op, c, ts, err);
	} else if ((r = store_services_apply(s, op, c, ts, err)) == -ENOTSUP) {
		r = error_set(err, -EINVAL, "unknown store command %s", op);
	}
	json_decref(c);
	return r;
}

char *store_snapshot(const struct store *s, size_t *ret_len)
{
	json_t *doc = json_pack("{s:O?, s:O, s:O, s:O, s:O, s:O, s:O, s:I}", "cluster", s->cluster,
				"nodes", s->nodes, "secrets", s->secrets, "configs", s->configs,
				"services", s->services, "tasks", s->tasks, "networks", s->networks,
				"index", (json_int_t)s->index);
	char *out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (out)
		*ret_len = strlen(out);
	return out;
}

int store_restore(struct store *s, const char *data, size_t len, struct error *err)
{
	json_t *doc = json_loadb(data, len, 0, NULL);
	json_t *nodes = json_object_get(doc, "nodes");
	if (!json_is_object(nodes)) {
		json_decref(doc);
		return error_set(err, -EINVAL, "bad store snapshot");
	}
	json_t *cluster = json_object_get(doc, "cluster");
	json_decref(s->cluster);
	json_decref(s->nodes);
	s->cluster = json_is_object(cluster) ? json_incref(cluster) : NULL;
	s->nodes = json_incref(nodes);
	/* Snapshots from before secrets, configs, services or networks lack
	 * them. */
	const char *maps[] = {"secrets", "configs", "services", "tasks", "networks"};
	json_t **dst[] = {&s->secrets, &s->configs, &s->services, &s->tasks, &s->networks};
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		json_t *m = json_object_get(doc, maps[i]);
		json_decref(*dst[i]);
		*dst[i] = json_is_object(m) ? json_incref(m) : json_object();
	}
	s->index = (uint64_t)json_integer_value(json_object_get(doc, "index"));
	json_decref(doc);
	return 0;
}

int store_find_node(const struct store *s, const char *ref, json_t **ret, struct error *err)
{
	json_t *n = ref && *ref ? json_object_get(s->nodes, ref) : NULL;
	if (n) {
		*ret = n;
		return 0;
	}
	json_t *found = NULL;
	int matches = 0;
	const char *id;
	json_t *v;
	size_t rl = ref ? strlen(ref) : 0;
	json_object_foreach(s->nodes, id, v)
	{
		const char *host = json_string_value(
		    json_object_get(json_object_get(v, "Description"), "Hostname"));
		if (rl && (strncmp(id, ref, rl) == 0 || (host && strcmp(host, ref) == 0))) {
			found = v;
			matches++;
		}
	}
	if (matches == 1) {
		*ret = found;
		return 0;
	}
	if (matches > 1)
		return error_set(err, -EINVAL, "node %s is ambiguous (%d matches found)", ref,
				 matches);
	return error_set(err, -ENOENT, "node %s not found", ref ? ref : "");
}

static void strip_private(json_t *obj)
{
	if (json_is_object(obj)) {
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(obj, tmp, k, v)
		{
			if (k[0] == '_')
				json_object_del(obj, k);
			else
				strip_private(v);
		}
	} else if (json_is_array(obj)) {
		size_t i;
		json_t *v;
		json_array_foreach(obj, i, v) strip_private(v);
	}
}

json_t *store_public(json_t *obj)
{
	json_t *copy = json_deep_copy(obj);
	strip_private(copy);
	return copy;
}
