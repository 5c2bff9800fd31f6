/* /swarm and /nodes: thin handlers over src/swarm/swarm.h, answering with
 * dockerd's shapes and messages. Writes answer once Raft committed them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "shared/filters.h"
#include "swarm/swarm.h"

struct areq {
	struct http_conn *conn;
	int ok_status;
	bool node_id_body; /* init answers the node ID */
};

static void answer(void *data, int status, json_t *result, const char *msg)
{
	struct areq *a = data;
	if (status < 0) {
		struct error e = {status, (char *)(msg ? msg : "swarm error")};
		http_reply_err(a->conn, &e);
	} else if (a->node_id_body && result) {
		char *text = json_dumps(result, JSON_ENCODE_ANY);
		http_reply(a->conn, a->ok_status, "application/json", NULL, 0, text,
			   text ? strlen(text) : 0);
		free(text);
	} else {
		http_reply(a->conn, a->ok_status, NULL, NULL, 0, NULL, 0);
	}
	http_conn_unref(a->conn);
	free(a);
}

static struct areq *areq_new(const struct api_request *ar, int ok_status)
{
	struct areq *a = calloc(1, sizeof(*a));
	if (!a) {
		http_reply_error(ar->conn, 500, "out of memory");
		return NULL;
	}
	a->conn = ar->conn;
	a->ok_status = ok_status;
	http_conn_ref(ar->conn);
	return a;
}

static json_t *body_or_reply(const struct api_request *ar)
{
	json_error_t jerr;
	json_t *body = ar->req->body_len ? json_loadb(ar->req->body, ar->req->body_len, 0, &jerr)
					 : json_object();
	if (!json_is_object(body)) {
		json_decref(body);
		http_reply_error(ar->conn, 400, "invalid JSON: %s",
				 ar->req->body_len ? jerr.text : "empty body");
		return NULL;
	}
	return body;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The data path address is checked before anything is made. */
static bool data_path_ok_or_reply(const struct api_request *ar, json_t *body)
{
	struct error err = ERROR_INIT;
	if (swarm_check_data_path_addr(jstr(body, "DataPathAddr"), NULL, &err) == 0)
		return true;
	http_reply_err(ar->conn, &err);
	error_clear(&err);
	json_decref(body);
	return false;
}

static void api_swarm_init(const struct api_request *ar)
{
	json_t *body = body_or_reply(ar);
	if (!body || !data_path_ok_or_reply(ar, body))
		return;
	struct swarm_init_req r = {
	    .listen_addr = jstr(body, "ListenAddr"),
	    .advertise_addr = jstr(body, "AdvertiseAddr"),
	    .force_new_cluster = json_is_true(json_object_get(body, "ForceNewCluster")),
	    .autolock = json_is_true(json_object_get(body, "AutoLockManagers")),
	    .spec = json_object_get(body, "Spec"),
	    .availability = jstr(body, "Availability"),
	    .default_addr_pool = json_object_get(body, "DefaultAddrPool"),
	    .subnet_size = (uint32_t)json_integer_value(json_object_get(body, "SubnetSize")),
	    .data_path_port = (uint32_t)json_integer_value(json_object_get(body, "DataPathPort")),
	    .data_path_addr = jstr(body, "DataPathAddr"),
	};
	struct areq *a = areq_new(ar, 200);
	if (a) {
		a->node_id_body = true;
		swarm_init(ar->d->swarm, &r, answer, a);
	}
	json_decref(body);
}

static void api_swarm_join(const struct api_request *ar)
{
	json_t *body = body_or_reply(ar);
	if (!body || !data_path_ok_or_reply(ar, body))
		return;
	json_t *remotes = json_object_get(body, "RemoteAddrs");
	struct swarm_join_req r = {
	    .listen_addr = jstr(body, "ListenAddr"),
	    .advertise_addr = jstr(body, "AdvertiseAddr"),
	    .remote = json_string_value(json_array_get(remotes, 0)),
	    .token = jstr(body, "JoinToken"),
	    .availability = jstr(body, "Availability"),
	    .data_path_addr = jstr(body, "DataPathAddr"),
	};
	struct areq *a = areq_new(ar, 200);
	if (a)
		swarm_join(ar->d->swarm, &r, answer, a);
	json_decref(body);
}

static void api_swarm_leave(const struct api_request *ar)
{
	struct areq *a = areq_new(ar, 200);
	if (a)
		swarm_leave(ar->d->swarm, http_request_query_bool(ar->req, "force"), answer, a);
}

static void api_swarm_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *c;
	if (swarm_inspect(ar->d->swarm, &c, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, c);
}

static int64_t version_param(const struct api_request *ar)
{
	const char *v = http_request_query(ar->req, "version");
	return v && *v ? strtoll(v, NULL, 10) : -1;
}

static void api_swarm_update(const struct api_request *ar)
{
	json_t *body = body_or_reply(ar);
	if (!body)
		return;
	struct areq *a = areq_new(ar, 200);
	if (a)
		swarm_update(ar->d->swarm, version_param(ar), body,
			     http_request_query_bool(ar->req, "rotateWorkerToken"),
			     http_request_query_bool(ar->req, "rotateManagerToken"),
			     http_request_query_bool(ar->req, "rotateManagerUnlockKey"), answer, a);
	json_decref(body);
}

static void api_swarm_unlockkey(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	char *key = NULL;
	if (swarm_unlock_key(ar->d->swarm, &key, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, json_pack("{s:s}", "UnlockKey", key));
	free(key);
}

static void api_swarm_unlock(const struct api_request *ar)
{
	json_t *body = body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	if (swarm_unlock(ar->d->swarm, jstr(body, "UnlockKey"), &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	json_decref(body);
}

/* ---- nodes ---- */

/* dockerd's node filters: id (prefix), name (substring of the hostname), role,
 * membership, node.label. */
static bool name_matches(const struct filters *f, const char *host)
{
	size_t n;
	const char *const *v = filters_values(f, "name", &n);
	for (size_t i = 0; i < n; i++)
		if (host && strstr(host, v[i]))
			return true;
	return n == 0;
}

static bool node_matches(json_t *n, const struct filters *f)
{
	json_t *spec = json_object_get(n, "Spec");
	return filters_match_fuzzy(f, "id", jstr(n, "ID")) &&
	       name_matches(f, jstr(json_object_get(n, "Description"), "Hostname")) &&
	       filters_match_exact(f, "role", jstr(spec, "Role")) &&
	       filters_match_exact(f, "membership", "accepted") &&
	       filters_match_label(f, "node.label", json_object_get(spec, "Labels"));
}

static void api_node_list(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	struct filters *f = NULL;
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	json_t *nodes;
	if (swarm_nodes(ar->d->swarm, &nodes, &err) < 0) {
		api_reply_err_clear(ar, &err);
		filters_free(f);
		return;
	}
	json_t *out = json_array();
	size_t i;
	json_t *n;
	json_array_foreach(nodes, i, n) if (node_matches(n, f)) json_array_append(out, n);
	json_decref(nodes);
	filters_free(f);
	http_reply_json(ar->conn, 200, out);
}

static void api_node_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *n;
	if (swarm_node(ar->d->swarm, route_param(ar->match, "id"), &n, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(ar->conn, 200, n);
}

static void api_node_delete(const struct api_request *ar)
{
	struct areq *a = areq_new(ar, 200);
	if (a)
		swarm_node_rm(ar->d->swarm, route_param(ar->match, "id"),
			      http_request_query_bool(ar->req, "force"), answer, a);
}

static void api_node_update(const struct api_request *ar)
{
	json_t *body = body_or_reply(ar);
	if (!body)
		return;
	struct areq *a = areq_new(ar, 200);
	if (a)
		swarm_node_update(ar->d->swarm, route_param(ar->match, "id"), version_param(ar),
				  body, answer, a);
	json_decref(body);
}

static const struct route routes[] = {
    {HTTP_GET, "/swarm", api_swarm_inspect},
    {HTTP_POST, "/swarm/init", api_swarm_init},
    {HTTP_POST, "/swarm/join", api_swarm_join},
    {HTTP_POST, "/swarm/leave", api_swarm_leave},
    {HTTP_POST, "/swarm/update", api_swarm_update},
    {HTTP_GET, "/swarm/unlockkey", api_swarm_unlockkey},
    {HTTP_POST, "/swarm/unlock", api_swarm_unlock},
    {HTTP_GET, "/nodes", api_node_list},
    {HTTP_GET, "/nodes/{id}", api_node_inspect},
    {HTTP_DELETE, "/nodes/{id}", api_node_delete},
    {HTTP_POST, "/nodes/{id}/update", api_node_update},
};

const struct api_routes api_swarm_routes = {routes, sizeof(routes) / sizeof(routes[0])};
