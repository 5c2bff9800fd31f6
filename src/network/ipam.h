/* IPv4 address management without I/O: CIDR parsing and formatting, subnet
 * overlap, picking a free subnet from address pools, and handing out
 * addresses of a subnet (lowest free first). Addresses are host order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cidr {
	uint32_t addr; /* network address (host bits cleared) unless noted */
	int prefix;    /* 0..32 */
};

/* "a.b.c.d" -> addr; -EINVAL when not an IPv4 address. */
int ip_parse(const char *s, uint32_t *ret);
/* buf of at least 16 bytes. */
const char *ip_format(uint32_t addr, char *buf);
/* "a.b.c.d/n" -> cidr. keep_host keeps the host bits (for --bip 10.1.0.1/24);
 * otherwise they are cleared. -EINVAL when malformed. */
int cidr_parse(const char *s, bool keep_host, struct cidr *ret);
/* buf of at least 19 bytes. */
const char *cidr_format(const struct cidr *c, char *buf);
uint32_t cidr_mask(int prefix);
bool cidr_contains(const struct cidr *c, uint32_t addr);
bool cidr_overlap(const struct cidr *a, const struct cidr *b);
/* True when inner lies entirely within outer. */
bool cidr_within(const struct cidr *outer, const struct cidr *inner);

/* A pool of subnets of one size carved from base ("base=10.10.0.0/16,size=24"). */
struct addr_pool {
	struct cidr base;
	int size;
};
/* "base=A/n,size=m" -> pool; -EINVAL when malformed or size < base's prefix. */
int addr_pool_parse(const char *s, struct addr_pool *ret);
/* Docker's default pools: 172.17-31.0.0/16 and 192.168.0.0/16 by /20. */
size_t addr_pool_defaults(struct addr_pool *out, size_t max);
/* The first subnet of the pools overlapping none of taken[]; -ENOSPC when
 * none is left. */
int addr_pool_pick(const struct addr_pool *pools, size_t n_pools, const struct cidr *taken,
		   size_t n_taken, struct cidr *ret);

/* The addresses handed out in one subnet: a sorted set. */
struct ipam_set {
	uint32_t *v;
	size_t n, cap;
};
bool ipam_set_has(const struct ipam_set *s, uint32_t addr);
int ipam_set_add(struct ipam_set *s, uint32_t addr);
void ipam_set_del(struct ipam_set *s, uint32_t addr);
void ipam_set_free(struct ipam_set *s);
/* The lowest free host address of range (inside subnet), never the network
 * or broadcast address of subnet and never gateway; -ENOSPC when full. */
int ipam_alloc(const struct ipam_set *used, const struct cidr *subnet, const struct cidr *range,
	       uint32_t gateway, uint32_t *ret);
