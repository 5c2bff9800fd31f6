/* Netlink for the routing mesh (see nl_mesh.h). */
#include "network/nl_mesh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

static int fail(struct error *err, int e, const char *what, const char *name)
{
	return error_set(err, e == -NLE_NOMEM ? -ENOMEM : -EIO, "%s %s: %s", what, name,
			 nl_geterror(e));
}

static struct nl_sock *sock_open(struct error *err)
{
	struct nl_sock *s = nl_socket_alloc();
	if (!s) {
		error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	int e = nl_connect(s, NETLINK_ROUTE);
	if (e < 0) {
		nl_socket_free(s);
		error_set(err, -EIO, "netlink: %s", nl_geterror(e));
		return NULL;
	}
	return s;
}

static struct nl_addr *v4(uint32_t ip, int prefix)
{
	uint32_t be = htonl(ip);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
	if (a)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static int set_mac(struct nl_sock *s, struct rtnl_link *l, const uint8_t mac[6], const char *name,
		   struct error *err)
{
	struct rtnl_link *ch = rtnl_link_alloc();
	struct nl_addr *ma = nl_addr_build(AF_LLC, mac, 6);
	int r = 0;
	if (!ch || !ma) {
		r = error_set(err, -ENOMEM, "out of memory");
	} else {
		rtnl_link_set_addr(ch, ma);
		int e = rtnl_link_change(s, l, ch, 0);
		if (e < 0)
			r = fail(err, e, "setting the MAC of", name);
	}
	nl_addr_put(ma);
	rtnl_link_put(ch);
	return r;
}

static int addr_change(struct nl_sock *s, int ifindex, uint32_t ip, int prefix, bool add)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = v4(ip, prefix);
	int e = -NLE_NOMEM;
	if (a && local) {
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
		e = add ? rtnl_addr_add(s, a, 0) : rtnl_addr_delete(s, a, 0);
	}
	nl_addr_put(local);
	rtnl_addr_put(a);
	return e;
}

int nl_link_mac_addr(const char *name, const uint8_t mac[6], uint32_t ip, int prefix,
		     struct error *err)
{
	struct nl_sock *s = sock_open(err);
	if (!s)
		return -EIO;
	struct rtnl_link *l = NULL;
	int e = rtnl_link_get_kernel(s, 0, name, &l);
	int r = e < 0 ? fail(err, e, "looking up", name) : set_mac(s, l, mac, name, err);
	if (r == 0) {
		e = addr_change(s, rtnl_link_get_ifindex(l), ip, prefix, true);
		if (e < 0 && e != -NLE_EXIST)
			r = fail(err, e, "adding an address to", name);
	}
	rtnl_link_put(l);
	nl_socket_free(s);
	return r;
}

void nl_link_addr_del(const char *name, uint32_t ip, int prefix)
{
	struct error err = ERROR_INIT;
	struct nl_sock *s = sock_open(&err);
	error_clear(&err);
	int ifindex = (int)if_nametoindex(name);
	if (s && ifindex > 0)
		addr_change(s, ifindex, ip, prefix, false);
	if (s)
		nl_socket_free(s);
}

/* Deletes the IPv4 rules that look up tables [first, last]. */
static int rules_flush(struct nl_sock *s, uint32_t first, uint32_t last, struct error *err)
{
	struct nl_cache *cache = NULL;
	int e = rtnl_rule_alloc_cache(s, AF_INET, &cache);
	if (e < 0)
		return fail(err, e, "listing", "rules");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *rule = (struct rtnl_rule *)o;
		uint32_t t = rtnl_rule_get_table(rule);
		if (t >= first && t <= last)
			rtnl_rule_delete(s, rule, 0);
	}
	nl_cache_free(cache);
	return 0;
}

static int rule_add(struct nl_sock *s, uint32_t mark, struct error *err)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();
	if (!rule)
		return error_set(err, -ENOMEM, "out of memory");
	rtnl_rule_set_family(rule, AF_INET);
	rtnl_rule_set_mark(rule, mark);
	rtnl_rule_set_mask(rule, 0xffffffffu);
	rtnl_rule_set_table(rule, mark);
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	/* Before the main table, whose default route leaves by another way. */
	rtnl_rule_set_prio(rule, 100);
	int e = rtnl_rule_add(s, rule, NLM_F_CREATE);
	rtnl_rule_put(rule);
	return e < 0 && e != -NLE_EXIST ? fail(err, e, "adding", "a mesh rule") : 0;
}

static int route_add(struct nl_sock *s, int ifindex, const struct nl_mark_route *m,
		     struct error *err)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = v4(0, 0), *gw = v4(m->via, 32);
	int e = -NLE_NOMEM;
	if (rt && nh && dst && gw) {
		rtnl_route_set_family(rt, AF_INET);
		rtnl_route_set_table(rt, m->mark);
		rtnl_route_set_dst(rt, dst);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(rt, nh);
		nh = NULL; /* the route's now */
		e = rtnl_route_add(s, rt, NLM_F_CREATE | NLM_F_REPLACE);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	rtnl_route_put(rt);
	return e < 0 ? fail(err, e, "adding", "a mesh route") : 0;
}

int nl_mark_routes_set(const char *ifname, const struct nl_mark_route *v, size_t n, uint32_t first,
		       uint32_t last, struct error *err)
{
	int ifindex = (int)if_nametoindex(ifname);
	if (ifindex <= 0)
		return error_set(err, -ENODEV, "no interface %s", ifname);
	struct nl_sock *s = sock_open(err);
	if (!s)
		return -EIO;
	int r = rules_flush(s, first, last, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = route_add(s, ifindex, &v[i], err);
		if (r == 0)
			r = rule_add(s, v[i].mark, err);
	}
	nl_socket_free(s);
	return r;
}
