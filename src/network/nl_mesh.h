/* The netlink pieces of the routing mesh (src/network/ingress.c), through
 * libnl-route-3, in the calling thread's network namespace: a node's own
 * address and MAC on its ingress bridge, and the policy routes that send a
 * task's replies back through the node that forwarded the connection.
 * Functions return 0 or -errno with a message in err. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

/* Gives link name the MAC mac and adds ip/prefix to it (kept if there). */
int nl_link_mac_addr(const char *name, const uint8_t mac[6], uint32_t ip, int prefix,
		     struct error *err);
/* Removes ip/prefix from link name; a missing one is fine. */
void nl_link_addr_del(const char *name, uint32_t ip, int prefix);

/* A firewall mark and the router that packets bearing it go through. */
struct nl_mark_route {
	uint32_t mark; /* also the routing table's number */
	uint32_t via;
};
/* Makes the rules of the tables [first, last] exactly "fwmark M lookup M"
 * for each of v, and each table M hold "default via v.via dev ifname"
 * (rules of other tables are left alone). */
int nl_mark_routes_set(const char *ifname, const struct nl_mark_route *v, size_t n, uint32_t first,
		       uint32_t last, struct error *err);
