/* The Engine API's HTTP/1.1 server: connections, parsing with http-parser,
 * TLS through memory BIOs, replies, chunked streams and hijacking. */
#include "http_server.h"

#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "basic/buf.h"
#include "basic/cleanup.h"
#include "shared/tls.h"

/* A slow reader of a stream gets dropped rather than growing our memory. */
#define MAX_QUEUED_WRITE_BYTES (16u << 20)
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (16u << 20)

enum conn_state {
	CONN_READING,   /* waiting for or receiving a request */
	CONN_HANDLING,  /* request handed to the handler, no answer yet */
	CONN_STREAMING, /* chunked response under way */
	CONN_HIJACKED,  /* raw byte stream */
	CONN_LINGERING, /* error sent, our side shut down, input discarded */
	CONN_CLOSED,
};

struct http_listener {
	struct http_server *srv;
	union {
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	bool is_unix;
	char *unix_path;
	SSL_CTX *tls;
	struct http_listener *next;
};

struct http_server {
	uv_loop_t *loop;
	struct http_server_config cfg;
	struct http_listener *listeners;
	struct http_conn *conns;
	size_t n_conns;
	size_t open_handles;
	bool closing;
	void (*close_done)(void *);
	void *close_data;
	time_t date_time; /* the Date header, formatted once a second */
	char date[64];
	char read_buf[64 * 1024];
};

struct http_conn {
	struct http_server *srv;
	struct http_listener *listener;
	union {
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	uv_timer_t timer;
	int open_handles;
	int refs;
	struct tls_session tls;
	bool use_tls;

	http_parser parser;
	enum conn_state state;
	struct http_request req;
	struct buf url, body;
	int spool_fd; /* body goes here when spooling, else -1 */
	uint64_t spooled;
	struct buf field, value; /* header being received */
	bool in_value;
	size_t header_bytes;
	int parse_status; /* status our callbacks decided (413, 431), 0 if none */
	const char *parse_why; /* and why, for the ones without a fixed reason */
	const char *feed_start; /* the buffer http_parser_execute is parsing */
	bool got_bytes;   /* part of a request received */
	struct buf pending; /* bytes received while busy, parsed later */
	bool in_feed;
	bool http10;

	int status; /* of the response under way, for access logs */
	bool close_after_write;
	size_t writes_pending;
	/* After a malformed request: the client may still be sending, and a
	 * close with unread input would reset the connection before it read
	 * our answer. */
	bool linger;
	size_t lingered; /* bytes discarded while lingering */
	uv_shutdown_t shutdown;

	const struct http_hijack_ops *hijack;
	void *hijack_data;
	void (*on_close)(struct http_conn *, void *);
	void *on_close_data;
	void (*on_drain)(struct http_conn *, void *);
	void *on_drain_data;

	struct http_conn *prev, *next;
};

struct write_req {
	uv_write_t req;
	struct http_conn *conn;
	size_t len;
	char data[];
};

static void conn_close(struct http_conn *conn);
static void conn_feed_pending(struct http_conn *conn);

/* ---- requests ---- */

static void request_reset(struct http_conn *conn)
{
	struct http_request *r = &conn->req;
	free(r->url);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->header_names[i]);
		free(r->header_values[i]);
	}
	free(r->header_names);
	free(r->header_values);
	for (size_t i = 0; i < r->n_query; i++) {
		free(r->query_keys[i]);
		free(r->query_values[i]);
	}
	free(r->query_keys);
	free(r->query_values);
	free(r->body);
	if (r->body_fd >= 0)
		close(r->body_fd);
	*r = (struct http_request){.body_fd = -1};
	buf_free(&conn->url);
	buf_free(&conn->body);
	if (conn->spool_fd >= 0)
		close(conn->spool_fd);
	conn->spool_fd = -1;
	conn->spooled = 0;
	buf_free(&conn->field);
	buf_free(&conn->value);
	conn->in_value = false;
	conn->header_bytes = 0;
	conn->parse_status = 0;
	conn->parse_why = NULL;
	conn->got_bytes = false;
	conn->status = 0;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->header_names[i], name) == 0)
			return req->header_values[i];
	return NULL;
}

const char *http_request_query(const struct http_request *req, const char *key)
{
	const char *v = NULL;
	for (size_t i = 0; i < req->n_query; i++)
		if (strcmp(req->query_keys[i], key) == 0)
			v = req->query_values[i];
	return v;
}

bool http_request_query_bool(const struct http_request *req, const char *key)
{
	const char *v = http_request_query(req, key);
	if (!v || !*v)
		return false;
	static const char *const falses[] = {"0", "false", "no", "off", "none"};
	for (size_t i = 0; i < ARRAY_SIZE(falses); i++)
		if (strcasecmp(v, falses[i]) == 0)
			return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..len); '+' means space only in query strings. NULL
 * with errno EINVAL for a %00, which would cut the C string short (a
 * kill?signal=%00 read as no signal at all). */
static char *url_decode(const char *s, size_t len, bool plus_is_space)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[n] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			if (out[n++] == '\0') {
				free(out);
				errno = EINVAL;
				return NULL;
			}
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[n++] = ' ';
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return out;
}

static int query_add(struct http_request *r, const char *kv, size_t len)
{
	const char *eq = memchr(kv, '=', len);
	size_t klen = eq ? (size_t)(eq - kv) : len;
	char **keys = realloc(r->query_keys, (r->n_query + 1) * sizeof(char *));
	if (!keys)
		return -ENOMEM;
	r->query_keys = keys;
	char **vals = realloc(r->query_values, (r->n_query + 1) * sizeof(char *));
	if (!vals)
		return -ENOMEM;
	r->query_values = vals;
	errno = ENOMEM;
	char *k = url_decode(kv, klen, true);
	char *v = k && eq ? url_decode(eq + 1, len - klen - 1, true) : k ? strdup("") : NULL;
	if (!k || !v) {
		free(k);
		free(v);
		return -errno;
	}
	keys[r->n_query] = k;
	vals[r->n_query] = v;
	r->n_query++;
	return 0;
}

/* Splits the request target into decoded path and query parameters. */
static int request_split_url(struct http_request *r)
{
	const char *u = r->url;
	const char *q = strchr(u, '?');
	size_t plen = q ? (size_t)(q - u) : strlen(u);
	errno = ENOMEM;
	r->path = url_decode(u, plen, false);
	if (!r->path)
		return -errno;
	r->query = strdup(q ? q + 1 : "");
	if (!r->query)
		return -ENOMEM;
	for (const char *p = r->query; *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		int e = len ? query_add(r, p, len) : 0;
		if (e < 0)
			return e;
		p += len + (amp ? 1 : 0);
	}
	return 0;
}

/* ---- parser callbacks ---- */

static int limit_headers(struct http_conn *conn, size_t len)
{
	conn->header_bytes += len;
	if (conn->header_bytes > conn->srv->cfg.max_header_bytes) {
		conn->parse_status = 431;
		return -1;
	}
	return 0;
}

static int on_message_begin(http_parser *p)
{
	struct http_conn *conn = p->data;
	request_reset(conn);
	conn->got_bytes = true;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *conn = p->data;
	if (limit_headers(conn, len) < 0) {
		conn->parse_status = 414;
		return -1;
	}
	return buf_append(&conn->url, at, len) < 0 ? -1 : 0;
}

static int header_commit(struct http_conn *conn)
{
	struct http_request *r = &conn->req;
	char **names = realloc(r->header_names, (r->n_headers + 1) * sizeof(char *));
	if (!names)
		return -1;
	r->header_names = names;
	char **values = realloc(r->header_values, (r->n_headers + 1) * sizeof(char *));
	if (!values)
		return -1;
	r->header_values = values;
	names[r->n_headers] = buf_steal(&conn->field);
	values[r->n_headers] = buf_steal(&conn->value);
	if (!names[r->n_headers] || !values[r->n_headers]) {
		free(names[r->n_headers]);
		free(values[r->n_headers]);
		return -1;
	}
	r->n_headers++;
	conn->in_value = false;
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *conn = p->data;
	if (limit_headers(conn, len) < 0)
		return -1;
	if (conn->in_value && header_commit(conn) < 0)
		return -1;
	return buf_append(&conn->field, at, len) < 0 ? -1 : 0;
}

/* A value continued on a line that starts with a space (RFC 7230 3.2.4
 * obs-fold): http-parser joins it; we refuse it, as Go's server does. The
 * second part of a value cut by a read boundary starts the buffer. */
static bool obs_fold(const struct http_conn *conn, const char *at)
{
	if (!conn->in_value || !conn->feed_start || at <= conn->feed_start)
		return false;
	const char *p = at - 1;
	while (p > conn->feed_start && (*p == ' ' || *p == '\t'))
		p--;
	return *p == '\n';
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *conn = p->data;
	if (limit_headers(conn, len) < 0)
		return -1;
	if (obs_fold(conn, at)) {
		conn->parse_status = 400;
		conn->parse_why = "obsolete line folding in a header";
		return -1;
	}
	conn->in_value = true;
	return buf_append(&conn->value, at, len) < 0 ? -1 : 0;
}

static int conn_send(struct http_conn *conn, const void *data, size_t len);

/* An unlinked file for a large body; O_TMPFILE where the filesystem has it. */
static int spool_open(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd < 0 ? -errno : fd;
	char path[4096];
	snprintf(path, sizeof(path), "%s/body-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

static int start_spool(struct http_conn *conn, http_parser *p)
{
	const struct http_server_config *cfg = &conn->srv->cfg;
	if (!cfg->should_spool || !cfg->spool_dir ||
	    !cfg->should_spool((enum http_method)p->method, conn->url.data ? conn->url.data : "",
			       cfg->userdata))
		return 0;
	int fd = spool_open(cfg->spool_dir);
	if (fd < 0) {
		log_error(cfg->log, "cannot spool a request body in %s: %s", cfg->spool_dir,
			  strerror(-fd));
		conn->parse_status = 500;
		return -1;
	}
	conn->spool_fd = fd;
	return 1;
}

/* Only chunked is understood: a body in another coding (gzip, chunked)
 * would be read as if it were plain. */
static bool transfer_coding_ok(const struct http_request *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		if (strcasecmp(r->header_names[i], "Transfer-Encoding") != 0)
			continue;
		const char *v = r->header_values[i];
		v += strspn(v, " \t");
		size_t n = strlen(v);
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n != 7 || strncasecmp(v, "chunked", 7) != 0)
			return false;
	}
	return true;
}

static int on_headers_complete(http_parser *p)
{
	struct http_conn *conn = p->data;
	if (conn->in_value && header_commit(conn) < 0)
		return -1;
	/* HTTP/1.0 and 1.1 only: not 0.9 (a request line without a version)
	 * nor a 2.x or 9.9 spoken as text. */
	if (p->http_major != 1) {
		conn->parse_status = 505;
		return -1;
	}
	if (!transfer_coding_ok(&conn->req)) {
		conn->parse_status = 501;
		return -1;
	}
	/* curl, for one, waits for this before it sends a large body. */
	const char *expect = http_request_header(&conn->req, "Expect");
	if (expect && strcasecmp(expect, "100-continue") == 0 && p->http_minor >= 1)
		conn_send(conn, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	int spool = start_spool(conn, p);
	if (spool != 0)
		return spool < 0 ? -1 : 0;
	if (p->content_length != ULLONG_MAX && p->content_length > conn->srv->cfg.max_body_bytes) {
		conn->parse_status = 413;
		return -1;
	}
	return 0;
}

static int spool_write(struct http_conn *conn, const char *at, size_t len)
{
	while (len) {
		ssize_t n = write(conn->spool_fd, at, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error(conn->srv->cfg.log, "spooling a request body: %s", strerror(errno));
			conn->parse_status = errno == ENOSPC ? 507 : 500;
			return -1;
		}
		at += n;
		len -= (size_t)n;
		conn->spooled += (size_t)n;
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *conn = p->data;
	if (conn->spool_fd >= 0)
		return spool_write(conn, at, len);
	if (conn->body.len + len > conn->srv->cfg.max_body_bytes) {
		conn->parse_status = 413;
		return -1;
	}
	return buf_append(&conn->body, at, len) < 0 ? -1 : 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_conn *conn = p->data;
	struct http_request *r = &conn->req;
	r->url = buf_steal(&conn->url);
	r->body_len = conn->body.len;
	r->body = buf_steal(&conn->body);
	if (conn->spool_fd >= 0) {
		r->body_fd = TAKE_FD(conn->spool_fd);
		r->body_len = conn->spooled;
		if (lseek(r->body_fd, 0, SEEK_SET) < 0)
			return -1;
	}
	if (!r->url || !r->body)
		return -1;
	int e = request_split_url(r);
	if (e < 0) {
		if (e == -EINVAL) {
			conn->parse_status = 400;
			conn->parse_why = "the URL contains a NUL byte (%00)";
		}
		return -1;
	}
	r->method = (enum http_method)p->method;
	r->method_name = http_method_str(r->method);
	r->keep_alive = http_should_keep_alive(p);
	r->upgrade = p->upgrade;
	r->start_ms = uv_now(conn->srv->loop);
	conn->http10 = p->http_major == 1 && p->http_minor == 0;
	/* One request at a time: the rest of the input waits in conn->pending. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- writing ---- */

static void conn_drained(struct http_conn *conn)
{
	void (*cb)(struct http_conn *, void *) = conn->on_drain;
	conn->on_drain = NULL;
	if (cb)
		cb(conn, conn->on_drain_data);
}

size_t http_conn_queued(const struct http_conn *conn)
{
	return conn->state == CONN_CLOSED ? 0 : uv_stream_get_write_queue_size(&conn->h.stream);
}

void http_conn_on_drain(struct http_conn *conn, void (*cb)(struct http_conn *, void *),
			void *userdata)
{
	conn->on_drain = cb;
	conn->on_drain_data = userdata;
	if (conn->writes_pending == 0 || conn->state == CONN_CLOSED)
		conn_drained(conn);
}

static void on_write_done(uv_write_t *w, int status)
{
	struct write_req *wr = (struct write_req *)w;
	struct http_conn *conn = wr->conn;
	free(wr);
	conn->writes_pending--;
	if (conn->writes_pending == 0 && status == 0)
		conn_drained(conn);
	if (status < 0 && conn->state != CONN_CLOSED)
		conn_close(conn);
	else if (conn->close_after_write && conn->writes_pending == 0)
		conn_close(conn);
	http_conn_unref(conn);
}

static int conn_send_raw(struct http_conn *conn, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (uv_stream_get_write_queue_size(&conn->h.stream) > MAX_QUEUED_WRITE_BYTES) {
		log_warn(conn->srv->cfg.log, "dropping a client that does not read its responses");
		conn_close(conn);
		return -ENOBUFS;
	}
	if (conn->writes_pending == 0) {
		/* Most replies fit the socket buffer: no copy, no callback. */
		uv_buf_t direct = uv_buf_init((char *)data, (unsigned)len);
		int n = uv_try_write(&conn->h.stream, &direct, 1);
		if (n == (int)len)
			return 0;
		if (n < 0 && n != UV_EAGAIN) {
			conn_close(conn);
			return n;
		}
		if (n > 0) {
			data = (const char *)data + n;
			len -= (size_t)n;
		}
	}
	struct write_req *wr = malloc(sizeof(*wr) + len);
	if (!wr)
		return -ENOMEM;
	wr->conn = conn;
	wr->len = len;
	memcpy(wr->data, data, len);
	uv_buf_t b = uv_buf_init(wr->data, (unsigned)len);
	int r = uv_write(&wr->req, &conn->h.stream, &b, 1, on_write_done);
	if (r < 0) {
		free(wr);
		conn_close(conn);
		return r;
	}
	conn->writes_pending++;
	http_conn_ref(conn);
	return 0;
}

/* Sends what OpenSSL has produced (handshake records, encrypted data). */
static int conn_flush_tls(struct http_conn *conn)
{
	_cleanup_(buf_free) struct buf out = BUF_INIT;
	int r = tls_session_drain(&conn->tls, &out);
	if (r < 0)
		return r;
	return conn_send_raw(conn, out.data, out.len);
}

static int conn_send(struct http_conn *conn, const void *data, size_t len)
{
	if (conn->state == CONN_CLOSED)
		return -EPIPE;
	if (!conn->use_tls)
		return conn_send_raw(conn, data, len);
	int r = tls_session_write(&conn->tls, data, len);
	if (r < 0) {
		conn_close(conn);
		return r;
	}
	return conn_flush_tls(conn);
}

/* ---- connection lifecycle ---- */

static void timer_arm(struct http_conn *conn, uint64_t ms);

static void conn_free(struct http_conn *conn)
{
	request_reset(conn);
	buf_free(&conn->pending);
	if (conn->use_tls)
		tls_session_done(&conn->tls);
	free(conn);
}

void http_conn_ref(struct http_conn *conn)
{
	conn->refs++;
}

void http_conn_unref(struct http_conn *conn)
{
	if (--conn->refs == 0)
		conn_free(conn);
}

bool http_conn_is_closed(const struct http_conn *conn)
{
	return conn->state == CONN_CLOSED;
}

static void server_handle_closed(struct http_server *srv)
{
	if (--srv->open_handles == 0 && srv->closing) {
		void (*done)(void *) = srv->close_done;
		void *data = srv->close_data;
		free(srv);
		if (done)
			done(data);
	}
}

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct http_conn *conn = h->data;
	struct http_server *srv = conn->srv;
	if (--conn->open_handles == 0) {
		http_conn_unref(conn);
		server_handle_closed(srv);
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void on_timer(uv_timer_t *t);

static void on_linger_shutdown(uv_shutdown_t *req, int status)
{
}

/* After the answer to a malformed request: our side is shut down and what
 * the client still sends is read and dropped, until it closes, for at most
 * LINGER_MS or LINGER_MAX_BYTES. */
static bool conn_linger(struct http_conn *conn)
{
	if (!conn->linger || conn->state == CONN_LINGERING || conn->use_tls)
		return false;
	conn->linger = false;
	if (uv_shutdown(&conn->shutdown, &conn->h.stream, on_linger_shutdown) < 0)
		return false;
	conn->state = CONN_LINGERING;
	uv_read_start(&conn->h.stream, on_alloc, on_read);
	uv_timer_start(&conn->timer, on_timer, LINGER_MS, 0);
	return true;
}

static void conn_close(struct http_conn *conn)
{
	if (conn->state == CONN_CLOSED)
		return;
	if (conn->writes_pending == 0 && conn_linger(conn))
		return;
	conn->state = CONN_CLOSED;
	struct http_server *srv = conn->srv;
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		srv->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	srv->n_conns--;
	if (conn->on_close) {
		void (*cb)(struct http_conn *, void *) = conn->on_close;
		conn->on_close = NULL;
		cb(conn, conn->on_close_data);
	}
	conn_drained(conn); /* a waiting producer learns that the client is gone */
	uv_timer_stop(&conn->timer);
	uv_close((uv_handle_t *)&conn->timer, on_conn_handle_closed);
	uv_close(&conn->h.handle, on_conn_handle_closed);
}

void http_conn_on_close(struct http_conn *conn, void (*cb)(struct http_conn *, void *),
			void *userdata)
{
	conn->on_close = cb;
	conn->on_close_data = userdata;
}

static void on_timer(uv_timer_t *t)
{
	struct http_conn *conn = t->data;
	if (conn->state == CONN_READING || conn->state == CONN_LINGERING)
		conn_close(conn);
}

static void timer_arm(struct http_conn *conn, uint64_t ms)
{
	if (ms)
		uv_timer_start(&conn->timer, on_timer, ms, 0);
}

/* Called when an answer is complete: next request, or close. */
static void conn_response_done(struct http_conn *conn)
{
	if (conn->state == CONN_CLOSED)
		return;
	if (conn->srv->cfg.access_log)
		conn->srv->cfg.access_log(&conn->req, conn->status, conn->srv->cfg.userdata);
	bool keep = conn->req.keep_alive && !conn->req.upgrade && !conn->close_after_write;
	if (!keep) {
		conn->close_after_write = true;
		if (conn->writes_pending == 0)
			conn_close(conn);
		return;
	}
	request_reset(conn);
	conn->state = CONN_READING;
	timer_arm(conn, conn->srv->cfg.idle_timeout_ms);
	if (!conn->in_feed)
		conn_feed_pending(conn);
}

/* ---- replies ---- */

const char *http_status_text(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}

/* "Name: value\r\n" without printf: headers are most of a small reply's work. */
static void append_header(struct buf *out, const char *name, const char *value)
{
	buf_append(out, name, strlen(name));
	buf_append(out, ": ", 2);
	buf_append(out, value, strlen(value));
	buf_append(out, "\r\n", 2);
}

static void append_head(struct http_conn *conn, struct buf *out, int status,
			const char *content_type, const struct http_header *headers, size_t n)
{
	const struct http_server_config *cfg = &conn->srv->cfg;
	buf_appendf(out, "HTTP/1.%d %d %s\r\n", conn->http10 ? 0 : 1, status,
		    http_status_text(status));
	for (size_t i = 0; i < cfg->n_default_headers; i++)
		append_header(out, cfg->default_headers[i].name, cfg->default_headers[i].value);
	for (size_t i = 0; i < n; i++)
		append_header(out, headers[i].name, headers[i].value);
	if (content_type)
		append_header(out, "Content-Type", content_type);
	struct http_server *srv = conn->srv;
	time_t now = time(NULL);
	if (now != srv->date_time) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(srv->date, sizeof(srv->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		srv->date_time = now;
	}
	append_header(out, "Date", srv->date);
}

static bool conn_can_answer(struct http_conn *conn)
{
	return conn->state == CONN_HANDLING;
}

void http_reply(struct http_conn *conn, int status, const char *content_type,
		const struct http_header *headers, size_t n_headers, const void *body, size_t len)
{
	if (!conn_can_answer(conn))
		return;
	_cleanup_(buf_free) struct buf out = BUF_INIT;
	append_head(conn, &out, status, content_type, headers, n_headers);
	bool keep = conn->req.keep_alive && !conn->req.upgrade;
	if (!keep)
		buf_appendf(&out, "Connection: close\r\n");
	buf_appendf(&out, "Content-Length: %zu\r\n\r\n", len);
	if (conn->req.method != HTTP_HEAD && len)
		buf_append(&out, body, len);
	conn->status = status;
	conn_send(conn, out.data, out.len);
	conn_response_done(conn);
}

void http_reply_json(struct http_conn *conn, int status, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
	json_decref(json);
	if (!text) {
		http_reply_error(conn, 500, "could not encode the response");
		return;
	}
	size_t len = strlen(text);
	/* Go's encoder ends JSON documents with a newline; clients compare. */
	char *withnl = realloc(text, len + 2);
	if (withnl) {
		text = withnl;
		text[len++] = '\n';
		text[len] = '\0';
	}
	http_reply(conn, status, "application/json", NULL, 0, text, len);
	free(text);
}

void http_reply_error(struct http_conn *conn, int status, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_t *j = json_pack("{s:s}", "message", msg ? msg : "internal error");
	http_reply_json(conn, status, j);
}

int http_status_from_errno(int code)
{
	switch (code) {
	case -ENOENT: return 404;
	case -EEXIST:
	case -EBUSY: return 409;
	case -EINVAL: return 400;
	case -EPERM:
	case -EACCES: return 403;
	/* credentials a registry refused */
	case -EKEYREJECTED: return 401;
	case -ENOSYS: return 501;
	case -EAGAIN: return 503;
	default: return 500;
	}
}

void http_reply_err(struct http_conn *conn, const struct error *err)
{
	http_reply_error(conn, http_status_from_errno(err->code), "%s", error_msg(err));
}

void http_stream_begin(struct http_conn *conn, int status, const char *content_type)
{
	http_stream_begin_headers(conn, status, content_type, NULL, 0);
}

void http_stream_begin_headers(struct http_conn *conn, int status, const char *content_type,
			       const struct http_header *headers, size_t n_headers)
{
	if (!conn_can_answer(conn))
		return;
	_cleanup_(buf_free) struct buf out = BUF_INIT;
	append_head(conn, &out, status, content_type, headers, n_headers);
	if (conn->http10)
		buf_appendf(&out, "Connection: close\r\n\r\n");
	else
		buf_appendf(&out, "Transfer-Encoding: chunked\r\n\r\n");
	conn->status = status;
	conn->state = CONN_STREAMING;
	conn_send(conn, out.data, out.len);
}

int http_stream_write(struct http_conn *conn, const void *data, size_t len)
{
	if (conn->state != CONN_STREAMING)
		return -EPIPE;
	if (!len)
		return 0; /* an empty chunk would end the stream */
	if (conn->http10)
		return conn_send(conn, data, len);
	_cleanup_(buf_free) struct buf out = BUF_INIT;
	buf_appendf(&out, "%zx\r\n", len);
	buf_append(&out, data, len);
	buf_append(&out, "\r\n", 2);
	return conn_send(conn, out.data, out.len);
}

void http_stream_end(struct http_conn *conn)
{
	if (conn->state != CONN_STREAMING)
		return;
	/* The state changes first: a failed send closes the connection, and
	 * that must stick. */
	conn->state = CONN_HANDLING;
	if (conn->http10)
		conn->close_after_write = true;
	else
		conn_send(conn, "0\r\n\r\n", 5);
	conn_response_done(conn);
}

void http_hijack(struct http_conn *conn, const char *content_type,
		 const struct http_hijack_ops *ops, void *userdata)
{
	if (!conn_can_answer(conn))
		return;
	_cleanup_(buf_free) struct buf out = BUF_INIT;
	if (conn->req.upgrade) {
		buf_appendf(&out, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\n"
				  "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
			    content_type);
		conn->status = 101;
	} else {
		append_head(conn, &out, 200, content_type, NULL, 0);
		buf_appendf(&out, "\r\n");
		conn->status = 200;
	}
	conn->state = CONN_HIJACKED;
	conn->hijack = ops;
	conn->hijack_data = userdata;
	uv_timer_stop(&conn->timer);
	if (conn->srv->cfg.access_log)
		conn->srv->cfg.access_log(&conn->req, conn->status, conn->srv->cfg.userdata);
	conn_send(conn, out.data, out.len);
	/* Bytes that followed the request are the start of the raw stream. */
	if (conn->pending.len && conn->state == CONN_HIJACKED && ops->on_data) {
		_cleanup_(buf_free) struct buf early = conn->pending;
		conn->pending = (struct buf)BUF_INIT;
		ops->on_data(conn, early.data, early.len, userdata);
	}
}

int http_conn_write(struct http_conn *conn, const void *data, size_t len)
{
	if (conn->state != CONN_HIJACKED)
		return -EPIPE;
	return conn_send(conn, data, len);
}

void http_conn_finish(struct http_conn *conn)
{
	if (conn->state == CONN_CLOSED)
		return;
	conn->close_after_write = true;
	if (conn->writes_pending == 0)
		conn_close(conn);
}

/* ---- reading ---- */

static void conn_parse_error(struct http_conn *conn)
{
	int status = conn->parse_status;
	/* http-parser's own bound on a request head (HTTP_MAX_HEADER_SIZE) can
	 * strike before ours: before any header field, the URL is too long. */
	if (!status && HTTP_PARSER_ERRNO(&conn->parser) == HPE_HEADER_OVERFLOW)
		status = conn->req.n_headers == 0 && conn->field.len == 0 ? 414 : 431;
	const char *why;
	if (status == 413)
		why = "request body too large";
	else if (status == 431)
		why = "request header fields too large";
	else if (status == 500 || status == 507)
		why = "the request body could not be stored";
	else if (status == 414)
		why = "request URI too long";
	else if (status == 501)
		why = "unsupported transfer encoding";
	else if (status == 505)
		why = "HTTP version not supported";
	else if (status == 400 && conn->parse_why)
		why = conn->parse_why;
	else {
		status = 400;
		why = http_errno_description(HTTP_PARSER_ERRNO(&conn->parser));
	}
	conn->state = CONN_HANDLING;
	conn->req.keep_alive = false;
	conn->close_after_write = true;
	conn->linger = true;
	buf_free(&conn->pending);
	log_debug(conn->srv->cfg.log, "malformed request: %s", why);
	http_reply_error(conn, status, "malformed HTTP request: %s", why);
}

static void conn_dispatch(struct http_conn *conn)
{
	conn->state = CONN_HANDLING;
	uv_timer_stop(&conn->timer);
	conn->srv->cfg.handler(conn, &conn->req, conn->srv->cfg.userdata);
}

/* Parses conn->pending while the connection waits for requests. */
static void conn_feed_pending(struct http_conn *conn)
{
	http_conn_ref(conn);
	conn->in_feed = true;
	while (conn->state == CONN_READING && conn->pending.len) {
		if (!conn->got_bytes)
			timer_arm(conn, conn->srv->cfg.request_timeout_ms);
		http_parser_pause(&conn->parser, 0);
		size_t len = conn->pending.len;
		conn->feed_start = conn->pending.data;
		size_t n = http_parser_execute(&conn->parser, &parser_settings, conn->pending.data,
					       len);
		conn->feed_start = NULL;
		enum http_errno e = HTTP_PARSER_ERRNO(&conn->parser);
		buf_consume(&conn->pending, n);
		if (e == HPE_PAUSED)
			conn_dispatch(conn);
		else if (e != HPE_OK || n < len)
			conn_parse_error(conn); /* n < len: stopped without a request */
	}
	conn->in_feed = false;
	http_conn_unref(conn);
}

static void conn_received(struct http_conn *conn, const char *data, size_t len)
{
	if (conn->state == CONN_LINGERING) {
		conn->lingered += len;
		if (conn->lingered > LINGER_MAX_BYTES)
			conn_close(conn);
		return;
	}
	if (conn->state == CONN_HIJACKED) {
		if (conn->hijack->on_data)
			conn->hijack->on_data(conn, data, len, conn->hijack_data);
		return;
	}
	/* While a request is being answered, what the client sends next waits
	 * here; a client that floods instead of waiting is dropped. */
	if (conn->state != CONN_READING &&
	    conn->pending.len + len > conn->srv->cfg.max_header_bytes + conn->srv->cfg.max_body_bytes) {
		conn_close(conn);
		return;
	}
	buf_append(&conn->pending, data, len);
	if (conn->state == CONN_READING)
		conn_feed_pending(conn);
}

static void conn_received_tls(struct http_conn *conn, const char *data, size_t len)
{
	if (tls_session_feed(&conn->tls, data, len) < 0) {
		conn_close(conn);
		return;
	}
	char plain[16384];
	http_conn_ref(conn);
	for (;;) {
		int n = tls_session_read(&conn->tls, plain, sizeof(plain));
		if (n > 0) {
			conn_received(conn, plain, (size_t)n);
			if (conn->state == CONN_CLOSED)
				break;
			continue;
		}
		/* Handshake replies, alerts: send before deciding anything. */
		conn_flush_tls(conn);
		if (n < 0) {
			if (n == -EPROTO) {
				char why[256];
				log_debug(conn->srv->cfg.log, "TLS handshake or record failed: %s",
					  tls_last_error(why, sizeof(why)));
			}
			http_conn_finish(conn);
		}
		break;
	}
	http_conn_unref(conn);
}

/* One read buffer serves every connection: libuv hands it to on_read right
 * after on_alloc, and everything runs on one thread. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct http_conn *conn = h->data;
	*b = uv_buf_init(conn->srv->read_buf, sizeof(conn->srv->read_buf));
}

static void conn_on_eof(struct http_conn *conn)
{
	uv_read_stop(&conn->h.stream);
	switch (conn->state) {
	case CONN_HIJACKED:
		if (conn->hijack->on_eof)
			conn->hijack->on_eof(conn, conn->hijack_data);
		break;
	case CONN_HANDLING:
		/* A client may shut down its side after sending a request
		 * (nc, HTTP/1.0 tools): answer, then close. */
		conn->close_after_write = true;
		break;
	case CONN_READING:
		if (conn->got_bytes || conn->pending.len) {
			/* Half a request, then the client's end: say so (it may
			 * still read) rather than close without a word. */
			conn->state = CONN_HANDLING;
			conn->req.keep_alive = false;
			conn->close_after_write = true;
			buf_free(&conn->pending);
			http_reply_error(conn, 400, "malformed HTTP request: %s",
					 "the connection ended in the middle of a request");
			break;
		}
		http_conn_finish(conn);
		break;
	default:
		http_conn_finish(conn);
		break;
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct http_conn *conn = s->data;
	if (nread > 0) {
		if (conn->use_tls)
			conn_received_tls(conn, b->base, (size_t)nread);
		else
			conn_received(conn, b->base, (size_t)nread);
	} else if (nread == UV_EOF) {
		conn_on_eof(conn);
	} else if (nread < 0) {
		conn_close(conn);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct http_listener *l = server->data;
	struct http_server *srv = l->srv;
	if (status < 0 || srv->closing)
		return;
	struct http_conn *conn = calloc(1, sizeof(*conn));
	if (!conn)
		return;
	conn->srv = srv;
	conn->listener = l;
	conn->refs = 1;
	if (l->is_unix)
		uv_pipe_init(srv->loop, &conn->h.pipe, 0);
	else
		uv_tcp_init(srv->loop, &conn->h.tcp);
	uv_timer_init(srv->loop, &conn->timer);
	conn->h.handle.data = conn;
	conn->timer.data = conn;
	conn->open_handles = 2;
	srv->open_handles++;
	conn->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = conn;
	srv->conns = conn;
	srv->n_conns++;
	conn->spool_fd = -1;
	conn->req.body_fd = -1;
	http_parser_init(&conn->parser, HTTP_REQUEST);
	conn->parser.data = conn;
	conn->state = CONN_READING;

	if (uv_accept(server, &conn->h.stream) < 0 || srv->n_conns > srv->cfg.max_connections) {
		log_warn(srv->cfg.log, "refusing a connection: %zu connections open", srv->n_conns);
		conn_close(conn);
		return;
	}
	if (!l->is_unix)
		uv_tcp_nodelay(&conn->h.tcp, 1);
	if (l->tls) {
		if (tls_session_init(&conn->tls, l->tls, true) < 0) {
			conn_close(conn);
			return;
		}
		conn->use_tls = true;
	}
	timer_arm(conn, srv->cfg.idle_timeout_ms);
	uv_read_start(&conn->h.stream, on_alloc, on_read);
}

/* ---- listeners and the server ---- */

int http_server_new(uv_loop_t *loop, const struct http_server_config *cfg,
		    struct http_server **ret)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->cfg = *cfg;
	if (!srv->cfg.max_header_bytes)
		srv->cfg.max_header_bytes = 64 * 1024;
	if (!srv->cfg.max_body_bytes)
		srv->cfg.max_body_bytes = 16 * 1024 * 1024;
	if (!srv->cfg.max_connections)
		srv->cfg.max_connections = 4096;
	*ret = srv;
	return 0;
}

static struct http_listener *listener_new(struct http_server *srv, SSL_CTX *tls)
{
	struct http_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->srv = srv;
	if (tls) {
		SSL_CTX_up_ref(tls);
		l->tls = tls;
	}
	return l;
}

static void listener_free(struct http_listener *l)
{
	if (l->unix_path)
		unlink(l->unix_path);
	free(l->unix_path);
	SSL_CTX_free(l->tls);
	free(l);
}

static void on_listener_closed(uv_handle_t *h)
{
	struct http_listener *l = h->data;
	struct http_server *srv = l->srv;
	listener_free(l);
	server_handle_closed(srv);
}

/* Starts listening on an initialized, bound handle and links it in. */
static int listener_start(struct http_listener *l, const char *what, struct error *err)
{
	struct http_server *srv = l->srv;
	l->h.handle.data = l;
	srv->open_handles++;
	/* As Go does (dockerd): the kernel caps this at net.core.somaxconn. */
	int r = uv_listen(&l->h.stream, 4096, on_connection);
	if (r < 0) {
		error_set(err, r, "listen %s: %s", what, uv_strerror(r));
		uv_close(&l->h.handle, on_listener_closed);
		return r;
	}
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

/* True when something accepts connections on the unix socket at path. */
static bool unix_socket_in_use(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int http_server_listen_unix(struct http_server *srv, const char *path, int mode, SSL_CTX *tls,
			    struct error *err)
{
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(err, -EEXIST, "listen unix %s: a file that is not a socket is in the way", path);
		if (unix_socket_in_use(path))
			return error_set(err, -EADDRINUSE, "listen unix %s: socket is in use by another daemon", path);
		unlink(path);
	}
	struct http_listener *l = listener_new(srv, tls);
	if (!l)
		return error_set(err, -ENOMEM, "out of memory");
	l->is_unix = true;
	uv_pipe_init(srv->loop, &l->h.pipe, 0);
	int r = uv_pipe_bind(&l->h.pipe, path);
	if (r < 0) {
		error_set(err, r, "listen unix %s: bind: %s", path, uv_strerror(r));
		l->h.handle.data = l;
		srv->open_handles++;
		uv_close(&l->h.handle, on_listener_closed);
		return r;
	}
	l->unix_path = strdup(path);
	if (chmod(path, (mode_t)mode) < 0) {
		r = -errno;
		error_set(err, r, "chmod %s: %s", path, strerror(errno));
		l->h.handle.data = l;
		srv->open_handles++;
		uv_close(&l->h.handle, on_listener_closed);
		return r;
	}
	char what[512];
	snprintf(what, sizeof(what), "unix %s", path);
	return listener_start(l, what, err);
}

int http_server_listen_tcp(struct http_server *srv, const char *host, int port, SSL_CTX *tls,
			   struct error *err)
{
	struct sockaddr_storage sa;
	char what[300];
	snprintf(what, sizeof(what), strchr(host, ':') ? "tcp [%s]:%d" : "tcp %s:%d", host, port);
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) < 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) < 0)
		return error_set(err, -EINVAL, "listen %s: not a numeric IP address", what);
	struct http_listener *l = listener_new(srv, tls);
	if (!l)
		return error_set(err, -ENOMEM, "out of memory");
	uv_tcp_init(srv->loop, &l->h.tcp);
	int r = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&sa, 0);
	if (r == 0) {
		/* uv_tcp_bind defers EADDRINUSE to listen; listener_start reports it. */
		return listener_start(l, what, err);
	}
	error_set(err, r, "listen %s: bind: %s", what, uv_strerror(r));
	l->h.handle.data = l;
	srv->open_handles++;
	uv_close(&l->h.handle, on_listener_closed);
	return r;
}

void http_server_close(struct http_server *srv, void (*done)(void *), void *data)
{
	srv->closing = true;
	srv->close_done = done;
	srv->close_data = data;
	/* Keeps the server alive until everything below has closed. */
	srv->open_handles++;
	for (struct http_listener *l = srv->listeners; l; l = l->next)
		uv_close(&l->h.handle, on_listener_closed);
	srv->listeners = NULL;
	while (srv->conns)
		conn_close(srv->conns);
	server_handle_closed(srv);
}
