/* The swarm's RPC on port 2377: one request frame and one response frame
 * per call, each a JSON document, over mutual TLS (mtls.h). Requests are
 * {"op": ..., ...}; responses {"ok": true, ...} or {"ok": false, "code":
 * -errno, "msg": "..."}. A "raft" request turns the connection into a Raft
 * stream instead. */
#pragma once

#include <jansson.h>

#include "swarm/ca.h"
#include "swarm/mtls.h"

struct swarm;

/* status 0 with the response document (borrowed), or a negative errno and
 * a message. Called exactly once, always from the loop (never inside
 * rpc_call). */
typedef void (*rpc_cb)(void *data, int status, json_t *resp, const char *msg);

/* Sends req (reference stolen) to addr with ctx and waits up to timeout_ms. */
void rpc_call(uv_loop_t *loop, SSL_CTX *ctx, const char *addr, json_t *req, unsigned timeout_ms,
	      rpc_cb cb, void *data);
/* Like rpc_call, and also hands the verified peer certificate to cb via
 * peer_out before cb runs (NULL when none); for the join's CA check. */
void rpc_call_peer(uv_loop_t *loop, SSL_CTX *ctx, const char *addr, json_t *req,
		   unsigned timeout_ms, rpc_cb cb, void *data, X509 **peer_out);

/* Opens the listener on sw->listen_addr. */
int rpc_listen(struct swarm *sw, struct error *err);
void rpc_stop_listen(struct swarm *sw);

/* Answers a request: result (stolen, may be NULL) on success. */
void rpc_reply(struct mtls_conn *c, int status, json_t *result, const char *msg);

/* Implemented by the manager (swarm.c): handles one request. peer is NULL
 * for a client without a certificate. The handler replies with rpc_reply
 * (holding an mtls_ref while it works asynchronously). */
void swarm_rpc_handle(struct swarm *sw, struct mtls_conn *c, json_t *req,
		      const struct cert_identity *peer);
/* Implemented by the manager: a connection of the server closed (its peer
 * went away, or it was answered and closed). */
void swarm_rpc_closed(struct swarm *sw, struct mtls_conn *c);
