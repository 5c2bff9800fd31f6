/* IPv6 on bridge networks: the v6 half of networks and endpoints (see
 * network_ipv6.c). Private to src/network/. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"
#include "network/ipam6.h"

struct networks;
struct network;
struct endpoint;

/* The IPv6 IPAM config of a new network: cfg (NULL: none given) checked as
 * dockerd does, or a /64 of the engine's pool; the gateway (default: the
 * first address after the subnet-router one), the auxiliary addresses, and
 * the gateway_mode_ipv6 option (NAT66). Without enable the config is only
 * kept. -EINVAL/-EEXIST/-ENOSPC with dockerd's message. */
int network_ipam6_parse(struct networks *ns, struct network *n, json_t *cfg, bool enable,
			struct error *err);
void network_reserve_aux6(struct network *n);

/* The network's and endpoints' v6 keys in the state file. */
void network_state6_save(struct network *n, json_t *j);
void network_state6_load(struct network *n, json_t *j);
void endpoint_state6_save(const struct endpoint *e, json_t *j);
void endpoint_state6_load(struct network *n, struct endpoint *e, json_t *j);

/* IPAMConfig.IPv6Address of an endpoint config -> *ret (zero: none);
 * -EINVAL with dockerd's message when malformed or not for this network. */
int endpoint_ip6_parse(struct network *n, json_t *epcfg, struct in6_addr *ret, struct error *err);
/* Gives e its v6 address on a dual-stack network: want (not zero) or the
 * lowest free one. Nothing on an IPv4-only network. */
int endpoint_ip6_reserve(struct network *n, struct endpoint *e, const struct in6_addr *want,
			 struct error *err);
void endpoint_ip6_release(struct network *n, struct endpoint *e);

/* The IPAM.Config entry of the v6 subnet; NULL when none. */
json_t *network_ipam6_json(struct network *n);
/* Sets IPv6Gateway, GlobalIPv6Address, GlobalIPv6PrefixLen (live) and
 * IPAMConfig.IPv6Address (asked for) in an EndpointSettings object. */
void endpoint_json6(struct network *n, struct endpoint *ep, bool live, json_t *o);
/* "addr/prefix" of the endpoint ("" when none); buf of CIDR6_LEN. */
const char *endpoint_ip6_cidr(struct network *n, struct endpoint *ep, char *buf);
