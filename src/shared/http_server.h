/* HTTP/1.1 server on the libuv loop, for the Engine API: unix and TCP
 * listeners (optionally TLS), keep-alive, chunked request bodies, streaming
 * chunked responses and connection hijacking for attach/exec.
 *
 * A handler receives each complete request and must eventually answer it with
 * exactly one of http_reply*, http_stream_begin (then writes and
 * http_stream_end) or http_hijack. A handler that answers later (after async
 * work) holds a reference with http_conn_ref; answering a connection that
 * closed meanwhile is a harmless no-op. */
#pragma once

#include <http_parser.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"
#include "basic/log.h"

struct http_conn;
struct http_server;

struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	enum http_method method;
	const char *method_name;
	char *url;   /* raw target as sent */
	char *path;  /* percent-decoded path, without query */
	char *query; /* raw query string after '?', or "" */
	char **header_names, **header_values;
	size_t n_headers;
	char **query_keys, **query_values; /* decoded */
	size_t n_query;
	char *body; /* NUL-terminated for convenience; empty when spooled */
	size_t body_len;
	/* A spooled body (see should_spool): an unlinked file positioned at its
	 * start, closed with the request; dup() it to keep it longer. -1 if none. */
	int body_fd;
	bool keep_alive;
	bool upgrade; /* client asked for Upgrade (attach/exec) */
	uint64_t start_ms;
};

/* Case-insensitive header lookup; NULL when absent. */
const char *http_request_header(const struct http_request *req, const char *name);
/* Decoded value of the last query parameter `key`, NULL when absent. */
const char *http_request_query(const struct http_request *req, const char *key);
/* Docker's boolean query convention: absent, "", "0", "false" (any case),
 * "no" and "off" are false; anything else is true. */
bool http_request_query_bool(const struct http_request *req, const char *key);

typedef void (*http_handler_fn)(struct http_conn *conn, const struct http_request *req,
				void *userdata);
/* Called after every finished response, for access logging. */
typedef void (*http_access_fn)(const struct http_request *req, int status, void *userdata);

struct http_server_config {
	http_handler_fn handler;
	http_access_fn access_log; /* may be NULL */
	void *userdata;
	const struct logger *log;
	size_t max_header_bytes; /* request line + headers; larger gets 431 */
	size_t max_body_bytes;   /* larger gets 413 */
	/* Requests for which this says true have their body written to an
	 * unlinked file in spool_dir instead of memory, without a size limit
	 * (image archives). May be NULL. */
	bool (*should_spool)(enum http_method method, const char *url, void *userdata);
	const char *spool_dir;
	uint64_t idle_timeout_ms;    /* keep-alive connection with no request */
	uint64_t request_timeout_ms; /* from first byte to complete request */
	size_t max_connections;
	/* Sent with every response (e.g. Server, Api-Version); owned by the caller
	 * and must outlive the server. */
	const struct http_header *default_headers;
	size_t n_default_headers;
};

/* Creates a server on loop. Listeners are added with http_server_listen_*. */
int http_server_new(uv_loop_t *loop, const struct http_server_config *cfg,
		    struct http_server **ret);

/* Listens on a unix socket at path with the given mode. An existing socket
 * file that nobody answers on is replaced; one in use gives -EADDRINUSE. */
int http_server_listen_unix(struct http_server *srv, const char *path, int mode, SSL_CTX *tls,
			    struct error *err);
/* Listens on host:port (numeric address). tls may be NULL. The server takes
 * a reference on tls. */
int http_server_listen_tcp(struct http_server *srv, const char *host, int port, SSL_CTX *tls,
			   struct error *err);

/* Closes listeners (removing unix socket files) and every connection; calls
 * done (may be NULL) once all handles are closed, after which the server is
 * freed. */
void http_server_close(struct http_server *srv, void (*done)(void *), void *data);

/* Replies in one piece with Content-Length. headers may be NULL. */
void http_reply(struct http_conn *conn, int status, const char *content_type,
		const struct http_header *headers, size_t n_headers, const void *body, size_t len);
/* Replies with json (reference stolen) as application/json. */
void http_reply_json(struct http_conn *conn, int status, json_t *json);
/* Docker's status for a negative errno-style code: -ENOENT 404, -EEXIST and
 * -EBUSY 409, -EINVAL 400, -EPERM/-EACCES 403, -ENOSYS 501, -EAGAIN 503,
 * anything else 500. */
int http_status_from_errno(int code);
/* Replies {"message": err's message} with the status for err's code. */
void http_reply_err(struct http_conn *conn, const struct error *err);

/* Replies {"message": "..."} with status. */
void http_reply_error(struct http_conn *conn, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Streaming response with chunked transfer encoding. */
void http_stream_begin(struct http_conn *conn, int status, const char *content_type);
void http_stream_begin_headers(struct http_conn *conn, int status, const char *content_type,
			       const struct http_header *headers, size_t n_headers);
int http_stream_write(struct http_conn *conn, const void *data, size_t len);
void http_stream_end(struct http_conn *conn);

/* Raw-stream mode for attach/exec. Answers 101 UPGRADED when the client asked
 * for an upgrade, else 200 with the raw-stream content type, and from then on
 * bytes from the client go to on_data and on_eof is called when the client
 * shuts down its sending side. */
struct http_hijack_ops {
	void (*on_data)(struct http_conn *conn, const char *data, size_t len, void *userdata);
	void (*on_eof)(struct http_conn *conn, void *userdata);
};
void http_hijack(struct http_conn *conn, const char *content_type,
		 const struct http_hijack_ops *ops, void *userdata);
/* Writes raw bytes on a hijacked connection. */
int http_conn_write(struct http_conn *conn, const void *data, size_t len);
/* Closes the connection once everything queued has been written. */
void http_conn_finish(struct http_conn *conn);

/* Registers cb to run once when the connection closes (client gone, server
 * shutdown, or finish). Used by streams and hijackers to drop their state. */
void http_conn_on_close(struct http_conn *conn, void (*cb)(struct http_conn *, void *),
			void *userdata);
bool http_conn_is_closed(const struct http_conn *conn);
/* Bytes accepted by http_stream_write/http_conn_write but not yet written. */
size_t http_conn_queued(const struct http_conn *conn);
/* Calls cb once, when everything queued has been written or the connection
 * has closed (check http_conn_is_closed): producers of large streams wait
 * for it instead of queueing without bound. */
void http_conn_on_drain(struct http_conn *conn, void (*cb)(struct http_conn *, void *),
			void *userdata);
void http_conn_ref(struct http_conn *conn);
void http_conn_unref(struct http_conn *conn);

/* The reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);
