/* sha256 digests as Docker spells them ("sha256:<64 hex>") and the chain IDs
 * that name layer stacks. Pure helpers, usable from any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN 71 /* "sha256:" + 64 hex */
#define DIGEST_BUF 72

/* Writes the lowercase hex sha256 of data (65 bytes with the NUL). */
void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1]);
/* Writes "sha256:<hex>" of data. */
void digest_sha256(const void *data, size_t len, char out[DIGEST_BUF]);

/* True for exactly "sha256:" followed by 64 lowercase hex digits. */
bool digest_valid(const char *s);
/* True when s is n lowercase hex digits (n > 0). */
bool digest_is_hex(const char *s, size_t n);
/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
	return digest + 7;
}

/* Docker's (and OCI's) chain ID: chain(0) = diff(0), chain(i) =
 * sha256(chain(i-1) + " " + diff(i)). ret holds n entries. */
void digest_chain_ids(const char *const *diff_ids, size_t n, char (*ret)[DIGEST_BUF]);
/* The chain ID of diff_id on top of parent_chain (NULL or "" for a base). */
void digest_chain_next(const char *parent_chain, const char *diff_id, char ret[DIGEST_BUF]);

/* Fills out with 64 random hex digits (cache IDs). 0 or -errno. */
int digest_random_hex(char out[DIGEST_HEX_LEN + 1]);
