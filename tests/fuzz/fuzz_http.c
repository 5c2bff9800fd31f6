/* What a client sends the Engine API (shared/http_server.c with
 * http-parser, then api/'s routing): each input is the byte stream of one
 * connection, sent to a real server on the libuv loop over a unix socket in
 * the sandbox's /tmp, then shut down. The handler does what dispatch does
 * before a resource handler runs (version, route, filters, body) and
 * answers in each of the server's ways: a reply, a chunked stream, or a
 * hijacked raw stream for attach. The bytes go in one piece or in small
 * chunks the server reads apart. The server is closed after each input,
 * so every connection must have ended by then. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "fuzz.h"
#include "shared/api_version.h"
#include "shared/filters.h"

#define SOCK "/tmp/http.sock"
#define SPOOL "/tmp/spool"

static uv_loop_t loop;
static const struct logger quiet = {.level = LOG_LEVEL_FATAL, .fd = 2};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_sandbox(*argc, *argv);
	/* As berthd: a peer gone mid-write is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (mkdir(SPOOL, 0700) < 0 || uv_loop_init(&loop) < 0)
		abort();
	return 0;
}

/* ---- the server side ---- */

static void hijack_data(struct http_conn *conn, const char *data, size_t len, void *ud)
{
	http_conn_write(conn, data, len);
}

static void hijack_eof(struct http_conn *conn, void *ud)
{
	http_conn_finish(conn);
}

static const struct http_hijack_ops hijack_ops = {hijack_data, hijack_eof};

/* Reads a spooled body back as the image handlers do. */
static void check_spooled(const struct http_request *req)
{
	char buf[4096];
	size_t total = 0;
	for (ssize_t n; (n = read(req->body_fd, buf, sizeof(buf))) != 0; total += (size_t)n)
		if (n < 0)
			abort();
	if (total != req->body_len)
		abort();
}

static bool version_ok(struct http_conn *conn, const char *path, const char **rest)
{
	char version[16];
	if (!api_version_split_path(path, version, sizeof(version), rest))
		return true;
	if (api_version_compare(version, API_VERSION_MAX) <= 0 &&
	    api_version_compare(version, API_VERSION_MIN) >= 0)
		return true;
	http_reply_error(conn, 400, "client version %s is not supported", version);
	return false;
}

static void answer(struct http_conn *conn, const struct http_request *req, const char *pattern)
{
	if (strstr(pattern, "/attach") || req->upgrade) {
		http_hijack(conn, "application/vnd.docker.raw-stream", &hijack_ops, NULL);
	} else if (strstr(pattern, "/logs") || !strcmp(pattern, "/events")) {
		http_stream_begin(conn, 200, "application/json");
		http_stream_write(conn, pattern, strlen(pattern));
		http_stream_write(conn, "\n", 1);
		http_stream_end(conn);
	} else if (req->method == HTTP_HEAD) {
		http_reply(conn, 200, "text/plain", NULL, 0, NULL, 0);
	} else {
		http_reply_json(conn, 200,
				json_pack("{s:s, s:s?}", "Route", pattern, "Agent",
					  http_request_header(req, "User-Agent")));
	}
}

static void handle(struct http_conn *conn, const struct http_request *req, void *ud)
{
	const char *path = req->path;
	if (!version_ok(conn, req->path, &path))
		return;
	struct route_match m;
	if (api_route_match(req->method, path, &m) < 0) {
		http_reply_error(conn, 404, "page not found");
		return;
	}
	struct filters *f = NULL;
	struct error err = ERROR_INIT;
	if (filters_parse(http_request_query(req, "filters"), &f, &err) < 0) {
		http_reply_err(conn, &err);
		error_clear(&err);
		route_match_done(&m);
		return;
	}
	filters_free(f);
	http_request_query_bool(req, "all");
	if (req->body_fd >= 0) {
		check_spooled(req);
	} else if (req->body_len) {
		if (strlen(req->body) > req->body_len)
			abort();
		json_decref(json_loadb(req->body, req->body_len, 0, NULL));
	}
	answer(conn, req, m.route->pattern);
	route_match_done(&m);
}

/* ---- the client side ---- */

/* Sends the input in chunks, one per loop iteration, so that the server
 * reads them apart and the parser resumes mid-token. */
struct client {
	uv_pipe_t pipe;
	uv_idle_t idle;
	uv_connect_t connect;
	uv_write_t write;
	uv_shutdown_t shutdown;
	const char *data;
	size_t len, off, chunk;
	bool writing, connected;
	char buf[65536];
};

static void client_close(struct client *c)
{
	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	uv_close((uv_handle_t *)&c->pipe, NULL);
	uv_close((uv_handle_t *)&c->idle, NULL);
}

static void client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct client *c = h->data;
	*b = uv_buf_init(c->buf, sizeof(c->buf));
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	if (n < 0)
		client_close(s->data);
}

static void client_shutdown(uv_shutdown_t *req, int status) {}

static void client_written(uv_write_t *req, int status)
{
	struct client *c = req->data;
	c->writing = false;
	if (status < 0) /* the server closed early (413, 400): stop sending */
		c->off = c->len;
}

/* Idle handles run once per iteration, before the server's reads. */
static void client_send_next(uv_idle_t *idle)
{
	struct client *c = idle->data;
	if (!c->connected || c->writing)
		return;
	if (c->off == c->len) {
		uv_idle_stop(idle);
		if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, client_shutdown) < 0)
			client_close(c);
		return;
	}
	size_t n = c->len - c->off < c->chunk ? c->len - c->off : c->chunk;
	uv_buf_t b = uv_buf_init((char *)c->data + c->off, (unsigned)n);
	c->off += n;
	c->writing = true;
	if (uv_write(&c->write, (uv_stream_t *)&c->pipe, &b, 1, client_written) < 0)
		client_close(c);
}

static void client_connected(uv_connect_t *req, int status)
{
	struct client *c = req->data;
	if (status < 0) {
		client_close(c);
		return;
	}
	c->connected = true;
	uv_read_start((uv_stream_t *)&c->pipe, client_alloc, client_read);
}

/* Half of the inputs go in one piece, the others in chunks of 1 to 64
 * bytes; derived from the content, so raw requests need no prefix. */
static size_t chunk_size(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h & 1 ? size + 1 : 1 + (h >> 1) % 64;
}

static void server_closed(void *data)
{
	*(bool *)data = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_server_config cfg = {
	    .handler = handle,
	    .log = &quiet,
	    /* Small limits, so inputs reach 413 and 431. */
	    .max_header_bytes = 4096,
	    .max_body_bytes = 8192,
	    .should_spool = api_should_spool,
	    .spool_dir = SPOOL,
	    .idle_timeout_ms = 60000,
	    .request_timeout_ms = 60000,
	    .max_connections = 4,
	};
	struct http_server *srv;
	struct error err = ERROR_INIT;
	if (http_server_new(&loop, &cfg, &srv) < 0 ||
	    http_server_listen_unix(srv, SOCK, 0600, NULL, &err) < 0)
		abort();
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->data = (const char *)data;
	c->len = size;
	c->chunk = chunk_size(data, size);
	c->pipe.data = c->idle.data = c->connect.data = c->write.data = c;
	uv_pipe_init(&loop, &c->pipe, 0);
	uv_idle_init(&loop, &c->idle);
	uv_idle_start(&c->idle, client_send_next);
	uv_pipe_connect(&c->connect, &c->pipe, SOCK, client_connected);
	/* Until the server has closed the connection and the client saw it. */
	while (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_run(&loop, UV_RUN_ONCE);
	bool closed = false;
	http_server_close(srv, server_closed, &closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (!closed)
		abort();
	free(c);
	return 0;
}
