/* Exec endpoints: POST /containers/{id}/exec, POST /exec/{id}/start (a
 * hijacked connection in Docker's multiplexed stream format, or 200 at once
 * with Detach) and GET /exec/{id}/json, over src/engine/exec.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/containers_io.h"
#include "basic/cleanup.h"
#include "engine/container.h"
#include "engine/exec.h"
#include "shared/detach_keys.h"
#include "shared/shim_proto.h"

#define RAW_STREAM "application/vnd.docker.raw-stream"

static json_t *body_or_reply(const struct api_request *ar)
{
	json_error_t jerr;
	json_t *body = ar->req->body_len ? json_loadb(ar->req->body, ar->req->body_len, 0, &jerr)
					 : json_object();
	if (!json_is_object(body)) {
		char why[512];
		http_reply_error(ar->conn, 400, "%s",
				 api_json_problem(&jerr, body, why, sizeof(why)));
		json_decref(body);
		return NULL;
	}
	return body;
}

static void api_exec_create(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	json_t *body = body_or_reply(ar);
	if (!body)
		return;
	char id[DIGEST_HEX_LEN + 1];
	struct error err = ERROR_INIT;
	if (exec_create(ar->d->containers, c, body, false, id, &err) < 0)
		api_reply_err(ar, &err);
	else
		http_reply_json(ar->conn, 201, json_pack("{s:s}", "Id", id));
	error_clear(&err);
	json_decref(body);
}

static bool exec_or_reply(const struct api_request *ar, struct exec **ret)
{
	struct error err = ERROR_INIT;
	int r = exec_lookup(ar->d->containers, route_param(ar->match, "id"), ret, &err);
	if (r < 0)
		api_reply_err(ar, &err);
	error_clear(&err);
	return r == 0;
}

/* ---- the attached stream ---- */

struct exec_stream {
	struct exec_io io;
	struct daemon *d;
	char id[DIGEST_HEX_LEN + 1];
	struct http_conn *conn;
	bool ended, raw; /* raw: a tty's output, sent without stream headers */
	bool watch_keys;
	struct detach_keys keys;
};

static struct exec *stream_exec(struct exec_stream *s)
{
	struct exec *e = NULL;
	struct error err = ERROR_INIT;
	if (s->ended || exec_lookup(s->d->containers, s->id, &e, &err) < 0)
		e = NULL;
	error_clear(&err);
	return e;
}

static void stream_output(struct exec_io *io, int stream, const char *data, size_t len)
{
	struct exec_stream *s = io->userdata;
	unsigned char hdr[8] = {(unsigned char)stream};
	shim_put_u32(hdr + 4, (uint32_t)len);
	if (!s->raw)
		http_conn_write(s->conn, hdr, sizeof(hdr));
	http_conn_write(s->conn, data, len);
}

static void stream_end(struct exec_io *io, int exit_code)
{
	struct exec_stream *s = io->userdata;
	s->ended = true;
	http_conn_finish(s->conn);
}

/* The detach keys were typed: the client goes, the process runs on. */
static void stream_detach(struct exec_stream *s, struct exec *e)
{
	s->ended = true;
	exec_detached(e);
	http_conn_finish(s->conn);
}

static void stream_data(struct http_conn *conn, const char *data, size_t len, void *userdata)
{
	struct exec_stream *s = userdata;
	struct exec *e = stream_exec(s);
	if (!e)
		return;
	if (!s->watch_keys) {
		exec_stdin(e, data, len);
		return;
	}
	_cleanup_free_ uint8_t *pass = malloc(len + DETACH_KEYS_MAX);
	if (!pass)
		return;
	bool detach;
	size_t n = detach_keys_filter(&s->keys, (const uint8_t *)data, len, pass, &detach);
	if (n)
		exec_stdin(e, (const char *)pass, n);
	if (detach)
		stream_detach(s, e);
}

static void stream_eof(struct http_conn *conn, void *userdata)
{
	struct exec *e = stream_exec(userdata);
	if (e)
		exec_stdin_close(e);
}

static void stream_closed(struct http_conn *conn, void *userdata)
{
	struct exec_stream *s = userdata;
	struct exec *e = stream_exec(s);
	if (e)
		exec_detach_io(e);
	http_conn_unref(conn);
	free(s);
}

static const struct http_hijack_ops stream_ops = {stream_data, stream_eof};

/* raw: the start body's Tty, which alone decides the framing (dockerd
 * multiplexes unless it is true, whatever the exec was created with). */
static void start_attached(const struct api_request *ar, struct exec *e, bool raw)
{
	struct exec_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*s = (struct exec_stream){
	    .io = {stream_output, stream_end, s}, .d = ar->d, .conn = ar->conn, .raw = raw};
	s->watch_keys = exec_detach_keys(e, &s->keys);
	memcpy(s->id, route_param(ar->match, "id"), sizeof(s->id));
	struct error err = ERROR_INIT;
	/* Spawned before the hijack so a failure still gets a plain error. */
	if (exec_start(ar->d->containers, e, &s->io, &err) < 0) {
		api_reply_err(ar, &err);
		error_clear(&err);
		free(s);
		return;
	}
	http_conn_ref(ar->conn);
	http_conn_on_close(ar->conn, stream_closed, s);
	http_hijack(ar->conn, RAW_STREAM, &stream_ops, s);
}

static void api_exec_start(const struct api_request *ar)
{
	struct exec *e;
	if (!exec_or_reply(ar, &e))
		return;
	json_t *body = body_or_reply(ar);
	if (!body)
		return;
	bool detach = json_is_true(json_object_get(body, "Detach"));
	bool raw = json_is_true(json_object_get(body, "Tty"));
	json_decref(body);
	if (!detach) {
		start_attached(ar, e, raw);
		return;
	}
	struct error err = ERROR_INIT;
	if (exec_start(ar->d->containers, e, NULL, &err) < 0)
		api_reply_err(ar, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	error_clear(&err);
}

static void api_exec_inspect(const struct api_request *ar)
{
	struct exec *e;
	if (exec_or_reply(ar, &e))
		http_reply_json(ar->conn, 200, exec_inspect_json(ar->d->containers, e));
}

static void api_exec_resize(const struct api_request *ar)
{
	struct exec *e;
	struct error err = ERROR_INIT;
	if (!exec_or_reply(ar, &e))
		return;
	if (exec_resize(e, http_request_query(ar->req, "h"), http_request_query(ar->req, "w"),
			&err) < 0)
		http_reply_err(ar->conn, &err);
	else
		http_reply(ar->conn, 200, NULL, NULL, 0, NULL, 0);
	error_clear(&err);
}

static const struct route routes[] = {
    {HTTP_POST, "/containers/{id}/exec", api_exec_create},
    {HTTP_POST, "/exec/{id}/start", api_exec_start},
    {HTTP_POST, "/exec/{id}/resize", api_exec_resize},
    {HTTP_GET, "/exec/{id}/json", api_exec_inspect},
};

const struct api_routes api_exec_routes = {routes, ARRAY_SIZE(routes)};
