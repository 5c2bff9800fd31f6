/* Berth's nftables tables: one pair per daemon ("ip berth" and, when a
 * network is dual-stack, "ip6 berth" of the same shape; a suffix for a
 * non-default exec root), always replaced as a whole in one transaction
 * from the daemon's state. That is what makes a kill -9 safe:
 * the next start rebuilds it, and no rule can outlive the state it came
 * from. Ruleset text is generated without I/O (unit-tested) and applied
 * through libnftables. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "network/ipam.h"
#include "network/ipam6.h"

struct nft_bridge {
	const char *ifname;
	struct cidr subnet;
	bool internal;	      /* no traffic in or out of the bridge */
	bool masquerade;      /* outbound NAT */
	struct cidr6 subnet6; /* prefix 0: IPv4 only */
	bool nat6;	      /* outbound NAT66 */
};

struct nft_port {
	const char *proto; /* "tcp" or "udp" */
	uint32_t host_ip;  /* 0: every local address */
	int host_port;
	uint32_t ct_ip;
	int ct_port;
	bool v6; /* then host_ip6 (zero: every local address) and ct_ip6 count */
	struct in6_addr host_ip6, ct_ip6;
};

/* The ruleset that replaces the ip and ip6 tables named table (deletes them
 * when there is no bridge, the ip6 one when no bridge has IPv6); malloc'ed,
 * NULL on allocation failure. */
char *nft_ruleset(const char *table, const struct nft_bridge *br, size_t n_br,
		  const struct nft_port *ports, size_t n_ports);

/* A service VIP and the addresses of the tasks that serve it. */
struct nft_vip {
	uint32_t vip;
	const uint32_t *backends;
	size_t n_backends;
};

/* The table that balances VIPs inside one container's namespace (it
 * replaces table; deletes it when there is no VIP): connections the
 * container opens to a VIP, any port, are DNAT'ed in its own output path
 * to one backend picked by numgen, so replies come back through its own
 * conntrack and the backend sees the container's address; a VIP without
 * backends refuses at once. malloc'ed, NULL on allocation failure. */
char *nft_vip_ruleset(const char *table, const struct nft_vip *vips, size_t n);

struct nft_ctx;
/* A libnftables context with its error output buffered. */
struct nft_ctx *nft_open(void);
void nft_close(struct nft_ctx *ctx);
/* Runs ruleset text as one transaction; -EIO with nft's message. */
int nft_apply(struct nft_ctx *ctx, const char *text, struct error *err);
/* Removes the ip and ip6 tables named table if they exist. */
int nft_delete_table(struct nft_ctx *ctx, const char *table, struct error *err);
