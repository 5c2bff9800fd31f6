/* AES-256-GCM sealing (see seal.h). */
#include "swarm/seal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static const char magic[4] = {'B', 'S', 'L', '1'};

bool seal_is_sealed(const void *data, size_t len)
{
	return len >= SEAL_OVERHEAD && memcmp(data, magic, 4) == 0;
}

int seal(const uint8_t key[SEAL_KEY_LEN], const void *data, size_t len, uint8_t **ret,
	 size_t *ret_len)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	uint8_t *out = malloc(len + SEAL_OVERHEAD);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, r = -EIO;
	if (!out || !ctx)
		goto done;
	memcpy(out, magic, 4);
	RAND_bytes(out + 4, 12);
	out[16] = (uint8_t)(len >> 24);
	out[17] = (uint8_t)(len >> 16);
	out[18] = (uint8_t)(len >> 8);
	out[19] = (uint8_t)len;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out + 4) != 1 ||
	    /* The header is authenticated too. */
	    EVP_EncryptUpdate(ctx, NULL, &n, out, 20) != 1 ||
	    EVP_EncryptUpdate(ctx, out + 20, &n, data, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + 20 + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + 20 + len) != 1)
		goto done;
	*ret = out;
	*ret_len = len + SEAL_OVERHEAD;
	out = NULL;
	r = 0;
done:
	EVP_CIPHER_CTX_free(ctx);
	free(out);
	return r;
}

int seal_open(const uint8_t key[SEAL_KEY_LEN], const void *blob, size_t blen, char **ret,
	      size_t *ret_len)
{
	const uint8_t *b = blob;
	if (!seal_is_sealed(blob, blen))
		return -EINVAL;
	size_t len = ((size_t)b[16] << 24) | ((size_t)b[17] << 16) | ((size_t)b[18] << 8) | b[19];
	if (len + SEAL_OVERHEAD > blen)
		return -EINVAL;
	char *out = malloc(len + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, r = -EBADMSG;
	if (!out || !ctx) {
		r = -ENOMEM;
		goto done;
	}
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, b + 4) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, b, 20) != 1 ||
	    EVP_DecryptUpdate(ctx, (uint8_t *)out, &n, b + 20, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(b + 20 + len)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (uint8_t *)out + n, &n) != 1)
		goto done;
	out[len] = '\0';
	*ret = out;
	*ret_len = len;
	out = NULL;
	r = 0;
done:
	EVP_CIPHER_CTX_free(ctx);
	free(out);
	return r;
}

char *seal_b64(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int seal_unb64(const char *s, uint8_t *out, size_t out_len)
{
	size_t sl = strlen(s);
	if (sl == 0 || sl % 4 != 0 || sl / 4 * 3 > out_len + 2)
		return -EINVAL;
	unsigned char *tmp = malloc(sl / 4 * 3 + 1);
	if (!tmp)
		return -ENOMEM;
	int n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)sl);
	int pad = (sl >= 1 && s[sl - 1] == '=') + (sl >= 2 && s[sl - 2] == '=');
	int r = -EINVAL;
	if (n >= 0 && (size_t)(n - pad) == out_len) {
		memcpy(out, tmp, out_len);
		r = 0;
	}
	free(tmp);
	return r;
}

int seal_unb64_alloc(const char *s, uint8_t **ret, size_t *ret_len)
{
	size_t sl = strlen(s);
	if (sl % 4 != 0)
		return -EINVAL;
	uint8_t *out = malloc(sl / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	int n = sl ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)sl) : 0;
	int pad = (sl >= 1 && s[sl - 1] == '=') + (sl >= 2 && s[sl - 2] == '=');
	if (n < 0 || n < pad) {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = (size_t)(n - pad);
	return 0;
}
