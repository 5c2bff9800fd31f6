/* TLS for the API server with OpenSSL, driven through memory BIOs so that the
 * libuv loop keeps owning the sockets: ciphertext from the network goes in with
 * tls_session_feed, plaintext comes out of tls_session_read, and whatever
 * OpenSSL wants to send is collected with tls_session_drain. */
#pragma once

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/buf.h"
#include "basic/error.h"

struct tls_server_options {
	const char *cert_path;
	const char *key_path;
	const char *ca_path; /* NULL: no client verification */
	bool verify_clients; /* require a client certificate signed by ca_path */
};

/* Builds a server context (TLS 1.2 or newer). -EINVAL with a message naming
 * the file when a certificate, key or CA cannot be loaded. */
int tls_server_ctx_new(const struct tls_server_options *opts, SSL_CTX **ret, struct error *err);

struct tls_session {
	SSL *ssl;
	BIO *net_in;  /* ciphertext received, read by OpenSSL */
	BIO *net_out; /* ciphertext produced by OpenSSL, to send */
};

int tls_session_init(struct tls_session *s, SSL_CTX *ctx, bool server);
void tls_session_done(struct tls_session *s);
int tls_session_feed(struct tls_session *s, const void *data, size_t len);
/* Returns plaintext bytes read (> 0), 0 when more input is needed, -EPIPE on a
 * clean close by the peer, -EPROTO on a TLS failure (handshake refused...). */
int tls_session_read(struct tls_session *s, void *buf, size_t cap);
int tls_session_write(struct tls_session *s, const void *data, size_t len);
/* Moves pending ciphertext into out. */
int tls_session_drain(struct tls_session *s, struct buf *out);
/* Describes the last OpenSSL failure in a short string. */
const char *tls_last_error(char *buf, size_t len);
