/* /containers/... endpoints: create, start, stop, restart, kill, wait,
 * delete, list and inspect, over the container engine
 * (src/engine/container.h). Logs and attach live in containers_io.c.
 * Every handler answers the client itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/containers_admin.h"
#include "api/containers_io.h"
#include "api/http_sink.h"
#include "basic/buf.h"
#include "basic/cleanup.h"
#include "engine/container_links.h"
#include "engine/container.h"
#include "daemon/daemon.h"
#include "shared/filters.h"
#include "swarm/task_networks.h"

/* Finds the {id} of the route; false after replying 404. */
bool api_container_or_reply(const struct api_request *ar, struct container **ret)
{
	struct error err = ERROR_INIT;
	if (containers_lookup(ar->d->containers, route_param(ar->match, "id"), ret, &err) == 0)
		return true;
	api_reply_err_clear(ar, &err);
	return false;
}

static bool check_json_or_reply(const struct api_request *ar)
{
	const char *ct = http_request_header(ar->req, "Content-Type");
	if ((!ct || !*ct) && ar->req->body_len == 0)
		return true;
	if (ct && strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' '))
		return true;
	http_reply_error(ar->conn, 400, "Content-Type specified (%s) must be 'application/json'",
			 ct ? ct : "");
	return false;
}

static void create_and_reply(struct daemon *d, struct http_conn *conn, const char *name,
			     json_t *body)
{
	struct error err = ERROR_INIT;
	struct container *c = NULL;
	json_t *warnings = json_array();
	if (container_create(d->containers, name, body, &c, warnings, &err) < 0) {
		json_decref(warnings);
		http_reply_err(conn, &err);
		error_clear(&err);
	} else {
		http_reply_json(conn, 201,
				json_pack("{s:s, s:o}", "Id", c->id, "Warnings", warnings));
	}
}

/* A container on an attachable swarm network: its address comes from the
 * leader first (src/swarm/attach.c), then it is created as on any user
 * network, with that address. */
struct attach_req {
	struct daemon *d;
	struct http_conn *conn;
	json_t *body;
	char *name;
	char ref[256];
};

static void attach_req_free(struct attach_req *q)
{
	http_conn_unref(q->conn);
	json_decref(q->body);
	free(q->name);
	free(q);
}

static void attached_create(void *data, int status, json_t *result, const char *msg)
{
	struct attach_req *q = data;
	if (status < 0) {
		/* Not 404: the docker CLI would take it for a missing image. */
		struct error e = {status == -ENOENT ? -EINVAL : status,
				  (char *)(msg ? msg : "swarm error")};
		http_reply_err(q->conn, &e);
		attach_req_free(q);
		return;
	}
	const char *id = json_string_value(json_object_get(result, "ID"));
	json_t *hc = json_object_get(q->body, "HostConfig");
	json_t *nc = json_object_get(q->body, "NetworkingConfig");
	if (!json_is_object(nc)) {
		nc = json_object();
		json_object_set_new(q->body, "NetworkingConfig", nc);
	}
	json_t *eps = json_object_get(nc, "EndpointsConfig");
	if (!json_is_object(eps)) {
		eps = json_object();
		json_object_set_new(nc, "EndpointsConfig", eps);
	}
	json_t *ep = json_deep_copy(json_object_get(eps, q->ref));
	if (!json_is_object(ep)) {
		json_decref(ep);
		ep = json_object();
	}
	const char *want =
	    json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv4Address"));
	bool asked = want && *want;
	json_object_set_new(ep, "IPAMConfig",
			    json_pack("{s:O}", "IPv4Address", json_object_get(result, "IP")));
	json_object_set_new(ep, "SwarmAttachment",
			    json_pack("{s:O, s:b}", "Owner", json_object_get(result, "Owner"),
				      "IPAMOperational", !asked));
	json_object_del(eps, q->ref);
	json_object_set_new(eps, id, ep);
	json_object_set_new(hc, "NetworkMode", json_string(id));
	create_and_reply(q->d, q->conn, q->name, q->body);
	attach_req_free(q);
}

static void attach_then_create(const struct api_request *ar, json_t *body, const char *ref)
{
	struct attach_req *q = calloc(1, sizeof(*q));
	const char *name = http_request_query(ar->req, "name");
	if (!q || (name && !(q->name = strdup(name)))) {
		free(q);
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	q->d = ar->d;
	q->conn = ar->conn;
	http_conn_ref(ar->conn);
	q->body = json_incref(body);
	snprintf(q->ref, sizeof(q->ref), "%s", ref);
	json_t *epc = json_object_get(
	    json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig"), ref);
	json_t *want = json_object_get(epc, "IPAMConfig");
	swarm_attach(ar->d->swarm, q->ref, name,
		     json_string_value(json_object_get(want, "IPv4Address")),
		     json_object_get(epc, "Aliases"), NULL, attached_create, q);
}

static void api_container_create(const struct api_request *ar)
{
	if (!check_json_or_reply(ar))
		return;
	json_error_t jerr;
	json_t *body =
	    ar->req->body_len ? json_loadb(ar->req->body, ar->req->body_len, 0, &jerr) : NULL;
	if (!json_is_object(body)) {
		char why[512];
		http_reply_error(ar->conn, 400, "%s",
				 ar->req->body_len
				     ? api_json_problem(&jerr, body, why, sizeof(why))
				     : "Config cannot be empty in order to create a container");
		json_decref(body);
		return;
	}
	const char *ref = NULL;
	if (swarm_attach_wanted(ar->d->swarm, body, &ref)) {
		attach_then_create(ar, body, ref);
		json_decref(body);
		return;
	}
	create_and_reply(ar->d, ar->conn, http_request_query(ar->req, "name"), body);
	json_decref(body);
}

/* Answers an asynchronous operation: 204, 304 for "nothing to do", or the
 * error; then lets go of the connection. */
static void op_reply(int r, const struct error *err, void *userdata)
{
	struct http_conn *conn = userdata;
	if (r < 0)
		http_reply_err(conn, err);
	else
		http_reply(conn, r == 1 ? 304 : 204, NULL, NULL, 0, NULL, 0);
	http_conn_unref(conn);
}

static void api_container_start(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	http_conn_ref(ar->conn);
	container_start_manual(ar->d->containers, c, op_reply, ar->conn);
}

/* ?t=: seconds, or -1 (absent) for the container's own timeout. */
static bool timeout_or_reply(const struct api_request *ar, int *ret)
{
	const char *t = http_request_query(ar->req, "t");
	*ret = -1;
	if (!t || !*t)
		return true;
	char *end;
	long v = strtol(t, &end, 10);
	if (*end || v < -1 || v > 1000000) {
		http_reply_error(ar->conn, 400, "invalid value for t: %s", t);
		return false;
	}
	*ret = (int)v;
	return true;
}

static void api_container_stop(const struct api_request *ar)
{
	struct container *c;
	int t;
	if (!api_container_or_reply(ar, &c) || !timeout_or_reply(ar, &t))
		return;
	http_conn_ref(ar->conn);
	container_stop(ar->d->containers, c, t, http_request_query(ar->req, "signal"), op_reply,
		       ar->conn);
}

struct restart_req {
	struct daemon *d;
	char id[65];
	struct http_conn *conn;
};

static void restart_stopped(int r, const struct error *err, void *userdata)
{
	struct restart_req *rr = userdata;
	struct container *c = NULL;
	struct error e2 = ERROR_INIT;
	if (r < 0) {
		op_reply(r, err, rr->conn);
	} else if (containers_lookup(rr->d->containers, rr->id, &c, &e2) < 0) {
		op_reply(e2.code, &e2, rr->conn);
	} else {
		container_start_manual(rr->d->containers, c, op_reply, rr->conn);
		rr->conn = NULL;
	}
	error_clear(&e2);
	free(rr);
}

static void api_container_restart(const struct api_request *ar)
{
	struct container *c;
	int t;
	if (!api_container_or_reply(ar, &c) || !timeout_or_reply(ar, &t))
		return;
	struct restart_req *rr = calloc(1, sizeof(*rr));
	if (!rr) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*rr = (struct restart_req){.d = ar->d, .conn = ar->conn};
	memcpy(rr->id, c->id, sizeof(rr->id));
	http_conn_ref(ar->conn);
	container_stop(ar->d->containers, c, t, http_request_query(ar->req, "signal"),
		       restart_stopped, rr);
}

static void api_container_kill(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	http_conn_ref(ar->conn);
	container_kill(ar->d->containers, c, http_request_query(ar->req, "signal"), op_reply,
		       ar->conn);
}

struct update_req {
	struct http_conn *conn;
	json_t *warnings;
};

static void update_done(struct containers *cs, int r, const struct error *err, void *userdata)
{
	struct update_req *u = userdata;
	if (r < 0)
		http_reply_err(u->conn, err);
	else
		http_reply_json(u->conn, 200, json_pack("{s:O}", "Warnings", u->warnings));
	http_conn_unref(u->conn);
	json_decref(u->warnings);
	free(u);
}

static void api_container_update(const struct api_request *ar)
{
	struct container *c;
	if (!check_json_or_reply(ar) || !api_container_or_reply(ar, &c))
		return;
	json_error_t jerr;
	json_t *body = json_loadb(ar->req->body, ar->req->body_len, 0, &jerr);
	if (!json_is_object(body)) {
		char why[512];
		http_reply_error(ar->conn, 400, "%s",
				 api_json_problem(&jerr, body, why, sizeof(why)));
		json_decref(body);
		return;
	}
	struct error err = ERROR_INIT;
	struct update_req *u = calloc(1, sizeof(*u));
	if (!u || !(u->warnings = json_array())) {
		free(u);
		json_decref(body);
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	u->conn = ar->conn;
	http_conn_ref(ar->conn);
	int r = container_update(ar->d->containers, c, body, u->warnings, update_done, u, &err);
	json_decref(body);
	if (r != 1)
		update_done(ar->d->containers, r, &err, u);
	error_clear(&err);
}

static void api_container_resize(const struct api_request *ar)
{
	struct container *c;
	struct error err = ERROR_INIT;
	if (!api_container_or_reply(ar, &c))
		return;
	if (container_resize(c, http_request_query(ar->req, "h"), http_request_query(ar->req, "w"),
			     &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
}

static void api_container_delete(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	http_conn_ref(ar->conn);
	container_remove(ar->d->containers, c, http_request_query_bool(ar->req, "force"),
			 http_request_query_bool(ar->req, "v"), op_reply, ar->conn);
}

/* DELETE /containers/{parent}/{alias}?link=1 (docker rm --link /parent/alias):
 * dockerd's router takes the whole path as the name, and only link=1 can
 * name a container that way. */
static void api_container_link_delete(const struct api_request *ar)
{
	const char *parent = route_param(ar->match, "id"), *alias = route_param(ar->match, "alias");
	struct error err = ERROR_INIT;
	if (!http_request_query_bool(ar->req, "link"))
		error_set(&err, -ENOENT, "No such container: %s/%s", parent, alias);
	if (err.msg || container_link_remove(ar->d->containers, parent, alias, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		http_reply(ar->conn, 204, NULL, NULL, 0, NULL, 0);
}

/* ---- wait ---- */

struct wait_req {
	struct container_waiter w;
	struct daemon *d;
	char id[65];
	struct http_conn *conn;
	bool closed; /* the client left while the container was being removed */
};

static void wait_done(struct container_waiter *w, int exit_code)
{
	struct wait_req *wr = w->userdata;
	if (wr->closed) {
		free(wr);
		return;
	}
	http_conn_on_close(wr->conn, NULL, NULL);
	char body[64];
	int n = snprintf(body, sizeof(body), "{\"StatusCode\":%d,\"Error\":null}\n", exit_code);
	http_stream_write(wr->conn, body, (size_t)n);
	http_stream_end(wr->conn);
	http_conn_unref(wr->conn);
	free(wr);
}

/* The client left before the condition held. */
static void wait_conn_closed(struct http_conn *conn, void *userdata)
{
	struct wait_req *wr = userdata;
	struct container *c = NULL;
	struct error err = ERROR_INIT;
	int r = containers_lookup(wr->d->containers, wr->id, &c, &err);
	error_clear(&err);
	http_conn_unref(conn);
	if (r < 0) {
		/* Out of the store but not freed yet: its removal is under way
		 * and will wake this waiter, which frees it then. */
		wr->closed = true;
		return;
	}
	container_wait_cancel(c, &wr->w);
	free(wr);
}

static void api_container_wait(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	const char *cond = http_request_query(ar->req, "condition");
	enum wait_condition wc = WAIT_NOT_RUNNING;
	if (cond && !strcmp(cond, "next-exit"))
		wc = WAIT_NEXT_EXIT;
	else if (cond && !strcmp(cond, "removed"))
		wc = WAIT_REMOVED;
	else if (cond && *cond && strcmp(cond, "not-running")) {
		http_reply_error(ar->conn, 400, "invalid condition: \"%s\"", cond);
		return;
	}
	struct wait_req *wr = calloc(1, sizeof(*wr));
	if (!wr) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*wr = (struct wait_req){
	    .w = {.cond = wc, .done = wait_done, .userdata = wr}, .d = ar->d, .conn = ar->conn};
	memcpy(wr->id, c->id, sizeof(wr->id));
	http_conn_ref(ar->conn);
	http_conn_on_close(ar->conn, wait_conn_closed, wr);
	/* Headers go out now, as dockerd sends them: the client knows the
	 * wait is registered before it starts the container. */
	http_stream_begin(ar->conn, 200, "application/json");
	container_wait(c, &wr->w);
}

/* ---- list and inspect ---- */

/* Entries are encoded one at a time into a chunk sent once it holds this
 * much: neither a tree of the whole list nor its whole text is ever built. */
#define LIST_CHUNK_BYTES (16 * 1024)

/* The same bytes http_reply_json would send for the whole array ("[...]"
 * in JSON_COMPACT, then Go's newline), in chunks. */
static void stream_list(const struct api_request *ar, struct container **v, size_t n, bool size)
{
	_cleanup_(buf_free) struct buf out = BUF_INIT;
	http_stream_begin(ar->conn, 200, "application/json");
	int r = buf_append(&out, "[", 1);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (i > 0)
			r = buf_append(&out, ",", 1);
		if (r == 0)
			r = container_list_entry_write(ar->d->containers, v[i], size, &out);
		if (r == 0 && out.len >= LIST_CHUNK_BYTES) {
			r = http_stream_write(ar->conn, out.data, out.len);
			out.len = 0;
		}
	}
	if (r == 0)
		r = buf_append(&out, "]\n", 2);
	if (r == 0)
		r = http_stream_write(ar->conn, out.data, out.len);
	/* A failure half-way cannot change the status any more: the client
	 * sees a truncated document and a closed connection. */
	if (r < 0)
		http_conn_finish(ar->conn);
	else
		http_stream_end(ar->conn);
}

static void api_container_list(const struct api_request *ar)
{
	struct filters *f = NULL;
	struct error err = ERROR_INIT;
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	const char *limit = http_request_query(ar->req, "limit");
	_cleanup_free_ struct container **v = NULL;
	size_t n = 0;
	if (containers_list_select(ar->d->containers, http_request_query_bool(ar->req, "all"),
				   limit ? atoi(limit) : -1, f, &v, &n, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		stream_list(ar, v, n, http_request_query_bool(ar->req, "size"));
	filters_free(f);
}

static void api_container_inspect(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	http_reply_json(
	    ar->conn, 200,
	    container_inspect_json(ar->d->containers, c, http_request_query_bool(ar->req, "size")));
}

static void api_container_changes(const struct api_request *ar)
{
	struct container *c;
	struct byte_sink *out;
	if (api_container_or_reply(ar, &c) && (out = http_sink_or_reply(ar->d->loop, ar->conn)))
		container_changes(ar->d->containers, out, c);
}

static const struct route routes[] = {
    {HTTP_POST, "/containers/create", api_container_create},
    {HTTP_POST, "/containers/prune", api_containers_prune},
    {HTTP_GET, "/containers/json", api_container_list},
    {HTTP_GET, "/containers/{id}/json", api_container_inspect},
    {HTTP_POST, "/containers/{id}/start", api_container_start},
    {HTTP_POST, "/containers/{id}/stop", api_container_stop},
    {HTTP_POST, "/containers/{id}/restart", api_container_restart},
    {HTTP_POST, "/containers/{id}/kill", api_container_kill},
    {HTTP_POST, "/containers/{id}/wait", api_container_wait},
    {HTTP_DELETE, "/containers/{id}", api_container_delete},
    {HTTP_DELETE, "/containers/{id}/{alias}", api_container_link_delete},
    {HTTP_GET, "/containers/{id}/logs", api_container_logs},
    {HTTP_POST, "/containers/{id}/attach", api_container_attach},
    {HTTP_POST, "/containers/{id}/resize", api_container_resize},
    {HTTP_POST, "/containers/{id}/update", api_container_update},
    {HTTP_GET, "/containers/{id}/stats", api_container_stats},
    {HTTP_GET, "/containers/{id}/changes", api_container_changes},
    {HTTP_POST, "/containers/{id}/pause", api_container_pause},
    {HTTP_POST, "/containers/{id}/unpause", api_container_unpause},
    {HTTP_POST, "/containers/{id}/rename", api_container_rename},
    {HTTP_GET, "/containers/{id}/top", api_container_top},
};

const struct api_routes api_container_routes = {routes, ARRAY_SIZE(routes)};
