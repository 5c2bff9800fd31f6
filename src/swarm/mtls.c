/* Mutual TLS over libuv with memory BIOs (see mtls.h). */
#include "swarm/mtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <raft.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "swarm/ca.h"

struct wreq {
	uv_write_t req;
	char data[];
};

SSL_CTX *mtls_ctx_new(bool server, const char *ca_pem, const char *cert_pem, const char *key_pem,
		      struct error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		error_set(err, -ENOMEM, "could not create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cert_pem && key_pem) {
		X509 *x = ca_x509_from_pem(cert_pem);
		EVP_PKEY *k = ca_key_from_pem(key_pem);
		bool ok = x && k && SSL_CTX_use_certificate(ctx, x) == 1 &&
			  SSL_CTX_use_PrivateKey(ctx, k) == 1;
		X509_free(x);
		EVP_PKEY_free(k);
		if (!ok) {
			SSL_CTX_free(ctx);
			error_set(err, -EINVAL, "invalid node certificate or key");
			return NULL;
		}
	}
	if (ca_pem) {
		if (ca_store_add_bundle(SSL_CTX_get_cert_store(ctx), ca_pem) < 0) {
			SSL_CTX_free(ctx);
			error_set(err, -EINVAL, "invalid root CA certificate");
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

static void conn_free(struct mtls_conn *c)
{
	SSL_free(c->ssl); /* frees the BIOs */
	X509_free(c->peer);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void handle_closed(uv_handle_t *h)
{
	struct mtls_conn *c = h->data;
	if (--c->handles > 0)
		return;
	if (c->ops->on_close && !c->notified) {
		c->notified = true;
		c->refs++; /* on_close may drop the last holder's reference */
		c->ops->on_close(c, c->status);
		c->refs--;
	}
	if (c->refs == 0)
		conn_free(c);
}

void mtls_ref(struct mtls_conn *c)
{
	c->refs++;
}

void mtls_unref(struct mtls_conn *c)
{
	if (--c->refs == 0 && c->handles == 0)
		conn_free(c);
}

void mtls_close(struct mtls_conn *c, int status)
{
	if (c->closing)
		return;
	c->closing = true;
	if (!c->status)
		c->status = status;
	uv_close((uv_handle_t *)&c->tcp, handle_closed);
	if (c->raw)
		uv_close((uv_handle_t *)&c->pipe, handle_closed);
}

static void write_done(uv_write_t *req, int status)
{
	struct mtls_conn *c = req->data;
	free(req);
	if (status < 0)
		mtls_close(c, status);
}

/* Sends whatever TLS wrote into the network BIO. */
static void flush_net(struct mtls_conn *c)
{
	size_t pending;
	while (!c->closing && (pending = BIO_ctrl_pending(c->wbio)) > 0) {
		struct wreq *w = malloc(sizeof(*w) + pending);
		if (!w) {
			mtls_close(c, -ENOMEM);
			return;
		}
		int n = BIO_read(c->wbio, w->data, (int)pending);
		if (n <= 0) {
			free(w);
			return;
		}
		w->req.data = c;
		uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
		int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
		if (r < 0) {
			free(w);
			mtls_close(c, r);
			return;
		}
	}
}

static int ssl_write_all(struct mtls_conn *c, const void *data, size_t len)
{
	if (!c->ready)
		return buf_append(&c->out, data, len);
	while (len > 0) {
		int n = SSL_write(c->ssl, data, (int)(len > (1u << 30) ? (1u << 30) : len));
		if (n <= 0)
			return -EIO;
		data = (const char *)data + n;
		len -= (size_t)n;
	}
	flush_net(c);
	return 0;
}

int mtls_send_frame(struct mtls_conn *c, const char *data, size_t len)
{
	if (c->closing)
		return -ECONNRESET;
	unsigned char hdr[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
				(unsigned char)(len >> 8), (unsigned char)len};
	int r = ssl_write_all(c, hdr, 4);
	if (r == 0)
		r = ssl_write_all(c, data, len);
	return r;
}

int mtls_send_json(struct mtls_conn *c, void *json)
{
	char *s = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	if (!s)
		return -ENOMEM;
	int r = mtls_send_frame(c, s, strlen(s));
	free(s);
	return r;
}

static void pipe_write_done(uv_write_t *req, int status)
{
	struct mtls_conn *c = req->data;
	free(req);
	if (status < 0)
		mtls_close(c, status);
}

static void deliver_raw(struct mtls_conn *c, const char *data, size_t len)
{
	struct wreq *w = malloc(sizeof(*w) + len);
	if (!w) {
		mtls_close(c, -ENOMEM);
		return;
	}
	memcpy(w->data, data, len);
	w->req.data = c;
	uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
	int r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, pipe_write_done);
	if (r < 0) {
		free(w);
		mtls_close(c, r);
	}
}

/* Hands complete frames to the owner; stops when it switched to raw mode. */
static void parse_frames(struct mtls_conn *c)
{
	while (!c->closing && !c->raw && c->in.len >= 4) {
		const unsigned char *p = (const unsigned char *)c->in.data;
		size_t n = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
		if (n > MTLS_MAX_FRAME) {
			mtls_close(c, -EMSGSIZE);
			return;
		}
		if (c->in.len < 4 + n)
			return;
		char *frame = malloc(n + 1);
		if (!frame) {
			mtls_close(c, -ENOMEM);
			return;
		}
		memcpy(frame, c->in.data + 4, n);
		frame[n] = '\0';
		buf_consume(&c->in, 4 + n);
		c->ops->on_frame(c, frame, n);
		free(frame);
	}
}

static void become_ready(struct mtls_conn *c)
{
	c->ready = true;
	c->peer = SSL_get1_peer_certificate(c->ssl);
	if (c->peer && SSL_get_verify_result(c->ssl) != X509_V_OK &&
	    SSL_get_verify_mode(c->ssl) != SSL_VERIFY_NONE) {
		mtls_close(c, -EACCES);
		return;
	}
	if (c->out.len) {
		struct buf pending = c->out;
		c->out = (struct buf)BUF_INIT;
		ssl_write_all(c, pending.data, pending.len);
		buf_free(&pending);
	}
	if (c->ops->on_ready)
		c->ops->on_ready(c);
}

/* Drives the handshake and reads plaintext after new network bytes. */
static void pump_ssl(struct mtls_conn *c)
{
	if (!c->ready) {
		int r = SSL_do_handshake(c->ssl);
		flush_net(c);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				mtls_close(c, -EACCES);
			ERR_clear_error();
			return;
		}
		become_ready(c);
	}
	char tmp[16384];
	while (!c->closing) {
		int n = SSL_read(c->ssl, tmp, sizeof(tmp));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			flush_net(c);
			if (e == SSL_ERROR_ZERO_RETURN)
				mtls_close(c, -ECONNRESET);
			else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				mtls_close(c, -EACCES);
			ERR_clear_error();
			return;
		}
		if (c->raw) {
			deliver_raw(c, tmp, (size_t)n);
		} else {
			if (buf_append(&c->in, tmp, (size_t)n) < 0) {
				mtls_close(c, -ENOMEM);
				return;
			}
			parse_frames(c);
		}
	}
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	b->base = malloc(65536);
	b->len = b->base ? 65536 : 0;
}

static void tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct mtls_conn *c = s->data;
	if (n > 0 && !c->closing) {
		BIO_write(c->rbio, b->base, (int)n);
		pump_ssl(c);
	} else if (n < 0) {
		mtls_close(c, n == UV_EOF ? -ECONNRESET : (int)n);
	}
	free(b->base);
}

static void pipe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct mtls_conn *c = s->data;
	if (n > 0 && !c->closing) {
		if (ssl_write_all(c, b->base, (size_t)n) < 0)
			mtls_close(c, -EIO);
	} else if (n < 0) {
		mtls_close(c, -ECONNRESET);
	}
	free(b->base);
}

static struct mtls_conn *conn_new(uv_loop_t *loop, SSL_CTX *ctx, bool server,
				  const struct mtls_ops *ops, void *data)
{
	struct mtls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		SSL_free(c->ssl);
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		free(c);
		return NULL;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	c->server = server;
	c->ops = ops;
	c->data = data;
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	c->handles = 1;
	return c;
}

int mtls_accept(uv_stream_t *server, SSL_CTX *ctx, const struct mtls_ops *ops, void *data,
		struct mtls_conn **ret)
{
	struct mtls_conn *c = conn_new(server->loop, ctx, true, ops, data);
	if (!c)
		return -ENOMEM;
	int r = uv_accept(server, (uv_stream_t *)&c->tcp);
	if (r == 0) {
		uv_tcp_nodelay(&c->tcp, 1);
		r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, tcp_read);
	}
	if (r < 0) {
		c->notified = true;
		mtls_close(c, r);
		return r;
	}
	*ret = c;
	return 0;
}

static void connected(uv_connect_t *req, int status)
{
	struct mtls_conn *c = req->data;
	if (c->closing)
		return;
	if (status < 0) {
		mtls_close(c, status);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	int r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, tcp_read);
	if (r < 0) {
		mtls_close(c, r);
		return;
	}
	pump_ssl(c); /* sends the ClientHello */
}

int mtls_parse_addr(const char *addr, struct sockaddr_storage *ss, struct error *err)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return error_set(err, -EINVAL, "invalid address %s: missing port", addr);
	size_t hl = (size_t)(colon - addr);
	memcpy(host, addr, hl);
	host[hl] = '\0';
	char *h = host;
	if (h[0] == '[' && hl > 1 && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return error_set(err, -EINVAL, "invalid address %s: bad port", addr);
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(h, (int)port, (struct sockaddr_in *)ss) == 0 ||
	    uv_ip6_addr(h, (int)port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return error_set(err, -EINVAL, "invalid address %s: not an IP address", addr);
}

int mtls_connect(uv_loop_t *loop, SSL_CTX *ctx, const char *addr, const struct mtls_ops *ops,
		 void *data, struct mtls_conn **ret, struct error *err)
{
	struct sockaddr_storage ss;
	int r = mtls_parse_addr(addr, &ss, err);
	if (r < 0)
		return r;
	struct mtls_conn *c = conn_new(loop, ctx, false, ops, data);
	if (!c)
		return error_set(err, -ENOMEM, "out of memory");
	c->creq.data = c;
	r = uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&ss, connected);
	if (r < 0) {
		c->notified = true;
		mtls_close(c, r);
		return error_set(err, r, "could not connect to %s: %s", addr, uv_strerror(r));
	}
	*ret = c;
	return 0;
}

int mtls_go_raw(struct mtls_conn *c, uv_loop_t *loop, uv_stream_t **ret)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	uv_pipe_t *theirs = raft_malloc(sizeof(*theirs));
	if (!theirs) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	uv_pipe_init(loop, &c->pipe, 0);
	c->pipe.data = c;
	c->handles++;
	c->raw = true;
	uv_pipe_init(loop, theirs, 0);
	int r = uv_pipe_open(&c->pipe, sv[0]);
	if (r == 0)
		r = uv_pipe_open(theirs, sv[1]);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, pipe_read);
	if (r < 0) {
		/* The handles own the fds now (or close them below). */
		uv_close((uv_handle_t *)theirs, (uv_close_cb)raft_free);
		mtls_close(c, r);
		return r;
	}
	if (c->in.len) {
		deliver_raw(c, c->in.data, c->in.len);
		c->in.len = 0;
	}
	*ret = (uv_stream_t *)theirs;
	return 0;
}
