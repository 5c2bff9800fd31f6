/* The HTTP server on a real libuv loop and unix socket; a client thread
 * drives it with raw bytes and the main thread checks what came back. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/buf.h"
#include "shared/http_server.h"

struct fixture {
	uv_loop_t loop;
	uv_async_t done;
	struct http_server *srv;
	char dir[64];
	char sock[100];
	void (*scenario)(struct fixture *);
	char *out[4]; /* what the client read, per step */
	uv_timer_t slow_timer;
	struct http_conn *slow_conn;
};

/* ---- server side ---- */

static void hijack_data(struct http_conn *conn, const char *data, size_t len, void *ud)
{
	char up[256];
	size_t n = len < sizeof(up) ? len : sizeof(up);
	for (size_t i = 0; i < n; i++)
		up[i] = (char)(data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 : data[i]);
	http_conn_write(conn, up, n);
}

static void hijack_eof(struct http_conn *conn, void *ud)
{
	http_conn_write(conn, "|BYE", 4);
	http_conn_finish(conn);
}

static const struct http_hijack_ops hijack_ops = {hijack_data, hijack_eof};

static void slow_reply(uv_timer_t *t)
{
	struct fixture *f = t->data;
	http_reply(f->slow_conn, 200, "text/plain", NULL, 0, "late", 4);
	http_conn_unref(f->slow_conn);
	f->slow_conn = NULL;
}

static void handler(struct http_conn *conn, const struct http_request *req, void *ud)
{
	struct fixture *f = ud;
	if (strcmp(req->path, "/echo") == 0) {
		struct buf b = BUF_INIT;
		const char *x = http_request_query(req, "x");
		buf_appendf(&b, "body=%s x=%s", req->body, x ? x : "-");
		http_reply(conn, 200, "text/plain", NULL, 0, b.data, b.len);
		buf_free(&b);
	} else if (strcmp(req->path, "/spool") == 0) {
		char head[16] = "";
		ssize_t n = req->body_fd >= 0 ? read(req->body_fd, head, 5) : -1;
		struct buf b = BUF_INIT;
		buf_appendf(&b, "spooled=%zu head=%.*s mem=%zu", req->body_len, (int)(n > 0 ? n : 0),
			    head, strlen(req->body));
		http_reply(conn, 200, "text/plain", NULL, 0, b.data, b.len);
		buf_free(&b);
	} else if (strcmp(req->path, "/stream") == 0) {
		http_stream_begin(conn, 200, "application/json");
		http_stream_write(conn, "one", 3);
		http_stream_write(conn, "two", 3);
		http_stream_end(conn);
	} else if (strcmp(req->path, "/hijack") == 0) {
		http_hijack(conn, "application/vnd.docker.raw-stream", &hijack_ops, f);
	} else if (strcmp(req->path, "/slow") == 0) {
		http_conn_ref(conn);
		f->slow_conn = conn;
		uv_timer_start(&f->slow_timer, slow_reply, 100, 0);
	} else {
		http_reply_error(conn, 404, "page not found");
	}
}

/* ---- client side (its own thread, blocking sockets) ---- */

static int client_connect(struct fixture *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static char *read_all(int fd)
{
	struct buf b = BUF_INIT;
	char tmp[4096];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_append(&b, tmp, (size_t)n);
	return buf_steal(&b);
}

/* Sends req, optionally half-closes, reads until the server closes. */
static char *exchange(struct fixture *f, const char *req, size_t len, bool shut)
{
	int fd = client_connect(f);
	if (fd < 0)
		return strdup("connect failed");
	if (write(fd, req, len) != (ssize_t)len) {
		close(fd);
		return strdup("write failed");
	}
	if (shut)
		shutdown(fd, SHUT_WR);
	char *out = read_all(fd);
	close(fd);
	return out;
}

static void *client_main(void *arg)
{
	struct fixture *f = arg;
	f->scenario(f);
	uv_async_send(&f->done);
	return NULL;
}

static void on_done(uv_async_t *a)
{
	struct fixture *f = a->data;
	http_server_close(f->srv, NULL, NULL);
	uv_close((uv_handle_t *)&f->done, NULL);
	uv_close((uv_handle_t *)&f->slow_timer, NULL);
}

static bool should_spool(enum http_method m, const char *url, void *ud)
{
	return m == HTTP_POST && strncmp(url, "/spool", 6) == 0;
}

static void run(struct fixture *f, void (*scenario)(struct fixture *), size_t max_body,
		uint64_t idle_ms)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-test-http-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/s.sock", f->dir);
	f->scenario = scenario;
	uv_loop_init(&f->loop);
	uv_async_init(&f->loop, &f->done, on_done);
	f->done.data = f;
	uv_timer_init(&f->loop, &f->slow_timer);
	f->slow_timer.data = f;
	struct logger lg = {.level = LOG_LEVEL_ERROR, .fd = 2};
	struct http_server_config cfg = {
		.handler = handler, .userdata = f, .log = &lg, .max_header_bytes = 8192,
		.max_body_bytes = max_body, .idle_timeout_ms = idle_ms,
		.request_timeout_ms = idle_ms, .should_spool = should_spool, .spool_dir = "/tmp",
	};
	assert_int_equal(http_server_new(&f->loop, &cfg, &f->srv), 0);
	struct error err = ERROR_INIT;
	assert_int_equal(http_server_listen_unix(f->srv, f->sock, 0600, NULL, &err), 0);
	pthread_t t;
	pthread_create(&t, NULL, client_main, f);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	pthread_join(t, NULL);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	/* Closing the server removes its socket file. */
	assert_int_equal(access(f->sock, F_OK), -1);
	rmdir(f->dir);
}

static void done(struct fixture *f)
{
	for (size_t i = 0; i < 4; i++)
		free(f->out[i]);
}

/* ---- scenarios ---- */

static void scenario_pipelined(struct fixture *f)
{
	static const char req[] = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
				  "GET /echo?x=a%20b+c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	f->out[0] = exchange(f, req, sizeof(req) - 1, false);
}

static void test_keepalive_pipelining_chunked(void **state)
{
	struct fixture f;
	run(&f, scenario_pipelined, 1024, 5000);
	const char *first = strstr(f.out[0], "body=hello world x=-");
	assert_non_null(first);
	assert_non_null(strstr(first, "body= x=a b c"));
	assert_non_null(strstr(f.out[0], "Connection: close"));
	done(&f);
}

static void scenario_stream(struct fixture *f)
{
	static const char req[] = "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	f->out[0] = exchange(f, req, sizeof(req) - 1, false);
	static const char req10[] = "GET /stream HTTP/1.0\r\n\r\n";
	f->out[1] = exchange(f, req10, sizeof(req10) - 1, false);
}

static void test_streaming(void **state)
{
	struct fixture f;
	run(&f, scenario_stream, 1024, 5000);
	assert_non_null(strstr(f.out[0], "Transfer-Encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"));
	/* HTTP/1.0 has no chunked encoding: raw body, then close. */
	assert_non_null(strstr(f.out[1], "HTTP/1.0 200"));
	assert_non_null(strstr(f.out[1], "\r\n\r\nonetwo"));
	done(&f);
}

static void scenario_hijack(struct fixture *f)
{
	int fd = client_connect(f);
	static const char req[] = "POST /hijack HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\n"
				  "Connection: Upgrade\r\n\r\nearly";
	if (write(fd, req, sizeof(req) - 1) < 0 || write(fd, "|ping", 5) < 0)
		f->out[0] = strdup("write failed");
	shutdown(fd, SHUT_WR); /* like docker attach when stdin ends */
	if (!f->out[0])
		f->out[0] = read_all(fd);
	close(fd);
}

static void test_hijack(void **state)
{
	struct fixture f;
	run(&f, scenario_hijack, 1024, 5000);
	assert_non_null(strstr(f.out[0], "HTTP/1.1 101 UPGRADED\r\n"));
	assert_non_null(strstr(f.out[0], "Upgrade: tcp"));
	/* The early bytes and later bytes are echoed; output survives the half-close. */
	const char *body = strstr(f.out[0], "\r\n\r\n");
	assert_non_null(body);
	assert_non_null(strstr(body, "EARLY"));
	assert_non_null(strstr(body, "PING"));
	assert_non_null(strstr(body, "|BYE"));
	done(&f);
}

static void scenario_limits(struct fixture *f)
{
	struct buf big = BUF_INIT;
	buf_appendf(&big, "GET /echo HTTP/1.1\r\nX-Big: ");
	for (int i = 0; i < 9000; i++)
		buf_append(&big, "a", 1);
	buf_appendf(&big, "\r\n\r\n");
	f->out[0] = exchange(f, big.data, big.len, false);
	buf_free(&big);
	static const char body[] = "POST /echo HTTP/1.1\r\nContent-Length: 999999\r\n\r\nxx";
	f->out[1] = exchange(f, body, sizeof(body) - 1, false);
	static const char junk[] = "\x01\x02garbage\r\n\r\n";
	f->out[2] = exchange(f, junk, sizeof(junk) - 1, false);
	static const char ok[] = "GET /nope HTTP/1.1\r\n\r\n";
	f->out[3] = exchange(f, ok, sizeof(ok) - 1, true);
}

static void test_limits_and_garbage(void **state)
{
	struct fixture f;
	run(&f, scenario_limits, 1024, 5000);
	assert_non_null(strstr(f.out[0], "HTTP/1.1 431 "));
	assert_non_null(strstr(f.out[1], "HTTP/1.1 413 "));
	assert_non_null(strstr(f.out[2], " 400 Bad Request"));
	assert_non_null(strstr(f.out[2], "{\"message\":\"malformed HTTP request"));
	/* After all that the server still answers, also a half-closed client. */
	assert_non_null(strstr(f.out[3], "HTTP/1.1 404 "));
	assert_non_null(strstr(f.out[3], "page not found"));
	done(&f);
}

static void scenario_spool(struct fixture *f)
{
	/* Far beyond max_body_bytes, in chunks: spooled bodies have no limit. */
	struct buf req = BUF_INIT;
	buf_appendf(&req, "POST /spool HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			  "Connection: close\r\n\r\n");
	for (int i = 0; i < 64; i++) {
		buf_appendf(&req, "400\r\n");
		for (int j = 0; j < 1024; j++)
			buf_append(&req, i == 0 && j < 5 ? "HELLO" + j : "z", 1);
		buf_appendf(&req, "\r\n");
	}
	buf_appendf(&req, "0\r\n\r\n");
	f->out[0] = exchange(f, req.data, req.len, false);
	buf_free(&req);
}

static void test_spooled_body(void **state)
{
	struct fixture f;
	run(&f, scenario_spool, 1024, 5000);
	if (!strstr(f.out[0], "spooled=65536 head=HELLO mem=0"))
		fail_msg("got: %.300s", f.out[0]);
	done(&f);
}

static void scenario_slow_gone(struct fixture *f)
{
	int fd = client_connect(f);
	static const char req[] = "GET /slow HTTP/1.1\r\n\r\n";
	if (write(fd, req, sizeof(req) - 1) < 0)
		f->out[0] = strdup("write failed");
	close(fd); /* gone before the answer */
	usleep(300 * 1000); /* lets the late reply hit the closed connection */
	f->out[0] = exchange(f, req, sizeof(req) - 1, true);
}

static void test_async_reply_after_close(void **state)
{
	struct fixture f;
	run(&f, scenario_slow_gone, 1024, 5000);
	assert_non_null(strstr(f.out[0], "\r\n\r\nlate"));
	done(&f);
}

static void scenario_idle(struct fixture *f)
{
	int fd = client_connect(f);
	static const char half[] = "GET /echo HTTP/1.1\r\nHost:";
	if (write(fd, half, sizeof(half) - 1) < 0)
		f->out[0] = strdup("write failed");
	if (!f->out[0])
		f->out[0] = read_all(fd); /* returns when the server gives up */
	close(fd);
}

static void test_incomplete_request_times_out(void **state)
{
	struct fixture f;
	run(&f, scenario_idle, 1024, 200);
	assert_string_equal(f.out[0], "");
	done(&f);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as berthd does: a vanished client is an error code */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_pipelining_chunked),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_hijack),
		cmocka_unit_test(test_limits_and_garbage),
		cmocka_unit_test(test_async_reply_after_close),
		cmocka_unit_test(test_spooled_body),
		cmocka_unit_test(test_incomplete_request_times_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
