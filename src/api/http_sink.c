#include "api/http_sink.h"

#include <stdlib.h>
#include <string.h>

#include "shared/http_file_stream.h"

struct http_sink {
	struct byte_sink base;
	uv_loop_t *loop;
	struct http_conn *conn;
	char *type;
	struct http_header *headers;
	size_t n_headers;
	bool streaming;
};

static struct http_sink *of(const struct byte_sink *s)
{
	return (struct http_sink *)s;
}

static void headers_free(struct http_sink *h)
{
	for (size_t i = 0; i < h->n_headers; i++) {
		free((char *)h->headers[i].name);
		free((char *)h->headers[i].value);
	}
	free(h->headers);
	h->headers = NULL;
	h->n_headers = 0;
}

static void release(struct http_sink *h)
{
	headers_free(h);
	free(h->type);
	http_conn_unref(h->conn);
	free(h);
}

static void sink_http_begin(struct byte_sink *s, const char *type, const struct sink_meta *meta,
			    size_t n_meta)
{
	struct http_sink *h = of(s);
	free(h->type);
	h->type = type ? strdup(type) : NULL;
	headers_free(h);
	h->headers = n_meta ? calloc(n_meta, sizeof(*h->headers)) : NULL;
	if (!h->headers)
		return; /* a header lost to ENOMEM: the body still goes out */
	for (size_t i = 0; i < n_meta; i++) {
		char *name = strdup(meta[i].name), *value = strdup(meta[i].value);
		if (!name || !value) {
			free(name);
			free(value);
			return;
		}
		h->headers[h->n_headers++] = (struct http_header){name, value};
	}
}

static void start(struct http_sink *h)
{
	if (h->streaming)
		return;
	http_stream_begin_headers(h->conn, 200, h->type, h->headers, h->n_headers);
	h->streaming = true;
}

static int sink_http_write(struct byte_sink *s, const void *data, size_t len)
{
	struct http_sink *h = of(s);
	start(h);
	return http_stream_write(h->conn, data, len);
}

static void sink_http_send_file(struct byte_sink *s, int fd)
{
	struct http_sink *h = of(s);
	start(h);
	http_stream_file(h->loop, h->conn, fd);
	release(h);
}

static void sink_http_end(struct byte_sink *s, const struct error *err)
{
	struct http_sink *h = of(s);
	if (h->streaming)
		http_stream_end(h->conn);
	else if (err && err->code < 0)
		http_reply_err(h->conn, err);
	else
		http_reply(h->conn, 200, h->type, h->headers, h->n_headers, NULL, 0);
	release(h);
}

static bool sink_http_gone(const struct byte_sink *s)
{
	return http_conn_is_closed(of(s)->conn);
}

static const struct byte_sink_ops http_sink_ops = {
    .begin = sink_http_begin,
    .write = sink_http_write,
    .send_file = sink_http_send_file,
    .end = sink_http_end,
    .gone = sink_http_gone,
};

struct byte_sink *http_sink_new(uv_loop_t *loop, struct http_conn *conn)
{
	struct http_sink *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->base.ops = &http_sink_ops;
	h->loop = loop;
	h->conn = conn;
	http_conn_ref(conn);
	return &h->base;
}

struct byte_sink *http_sink_or_reply(uv_loop_t *loop, struct http_conn *conn)
{
	struct byte_sink *s = http_sink_new(loop, conn);
	if (!s)
		http_reply_error(conn, 500, "out of memory");
	return s;
}
