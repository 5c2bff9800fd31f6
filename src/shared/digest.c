/* sha256 digests, chain IDs and random IDs. */
#include "shared/digest.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void to_hex(const unsigned char *bin, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[bin[i] >> 4];
		out[2 * i + 1] = hex[bin[i] & 15];
	}
	out[2 * n] = '\0';
}

void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data, len, md);
	to_hex(md, sizeof(md), out);
}

void digest_sha256(const void *data, size_t len, char out[DIGEST_BUF])
{
	memcpy(out, "sha256:", 7);
	digest_sha256_hex(data, len, out + 7);
}

bool digest_is_hex(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool digest_valid(const char *s)
{
	return s && strncmp(s, "sha256:", 7) == 0 && strlen(s) == DIGEST_STR_LEN &&
	       digest_is_hex(s + 7, DIGEST_HEX_LEN);
}

void digest_chain_next(const char *parent_chain, const char *diff_id, char ret[DIGEST_BUF])
{
	if (!parent_chain || !*parent_chain) {
		snprintf(ret, DIGEST_BUF, "%s", diff_id);
		return;
	}
	char joined[2 * DIGEST_BUF + 2];
	int n = snprintf(joined, sizeof(joined), "%s %s", parent_chain, diff_id);
	digest_sha256(joined, (size_t)n, ret);
}

void digest_chain_ids(const char *const *diff_ids, size_t n, char (*ret)[DIGEST_BUF])
{
	for (size_t i = 0; i < n; i++)
		digest_chain_next(i ? ret[i - 1] : NULL, diff_ids[i], ret[i]);
}

int digest_random_hex(char out[DIGEST_HEX_LEN + 1])
{
	unsigned char bin[DIGEST_HEX_LEN / 2];
	size_t got = 0;
	while (got < sizeof(bin)) {
		ssize_t r = getrandom(bin + got, sizeof(bin) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	to_hex(bin, sizeof(bin), out);
	return 0;
}
