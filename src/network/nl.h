/* The kernel side of bridge networking through netlink (libnl-route-3):
 * bridges, veth pairs whose peer is created directly inside a container's
 * network namespace, addresses and routes, and the namespaces themselves
 * (bind-mounted files). Never shells out. Every call is a few syscalls and
 * runs on the caller's thread; entering a namespace changes only the calling
 * thread and is undone before returning. Functions return 0 or -errno with a
 * message in err. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "network/ipam.h"
#include "network/ipam6.h"

/* Creates bridge name unless it exists, gives it gateway/prefix (gw.addr is
 * the gateway address itself), gw6 likewise (NULL: no IPv6), the MTU (0:
 * leave) and brings it up. Sets route_localnet on it (published ports on
 * 127.0.0.1, see docs/networking.md); with gw6, IPv6 and forwarding of what
 * comes in on it. */
int nl_bridge_ensure(const char *name, const struct cidr *gw, const struct cidr6 *gw6, int mtu,
		     struct error *err);
/* Deletes a link by name; a missing one is fine. */
int nl_link_delete(const char *name);
bool nl_link_exists(const char *name);
/* The IPv4 destinations routed on the host (main table, default route
 * excluded); *ret is malloc'ed. */
int nl_host_routes(struct cidr **ret, size_t *n, struct error *err);

/* A new network namespace, bind-mounted at path (lo is brought up). */
int netns_create(const char *path, struct error *err);
/* Unmounts and unlinks; a missing one is fine. */
void netns_remove(const char *path);
/* Pins the network namespace of process pid at path again, unless path
 * already holds one: the pin is a bind mount in berthd's mount namespace,
 * and a berthd started in another one (kill -9, then a new private mount
 * namespace, as tests/cluster starts nodes) finds a plain file there. */
int netns_repin(const char *path, int pid, struct error *err);
/* Moves the calling thread into the namespace at path; *ret_orig is the
 * namespace to return to with netns_leave. */
int netns_enter(const char *path, int *ret_orig, struct error *err);
void netns_leave(int orig);

struct nl_endpoint {
	const char *netns_path;
	const char *host_if; /* host side of the veth pair */
	const char *bridge;
	const char *ifname; /* inside: eth0, eth1... */
	uint32_t ip;
	int prefix;
	uint32_t gateway;    /* default route via it; 0: none */
	struct in6_addr ip6; /* zero: no IPv6 */
	int prefix6;
	struct in6_addr gateway6; /* IPv6 default route via it; zero: none */
	uint8_t mac[6];
	int mtu;
	bool isolated; /* the bridge port talks to no other isolated port */
};
/* veth pair with its peer made inside the namespace, the host side
 * enslaved to the bridge (isolated: the port forwards to no other isolated
 * port, Docker's enable_icc=false); inside: MAC, address, up, default route. On
 * failure the pair is deleted again. */
int nl_endpoint_add(const struct nl_endpoint *ep, struct error *err);

/* Overlay networks: a vxlan port on a bridge, with peers programmed from
 * the store (no learning, no multicast). */
struct nl_vxlan {
	const char *name, *bridge;
	uint32_t vni;
	uint32_t local; /* underlay address */
	int port;	/* UDP, host order */
	int mtu;	/* 0: leave */
};
/* Creates the vxlan device unless it exists, enslaves it to the bridge and
 * brings it up. */
int nl_vxlan_ensure(const struct nl_vxlan *vx, struct error *err);
struct nl_peer {
	uint32_t ip;
	uint8_t mac[6];
	uint32_t vtep; /* the underlay address of the peer's node */
};
/* Adds (replacing) or deletes the FDB entry mac -> vtep and the neighbour
 * entry ip -> mac on the vxlan device. */
int nl_vxlan_peer(const char *vxlan, const struct nl_peer *p, bool add, struct error *err);
/* The MTU of the link holding the local address ip; 0 when none does. */
int nl_link_mtu_of_addr(uint32_t ip);
