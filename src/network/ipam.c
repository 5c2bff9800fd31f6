/* IPv4 address management without I/O (see ipam.h). */
#include "network/ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_parse(const char *s, uint32_t *ret)
{
	struct in_addr a;
	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

const char *ip_format(uint32_t addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		 addr & 255);
	return buf;
}

uint32_t cidr_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int cidr_parse(const char *s, bool keep_host, struct cidr *ret)
{
	char ip[32];
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof(ip) || !slash[1])
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	char *end;
	long p = strtol(slash + 1, &end, 10);
	uint32_t a;
	if (*end || p < 0 || p > 32 || ip_parse(ip, &a) < 0)
		return -EINVAL;
	ret->prefix = (int)p;
	ret->addr = keep_host ? a : a & cidr_mask((int)p);
	return 0;
}

const char *cidr_format(const struct cidr *c, char *buf)
{
	char ip[16];
	snprintf(buf, 19, "%s/%d", ip_format(c->addr, ip), c->prefix);
	return buf;
}

bool cidr_contains(const struct cidr *c, uint32_t addr)
{
	return (addr & cidr_mask(c->prefix)) == (c->addr & cidr_mask(c->prefix));
}

bool cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;
	return (a->addr & cidr_mask(p)) == (b->addr & cidr_mask(p));
}

bool cidr_within(const struct cidr *outer, const struct cidr *inner)
{
	return inner->prefix >= outer->prefix && cidr_contains(outer, inner->addr);
}

int addr_pool_parse(const char *s, struct addr_pool *ret)
{
	char buf[128];
	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	struct addr_pool p = {.size = -1};
	bool have_base = false;
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strncmp(t, "base=", 5) == 0) {
			if (cidr_parse(t + 5, false, &p.base) < 0)
				return -EINVAL;
			have_base = true;
		} else if (strncmp(t, "size=", 5) == 0) {
			char *end;
			long n = strtol(t + 5, &end, 10);
			if (*end || n < 1 || n > 30)
				return -EINVAL;
			p.size = (int)n;
		} else {
			return -EINVAL;
		}
	}
	if (!have_base || p.size < p.base.prefix)
		return -EINVAL;
	*ret = p;
	return 0;
}

size_t addr_pool_defaults(struct addr_pool *out, size_t max)
{
	size_t n = 0;
	for (uint32_t b = 17; b <= 31 && n < max; b++)
		out[n++] = (struct addr_pool){{(172u << 24) | (b << 16), 16}, 16};
	if (n < max)
		out[n++] = (struct addr_pool){{(192u << 24) | (168u << 16), 16}, 20};
	return n;
}

int addr_pool_pick(const struct addr_pool *pools, size_t n_pools, const struct cidr *taken,
		   size_t n_taken, struct cidr *ret)
{
	for (size_t i = 0; i < n_pools; i++) {
		uint64_t count = 1ull << (pools[i].size - pools[i].base.prefix);
		uint64_t step = 1ull << (32 - pools[i].size);
		for (uint64_t k = 0; k < count; k++) {
			struct cidr c = {(uint32_t)(pools[i].base.addr + k * step), pools[i].size};
			bool clash = false;
			for (size_t t = 0; t < n_taken && !clash; t++)
				clash = cidr_overlap(&c, &taken[t]);
			if (!clash) {
				*ret = c;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

static size_t set_pos(const struct ipam_set *s, uint32_t addr)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->v[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ipam_set_has(const struct ipam_set *s, uint32_t addr)
{
	size_t i = set_pos(s, addr);
	return i < s->n && s->v[i] == addr;
}

int ipam_set_add(struct ipam_set *s, uint32_t addr)
{
	size_t i = set_pos(s, addr);
	if (i < s->n && s->v[i] == addr)
		return -EEXIST;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = addr;
	s->n++;
	return 0;
}

void ipam_set_del(struct ipam_set *s, uint32_t addr)
{
	size_t i = set_pos(s, addr);
	if (i < s->n && s->v[i] == addr) {
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
		s->n--;
	}
}

void ipam_set_free(struct ipam_set *s)
{
	free(s->v);
	*s = (struct ipam_set){0};
}

int ipam_alloc(const struct ipam_set *used, const struct cidr *subnet, const struct cidr *range,
	       uint32_t gateway, uint32_t *ret)
{
	const struct cidr *r = range && range->prefix ? range : subnet;
	uint32_t net = subnet->addr & cidr_mask(subnet->prefix);
	uint32_t bcast = net | ~cidr_mask(subnet->prefix);
	uint32_t first = r->addr & cidr_mask(r->prefix), last = first | ~cidr_mask(r->prefix);
	for (uint64_t a = first; a <= last; a++) {
		uint32_t ip = (uint32_t)a;
		if ((subnet->prefix < 31 && (ip == net || ip == bcast)) || ip == gateway ||
		    !cidr_contains(subnet, ip) || ipam_set_has(used, ip))
			continue;
		*ret = ip;
		return 0;
	}
	return -ENOSPC;
}
