/* The store's changes as dockerd's cluster events (type node, service,
 * network, secret or config; scope swarm), published by every manager as
 * it applies the log, with the attributes dockerd adds to updates. */
#include <stdio.h>
#include <string.h>

#include "basic/timeutil.h"
#include "shared/events.h"
#include "swarm/swarm_int.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *jpath(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

/* Adds KEY.old and KEY.new when the two differ. */
static void changed_attr(json_t *attrs, const char *key, const char *old, const char *now)
{
	if (!old || !now || strcmp(old, now) == 0)
		return;
	char k[64];
	snprintf(k, sizeof(k), "%s.old", key);
	json_object_set_new(attrs, k, json_string(old));
	snprintf(k, sizeof(k), "%s.new", key);
	json_object_set_new(attrs, k, json_string(now));
}

static void node_attrs(json_t *attrs, json_t *node, json_t *old)
{
	const char *name = jstr(json_object_get(node, "Spec"), "Name");
	if (!name || !*name)
		name = jstr(json_object_get(node, "Description"), "Hostname");
	json_object_set_new(attrs, "name", json_string(name ? name : ""));
	if (!old)
		return;
	changed_attr(attrs, "availability", json_string_value(jpath(old, "Spec", "Availability")),
		     json_string_value(jpath(node, "Spec", "Availability")));
	changed_attr(attrs, "role", json_string_value(jpath(old, "Spec", "Role")),
		     json_string_value(jpath(node, "Spec", "Role")));
	changed_attr(attrs, "state", json_string_value(jpath(old, "Status", "State")),
		     json_string_value(jpath(node, "Status", "State")));
	changed_attr(attrs, "reachability",
		     json_string_value(jpath(old, "ManagerStatus", "Reachability")),
		     json_string_value(jpath(node, "ManagerStatus", "Reachability")));
}

static const char *service_image(json_t *svc)
{
	json_t *tt = jpath(svc, "Spec", "TaskTemplate");
	return jstr(json_object_get(tt, "ContainerSpec"), "Image");
}

static json_t *service_replicas(json_t *svc)
{
	return json_object_get(json_object_get(jpath(svc, "Spec", "Mode"), "Replicated"),
			       "Replicas");
}

static void service_attrs(json_t *attrs, json_t *svc, json_t *old)
{
	json_object_set_new(attrs, "name",
			    json_string(jstr(json_object_get(svc, "Spec"), "Name") ?: ""));
	if (!old)
		return;
	changed_attr(attrs, "image", service_image(old), service_image(svc));
	json_t *r = service_replicas(svc), *was = service_replicas(old);
	if (json_is_integer(r) && json_is_integer(was) &&
	    json_integer_value(r) != json_integer_value(was)) {
		json_object_set_new(attrs, "replicas.old",
				    json_sprintf("%lld", (long long)json_integer_value(was)));
		json_object_set_new(attrs, "replicas.new",
				    json_sprintf("%lld", (long long)json_integer_value(r)));
	}
	const char *state = json_string_value(jpath(svc, "UpdateStatus", "State"));
	const char *before = json_string_value(jpath(old, "UpdateStatus", "State"));
	if (state && !before)
		json_object_set_new(attrs, "updatestate.new", json_string(state));
	else
		changed_attr(attrs, "updatestate", before, state);
}

static void on_store_change(void *userdata, const char *type, const char *action, json_t *obj,
			    json_t *old, int64_t ts_ns)
{
	struct swarm *sw = userdata;
	if (ts_ns < sw->events_since_ns || !sw->deps.events)
		return;
	json_t *attrs = json_object();
	if (!attrs)
		return;
	if (strcmp(type, "node") == 0)
		node_attrs(attrs, obj, old);
	else if (strcmp(type, "service") == 0)
		service_attrs(attrs, obj, old);
	else
		json_object_set_new(attrs, "name",
				    json_string(jstr(json_object_get(obj, "Spec"), "Name") ?: ""));
	event_log_publish_at(sw->deps.events, ts_ns, type, action, jstr(obj, "ID"), attrs, "swarm");
}

void swarm_objects_events_from_now(struct swarm *sw)
{
	sw->events_since_ns = time_now_ns();
	sw->store.on_change = on_store_change;
	sw->store.change_data = sw;
}
