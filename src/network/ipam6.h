/* IPv6 address management without I/O, beside ipam.h's IPv4: CIDR parsing
 * and formatting, overlap, picking a /64 from a pool (dockerd's default is a
 * ULA /48 derived from the engine's ID), and handing out addresses of a
 * subnet (lowest free first, as dockerd's serial allocator). Addresses are
 * struct in6_addr (network byte order), ready for netlink and sockets. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for "ffff:...:ffff/128". */
#define CIDR6_LEN (INET6_ADDRSTRLEN + 4)

struct cidr6 {
	struct in6_addr addr; /* network address (host bits cleared) unless noted */
	int prefix;	      /* 0..128; 0 with a zero address: none */
};

/* An IPv6 address in text -> addr; -EINVAL otherwise (IPv4 included). */
int ip6_parse(const char *s, struct in6_addr *ret);
/* buf of at least INET6_ADDRSTRLEN bytes. */
const char *ip6_format(const struct in6_addr *a, char *buf);
bool ip6_is_zero(const struct in6_addr *a);
bool ip6_equal(const struct in6_addr *a, const struct in6_addr *b);
/* "addr/n" -> cidr6. keep_host keeps the host bits; otherwise they are
 * cleared. -EINVAL when malformed or not IPv6. */
int cidr6_parse(const char *s, bool keep_host, struct cidr6 *ret);
/* buf of at least CIDR6_LEN bytes. */
const char *cidr6_format(const struct cidr6 *c, char *buf);
/* Whether c has no host bits set. */
bool cidr6_is_masked(const struct cidr6 *c);
bool cidr6_contains(const struct cidr6 *c, const struct in6_addr *a);
bool cidr6_overlap(const struct cidr6 *a, const struct cidr6 *b);
/* True when inner lies entirely within outer. */
bool cidr6_within(const struct cidr6 *outer, const struct cidr6 *inner);

/* dockerd's default IPv6 pool: fd00::/8 plus the 40 low bits of the first
 * 8 bytes of sha256(engine ID) as Global ID, a /48 (RFC 4193 §3.2.2). */
void ip6_ula_pool(const uint8_t sha256[32], struct cidr6 *ret);
/* The first subnet of size size carved from base that overlaps none of
 * taken[]; -ENOSPC when none is left. Looks at most at 65536 of them. */
int cidr6_pick(const struct cidr6 *base, int size, const struct cidr6 *taken, size_t n_taken,
	       struct cidr6 *ret);

/* The addresses handed out in one subnet: a sorted set. */
struct ipam6_set {
	struct in6_addr *v;
	size_t n, cap;
};
bool ipam6_set_has(const struct ipam6_set *s, const struct in6_addr *a);
int ipam6_set_add(struct ipam6_set *s, const struct in6_addr *a);
void ipam6_set_del(struct ipam6_set *s, const struct in6_addr *a);
void ipam6_set_free(struct ipam6_set *s);
/* The lowest free address of range (inside subnet; prefix 0: the whole
 * subnet), never the subnet-router anycast address (the first one) and never
 * gateway; -ENOSPC when full. */
int ipam6_alloc(const struct ipam6_set *used, const struct cidr6 *subnet, const struct cidr6 *range,
		const struct in6_addr *gateway, struct in6_addr *ret);
