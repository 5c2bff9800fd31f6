/* The CLI's Engine API client: blocking HTTP/1.1 over a unix socket or TCP
 * (optionally TLS), one connection per request, with docker's API version
 * negotiation. Responses are parsed with http-parser, so chunked streams
 * (events) are de-chunked as they arrive. */
#pragma once

#include <jansson.h>
#include <openssl/ssl.h>
#include <stddef.h>

#include "basic/error.h"
#include "cli/cli.h"
#include "cli/host.h"
#include "cli/query.h"

/* For _cleanup_(cli_json_decrefp) json_t *x = NULL; */
static inline void cli_json_decrefp(json_t **j)
{
	json_decref(*j);
}

struct client {
	struct cli_host host;
	struct cli_tls_config tls;
	SSL_CTX *ssl_ctx; /* NULL without TLS */
	char version[16]; /* API version used in paths; "" until negotiated */
	const struct logger *log;
};

/* Resolves where and how to connect from the global options and the
 * environment; does not connect yet. Errors read like docker's
 * "unable to resolve docker endpoint" failures. */
int client_init(struct client *c, const struct cli *cli, struct error *err);
/* One request on a fresh connection; *ret (may be NULL) gets the JSON. */
int cli_call(const struct cli *cli, const char *method, const char *path, const struct query *q,
	     json_t *body, json_t **ret, struct error *err);
/* cli_call with an X-Registry-Auth header (auth may be NULL: none). */
int cli_call_auth(const struct cli *cli, const char *method, const char *path,
		  const struct query *q, json_t *body, const char *auth, json_t **ret,
		  struct error *err);
void client_done(struct client *c);

/* Settles the API version: $DOCKER_API_VERSION when set, else GET /_ping and
 * the lower of the server's API-Version header and CLI_API_VERSION_MAX. */
int client_negotiate(struct client *c, struct error *err);

/* GET of a versioned path; the 2xx body parsed as JSON into *ret. Non-2xx
 * answers give "Error response from daemon: <message>". */
int client_get_json(struct client *c, const char *path, const struct query *q, json_t **ret,
		    struct error *err);

/* Called with each piece of a streamed 2xx body; a negative return stops
 * the stream and is returned by client_stream. */
typedef int (*client_data_fn)(const char *data, size_t len, void *userdata);

/* GET of a versioned path whose body is passed to fn as it arrives, until the
 * server ends it. Returns -EINTR when a signal interrupted the read. */
int client_stream(struct client *c, const char *path, const struct query *q, client_data_fn fn,
		  void *userdata, struct error *err);

/* One request. body/body_len is sent with Content-Length; body_fd >= 0
 * instead streams the file (or pipe) with chunked encoding. fn (may be
 * NULL) receives a 2xx body as it arrives instead of buffering it. */
struct client_req {
	const char *method; /* NULL: GET */
	const char *path;   /* unversioned, e.g. "/volumes/create" */
	const struct query *query;
	const char *content_type;
	const char *body;
	size_t body_len;
	int body_fd;
	client_data_fn fn;
	void *userdata;
	const char *registry_auth; /* X-Registry-Auth value, or NULL */
	/* Called once the request is on the wire, before the answer is read
	 * (e.g. a wait request that must be registered before a start). */
	void (*sent)(void *sent_userdata);
	void *sent_userdata;
};

/* Sends rq on the negotiated version. Without fn, a 2xx body is parsed as
 * JSON into *ret (JSON null for an empty body) when ret is non-NULL.
 * Non-2xx gives "Error response from daemon: <message>" (-ENOENT for 404,
 * else -EIO). */
int client_request(struct client *c, const struct client_req *rq, json_t **ret, struct error *err);

/* A client_data_fn that writes the body to the file descriptor *userdata
 * (an int). */
int client_write_to_fd(const char *data, size_t len, void *userdata);

/* Sends rq (whose fn and userdata it sets) and writes the answer's body to
 * output, or to stdout when output is NULL or empty. A file is written under
 * a temporary name beside output and renamed over it only once the whole body
 * arrived, as docker's CopyToFile. what starts the error messages
 * ("failed to save image"). */
int client_request_to_file(struct client *c, struct client_req *rq, const char *output,
			   const char *what, struct error *err);

/* client_request with a JSON body (NULL: none). */
int client_request_json(struct client *c, const char *method, const char *path,
			const struct query *q, json_t *body, json_t **ret, struct error *err);

/* POST of a versioned path with a JSON body that takes over the connection
 * (attach, exec start; body NULL: none): *ret_fd is the raw stream after the response head.
 * Plain connections only for now: TLS gives -ENOTSUP. */
int client_hijack(struct client *c, const char *path, const struct query *q, json_t *body,
		  int *ret_fd, struct error *err);

/* The error message for a non-2xx answer: the body's "message", else the body. */
char *client_error_message(const char *body, size_t len);
