/* IPv6 address management without I/O (see ipam6.h). Arithmetic is done on
 * 128-bit integers in host order; the interface speaks struct in6_addr. */
#include "network/ipam6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static u128 to_u128(const struct in6_addr *a)
{
	u128 v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 8 | a->s6_addr[i];
	return v;
}

static struct in6_addr from_u128(u128 v)
{
	struct in6_addr a;
	for (int i = 15; i >= 0; i--, v >>= 8)
		a.s6_addr[i] = (uint8_t)v;
	return a;
}

static u128 mask128(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 128 ? ~(u128)0 : ~(((u128)1 << (128 - prefix)) - 1);
}

int ip6_parse(const char *s, struct in6_addr *ret)
{
	struct in6_addr a;
	if (!s || !strchr(s, ':') || inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	*ret = a;
	return 0;
}

const char *ip6_format(const struct in6_addr *a, char *buf)
{
	if (!inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN))
		buf[0] = '\0';
	return buf;
}

bool ip6_is_zero(const struct in6_addr *a)
{
	return to_u128(a) == 0;
}

bool ip6_equal(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int cidr6_parse(const char *s, bool keep_host, struct cidr6 *ret)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof(ip) || !slash[1])
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	char *end;
	long p = strtol(slash + 1, &end, 10);
	struct in6_addr a;
	if (*end || p < 0 || p > 128 || slash[1] == '-' || slash[1] == '+' || ip6_parse(ip, &a) < 0)
		return -EINVAL;
	ret->prefix = (int)p;
	ret->addr = keep_host ? a : from_u128(to_u128(&a) & mask128((int)p));
	return 0;
}

const char *cidr6_format(const struct cidr6 *c, char *buf)
{
	char ip[INET6_ADDRSTRLEN];
	snprintf(buf, CIDR6_LEN, "%s/%d", ip6_format(&c->addr, ip), c->prefix);
	return buf;
}

bool cidr6_is_masked(const struct cidr6 *c)
{
	return (to_u128(&c->addr) & ~mask128(c->prefix)) == 0;
}

bool cidr6_contains(const struct cidr6 *c, const struct in6_addr *a)
{
	u128 m = mask128(c->prefix);
	return (to_u128(a) & m) == (to_u128(&c->addr) & m);
}

bool cidr6_overlap(const struct cidr6 *a, const struct cidr6 *b)
{
	u128 m = mask128(a->prefix < b->prefix ? a->prefix : b->prefix);
	return (to_u128(&a->addr) & m) == (to_u128(&b->addr) & m);
}

bool cidr6_within(const struct cidr6 *outer, const struct cidr6 *inner)
{
	return inner->prefix >= outer->prefix && cidr6_contains(outer, &inner->addr);
}

void ip6_ula_pool(const uint8_t sha256[32], struct cidr6 *ret)
{
	uint64_t gid = 0;
	for (int i = 0; i < 8; i++)
		gid = gid << 8 | sha256[i];
	gid &= (1ull << 40) - 1;
	u128 base = (u128)0xfd << 120 | (u128)gid << 80;
	*ret = (struct cidr6){from_u128(base), 48};
}

int cidr6_pick(const struct cidr6 *base, int size, const struct cidr6 *taken, size_t n_taken,
	       struct cidr6 *ret)
{
	if (size < base->prefix || size > 128)
		return -EINVAL;
	int bits = size - base->prefix;
	uint64_t count = bits >= 16 ? 65536 : 1ull << bits;
	u128 first = to_u128(&base->addr) & mask128(base->prefix);
	for (uint64_t k = 0; k < count; k++) {
		struct cidr6 c = {from_u128(first + ((u128)k << (128 - size))), size};
		bool clash = false;
		for (size_t t = 0; t < n_taken && !clash; t++)
			clash = cidr6_overlap(&c, &taken[t]);
		if (!clash) {
			*ret = c;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Sorted by address: memcmp of network order is numeric order. */
static size_t set_pos(const struct ipam6_set *s, const struct in6_addr *a)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (memcmp(&s->v[mid], a, sizeof(*a)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ipam6_set_has(const struct ipam6_set *s, const struct in6_addr *a)
{
	size_t i = set_pos(s, a);
	return i < s->n && ip6_equal(&s->v[i], a);
}

int ipam6_set_add(struct ipam6_set *s, const struct in6_addr *a)
{
	size_t i = set_pos(s, a);
	if (i < s->n && ip6_equal(&s->v[i], a))
		return -EEXIST;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct in6_addr *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = *a;
	s->n++;
	return 0;
}

void ipam6_set_del(struct ipam6_set *s, const struct in6_addr *a)
{
	size_t i = set_pos(s, a);
	if (i < s->n && ip6_equal(&s->v[i], a)) {
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
		s->n--;
	}
}

void ipam6_set_free(struct ipam6_set *s)
{
	free(s->v);
	*s = (struct ipam6_set){0};
}

/* Walks up from the range's first address past taken ones: the set is
 * sorted, so this is linear in the addresses handed out, not in the range
 * (a /64 has 2^64 of them). */
int ipam6_alloc(const struct ipam6_set *used, const struct cidr6 *subnet, const struct cidr6 *range,
		const struct in6_addr *gateway, struct in6_addr *ret)
{
	const struct cidr6 *r = range && range->prefix ? range : subnet;
	u128 net = to_u128(&subnet->addr) & mask128(subnet->prefix);
	u128 gw = gateway ? to_u128(gateway) : net;
	u128 cand = to_u128(&r->addr) & mask128(r->prefix);
	u128 last = cand | ~mask128(r->prefix);
	struct in6_addr first = from_u128(cand);
	size_t i = set_pos(used, &first);
	for (;;) {
		bool taken = cand == net || cand == gw;
		for (; !taken && i < used->n; i++) {
			u128 u = to_u128(&used->v[i]);
			if (u > cand)
				break;
			taken = u == cand;
		}
		struct in6_addr a = from_u128(cand);
		if (!taken && cidr6_contains(subnet, &a)) {
			*ret = a;
			return 0;
		}
		if (cand == last)
			return -ENOSPC;
		cand++;
	}
}
