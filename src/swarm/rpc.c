/* The swarm's framed RPC over mutual TLS (see rpc.h). */
#include "swarm/rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "swarm/swarm.h"

/* ---- client ---- */

struct rcall {
	uv_timer_t timer;
	struct mtls_conn *conn;
	json_t *req;
	rpc_cb cb;
	void *data;
	X509 **peer_out;
	bool done;
	int refs; /* timer handle + connection */
};

static void rcall_unref(struct rcall *rc)
{
	if (--rc->refs == 0) {
		json_decref(rc->req);
		free(rc);
	}
}

static void rcall_timer_closed(uv_handle_t *h)
{
	rcall_unref(h->data);
}

static void rcall_finish(struct rcall *rc, int status, json_t *resp, const char *msg)
{
	if (rc->done)
		return;
	rc->done = true;
	uv_timer_stop(&rc->timer);
	if (rc->peer_out && rc->conn && status == 0) {
		*rc->peer_out = rc->conn->peer;
		if (*rc->peer_out)
			X509_up_ref(*rc->peer_out);
	}
	rc->cb(rc->data, status, resp, msg);
	uv_close((uv_handle_t *)&rc->timer, rcall_timer_closed);
	if (rc->conn)
		mtls_close(rc->conn, 0);
}

static void rcall_ready(struct mtls_conn *c)
{
	struct rcall *rc = c->data;
	json_t *req = rc->req;
	rc->req = NULL;
	if (mtls_send_json(c, req) < 0)
		rcall_finish(rc, -EIO, NULL, "could not send the request");
}

static void rcall_frame(struct mtls_conn *c, const char *data, size_t len)
{
	struct rcall *rc = c->data;
	json_t *resp = json_loadb(data, len, 0, NULL);
	if (!json_is_object(resp)) {
		rcall_finish(rc, -EPROTO, NULL, "bad response from the manager");
	} else if (json_is_true(json_object_get(resp, "ok"))) {
		rcall_finish(rc, 0, resp, NULL);
	} else {
		int code = (int)json_integer_value(json_object_get(resp, "code"));
		const char *msg = json_string_value(json_object_get(resp, "msg"));
		rcall_finish(rc, code < 0 ? code : -EIO, resp, msg ? msg : "request failed");
	}
	json_decref(resp);
}

static void rcall_close(struct mtls_conn *c, int status)
{
	struct rcall *rc = c->data;
	if (!rc->done) {
		if (status == -EACCES)
			rcall_finish(rc, -EACCES, NULL,
				     "the manager's TLS handshake failed: certificate not valid "
				     "for this swarm");
		else
			rcall_finish(rc, -EHOSTUNREACH, NULL, "connection to the manager lost");
	}
	rc->conn = NULL;
	rcall_unref(rc);
}

static const struct mtls_ops rcall_ops = {rcall_ready, rcall_frame, rcall_close};

static void rcall_timeout(uv_timer_t *t)
{
	rcall_finish(t->data, -ETIMEDOUT, NULL, "timeout waiting for the manager");
}

static void rcall_fail_async(uv_timer_t *t)
{
	struct rcall *rc = t->data;
	rcall_finish(rc, -EHOSTUNREACH, NULL, "could not connect to the manager");
}

void rpc_call_peer(uv_loop_t *loop, SSL_CTX *ctx, const char *addr, json_t *req,
		   unsigned timeout_ms, rpc_cb cb, void *data, X509 **peer_out)
{
	struct rcall *rc = calloc(1, sizeof(*rc));
	if (!rc) {
		json_decref(req);
		return; /* out of memory: nothing sensible left to do */
	}
	rc->req = req;
	rc->cb = cb;
	rc->data = data;
	rc->peer_out = peer_out;
	rc->refs = 1;
	uv_timer_init(loop, &rc->timer);
	rc->timer.data = rc;
	if (mtls_connect(loop, ctx, addr, &rcall_ops, rc, &rc->conn, NULL) < 0) {
		rc->conn = NULL;
		uv_timer_start(&rc->timer, rcall_fail_async, 0, 0);
		return;
	}
	rc->refs++;
	uv_timer_start(&rc->timer, rcall_timeout, timeout_ms, 0);
}

void rpc_call(uv_loop_t *loop, SSL_CTX *ctx, const char *addr, json_t *req, unsigned timeout_ms,
	      rpc_cb cb, void *data)
{
	rpc_call_peer(loop, ctx, addr, req, timeout_ms, cb, data, NULL);
}

/* ---- server ---- */

void rpc_reply(struct mtls_conn *c, int status, json_t *result, const char *msg)
{
	json_t *resp = result && json_is_object(result) ? result : json_object();
	if (result && resp != result)
		json_decref(result);
	json_object_set_new(resp, "ok", json_boolean(status == 0));
	if (status < 0) {
		json_object_set_new(resp, "code", json_integer(status));
		json_object_set_new(resp, "msg", json_string(msg ? msg : "request failed"));
	}
	mtls_send_json(c, resp);
}

static void srv_ready(struct mtls_conn *c) {}

static void srv_frame(struct mtls_conn *c, const char *data, size_t len)
{
	struct swarm *sw = c->data;
	json_t *req = json_loadb(data, len, 0, NULL);
	if (!json_is_object(req)) {
		json_decref(req);
		mtls_close(c, -EPROTO);
		return;
	}
	struct cert_identity id, *peer = NULL;
	if (c->peer && ca_x509_identity(c->peer, &id, NULL) == 0 &&
	    strcmp(id.cluster_id, sw->cluster_id) == 0)
		peer = &id;
	if (c->peer && !peer) {
		json_decref(req);
		mtls_close(c, -EACCES);
		return;
	}
	swarm_rpc_handle(sw, c, req, peer);
	json_decref(req);
}

static void srv_close(struct mtls_conn *c, int status)
{
	swarm_rpc_closed(c->data, c);
}

static const struct mtls_ops srv_ops = {srv_ready, srv_frame, srv_close};

static void on_connection(uv_stream_t *server, int status)
{
	struct swarm *sw = server->data;
	struct mtls_conn *c;
	if (status < 0 || !sw->server_ctx)
		return;
	if (mtls_accept(server, sw->server_ctx, &srv_ops, sw, &c) < 0)
		log_warn(sw->deps.log, "swarm: could not accept a connection");
}

int rpc_listen(struct swarm *sw, struct error *err)
{
	struct sockaddr_storage ss;
	int r = mtls_parse_addr(sw->listen_addr, &ss, err);
	if (r < 0)
		return r;
	uv_tcp_t *t = calloc(1, sizeof(*t));
	if (!t)
		return error_set(err, -ENOMEM, "out of memory");
	uv_tcp_init(sw->deps.loop, t);
	t->data = sw;
	r = uv_tcp_bind(t, (struct sockaddr *)&ss, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)t, 128, on_connection);
	if (r < 0) {
		uv_close((uv_handle_t *)t, (uv_close_cb)free);
		return error_set(err, r,
				 "failed to listen on remote API address: listen tcp %s: %s",
				 sw->listen_addr, uv_strerror(r));
	}
	sw->listener = t;
	return 0;
}

void rpc_stop_listen(struct swarm *sw)
{
	if (sw->listener) {
		uv_close((uv_handle_t *)sw->listener, (uv_close_cb)free);
		sw->listener = NULL;
	}
}
