/* A file sent as a chunked body at the client's pace. */
#include "shared/http_file_stream.h"

#include <stdlib.h>
#include <unistd.h>

struct file_stream {
	uv_loop_t *loop;
	struct http_conn *conn;
	uv_fs_t req;
	int fd;
	int64_t off;
	char buf[256 * 1024];
};

static void stream_end(struct file_stream *s)
{
	http_stream_end(s->conn);
	http_conn_unref(s->conn);
	close(s->fd);
	free(s);
}

static void read_next(struct http_conn *conn, void *userdata);

static void on_read(uv_fs_t *req)
{
	struct file_stream *s = req->data;
	ssize_t n = req->result;
	uv_fs_req_cleanup(req);
	if (n <= 0 || http_conn_is_closed(s->conn) ||
	    http_stream_write(s->conn, s->buf, (size_t)n) < 0) {
		stream_end(s);
		return;
	}
	s->off += n;
	http_conn_on_drain(s->conn, read_next, s);
}

static void read_next(struct http_conn *conn, void *userdata)
{
	struct file_stream *s = userdata;
	if (http_conn_is_closed(conn)) {
		stream_end(s);
		return;
	}
	uv_buf_t b = uv_buf_init(s->buf, sizeof(s->buf));
	s->req.data = s;
	if (uv_fs_read(s->loop, &s->req, s->fd, &b, 1, s->off, on_read) < 0)
		stream_end(s);
}

void http_stream_file(uv_loop_t *loop, struct http_conn *conn, int fd)
{
	struct file_stream *s = malloc(sizeof(*s));
	if (!s) {
		close(fd);
		http_stream_end(conn);
		return;
	}
	s->loop = loop;
	s->conn = conn;
	s->fd = fd;
	s->off = 0;
	http_conn_ref(conn);
	read_next(conn, s);
}
