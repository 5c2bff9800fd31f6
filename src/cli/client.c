/* Blocking Engine API client for the CLI: connect, send one GET, parse the
 * response with http-parser, close. No event loop: the CLI does one thing at
 * a time, and blocking reads let SIGINT end a stream with EINTR. */
#include "cli/client.h"
#include "shared/api_version.h"

#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"

struct conn {
	int fd;
	SSL *ssl;
};

/* What the parser callbacks fill in. */
struct response {
	unsigned status;
	char field[64]; /* current header name (truncated; we need short ones) */
	bool field_is_version;
	bool in_value;
	char api_version[16]; /* API-Version header */
	char *body;	      /* buffered body (errors, JSON answers) */
	size_t body_len;
	client_data_fn fn; /* streaming sink for 2xx bodies, or NULL */
	void *userdata;
	int fn_error;
	bool complete;
	bool oom;
};

static int ssl_ctx_setup(struct client *c, struct error *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return error_set(err, -ENOMEM, "cannot create TLS context");
	c->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (c->tls.verify) {
		if (SSL_CTX_load_verify_locations(ctx, c->tls.ca, NULL) != 1)
			return error_set(err, -EINVAL, "could not read CA certificate \"%s\"",
					 c->tls.ca);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		/* --tls without --tlsverify: encrypted but unauthenticated, as docker. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (c->tls.cert) {
		if (SSL_CTX_use_certificate_chain_file(ctx, c->tls.cert) != 1)
			return error_set(err, -EINVAL, "could not load X509 key pair: cert %s",
					 c->tls.cert);
		if (SSL_CTX_use_PrivateKey_file(ctx, c->tls.key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			return error_set(err, -EINVAL, "could not load X509 key pair: key %s",
					 c->tls.key);
	}
	return 0;
}

int cli_call(const struct cli *cli, const char *method, const char *path, const struct query *q,
	     json_t *body, json_t **ret, struct error *err)
{
	return cli_call_auth(cli, method, path, q, body, NULL, ret, err);
}

static int request_json(struct client *c, const char *method, const char *path,
			const struct query *q, json_t *body, const char *auth, json_t **ret,
			struct error *err);

int cli_call_auth(const struct cli *cli, const char *method, const char *path,
		  const struct query *q, json_t *body, const char *auth, json_t **ret,
		  struct error *err)
{
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = request_json(&c, method, path, q, body, auth, ret, err);
	client_done(&c);
	return r;
}

int client_init(struct client *c, const struct cli *cli, struct error *err)
{
	*c = (struct client){.log = &cli->log};
	int r = cli_tls_resolve(cli->tls, cli->tlsverify, cli->tlscacert, cli->tlscert, cli->tlskey,
				&c->tls, err);
	if (r < 0)
		return error_wrap(err, "Failed to initialize: unable to resolve berth endpoint");
	const char *h = cli->host;
	if (!h) {
		const char *env = getenv("DOCKER_HOST");
		h = env && *env ? env : CLI_DEFAULT_HOST;
	}
	r = cli_host_parse(h, c->tls.enabled, &c->host, err);
	if (r < 0)
		return error_wrap(err, "Failed to initialize: unable to resolve berth endpoint");
	if (c->tls.enabled && c->host.kind == CLI_HOST_TCP) {
		r = ssl_ctx_setup(c, err);
		if (r < 0)
			return error_wrap(err, "Failed to initialize: unable to resolve berth "
					       "endpoint");
	}
	return 0;
}

void client_done(struct client *c)
{
	cli_host_done(&c->host);
	cli_tls_done(&c->tls);
	SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = NULL;
}

static int cannot_connect(const struct client *c, struct error *err, int code)
{
	return error_set(err, code,
			 "Cannot connect to the Berth daemon at %s. Is the daemon running?",
			 c->host.url);
}

static int connect_unix(const struct client *c, struct error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(c->host.path) >= sizeof(sa.sun_path))
		return error_set(err, -ENAMETOOLONG, "socket path too long: %s", c->host.path);
	strcpy(sa.sun_path, c->host.path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cannot_connect(c, err, -errno);
	return TAKE_FD(fd);
}

static int connect_tcp(const struct client *c, struct error *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(c->host.name, c->host.port, &hints, &res) != 0)
		return cannot_connect(c, err, -EHOSTUNREACH);
	int fd = -1, e = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd < 0 ? cannot_connect(c, err, -e) : fd;
}

/* The first queued OpenSSL error, for messages. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "connection failed";
}

static int tls_handshake(const struct client *c, struct conn *cn, struct error *err)
{
	cn->ssl = SSL_new(c->ssl_ctx);
	if (!cn->ssl || SSL_set_fd(cn->ssl, cn->fd) != 1)
		return error_set(err, -ENOMEM, "cannot create TLS session");
	bool is_ip = strspn(c->host.name, "0123456789.") == strlen(c->host.name) ||
		     strchr(c->host.name, ':');
	if (!is_ip)
		SSL_set_tlsext_host_name(cn->ssl, c->host.name);
	if (c->tls.verify) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(cn->ssl);
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, c->host.name);
		else
			SSL_set1_host(cn->ssl, c->host.name);
	}
	if (SSL_connect(cn->ssl) != 1) {
		long v = SSL_get_verify_result(cn->ssl);
		if (v != X509_V_OK)
			return error_set(err, -EPROTO, "error during connect: tls: %s",
					 X509_verify_cert_error_string(v));
		return error_set(err, -EPROTO, "error during connect: tls: %s", ssl_reason());
	}
	return 0;
}

static void conn_close(struct conn *cn)
{
	if (cn->ssl) {
		SSL_shutdown(cn->ssl);
		SSL_free(cn->ssl);
	}
	if (cn->fd >= 0)
		close(cn->fd);
	*cn = (struct conn){.fd = -1};
}

static int conn_open(const struct client *c, struct conn *cn, struct error *err)
{
	*cn = (struct conn){.fd = -1};
	int fd = c->host.kind == CLI_HOST_UNIX ? connect_unix(c, err) : connect_tcp(c, err);
	if (fd < 0)
		return fd;
	cn->fd = fd;
	if (!c->ssl_ctx)
		return 0;
	int r = tls_handshake(c, cn, err);
	if (r < 0)
		conn_close(cn);
	return r;
}

static int conn_write_all(struct conn *cn, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = cn->ssl ? SSL_write(cn->ssl, buf, (int)len) : write(cn->fd, buf, len);
		if (n <= 0) {
			if (!cn->ssl && n < 0 && errno == EINTR)
				continue;
			return -EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Returns bytes read, 0 at EOF, -EINTR on a signal, -EIO otherwise. */
static ssize_t conn_read(struct conn *cn, char *buf, size_t len)
{
	if (!cn->ssl) {
		ssize_t n = read(cn->fd, buf, len);
		return n < 0 ? (errno == EINTR ? -EINTR : -EIO) : n;
	}
	int n = SSL_read(cn->ssl, buf, (int)len);
	if (n > 0)
		return n;
	int e = SSL_get_error(cn->ssl, n);
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_SYSCALL)
		return errno == EINTR ? -EINTR : 0; /* peers often skip close_notify */
	return -EIO;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct response *r = p->data;
	if (r->in_value || !r->field[0]) {
		r->field[0] = '\0';
		r->in_value = false;
	}
	size_t cur = strlen(r->field);
	size_t n = len < sizeof(r->field) - 1 - cur ? len : sizeof(r->field) - 1 - cur;
	memcpy(r->field + cur, at, n);
	r->field[cur + n] = '\0';
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct response *r = p->data;
	if (!r->in_value) {
		r->in_value = true;
		r->field_is_version = strcasecmp(r->field, "API-Version") == 0;
	}
	if (r->field_is_version) {
		size_t cur = strlen(r->api_version);
		size_t room = sizeof(r->api_version) - 1 - cur;
		size_t n = len < room ? len : room;
		memcpy(r->api_version + cur, at, n);
		r->api_version[cur + n] = '\0';
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct response *r = p->data;
	r->status = p->status_code;
	r->field[0] = '\0';
	r->in_value = false;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct response *r = p->data;
	if (r->fn && r->status / 100 == 2) {
		r->fn_error = r->fn(at, len, r->userdata);
		return r->fn_error < 0 ? -1 : 0;
	}
	char *b = realloc(r->body, r->body_len + len + 1);
	if (!b) {
		r->oom = true;
		return -1;
	}
	memcpy(b + r->body_len, at, len);
	r->body_len += len;
	b[r->body_len] = '\0';
	r->body = b;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	((struct response *)p->data)->complete = true;
	return 0;
}

static const http_parser_settings parser_settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Feeds the connection to the parser until the message ends. */
static int read_response(struct conn *cn, struct response *resp, struct error *err)
{
	http_parser parser;
	http_parser_init(&parser, HTTP_RESPONSE);
	parser.data = resp;
	char buf[16384];
	while (!resp->complete) {
		ssize_t n = conn_read(cn, buf, sizeof(buf));
		if (n == -EINTR)
			return -EINTR;
		if (n < 0)
			return error_set(err, -EIO, "error reading response from daemon: %s",
					 cn->ssl ? ssl_reason() : strerror(EIO));
		size_t done = http_parser_execute(&parser, &parser_settings, buf, (size_t)n);
		if (resp->fn_error < 0)
			return resp->fn_error;
		if (resp->oom)
			return error_set(err, -ENOMEM, "out of memory");
		if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || done != (size_t)n)
			return error_set(err, -EPROTO, "malformed HTTP response from daemon: %s",
					 http_errno_description(HTTP_PARSER_ERRNO(&parser)));
		if (n == 0 && !resp->complete)
			return error_set(err, -EPIPE, "unexpected EOF from daemon");
	}
	return 0;
}

char *client_error_message(const char *body, size_t len)
{
	json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	char *out = NULL;
	if (m) {
		out = strdup(m);
	} else {
		/* Not JSON: show the text itself, without the trailing newline. */
		size_t l = len;
		while (l && (body[l - 1] == '\n' || body[l - 1] == '\r' || body[l - 1] == ' '))
			l--;
		out = body ? strndup(body, l) : strdup("");
	}
	json_decref(j);
	return out;
}

static int write_chunk(struct conn *cn, const char *data, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "%zx\r\n", len);
	if (conn_write_all(cn, head, (size_t)n) < 0 || conn_write_all(cn, data, len) < 0 ||
	    conn_write_all(cn, "\r\n", 2) < 0)
		return -EIO;
	return 0;
}

/* Streams fd as a chunked body, never holding more than a buffer of it. */
static int send_fd_body(struct conn *cn, int fd, struct error *err)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, -errno, "read: %s", strerror(errno));
		if (n == 0)
			break;
		if (write_chunk(cn, buf, (size_t)n) < 0)
			return error_set(err, -EIO, "error during connect: broken pipe");
	}
	return conn_write_all(cn, "0\r\n\r\n", 5) < 0
		   ? error_set(err, -EIO, "error during connect: broken pipe")
		   : 0;
}

static int send_request(const struct client *c, struct conn *cn, const struct client_req *rq,
			const char *path, struct error *err)
{
	const char *host = c->host.kind == CLI_HOST_UNIX ? "api.moby.localhost" : c->host.name;
	_cleanup_free_ char *head = NULL, *length = NULL, *ctype = NULL, *auth = NULL;
	bool chunked = rq->body_fd >= 0;
	if (!chunked && rq->method && strcmp(rq->method, "GET") != 0 &&
	    asprintf(&length, "Content-Length: %zu\r\n", rq->body_len) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (rq->content_type && asprintf(&ctype, "Content-Type: %s\r\n", rq->content_type) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (rq->registry_auth && asprintf(&auth, "X-Registry-Auth: %s\r\n", rq->registry_auth) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (asprintf(&head,
		     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Berth-Client/%s (%s)\r\n"
		     "%s%s%s%sConnection: close\r\n\r\n",
		     rq->method ? rq->method : "GET", path, host, BERTH_VERSION, cli_os(),
		     ctype ? ctype : "", auth ? auth : "", length ? length : "",
		     chunked ? "Transfer-Encoding: chunked\r\n" : "") < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (conn_write_all(cn, head, strlen(head)) < 0 ||
	    (rq->body_len && conn_write_all(cn, rq->body, rq->body_len) < 0))
		return cannot_connect(c, err, -EIO);
	return chunked ? send_fd_body(cn, rq->body_fd, err) : 0;
}

/* Sends one request on a fresh connection and reads the answer into resp. */
static int do_request(struct client *c, const struct client_req *rq, const char *path,
		      struct response *resp, struct error *err)
{
	log_debug(c->log, "%s %s%s", rq->method ? rq->method : "GET", c->host.url, path);
	struct conn cn;
	int r = conn_open(c, &cn, err);
	if (r < 0)
		return r;
	r = send_request(c, &cn, rq, path, err);
	if (r == 0 && rq->sent)
		rq->sent(rq->sent_userdata);
	if (r == 0)
		r = read_response(&cn, resp, err);
	conn_close(&cn);
	return r;
}

static int do_get(struct client *c, const char *path, struct response *resp, struct error *err)
{
	struct client_req rq = {.method = "GET", .body_fd = -1};
	return do_request(c, &rq, path, resp, err);
}

static void response_done(struct response *r)
{
	free(r->body);
	r->body = NULL;
}

static int check_status(const struct response *resp, struct error *err)
{
	if (resp->status / 100 == 2)
		return 0;
	_cleanup_free_ char *m = client_error_message(resp->body, resp->body_len);
	return error_set(err, resp->status == 404 ? -ENOENT : -EIO, "Error response from daemon: %s",
			 m ? m : "");
}

int client_negotiate(struct client *c, struct error *err)
{
	if (c->version[0])
		return 0;
	const char *env = getenv("DOCKER_API_VERSION");
	if (env && *env) {
		snprintf(c->version, sizeof(c->version), "%s", env);
		return 0;
	}
	struct response resp = {0};
	int r = do_get(c, "/_ping", &resp, err);
	response_done(&resp);
	if (r < 0)
		return r;
	/* Docker treats a daemon that does not say as the oldest it supports. */
	const char *server = resp.api_version[0] ? resp.api_version : "1.24";
	const char *v =
	    api_version_compare(server, CLI_API_VERSION_MAX) < 0 ? server : CLI_API_VERSION_MAX;
	snprintf(c->version, sizeof(c->version), "%s", v);
	log_debug(c->log, "negotiated API version %s", c->version);
	return 0;
}

int client_get_json(struct client *c, const char *path, const struct query *q, json_t **ret,
		    struct error *err)
{
	int r = client_negotiate(c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *full = query_build_path(c->version, path, q);
	if (!full)
		return error_set(err, -ENOMEM, "out of memory");
	struct response resp = {0};
	r = do_get(c, full, &resp, err);
	if (r >= 0)
		r = check_status(&resp, err);
	if (r >= 0) {
		json_error_t jerr;
		*ret = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &jerr);
		if (!*ret)
			r = error_set(err, -EPROTO, "cannot parse daemon response: %s", jerr.text);
	}
	response_done(&resp);
	return r;
}

int client_stream(struct client *c, const char *path, const struct query *q, client_data_fn fn,
		  void *userdata, struct error *err)
{
	int r = client_negotiate(c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *full = query_build_path(c->version, path, q);
	if (!full)
		return error_set(err, -ENOMEM, "out of memory");
	struct response resp = {.fn = fn, .userdata = userdata};
	r = do_get(c, full, &resp, err);
	if (r >= 0)
		r = check_status(&resp, err);
	response_done(&resp);
	return r;
}

int client_request(struct client *c, const struct client_req *rq, json_t **ret, struct error *err)
{
	int r = client_negotiate(c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *full = query_build_path(c->version, rq->path, rq->query);
	if (!full)
		return error_set(err, -ENOMEM, "out of memory");
	struct response resp = {.fn = rq->fn, .userdata = rq->userdata};
	r = do_request(c, rq, full, &resp, err);
	if (r >= 0)
		r = check_status(&resp, err);
	if (r >= 0 && ret && !rq->fn) {
		json_error_t jerr;
		*ret = resp.body_len ? json_loadb(resp.body, resp.body_len, 0, &jerr) : json_null();
		if (!*ret)
			r = error_set(err, -EPROTO, "cannot parse daemon response: %s", jerr.text);
	}
	response_done(&resp);
	return r;
}

int client_write_to_fd(const char *data, size_t len, void *userdata)
{
	return fs_write_all(*(int *)userdata, data, len);
}

int client_request_to_file(struct client *c, struct client_req *rq, const char *output,
			   const char *what, struct error *err)
{
	_cleanup_free_ char *tmp = NULL;
	int fd = STDOUT_FILENO;
	if (output && *output) {
		if (asprintf(&tmp, "%s.berth-XXXXXX", output) < 0) {
			tmp = NULL;
			return error_set(err, -ENOMEM, "%s: out of memory", what);
		}
		fd = mkstemp(tmp);
		if (fd < 0)
			return error_set(err, -errno, "%s: %s", what, strerror(errno));
		(void)fchmod(fd, 0644);
	}
	rq->fn = client_write_to_fd;
	rq->userdata = &fd;
	int r = client_request(c, rq, NULL, err);
	if (tmp) {
		if (r >= 0 && (fsync(fd) < 0 || rename(tmp, output) < 0))
			r = error_set(err, -errno, "%s: %s", what, strerror(errno));
		close(fd);
		if (r < 0)
			unlink(tmp);
	}
	if (r < 0 && !err->msg)
		error_set(err, r, "%s: %s", what, strerror(-r));
	return r;
}

/* A JSON body (NULL for none) with X-Registry-Auth when auth is set. */
static int request_json(struct client *c, const char *method, const char *path,
			const struct query *q, json_t *body, const char *auth, json_t **ret,
			struct error *err)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (body && !text)
		return error_set(err, -ENOMEM, "out of memory");
	struct client_req rq = {
	    .method = method,
	    .path = path,
	    .query = q,
	    .content_type = body ? "application/json" : NULL,
	    .body = text,
	    .body_len = text ? strlen(text) : 0,
	    .body_fd = -1,
	    .registry_auth = auth,
	};
	return client_request(c, &rq, ret, err);
}

int client_request_json(struct client *c, const char *method, const char *path,
			const struct query *q, json_t *body, json_t **ret, struct error *err)
{
	return request_json(c, method, path, q, body, NULL, ret, err);
}

/* The response head, read a byte at a time so nothing of the raw stream
 * that follows is consumed. */
static int read_head(int fd, char *buf, size_t len)
{
	size_t n = 0;
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		buf[++n] = '\0';
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
	return -EIO;
}

/* The body of an error answer: Content-Length bytes (the connection may be
 * kept alive, so EOF does not mark its end). */
static char *read_body(int fd, const char *head)
{
	const char *cl = strcasestr(head, "\r\nContent-Length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0, n = 0;
	char *body = calloc(1, want + 1);
	while (body && n < want) {
		ssize_t r = read(fd, body + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return body;
}

int client_hijack(struct client *c, const char *path, const struct query *q, json_t *body,
		  int *ret_fd, struct error *err)
{
	int r = client_negotiate(c, err);
	if (r < 0)
		return r;
	if (c->ssl_ctx)
		return error_set(err, -ENOTSUP, "berth cannot attach over TLS yet");
	_cleanup_free_ char *full = query_build_path(c->version, path, q);
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : strdup(""),
			    *head = NULL;
	const char *host = c->host.kind == CLI_HOST_UNIX ? "api.moby.localhost" : c->host.name;
	if (!full || !text ||
	    asprintf(&head,
		     "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Berth-Client/%s (%s)\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n%s",
		     full, host, BERTH_VERSION, cli_os(), strlen(text), text) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct conn cn;
	r = conn_open(c, &cn, err);
	if (r < 0)
		return r;
	char resp[8192];
	if (conn_write_all(&cn, head, strlen(head)) < 0 ||
	    read_head(cn.fd, resp, sizeof(resp)) < 0) {
		conn_close(&cn);
		return cannot_connect(c, err, -EIO);
	}
	int status = strncmp(resp, "HTTP/1.", 7) == 0 && strlen(resp) > 12 ? atoi(resp + 9) : 0;
	if (status != 101 && status / 100 != 2) {
		_cleanup_free_ char *rest = read_body(cn.fd, resp);
		_cleanup_free_ char *m =
		    client_error_message(rest ? rest : "", rest ? strlen(rest) : 0);
		conn_close(&cn);
		return error_set(err, -EIO, "Error response from daemon: %s", m ? m : "");
	}
	*ret_fd = cn.fd;
	return 0;
}
