/* Join tokens: generation, parsing and checks (see token.h). */
#include "swarm/token.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

void base36_encode(const unsigned char *num, size_t len, size_t width, char *out)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char n[64];
	char rev[128];
	size_t k = 0;
	if (len > sizeof(n))
		len = sizeof(n);
	memcpy(n, num, len);
	for (;;) {
		/* Divide n by 36 in place; the remainder is the next digit. */
		unsigned rem = 0;
		bool zero = true;
		for (size_t i = 0; i < len; i++) {
			unsigned cur = rem * 256 + n[i];
			n[i] = (unsigned char)(cur / 36);
			rem = cur % 36;
			if (n[i])
				zero = false;
		}
		rev[k++] = digits[rem];
		if (zero || k == sizeof(rev))
			break;
	}
	size_t o = 0;
	while (k < width && o < width - k)
		out[o++] = '0';
	while (k > 0)
		out[o++] = rev[--k];
	out[o] = '\0';
}

void token_ca_digest(const char *ca_cert_pem, char out[TOKEN_DIGEST_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)ca_cert_pem, strlen(ca_cert_pem), md);
	base36_encode(md, sizeof(md), TOKEN_DIGEST_LEN, out);
}

void token_generate(const char *ca_cert_pem, char out[TOKEN_MAX])
{
	char digest[TOKEN_DIGEST_LEN + 1], secret[TOKEN_SECRET_LEN + 8];
	unsigned char rnd[16];
	RAND_bytes(rnd, sizeof(rnd));
	token_ca_digest(ca_cert_pem, digest);
	base36_encode(rnd, sizeof(rnd), TOKEN_SECRET_LEN, secret);
	snprintf(out, TOKEN_MAX, "SWMTKN-1-%s-%s", digest, secret);
}

static bool all_base36(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

int token_parse(const char *token, struct token_parts *ret, struct error *err)
{
	static const char prefix[] = "SWMTKN-1-";
	size_t pl = sizeof(prefix) - 1;
	if (!token || strncmp(token, prefix, pl) != 0)
		return error_set(err, -EINVAL, "invalid join token");
	const char *d = token + pl;
	const char *dash = strchr(d, '-');
	if (!dash || (size_t)(dash - d) != TOKEN_DIGEST_LEN || !all_base36(d, TOKEN_DIGEST_LEN))
		return error_set(err, -EINVAL, "invalid join token");
	const char *s = dash + 1;
	if (strlen(s) != TOKEN_SECRET_LEN || !all_base36(s, TOKEN_SECRET_LEN))
		return error_set(err, -EINVAL, "invalid join token");
	memcpy(ret->digest, d, TOKEN_DIGEST_LEN);
	ret->digest[TOKEN_DIGEST_LEN] = '\0';
	memcpy(ret->secret, s, TOKEN_SECRET_LEN + 1);
	return 0;
}

bool token_matches_ca(const struct token_parts *t, const char *ca_cert_pem)
{
	char digest[TOKEN_DIGEST_LEN + 1];
	token_ca_digest(ca_cert_pem, digest);
	return strcmp(digest, t->digest) == 0;
}

bool token_secret_equal(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	if (la != lb || la == 0)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}
