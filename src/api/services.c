/* /services and /tasks: thin handlers over src/swarm/services.h with
 * dockerd's filters, shapes and status codes. Writes answer once Raft
 * committed them (the store's changes are the events, swarm_events.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "shared/events.h"
#include "network/network.h"
#include "orchestrator/orchestrator.h"
#include "shared/filters.h"
#include "swarm/service_spec.h"
#include "swarm/services.h"
#include "swarm/swarm_networks.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

struct sreq {
	struct http_conn *conn;
	struct daemon *d;
	int ok_status;
	char action[16];
};

static void answered(void *data, int status, json_t *result, const char *msg)
{
	struct sreq *a = data;
	if (status < 0) {
		struct error e = {status, (char *)(msg ? msg : "swarm error")};
		http_reply_err(a->conn, &e);
	} else {
		if (strcmp(a->action, "remove") == 0) {
			http_reply(a->conn, a->ok_status, NULL, NULL, 0, NULL, 0);
		} else {
			json_t *body = json_deep_copy(result);
			json_object_del(body, "Name");
			http_reply_json(a->conn, a->ok_status, body);
		}
	}
	http_conn_unref(a->conn);
	free(a);
}

static struct sreq *sreq_new(const struct api_request *ar, int ok_status, const char *action)
{
	struct sreq *a = calloc(1, sizeof(*a));
	if (!a) {
		http_reply_error(ar->conn, 500, "out of memory");
		return NULL;
	}
	a->conn = ar->conn;
	a->d = ar->d;
	a->ok_status = ok_status;
	snprintf(a->action, sizeof(a->action), "%s", action);
	http_conn_ref(ar->conn);
	return a;
}

/* As dockerd's populateNetworkID: a swarm network is named by its ID; the
 * predefined local networks, which every node has, by their names; other
 * local networks cannot be used. */
static int service_networks(const struct api_request *ar, json_t *spec, struct error *err)
{
	size_t i;
	json_t *n;
	json_t *nets = json_object_get(json_object_get(spec, "TaskTemplate"), "Networks");
	if (!json_array_size(nets))
		nets = json_object_get(spec, "Networks");
	json_array_foreach(nets, i, n)
	{
		const char *target = jstr(n, "Target");
		json_t *info = NULL;
		if (target && swarm_network_inspect(ar->d->swarm, target, &info, NULL) == 0) {
			json_object_set_new(n, "Target", json_string(jstr(info, "Id")));
			json_decref(info);
			continue;
		}
		if (!target || network_inspect_json(ar->d->networks, target, &info, NULL) < 0)
			return error_set(err, -ENOENT, "network %s not found",
					 target ? target : "");
		const char *name = jstr(info, "Name");
		bool local = name && (strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
				      strcmp(name, "none") == 0);
		if (local)
			json_object_set_new(n, "Target", json_string(name));
		else
			error_set(err, -EINVAL,
				  "The network %s cannot be used with services. Only networks "
				  "scoped to the swarm can be used, such as those created with the "
				  "overlay driver.",
				  name ? name : target);
		json_decref(info);
		if (!local)
			return -EINVAL;
	}
	return 0;
}

static void api_service_create(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	if (service_networks(ar, body, &err) < 0) {
		api_reply_err_clear(ar, &err);
		json_decref(body);
		return;
	}
	struct sreq *a = sreq_new(ar, 201, "create");
	if (a)
		swarm_service_create(ar->d->swarm, body,
				     http_request_header(ar->req, "X-Registry-Auth"), answered, a);
	json_decref(body);
}

static int64_t version_param(const struct api_request *ar)
{
	const char *v = http_request_query(ar->req, "version");
	return v && *v ? strtoll(v, NULL, 10) : -1;
}

static void api_service_update(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	const char *rb = http_request_query(ar->req, "rollback");
	bool rollback = rb && strcmp(rb, "previous") == 0;
	if (!rollback && service_networks(ar, body, &err) < 0) {
		api_reply_err_clear(ar, &err);
		json_decref(body);
		return;
	}
	struct sreq *a = sreq_new(ar, 200, "update");
	if (a) {
		struct registry_auth_opts ra = {
		    .auth = http_request_header(ar->req, "X-Registry-Auth"),
		    .from = http_request_query(ar->req, "registryAuthFrom"),
		};
		swarm_service_update(ar->d->swarm, route_param(ar->match, "id"), version_param(ar),
				     body, rollback, &ra, answered, a);
	}
	json_decref(body);
}

static void api_service_delete(const struct api_request *ar)
{
	struct sreq *a = sreq_new(ar, 200, "remove");
	if (a)
		swarm_service_rm(ar->d->swarm, route_param(ar->match, "id"), answered, a);
}

static void api_service_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *s;
	if (swarm_service(ar->d->swarm, route_param(ar->match, "id"), &s, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	if (http_request_query_bool(ar->req, "insertDefaults"))
		service_spec_insert_defaults(json_object_get(s, "Spec"));
	http_reply_json(ar->conn, 200, s);
}

static bool prefix_of_any(const struct filters *f, const char *key, const char *value)
{
	size_t n;
	const char *const *v = filters_values(f, key, &n);
	for (size_t i = 0; i < n; i++)
		if (value && strncmp(value, v[i], strlen(v[i])) == 0)
			return true;
	return n == 0;
}

static bool service_matches(json_t *s, const struct filters *f)
{
	json_t *spec = json_object_get(s, "Spec");
	return prefix_of_any(f, "id", jstr(s, "ID")) &&
	       prefix_of_any(f, "name", jstr(spec, "Name")) &&
	       filters_match_exact(f, "mode", orch_service_mode(s)) &&
	       filters_match_label(f, "label", json_object_get(spec, "Labels"));
}

static void api_service_list(const struct api_request *ar)
{
	static const char *const keys[] = {"id", "label", "mode", "name", NULL};
	struct filters *f = NULL;
	struct error err = ERROR_INIT;
	if (!api_filters_or_reply(ar, &f))
		return;
	json_t *all;
	if (filters_validate(f, keys, &err) < 0 ||
	    swarm_services(ar->d->swarm, http_request_query_bool(ar->req, "status"), &all, &err) <
		0) {
		api_reply_err_clear(ar, &err);
		filters_free(f);
		return;
	}
	json_t *out = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(all, i, s) if (service_matches(s, f)) json_array_append(out, s);
	json_decref(all);
	filters_free(f);
	http_reply_json(ar->conn, 200, out);
}

/* ---- tasks ---- */

/* Values of key resolved through lookup (a service or node name to its ID);
 * a task matches when its field is one of them. */
static bool field_in(const struct filters *f, const char *key, const char *value,
		     int (*lookup)(struct swarm *, const char *, json_t **, struct error *),
		     struct swarm *sw)
{
	size_t n;
	const char *const *v = filters_values(f, key, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *obj = NULL;
		const char *id = v[i];
		if (lookup(sw, v[i], &obj, NULL) == 0)
			id = jstr(obj, "ID");
		bool hit = value && id && strcmp(value, id) == 0;
		json_decref(obj);
		if (hit)
			return true;
	}
	return n == 0;
}

/* A task's "label" filter matches its service's labels, as SwarmKit matches
 * ServiceAnnotations (docker stack ps filters on com.docker.stack.namespace). */
static bool task_matches(struct daemon *d, json_t *t, const struct filters *f, json_t *services)
{
	json_t *svc = json_object_get(services, jstr(t, "ServiceID") ?: "");
	char name[256];
	swarm_task_name(t, jstr(json_object_get(svc, "Spec"), "Name") ?: "", name, sizeof(name));
	if (filters_has_key(f, "_up-to-date") && !swarm_task_up_to_date(d->swarm, jstr(t, "ID")))
		return false;
	return prefix_of_any(f, "id", jstr(t, "ID")) && prefix_of_any(f, "name", name) &&
	       field_in(f, "service", jstr(t, "ServiceID"), swarm_service, d->swarm) &&
	       field_in(f, "node", jstr(t, "NodeID"), swarm_node, d->swarm) &&
	       filters_match_exact(f, "desired-state", jstr(t, "DesiredState")) &&
	       filters_match_label(f, "label",
				   json_object_get(json_object_get(svc, "Spec"), "Labels"));
}

static void api_task_list(const struct api_request *ar)
{
	static const char *const keys[] = {
	    "id", "name", "service", "node", "desired-state", "label", "_up-to-date", NULL};
	struct filters *f = NULL;
	struct error err = ERROR_INIT;
	if (!api_filters_or_reply(ar, &f))
		return;
	json_t *all = NULL, *services = NULL;
	if (filters_validate(f, keys, &err) < 0 || swarm_tasks(ar->d->swarm, &all, &err) < 0 ||
	    swarm_services(ar->d->swarm, false, &services, &err) < 0) {
		json_decref(all);
		api_reply_err_clear(ar, &err);
		filters_free(f);
		return;
	}
	json_t *by_id = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(services, i, v) json_object_set(by_id, jstr(v, "ID"), v);
	json_t *out = json_array();
	json_array_foreach(all, i, v) if (task_matches(ar->d, v, f, by_id))
	    json_array_append(out, v);
	json_decref(all);
	json_decref(services);
	json_decref(by_id);
	filters_free(f);
	http_reply_json(ar->conn, 200, out);
}

static void api_task_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *t;
	if (swarm_task(ar->d->swarm, route_param(ar->match, "id"), &t, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, t);
}

static const struct route routes[] = {
    {HTTP_GET, "/services", api_service_list},
    {HTTP_POST, "/services/create", api_service_create},
    {HTTP_GET, "/services/{id}", api_service_inspect},
    {HTTP_DELETE, "/services/{id}", api_service_delete},
    {HTTP_POST, "/services/{id}/update", api_service_update},
    {HTTP_GET, "/tasks", api_task_list},
    {HTTP_GET, "/tasks/{id}", api_task_inspect},
};

const struct api_routes api_service_routes = {routes, sizeof(routes) / sizeof(routes[0])};
