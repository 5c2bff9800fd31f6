/* /networks/... endpoints: thin handlers over the network service
 * (src/network/network.h). Every handler answers the client itself. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "basic/timeutil.h"
#include "daemon/daemon.h"
#include "engine/container.h"
#include "network/network.h"
#include "shared/api_version.h"
#include "shared/filters.h"
#include "swarm/swarm_networks.h"
#include "swarm/task_networks.h"

/* A swarm write answered once Raft committed it. */
struct nreq {
	struct http_conn *conn;
	int ok_status; /* 201 answers the result, others no body */
};

static void answer(void *data, int status, json_t *result, const char *msg)
{
	struct nreq *q = data;
	if (status < 0) {
		struct error e = {status, (char *)(msg ? msg : "swarm error")};
		http_reply_err(q->conn, &e);
	} else if (q->ok_status == 201 && result) {
		http_reply_json(q->conn, 201, json_incref(result));
	} else {
		http_reply(q->conn, q->ok_status, NULL, NULL, 0, NULL, 0);
	}
	http_conn_unref(q->conn);
	free(q);
}

static struct nreq *nreq_new(const struct api_request *ar, int ok_status)
{
	struct nreq *q = calloc(1, sizeof(*q));
	if (!q) {
		http_reply_error(ar->conn, 500, "out of memory");
		return NULL;
	}
	q->conn = ar->conn;
	q->ok_status = ok_status;
	http_conn_ref(ar->conn);
	return q;
}

static void api_network_list(const struct api_request *ar)
{
	struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	json_t *out = NULL;
	if (network_list_json(ar->d->networks, f, &out, &err) < 0) {
		api_reply_err_clear(ar, &err);
	} else {
		json_t *swarm = swarm_networks_list(ar->d->swarm, f);
		/* A manager shows its local side of a swarm network once. */
		size_t i, k;
		json_t *b;
		for (i = 0; i < json_array_size(out);) {
			const char *id =
			    json_string_value(json_object_get(json_array_get(out, i), "Id"));
			bool dup = false;
			json_array_foreach(swarm, k, b) dup =
			    dup || !strcmp(id, json_string_value(json_object_get(b, "Id")));
			if (dup)
				json_array_remove(out, i);
			else
				i++;
		}
		json_array_extend(out, swarm);
		json_decref(swarm);
		http_reply_json(ar->conn, 200, out);
	}
	filters_free(f);
}

static void api_network_inspect(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	json_t *out = NULL;
	const char *id = route_param(ar->match, "id");
	const char *scope = http_request_query(ar->req, "scope");
	/* The swarm's networks first: their names are unique among both. */
	if ((!scope || !*scope || strcmp(scope, "swarm") == 0) &&
	    swarm_network_inspect(ar->d->swarm, id, &out, &err) == 0) {
		http_reply_json(ar->conn, 200, out);
		return;
	}
	error_clear(&err);
	if (network_inspect_json(ar->d->networks, id, &out, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	/* dockerd looks only among the networks of the scope asked for. The
	 * predefined networks are found for "swarm" too: the docker CLI resolves
	 * a service's --network with that scope, and services run on bridge,
	 * host and none until overlay networks exist. */
	const char *its = json_string_value(json_object_get(out, "Scope"));
	const char *name = json_string_value(json_object_get(out, "Name"));
	bool predefined = name && (strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
				   strcmp(name, "none") == 0);
	if (scope && *scope && (!its || strcmp(scope, its) != 0) &&
	    !(predefined && strcmp(scope, "swarm") == 0)) {
		json_decref(out);
		http_reply_error(ar->conn, 404, "network %s not found", id);
		return;
	}
	http_reply_json(ar->conn, 200, out);
}

static void api_network_create(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	char *id = NULL, *warning = NULL;
	const char *name = json_string_value(json_object_get(body, "Name"));
	const char *driver = json_string_value(json_object_get(body, "Driver"));
	/* As dockerd: a name of the swarm's is taken for local networks too,
	 * and the other way round. */
	if (name && (swarm_network_name_taken(ar->d->swarm, name) ||
		     (driver && strcmp(driver, "overlay") == 0 &&
		      network_name_exists(ar->d->networks, name)))) {
		http_reply_error(ar->conn, 409, "network with name %s already exists", name);
		json_decref(body);
		return;
	}
	if (driver && strcmp(driver, "overlay") == 0) {
		struct swarm *sw = ar->d->swarm;
		struct nreq *q;
		if (!sw->manager || sw->state == SWARM_INACTIVE)
			http_reply_error(ar->conn, 403, "%s", SWARM_INACTIVE_MSG);
		else if ((q = nreq_new(ar, 201)))
			swarm_network_create(sw, body, answer, q);
		json_decref(body);
		return;
	}
	/* API 1.44 made CheckDuplicate always true. */
	bool check = json_is_true(json_object_get(body, "CheckDuplicate")) || !ar->version ||
		     api_version_compare(ar->version, "1.44") >= 0;
	if (network_create(ar->d->networks, body, check, &id, &warning, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply_json(
		    ar->conn, 201,
		    json_pack("{s:s, s:s}", "Id", id, "Warning", warning ? warning : ""));
	free(id);
	free(warning);
	json_decref(body);
}

static void api_network_delete(const struct api_request *ar)
{
	struct error err = ERROR_INIT;
	const char *ref = route_param(ar->match, "id");
	int r = network_remove(ar->d->networks, ref, &err);
	if (r == -ENOENT && swarm_networks_served(ar->d->swarm)) {
		struct nreq *q = nreq_new(ar, 204);
		error_clear(&err);
		if (q)
			swarm_network_rm(ar->d->swarm, ref, answer, q);
	} else if (r < 0) {
		api_reply_err_clear(ar, &err);
	} else {
		http_reply(ar->conn, 204, NULL, NULL, 0, NULL, 0);
	}
}

/* docker network connect to a swarm network: an address from the leader,
 * the network wired on this node, then the container joins its local side
 * with that address. */
struct connect_req {
	struct daemon *d;
	struct http_conn *conn;
	json_t *body;
};

static void attached_connect(void *data, int status, json_t *result, const char *msg)
{
	struct connect_req *q = data;
	struct error err = ERROR_INIT;
	if (status < 0) {
		struct error e = {status, (char *)(msg ? msg : "swarm error")};
		http_reply_err(q->conn, &e);
	} else {
		json_t *epcfg = json_deep_copy(json_object_get(q->body, "EndpointConfig"));
		if (!json_is_object(epcfg)) {
			json_decref(epcfg);
			epcfg = json_object();
		}
		json_t *ipam = json_object_get(epcfg, "IPAMConfig");
		if (!json_is_object(ipam))
			json_object_set_new(epcfg, "IPAMConfig", ipam = json_object());
		const char *want = json_string_value(json_object_get(ipam, "IPv4Address"));
		bool asked = want && *want;
		json_object_set(ipam, "IPv4Address", json_object_get(result, "IP"));
		json_object_set_new(epcfg, "SwarmAttachment",
				    json_pack("{s:O, s:b}", "Owner",
					      json_object_get(result, "Owner"), "IPAMOperational",
					      !asked));
		/* A failure leaves the address unused here: the agent gives it
		 * back. */
		if (network_connect(
			q->d->networks, json_string_value(json_object_get(result, "ID")),
			json_string_value(json_object_get(q->body, "Container")), epcfg, &err) < 0)
			http_reply_err(q->conn, &err);
		else
			http_reply(q->conn, 200, NULL, NULL, 0, NULL, 0);
		error_clear(&err);
		json_decref(epcfg);
	}
	http_conn_unref(q->conn);
	json_decref(q->body);
	free(q);
}

static void connect_swarm(const struct api_request *ar, const char *ref, json_t *body)
{
	struct container *c;
	struct error err = ERROR_INIT;
	if (containers_lookup(ar->d->containers,
			      json_string_value(json_object_get(body, "Container")) ?: "", &c,
			      &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	struct connect_req *q = calloc(1, sizeof(*q));
	if (!q) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	q->d = ar->d;
	q->conn = ar->conn;
	http_conn_ref(ar->conn);
	q->body = json_incref(body);
	json_t *epc = json_object_get(body, "EndpointConfig");
	json_t *ipam = json_object_get(epc, "IPAMConfig");
	swarm_attach(ar->d->swarm, ref, c->name + 1,
		     json_string_value(json_object_get(ipam, "IPv4Address")),
		     json_object_get(epc, "Aliases"), NULL, attached_connect, q);
}

static void api_network_connect(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	const char *ref = route_param(ar->match, "id");
	if (swarm_attach_target(ar->d->swarm, ref)) {
		connect_swarm(ar, ref, body);
		json_decref(body);
		return;
	}
	struct error err = ERROR_INIT;
	const char *c = json_string_value(json_object_get(body, "Container"));
	if (network_connect(ar->d->networks, route_param(ar->match, "id"), c ? c : "",
			    json_object_get(body, "EndpointConfig"), &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	json_decref(body);
}

static void api_network_disconnect(const struct api_request *ar)
{
	json_t *body = api_json_body_or_reply(ar);
	if (!body)
		return;
	struct error err = ERROR_INIT;
	const char *c = json_string_value(json_object_get(body, "Container"));
	if (network_disconnect(ar->d->networks, route_param(ar->match, "id"), c ? c : "",
			       json_is_true(json_object_get(body, "Force")), &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	json_decref(body);
}

/* As dockerd: a manager prunes the swarm's networks first, then the local
 * ones. */
struct prune_req {
	struct daemon *d;
	struct http_conn *conn;
	struct filters *f;
};

static void swarm_pruned(void *data, int status, json_t *names, const char *msg)
{
	struct prune_req *q = data;
	struct error err = ERROR_INIT;
	json_t *local = NULL;
	if (network_prune(q->d->networks, q->f, &local, &err) < 0) {
		http_reply_err(q->conn, &err);
		error_clear(&err);
	} else {
		json_t *deleted = json_array();
		json_array_extend(deleted, names);
		json_array_extend(deleted, local);
		json_decref(local);
		http_reply_json(q->conn, 200, json_pack("{s:o}", "NetworksDeleted", deleted));
	}
	http_conn_unref(q->conn);
	filters_free(q->f);
	free(q);
}

static void api_network_prune(const struct api_request *ar)
{
	static const char *const keys[] = {"label", "label!", "until", NULL};
	struct filters *f = NULL;
	if (!api_filters_or_reply(ar, &f))
		return;
	struct error err = ERROR_INIT;
	struct prune_req *q = NULL;
	int64_t until;
	/* A bad filter is refused before the swarm's networks are pruned. */
	if (filters_validate(f, keys, &err) < 0 ||
	    filters_get_until(f, time_now_ns(), &until, &err) < 0) {
		api_reply_err_clear(ar, &err);
	} else if (!(q = calloc(1, sizeof(*q)))) {
		http_reply_error(ar->conn, 500, "out of memory");
	} else {
		*q = (struct prune_req){ar->d, ar->conn, f};
		http_conn_ref(ar->conn);
		swarm_networks_prune(ar->d->swarm, f, swarm_pruned, q);
		return;
	}
	filters_free(f);
}

static const struct route routes[] = {
    {HTTP_GET, "/networks", api_network_list},
    {HTTP_POST, "/networks/create", api_network_create},
    {HTTP_POST, "/networks/prune", api_network_prune},
    {HTTP_GET, "/networks/{id}", api_network_inspect},
    {HTTP_DELETE, "/networks/{id}", api_network_delete},
    {HTTP_POST, "/networks/{id}/connect", api_network_connect},
    {HTTP_POST, "/networks/{id}/disconnect", api_network_disconnect},
};

const struct api_routes api_network_routes = {routes, sizeof(routes) / sizeof(routes[0])};
