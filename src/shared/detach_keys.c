/* Detach key sequences (see detach_keys.h). */
#include "shared/detach_keys.h"

#include <errno.h>
#include <string.h>

static int key_byte(const char *k, size_t len)
{
	if (len == 1)
		return (uint8_t)k[0];
	if (len == 3 && strncmp(k, "DEL", 3) == 0)
		return 127;
	if (len == 6 && strncmp(k, "ctrl-", 5) == 0) {
		char c = k[5];
		if (c >= 'a' && c <= 'z')
			return c - 'a' + 1;
		if (c == '@')
			return 0;
		if (c >= '[' && c <= '_')
			return c - '[' + 27;
	}
	return -1;
}

int detach_keys_parse(const char *spec, struct detach_keys *ret)
{
	struct detach_keys k = {0};
	if (!spec || !*spec)
		spec = DETACH_KEYS_DEFAULT;
	for (const char *p = spec;; p++) {
		const char *end = strchrnul(p, ',');
		int b = key_byte(p, (size_t)(end - p));
		if (b < 0 || k.nkeys == DETACH_KEYS_MAX)
			return -EINVAL;
		k.keys[k.nkeys++] = (uint8_t)b;
		if (!*end)
			break;
		p = end;
	}
	*ret = k;
	return 0;
}

size_t detach_keys_filter(struct detach_keys *k, const uint8_t *in, size_t n, uint8_t *out,
			  bool *detach)
{
	size_t o = 0;
	*detach = false;
	for (size_t i = 0; i < n; i++) {
		if (k->nkeys && in[i] == k->keys[k->matched]) {
			if (++k->matched == k->nkeys) {
				*detach = true;
				k->matched = 0;
				return o;
			}
			continue;
		}
		/* The sequence broke: what was held back goes out first. */
		memcpy(out + o, k->keys, k->matched);
		o += k->matched;
		k->matched = 0;
		if (k->nkeys && in[i] == k->keys[0]) {
			k->matched = 1;
			continue;
		}
		out[o++] = in[i];
	}
	return o;
}
