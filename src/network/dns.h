/* The embedded DNS server of one container: UDP and TCP sockets bound to
 * 127.0.0.11:53 inside the container's network namespace (made there, then
 * served from berthd's loop), answering A and AAAA queries for the names
 * the resolver callback knows and forwarding everything else, from the host's
 * namespace, to upstream servers. Message parsing is pure (dns_answer). */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"

/* The addresses of a name: IPv4 (host order) and IPv6. */
#define DNS_MAX_ADDRS 16
struct dns_addrs {
	uint32_t v4[DNS_MAX_ADDRS];
	struct in6_addr v6[DNS_MAX_ADDRS];
	size_t n4, n6;
};
/* Adds v4 (0: none) and v6 (NULL or zero: none) while there is room. */
void dns_addrs_add(struct dns_addrs *a, uint32_t v4, const struct in6_addr *v6);
/* Fills out (zeroed by the caller) with the addresses of name (no trailing
 * dot). */
typedef void (*dns_resolve_fn)(void *userdata, const char *name, struct dns_addrs *out);

/* Answers query locally into out (at least 512 bytes): returns the answer's
 * length, 0 when the name is not ours (forward it), -EINVAL when the query
 * is malformed. */
int dns_answer(const uint8_t *q, size_t qlen, dns_resolve_fn resolve, void *userdata, uint8_t *out,
	       size_t outlen);

struct dns_server;
/* Binds inside the namespace at netns_path. upstreams: IPv4 addresses
 * (host order), copied; none: unknown names get SERVFAIL. */
int dns_server_start(uv_loop_t *loop, const char *netns_path, dns_resolve_fn resolve,
		     void *userdata, const uint32_t *upstreams, size_t n_up,
		     struct dns_server **ret, struct error *err);
/* Closes the sockets; pending forwards are dropped. Accepts NULL. */
void dns_server_stop(struct dns_server *s);
