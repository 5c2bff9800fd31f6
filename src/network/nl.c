/* Netlink and namespace plumbing for bridge networks (see nl.h). */
#include "network/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <linux/magic.h>
#include <linux/neighbour.h>
#include <netlink/route/route.h>

#include "basic/cleanup.h"

static void sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}
#define _cleanup_sock_ __attribute__((cleanup(sock_freep)))

static void link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_link_ __attribute__((cleanup(link_putp)))

static int nle_errno(int e)
{
	switch (-e) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int nl_fail(struct error *err, int e, const char *what, const char *name)
{
	return error_set(err, nle_errno(e), "%s %s: %s", what, name, nl_geterror(e));
}

static int open_sock(struct nl_sock **ret, struct error *err)
{
	struct nl_sock *s = nl_socket_alloc();
	if (!s)
		return error_set(err, -ENOMEM, "out of memory");
	int e = nl_connect(s, NETLINK_ROUTE);
	if (e < 0) {
		nl_socket_free(s);
		return error_set(err, nle_errno(e), "netlink: %s", nl_geterror(e));
	}
	*ret = s;
	return 0;
}

/* A socket and the bridge that a new port goes into. */
static int open_sock_bridge(struct nl_sock **ret_s, const char *bridge, struct rtnl_link **ret_br,
			    struct error *err)
{
	int r = open_sock(ret_s, err);
	if (r < 0)
		return r;
	int e = rtnl_link_get_kernel(*ret_s, 0, bridge, ret_br);
	if (e < 0)
		return nl_fail(err, e, "looking up bridge", bridge);
	return 0;
}

static struct nl_addr *v4addr(uint32_t ip, int prefix)
{
	uint32_t be = htonl(ip);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
	if (a)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static struct nl_addr *v6addr(const struct in6_addr *ip, int prefix)
{
	struct nl_addr *a = nl_addr_build(AF_INET6, ip, 16);
	if (a)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static int write_sysctl(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, value, strlen(value)) < 0 ? -errno : 0;
}

/* local: consumed. */
static int add_nl_addr(struct nl_sock *s, int ifindex, struct nl_addr *local, const char *name,
		       struct error *err)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	if (!a || !local) {
		rtnl_addr_put(a);
		nl_addr_put(local);
		return error_set(err, -ENOMEM, "out of memory");
	}
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	/* IPv6: usable at once, as dockerd's (no duplicate detection delay on a
	 * link whose addresses we hand out ourselves). */
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	int e = rtnl_addr_add(s, a, 0);
	nl_addr_put(local);
	rtnl_addr_put(a);
	if (e < 0 && e != -NLE_EXIST)
		return nl_fail(err, e, "adding an address to", name);
	return 0;
}

static int add_addr(struct nl_sock *s, int ifindex, uint32_t ip, int prefix, const char *name,
		    struct error *err)
{
	return add_nl_addr(s, ifindex, v4addr(ip, prefix), name, err);
}

/* IPv6 on an interface of ours: enabled whatever the defaults say;
 * -ENOENT when the kernel has no IPv6 (ipv6.disable=1). */
static int enable_ipv6(const char *ifname)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	return write_sysctl(path, "0");
}

static int link_up(struct nl_sock *s, struct rtnl_link *l, int mtu, const char *name,
		   struct error *err)
{
	_cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
	if (!ch)
		return error_set(err, -ENOMEM, "out of memory");
	rtnl_link_set_flags(ch, IFF_UP);
	if (mtu > 0)
		rtnl_link_set_mtu(ch, (unsigned)mtu);
	int e = rtnl_link_change(s, l, ch, 0);
	return e < 0 ? nl_fail(err, e, "bringing up", name) : 0;
}

int nl_bridge_ensure(const char *name, const struct cidr *gw, const struct cidr6 *gw6, int mtu,
		     struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	_cleanup_link_ struct rtnl_link *l = NULL;
	if (rtnl_link_get_kernel(s, 0, name, &l) < 0) {
		_cleanup_link_ struct rtnl_link *nb = rtnl_link_bridge_alloc();
		if (!nb)
			return error_set(err, -ENOMEM, "out of memory");
		rtnl_link_set_name(nb, name);
		/* A fixed MAC: otherwise the bridge takes its ports' and
		 * changes as containers come and go (stale ARP entries). */
		uint8_t mac[6] = {0x02, 0x42};
		uint32_t h = 2166136261u;
		for (const char *p = name; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h ^= (uint32_t)getpid() * 2654435761u;
		memcpy(mac + 2, &h, 4);
		struct nl_addr *ma = nl_addr_build(AF_LLC, mac, 6);
		if (ma) {
			rtnl_link_set_addr(nb, ma);
			nl_addr_put(ma);
		}
		if (mtu > 0)
			rtnl_link_set_mtu(nb, (unsigned)mtu);
		int e = rtnl_link_add(s, nb, NLM_F_CREATE | NLM_F_EXCL);
		if (e < 0 && e != -NLE_EXIST)
			return nl_fail(err, e, "creating bridge", name);
		e = rtnl_link_get_kernel(s, 0, name, &l);
		if (e < 0)
			return nl_fail(err, e, "looking up bridge", name);
	}
	if (gw && gw->prefix) {
		r = add_addr(s, rtnl_link_get_ifindex(l), gw->addr, gw->prefix, name, err);
		if (r < 0)
			return r;
	}
	char path[128];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", name);
	write_sysctl(path, "1");
	if (gw6 && gw6->prefix) {
		if (enable_ipv6(name) == -ENOENT)
			return error_set(err, -EINVAL,
					 "cannot enable IPv6 on bridge %s: IPv6 is disabled in the "
					 "kernel",
					 name);
		/* Routing for what comes in on this bridge only (kernel 6.17's
		 * per-interface switch), not all.forwarding: that would turn off
		 * router advertisements on every interface of the host. */
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/force_forwarding", name);
		write_sysctl(path, "1");
		r = add_nl_addr(s, rtnl_link_get_ifindex(l), v6addr(&gw6->addr, gw6->prefix), name,
				err);
		if (r < 0)
			return r;
	}
	return link_up(s, l, mtu, name, err);
}

int nl_link_delete(const char *name)
{
	struct error err = ERROR_INIT;
	_cleanup_sock_ struct nl_sock *s = NULL;
	int r = open_sock(&s, &err);
	error_clear(&err);
	if (r < 0)
		return r;
	_cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	int e = rtnl_link_delete(s, l);
	return e < 0 && nle_errno(e) != -ENODEV ? nle_errno(e) : 0;
}

bool nl_link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

struct route_acc {
	struct cidr *v;
	size_t n, cap;
};

static void route_cb(struct nl_object *o, void *arg)
{
	struct route_acc *acc = arg;
	struct rtnl_route *rt = (struct rtnl_route *)o;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || !dst ||
	    nl_addr_get_family(dst) != AF_INET || nl_addr_get_prefixlen(dst) == 0)
		return;
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 16;
		struct cidr *v = realloc(acc->v, cap * sizeof(*v));
		if (!v)
			return;
		acc->v = v;
		acc->cap = cap;
	}
	uint32_t be = 0;
	memcpy(&be, nl_addr_get_binary_addr(dst), 4);
	int p = (int)nl_addr_get_prefixlen(dst);
	acc->v[acc->n++] = (struct cidr){ntohl(be) & cidr_mask(p), p};
}

int nl_host_routes(struct cidr **ret, size_t *n, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	struct nl_cache *cache = NULL;
	int e = rtnl_route_alloc_cache(s, AF_INET, 0, &cache);
	if (e < 0)
		return error_set(err, nle_errno(e), "listing routes: %s", nl_geterror(e));
	struct route_acc acc = {0};
	nl_cache_foreach(cache, route_cb, &acc);
	nl_cache_free(cache);
	*ret = acc.v;
	*n = acc.n;
	return 0;
}

/* ---- namespaces ---- */

int netns_enter(const char *path, int *ret_orig, struct error *err)
{
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return error_set(err, -errno, "open own network namespace: %s", strerror(errno));
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;
		close(orig);
		return error_set(err, -e, "entering network namespace %s: %s", path, strerror(e));
	}
	*ret_orig = orig;
	return 0;
}

void netns_leave(int orig)
{
	if (orig < 0)
		return;
	if (setns(orig, CLONE_NEWNET) < 0)
		abort(); /* a thread left in a container's namespace would be worse */
	close(orig);
}

/* Sets lo up with the socket s (opened inside the namespace). */
static int lo_up(struct nl_sock *s, struct error *err)
{
	_cleanup_link_ struct rtnl_link *lo = NULL;
	int e = rtnl_link_get_kernel(s, 0, "lo", &lo);
	if (e < 0)
		return nl_fail(err, e, "looking up", "lo");
	return link_up(s, lo, 0, "lo", err);
}

int netns_create(const char *path, struct error *err)
{
	_cleanup_close_ int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (f < 0)
		return error_set(err, -errno, "create %s: %s", path, strerror(errno));
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		unlink(path);
		return error_set(err, -errno, "open own network namespace: %s", strerror(errno));
	}
	int r = 0;
	struct nl_sock *s = NULL;
	if (unshare(CLONE_NEWNET) < 0) {
		r = error_set(err, -errno, "new network namespace: %s", strerror(errno));
		close(orig);
		unlink(path);
		return r;
	}
	if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
		r = error_set(err, -errno, "bind-mount network namespace at %s: %s", path,
			      strerror(errno));
	if (r == 0)
		r = open_sock(&s, err);
	netns_leave(orig);
	if (r == 0)
		r = lo_up(s, err);
	if (s)
		nl_socket_free(s);
	if (r < 0)
		netns_remove(path);
	return r;
}

int netns_repin(const char *path, int pid, struct error *err)
{
	struct statfs st;
	if (statfs(path, &st) == 0 && st.f_type == NSFS_MAGIC)
		return 0;
	if (pid <= 0)
		return error_set(err, -ESRCH, "network namespace %s: no process to take it from",
				 path);
	_cleanup_close_ int f = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	if (f < 0)
		return error_set(err, -errno, "create %s: %s", path, strerror(errno));
	char src[64];
	snprintf(src, sizeof(src), "/proc/%d/ns/net", pid);
	if (mount(src, path, NULL, MS_BIND, NULL) < 0)
		return error_set(err, -errno, "bind-mount %s at %s: %s", src, path,
				 strerror(errno));
	return 0;
}

void netns_remove(const char *path)
{
	umount2(path, MNT_DETACH);
	unlink(path);
}

/* ---- endpoints ---- */

/* A default route (dst ::/0 or 0.0.0.0/0) via gw on ifindex. gw: consumed. */
static int add_default_route(struct nl_sock *s, int family, int ifindex, struct nl_addr *gw,
			     const char *ifname, struct error *err)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct in6_addr zero = {0};
	struct nl_addr *dst = family == AF_INET6 ? v6addr(&zero, 0) : v4addr(0, 0);
	int r = 0;
	if (!rt || !nh || !dst || !gw) {
		r = error_set(err, -ENOMEM, "out of memory");
		rtnl_route_nh_free(nh);
	} else {
		rtnl_route_set_family(rt, (uint8_t)family);
		rtnl_route_set_dst(rt, dst);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(rt, nh);
		int e = rtnl_route_add(s, rt, NLM_F_CREATE | NLM_F_EXCL);
		if (e < 0 && e != -NLE_EXIST)
			r = nl_fail(err, e, "adding the default route on", ifname);
	}
	nl_addr_put(dst);
	nl_addr_put(gw);
	if (rt)
		rtnl_route_put(rt);
	return r;
}

static int inside(const struct nl_endpoint *ep, struct error *err)
{
	int orig;
	bool v6 = !IN6_IS_ADDR_UNSPECIFIED(&ep->ip6);
	int r = netns_enter(ep->netns_path, &orig, err);
	if (r < 0)
		return r;
	_cleanup_sock_ struct nl_sock *s = NULL;
	r = open_sock(&s, err);
	if (v6) /* /proc/sys/net is the calling thread's namespace's */
		enable_ipv6(ep->ifname);
	netns_leave(orig);
	if (r < 0)
		return r;
	_cleanup_link_ struct rtnl_link *l = NULL;
	int e = rtnl_link_get_kernel(s, 0, ep->ifname, &l);
	if (e < 0)
		return nl_fail(err, e, "looking up", ep->ifname);
	int ifindex = rtnl_link_get_ifindex(l);
	r = add_addr(s, ifindex, ep->ip, ep->prefix, ep->ifname, err);
	if (r == 0 && v6)
		r = add_nl_addr(s, ifindex, v6addr(&ep->ip6, ep->prefix6), ep->ifname, err);
	if (r == 0)
		r = link_up(s, l, 0, ep->ifname, err);
	if (r == 0 && ep->gateway)
		r = add_default_route(s, AF_INET, ifindex, v4addr(ep->gateway, 32), ep->ifname,
				      err);
	if (r == 0 && v6 && !IN6_IS_ADDR_UNSPECIFIED(&ep->gateway6))
		r = add_default_route(s, AF_INET6, ifindex, v6addr(&ep->gateway6, 128), ep->ifname,
				      err);
	return r;
}

/* Hairpin mode on the bridge port: a container reaching its own published
 * port through a host address gets the DNAT'ed packet back on the port it
 * came from. Best effort. */
static void hairpin(const char *host_if)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/class/net/%s/brport/hairpin_mode", host_if);
	write_sysctl(path, "1");
}

/* Port isolation (kernel 4.18): frames between two isolated ports of a
 * bridge are dropped, so containers of an enable_icc=false network reach
 * the host (routed through the bridge) and nothing else on it. Not best
 * effort: a network that promises isolation must not silently lack it.
 * Through netlink (IFLA_BRPORT_ISOLATED in a bridge RTM_SETLINK; libnl 3.7
 * has no setter), not sysfs: /sys may show another namespace's links. */
static int isolate(struct nl_sock *s, const char *host_if, struct error *err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	int e = rtnl_link_get_kernel(s, 0, host_if, &l);
	if (e < 0)
		return nl_fail(err, e, "isolating bridge port", host_if);
	struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = rtnl_link_get_ifindex(l)};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	struct nlattr *info = NULL;
	e = -NLE_NOMEM;
	if (m && nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) >= 0 &&
	    (info = nla_nest_start(m, IFLA_PROTINFO | NLA_F_NESTED)) &&
	    nla_put_u8(m, IFLA_BRPORT_ISOLATED, 1) >= 0 && nla_nest_end(m, info) >= 0)
		e = nl_send_auto(s, m);
	nlmsg_free(m);
	if (e >= 0)
		e = nl_wait_for_ack(s);
	return e < 0 ? nl_fail(err, e, "isolating bridge port", host_if) : 0;
}

int nl_endpoint_add(const struct nl_endpoint *ep, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *br = NULL;
	int r = open_sock_bridge(&s, ep->bridge, &br, err);
	if (r < 0)
		return r;
	_cleanup_close_ int nsfd = open(ep->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return error_set(err, -errno, "open %s: %s", ep->netns_path, strerror(errno));
	_cleanup_link_ struct rtnl_link *veth = rtnl_link_veth_alloc();
	if (!veth)
		return error_set(err, -ENOMEM, "out of memory");
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	struct nl_addr *mac = nl_addr_build(AF_LLC, ep->mac, 6);
	rtnl_link_set_name(veth, ep->host_if);
	rtnl_link_set_master(veth, rtnl_link_get_ifindex(br));
	rtnl_link_set_name(peer, ep->ifname);
	rtnl_link_set_ns_fd(peer, nsfd);
	if (mac)
		rtnl_link_set_addr(peer, mac);
	if (ep->mtu > 0) {
		rtnl_link_set_mtu(veth, (unsigned)ep->mtu);
		rtnl_link_set_mtu(peer, (unsigned)ep->mtu);
	}
	rtnl_link_set_flags(veth, IFF_UP);
	int e = rtnl_link_add(s, veth, NLM_F_CREATE | NLM_F_EXCL);
	nl_addr_put(mac);
	rtnl_link_put(peer);
	if (e < 0)
		return nl_fail(err, e, "creating veth pair", ep->host_if);
	hairpin(ep->host_if);
	r = ep->isolated ? isolate(s, ep->host_if, err) : 0;
	if (r == 0)
		r = inside(ep, err);
	if (r < 0)
		nl_link_delete(ep->host_if);
	return r;
}

/* ---- overlay: vxlan ports, FDB and neighbour entries ---- */

int nl_vxlan_ensure(const struct nl_vxlan *vx, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	_cleanup_link_ struct rtnl_link *br = NULL;
	int r = open_sock_bridge(&s, vx->bridge, &br, err);
	if (r < 0)
		return r;
	int e;
	_cleanup_link_ struct rtnl_link *l = NULL;
	if (rtnl_link_get_kernel(s, 0, vx->name, &l) < 0) {
		_cleanup_link_ struct rtnl_link *nv = rtnl_link_vxlan_alloc();
		struct nl_addr *local = v4addr(vx->local, 32);
		if (!nv || !local) {
			nl_addr_put(local);
			return error_set(err, -ENOMEM, "out of memory");
		}
		rtnl_link_set_name(nv, vx->name);
		rtnl_link_vxlan_set_id(nv, vx->vni);
		rtnl_link_vxlan_set_local(nv, local);
		nl_addr_put(local);
		rtnl_link_vxlan_set_port(nv, (uint32_t)vx->port);
		/* Peers come from the store: no learning, no multicast; ARP is
		 * answered from the neighbour entries (proxy). */
		rtnl_link_vxlan_set_learning(nv, 0);
		rtnl_link_vxlan_set_proxy(nv, 1);
		/* No outer UDP checksum, as Docker's overlay: the inner packet
		 * has its own, and the outer one costs a pass over every byte. */
		rtnl_link_vxlan_set_udp_csum(nv, 0);
		rtnl_link_set_master(nv, rtnl_link_get_ifindex(br));
		if (vx->mtu > 0)
			rtnl_link_set_mtu(nv, (unsigned)vx->mtu);
		e = rtnl_link_add(s, nv, NLM_F_CREATE | NLM_F_EXCL);
		if (e < 0 && e != -NLE_EXIST)
			return nl_fail(err, e, "creating vxlan device", vx->name);
		e = rtnl_link_get_kernel(s, 0, vx->name, &l);
		if (e < 0)
			return nl_fail(err, e, "looking up vxlan device", vx->name);
	}
	return link_up(s, l, vx->mtu, vx->name, err);
}

static struct nl_addr *mac_addr(const uint8_t mac[6])
{
	return nl_addr_build(AF_LLC, mac, 6);
}

/* FDB: mac behind the remote VTEP (the vxlan device's own table). */
static int fdb_entry(struct nl_sock *s, int ifindex, const struct nl_peer *p, bool add)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = mac_addr(p->mac), *dst = v4addr(p->vtep, 32);
	int e = -NLE_NOMEM;
	/* The VTEP first: setting an address of another family than the
	 * entry's is refused, and the entry's is AF_BRIDGE. */
	if (n && ll && dst && (e = rtnl_neigh_set_dst(n, dst)) >= 0) {
		rtnl_neigh_set_family(n, AF_BRIDGE);
		rtnl_neigh_set_ifindex(n, ifindex);
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_flags(n, NTF_SELF);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		e = add ? rtnl_neigh_add(s, n, NLM_F_CREATE | NLM_F_REPLACE)
			: rtnl_neigh_delete(s, n, 0);
	}
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return e;
}

/* Neighbour: ip is at mac (answered by the vxlan device's ARP proxy). */
static int neigh_entry(struct nl_sock *s, int ifindex, const struct nl_peer *p, bool add)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = mac_addr(p->mac), *dst = v4addr(p->ip, 32);
	int e = -NLE_NOMEM;
	if (n && ll && dst) {
		rtnl_neigh_set_family(n, AF_INET);
		rtnl_neigh_set_ifindex(n, ifindex);
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		e = add ? rtnl_neigh_add(s, n, NLM_F_CREATE | NLM_F_REPLACE)
			: rtnl_neigh_delete(s, n, 0);
	}
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return e;
}

int nl_vxlan_peer(const char *vxlan, const struct nl_peer *p, bool add, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	int ifindex = (int)if_nametoindex(vxlan);
	if (!ifindex)
		return error_set(err, -ENODEV, "no vxlan device %s", vxlan);
	int e = fdb_entry(s, ifindex, p, add);
	if (e >= 0 || !add)
		e = neigh_entry(s, ifindex, p, add);
	if (e < 0 && add)
		return nl_fail(err, e, "programming a peer on", vxlan);
	return 0;
}

int nl_link_mtu_of_addr(uint32_t ip)
{
	struct error err = ERROR_INIT;
	_cleanup_sock_ struct nl_sock *s = NULL;
	int r = open_sock(&s, &err);
	error_clear(&err);
	struct nl_cache *addrs = NULL, *links = NULL;
	int mtu = 0;
	if (r < 0 || rtnl_addr_alloc_cache(s, &addrs) < 0 ||
	    rtnl_link_alloc_cache(s, AF_UNSPEC, &links) < 0)
		goto out;
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		uint32_t be = htonl(ip);
		if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4 ||
		    memcmp(nl_addr_get_binary_addr(local), &be, 4) != 0)
			continue;
		struct rtnl_link *l = rtnl_link_get(links, rtnl_addr_get_ifindex(a));
		if (l) {
			mtu = (int)rtnl_link_get_mtu(l);
			rtnl_link_put(l);
		}
		break;
	}
out:
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	return mtu;
}
