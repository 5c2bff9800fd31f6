/* Authenticated encryption for the swarm's data at rest: AES-256-GCM with a
 * random 96-bit nonce. A sealed blob is "BSL1" | nonce(12) | length(4, BE)
 * | ciphertext | tag(16). Keys are 32 bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_LEN 32
#define SEAL_OVERHEAD (4 + 12 + 4 + 16)

/* Seals len bytes into a malloc'd blob of len + SEAL_OVERHEAD bytes. */
int seal(const uint8_t key[SEAL_KEY_LEN], const void *data, size_t len, uint8_t **ret,
	 size_t *ret_len);
/* Opens a blob (trailing bytes after it are ignored). -EBADMSG when the key
 * is wrong or the blob damaged; -EINVAL when it is not a sealed blob. The
 * result is NUL-terminated. */
int seal_open(const uint8_t key[SEAL_KEY_LEN], const void *blob, size_t len, char **ret,
	      size_t *ret_len);
/* Whether data starts like a sealed blob. */
bool seal_is_sealed(const void *data, size_t len);

/* Base64 helpers (standard alphabet, with padding). */
char *seal_b64(const void *data, size_t len);
int seal_unb64(const char *s, uint8_t *out, size_t out_len);
/* Decodes s of any length into a malloc'd buffer; -EINVAL when it is not
 * base64. */
int seal_unb64_alloc(const char *s, uint8_t **ret, size_t *ret_len);
