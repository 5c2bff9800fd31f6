/* Join tokens in Docker's format: SWMTKN-1-<digest>-<secret>, where digest
 * is the SHA-256 of the root CA's PEM in base 36 (50 characters) and secret
 * is 128 random bits in base 36 (25 characters), as swarmkit's
 * GenerateJoinToken. A joining node checks the CA it is served against the
 * digest before it trusts it; the manager checks the secret. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"

#define TOKEN_DIGEST_LEN 50
#define TOKEN_SECRET_LEN 25
#define TOKEN_MAX 96

/* The base-36 digest of a CA certificate's PEM text; out holds 51 bytes. */
void token_ca_digest(const char *ca_cert_pem, char out[TOKEN_DIGEST_LEN + 1]);

/* A new token for the CA; out holds TOKEN_MAX bytes. */
void token_generate(const char *ca_cert_pem, char out[TOKEN_MAX]);

struct token_parts {
	char digest[TOKEN_DIGEST_LEN + 1];
	char secret[TOKEN_SECRET_LEN + 1];
};

/* Splits a token; -EINVAL with Docker's "invalid join token" message when
 * it is malformed. */
int token_parse(const char *token, struct token_parts *ret, struct error *err);

/* Whether the CA's digest is the one in the token. */
bool token_matches_ca(const struct token_parts *t, const char *ca_cert_pem);

/* Compares two tokens' secrets in constant time. */
bool token_secret_equal(const char *token_a, const char *token_b);

/* Encodes a big-endian number in base 36, zero-padded to width. */
void base36_encode(const unsigned char *num, size_t len, size_t width, char *out);
