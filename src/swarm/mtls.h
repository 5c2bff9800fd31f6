/* Mutual TLS connections between swarm nodes on the libuv loop: TLS runs
 * over memory BIOs on a uv_tcp_t, carrying either length-prefixed frames
 * (4-byte big-endian length, then a JSON document) for our RPC, or, once
 * switched to raw mode, a plaintext byte stream pumped through a local
 * socketpair whose other end is handed to libraft as a uv_stream_t. */
#pragma once

#include <openssl/ssl.h>
#include <stdbool.h>
#include <uv.h>

#include "basic/buf.h"
#include "basic/error.h"

#define MTLS_MAX_FRAME (16u << 20)

struct mtls_conn;

struct mtls_ops {
	/* The handshake completed; the peer certificate (if any) is in c->peer. */
	void (*on_ready)(struct mtls_conn *c);
	/* One frame arrived (frame mode only). */
	void (*on_frame)(struct mtls_conn *c, const char *data, size_t len);
	/* The connection is gone (status 0 or a negative errno); c is freed after. */
	void (*on_close)(struct mtls_conn *c, int status);
};

struct mtls_conn {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_pipe_t pipe; /* raw mode: our end of the socketpair */
	SSL *ssl;
	BIO *rbio, *wbio;
	const struct mtls_ops *ops;
	void *data;
	X509 *peer;	/* verified peer certificate, NULL when it sent none */
	struct buf in;	/* plaintext not yet consumed (frame mode) */
	struct buf out; /* plaintext written before the handshake finished */
	int handles;	/* open uv handles */
	int refs;	/* holders besides the handles; freed when both are 0 */
	int status;
	bool server, ready, closing, raw, notified;
};

/* A TLS context holding this node's certificate and key and trusting ca_pem
 * (NULL: no trust, for a joining node that has not seen the CA yet; the
 * caller then checks the peer itself). Servers ask for but do not require
 * a client certificate (a joining node has none); what it may do is decided
 * by the certificate it shows. */
SSL_CTX *mtls_ctx_new(bool server, const char *ca_pem, const char *cert_pem, const char *key_pem,
		      struct error *err);

/* Accepts a connection on server; on failure nothing is left. */
int mtls_accept(uv_stream_t *server, SSL_CTX *ctx, const struct mtls_ops *ops, void *data,
		struct mtls_conn **ret);
/* Connects to "host:port" (IPv4 or [IPv6]); the outcome comes as on_ready or
 * on_close. */
int mtls_connect(uv_loop_t *loop, SSL_CTX *ctx, const char *addr, const struct mtls_ops *ops,
		 void *data, struct mtls_conn **ret, struct error *err);
/* Sends one frame. */
int mtls_send_frame(struct mtls_conn *c, const char *data, size_t len);
/* Sends a JSON document as a frame (steals the reference). */
int mtls_send_json(struct mtls_conn *c, void *json);
/* Switches to raw mode: returns a uv_pipe_t (allocated with raft_malloc,
 * owned by the caller, to be uv_close'd and raft_free'd by it) whose bytes
 * travel over this TLS connection. Plaintext already buffered is passed on. */
int mtls_go_raw(struct mtls_conn *c, uv_loop_t *loop, uv_stream_t **ret);
/* Keeps c allocated (not open) across asynchronous work. */
void mtls_ref(struct mtls_conn *c);
void mtls_unref(struct mtls_conn *c);
/* Starts closing; on_close follows. */
void mtls_close(struct mtls_conn *c, int status);

/* Splits "host:port" into a sockaddr. */
int mtls_parse_addr(const char *addr, struct sockaddr_storage *ss, struct error *err);
