/* OpenSSL glue: contexts from PEM files and memory-BIO sessions. */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>

const char *tls_last_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	if (!e) {
		snprintf(buf, len, "unknown TLS error");
		return buf;
	}
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static void ssl_ctx_freep(SSL_CTX **ctx)
{
	SSL_CTX_free(*ctx);
}

int tls_server_ctx_new(const struct tls_server_options *opts, SSL_CTX **ret, struct error *err)
{
	char why[256];
	__attribute__((cleanup(ssl_ctx_freep))) SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return error_set(err, -ENOMEM, "could not create TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, opts->cert_path) != 1)
		return error_set(err, -EINVAL, "could not load TLS certificate %s: %s",
				 opts->cert_path, tls_last_error(why, sizeof(why)));
	if (SSL_CTX_use_PrivateKey_file(ctx, opts->key_path, SSL_FILETYPE_PEM) != 1)
		return error_set(err, -EINVAL, "could not load TLS key %s: %s", opts->key_path,
				 tls_last_error(why, sizeof(why)));
	if (SSL_CTX_check_private_key(ctx) != 1)
		return error_set(err, -EINVAL, "TLS key %s does not match certificate %s",
				 opts->key_path, opts->cert_path);
	if (opts->verify_clients) {
		if (!opts->ca_path)
			return error_set(err, -EINVAL, "--tlsverify needs a CA (--tlscacert)");
		if (SSL_CTX_load_verify_locations(ctx, opts->ca_path, NULL) != 1)
			return error_set(err, -EINVAL, "could not load TLS CA %s: %s",
					 opts->ca_path, tls_last_error(why, sizeof(why)));
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(opts->ca_path);
		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	*ret = ctx;
	ctx = NULL;
	return 0;
}

int tls_session_init(struct tls_session *s, SSL_CTX *ctx, bool server)
{
	s->ssl = SSL_new(ctx);
	if (!s->ssl)
		return -ENOMEM;
	s->net_in = BIO_new(BIO_s_mem());
	s->net_out = BIO_new(BIO_s_mem());
	if (!s->net_in || !s->net_out) {
		BIO_free(s->net_in);
		BIO_free(s->net_out);
		SSL_free(s->ssl);
		*s = (struct tls_session){0};
		return -ENOMEM;
	}
	/* An empty memory BIO means "no data yet", not end of file. */
	BIO_set_mem_eof_return(s->net_in, -1);
	SSL_set_bio(s->ssl, s->net_in, s->net_out);
	if (server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	return 0;
}

void tls_session_done(struct tls_session *s)
{
	if (s->ssl)
		SSL_free(s->ssl); /* frees both BIOs */
	*s = (struct tls_session){0};
}

int tls_session_feed(struct tls_session *s, const void *data, size_t len)
{
	return BIO_write(s->net_in, data, (int)len) == (int)len ? 0 : -ENOMEM;
}

int tls_session_read(struct tls_session *s, void *buf, size_t cap)
{
	int n = SSL_read(s->ssl, buf, (int)cap);
	if (n > 0)
		return n;
	switch (SSL_get_error(s->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		return -EPIPE;
	default:
		return -EPROTO;
	}
}

int tls_session_write(struct tls_session *s, const void *data, size_t len)
{
	if (!len)
		return 0;
	int n = SSL_write(s->ssl, data, (int)len);
	return n == (int)len ? 0 : -EPROTO;
}

int tls_session_drain(struct tls_session *s, struct buf *out)
{
	char tmp[16384];
	int n;
	while ((n = BIO_read(s->net_out, tmp, sizeof(tmp))) > 0) {
		int r = buf_append(out, tmp, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
}
