/* The network service: the store of networks under <data-root>/network/
 * (one JSON file per network, written atomically, holding its settings and
 * its endpoints with their addresses), the built-in networks, the bridge
 * devices and berthd's nftables table, and the network API operations. */
#include "network/network.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "shared/events.h"
#include "network/network_ipv6.h"
#include "network/ingress.h"
#include "network/network_priv.h"
#include "network/nl.h"

bool network_is_user(const struct network *n)
{
	return !n->builtin && strcmp(n->driver, "bridge") == 0;
}

void network_event(struct networks *ns, struct network *n, const char *action, const char *cid)
{
	json_t *a =
	    json_pack("{s:s, s:s}", "name", n->name, "type", n->overlay ? "overlay" : n->driver);
	if (cid)
		json_object_set_new(a, "container", json_string(cid));
	event_log_publish(ns->deps.events, "network", action, n->id, a, "local");
}

/* ---- store ---- */

void network_free(struct network *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_eps; i++) {
		json_decref(n->eps[i].aliases);
		json_decref(n->eps[i].settings);
	}
	free(n->eps);
	ipam_set_free(&n->used);
	ipam6_set_free(&n->used6);
	json_decref(n->aux6);
	json_decref(n->labels);
	json_decref(n->options);
	json_decref(n->aux);
	json_decref(n->peers);
	json_decref(n->services);
	json_decref(n->swarm_info);
	network_mesh_free(n);
	free(n->name);
	free(n);
}

static json_t *cidr_json(const struct cidr *c)
{
	char buf[20];
	return c->prefix || c->addr ? json_string(cidr_format(c, buf)) : json_string("");
}

static json_t *network_state_json(struct network *n)
{
	char ip[16];
	json_t *eps = json_object();
	for (size_t i = 0; i < n->n_eps; i++) {
		struct endpoint *e = &n->eps[i];
		json_t *o = json_pack("{s:s, s:s, s:b, s:O, s:O}", "EndpointID", e->id, "IP",
				      e->ip ? ip_format(e->ip, ip) : "", "Static", e->static_ip,
				      "Aliases", e->aliases, "Settings", e->settings);
		if (o)
			endpoint_state6_save(e, o);
		if (o && e->gateway)
			json_object_set_new(o, "Gateway", json_true());
		if (o && e->owner[0])
			json_object_set_new(o, "Owner", json_string(e->owner));
		if (o && e->released)
			json_object_set_new(o, "Released", json_true());
		json_object_set_new(eps, e->cid, o);
	}
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:o, s:o, s:s, s:i, s:O, s:O, "
	    "s:I, s:o, s:O}",
	    "Id", n->id, "Name", n->name, "Driver", n->driver, "Bridge", n->bridge, "Internal",
	    n->internal, "Builtin", n->builtin, "Default", n->is_default, "Masquerade",
	    n->masquerade, "Subnet", cidr_json(&n->subnet), "IPRange", cidr_json(&n->range),
	    "Gateway", n->gateway ? ip_format(n->gateway, ip) : "", "MTU", n->mtu, "Labels",
	    n->labels, "Options", n->options, "CreatedNs", (json_int_t)n->created_ns, "Endpoints",
	    eps, "AuxAddresses", n->aux ? n->aux : json_null());
	if (j)
		network_state6_save(n, j);
	if (j && n->gw_auto)
		json_object_set_new(j, "GwAuto", json_true());
	return j;
}

int network_save(struct networks *ns, struct network *n, struct error *err)
{
	_cleanup_free_ char *path = NULL;
	json_t *j = network_state_json(n);
	if (j && n->overlay)
		json_object_set_new(j, "VNI", json_integer(n->vni));
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text || asprintf(&path, "%s/%s.json", ns->dir, n->id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_write_atomic(path, text, strlen(text), 0600, err);
}

static void network_unsave(struct networks *ns, const struct network *n)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s.json", ns->dir, n->id) >= 0)
		unlink(path);
}

/* Auxiliary addresses are never handed to containers. */
static void reserve_aux(struct network *n)
{
	const char *k;
	json_t *v;
	json_object_foreach(n->aux, k, v)
	{
		uint32_t ip;
		if (ip_parse(json_string_value(v) ? json_string_value(v) : "", &ip) == 0)
			ipam_set_add(&n->used, ip);
	}
}

static struct network *network_from_json(json_t *j)
{
	struct network *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	snprintf(n->id, sizeof(n->id), "%s", jstr(j, "Id"));
	n->name = strdup(jstr(j, "Name"));
	snprintf(n->driver, sizeof(n->driver), "%s", jstr(j, "Driver"));
	snprintf(n->bridge, sizeof(n->bridge), "%s", jstr(j, "Bridge"));
	n->internal = json_is_true(json_object_get(j, "Internal"));
	n->builtin = json_is_true(json_object_get(j, "Builtin"));
	n->is_default = json_is_true(json_object_get(j, "Default"));
	n->masquerade = json_is_true(json_object_get(j, "Masquerade"));
	n->gw_auto = json_is_true(json_object_get(j, "GwAuto"));
	n->vni = (uint32_t)json_integer_value(json_object_get(j, "VNI"));
	n->overlay = n->vni != 0;
	if (n->overlay)
		snprintf(n->vxlan, sizeof(n->vxlan), "vx-%.12s", n->id);
	cidr_parse(jstr(j, "Subnet"), false, &n->subnet);
	cidr_parse(jstr(j, "IPRange"), false, &n->range);
	ip_parse(jstr(j, "Gateway"), &n->gateway);
	n->mtu = (int)json_integer_value(json_object_get(j, "MTU"));
	n->labels = json_incref(json_object_get(j, "Labels"));
	n->options = json_incref(json_object_get(j, "Options"));
	if (!n->labels)
		n->labels = json_object();
	if (!n->options)
		n->options = json_object();
	n->created_ns = json_integer_value(json_object_get(j, "CreatedNs"));
	n->aux = json_incref(json_object_get(j, "AuxAddresses"));
	reserve_aux(n);
	network_state6_load(n, j);
	const char *cid;
	json_t *e;
	json_t *eps = json_object_get(j, "Endpoints");
	n->eps = calloc(json_object_size(eps) + 1, sizeof(*n->eps));
	/* A swarm network keeps the swarm's ID: 25 base-36 characters. */
	if (!n->name || !n->eps || strlen(n->id) != (n->overlay ? 25u : DIGEST_HEX_LEN)) {
		network_free(n);
		return NULL;
	}
	json_object_foreach(eps, cid, e)
	{
		struct endpoint *ep = &n->eps[n->n_eps];
		if (strlen(cid) != DIGEST_HEX_LEN)
			continue;
		snprintf(ep->cid, sizeof(ep->cid), "%s", cid);
		snprintf(ep->id, sizeof(ep->id), "%s", jstr(e, "EndpointID"));
		ip_parse(jstr(e, "IP"), &ep->ip);
		ep->static_ip = json_is_true(json_object_get(e, "Static"));
		ep->gateway = json_is_true(json_object_get(e, "Gateway"));
		snprintf(ep->owner, sizeof(ep->owner), "%s", jstr(e, "Owner"));
		ep->released = json_is_true(json_object_get(e, "Released"));
		ep->aliases = json_incref(json_object_get(e, "Aliases"));
		if (!ep->aliases)
			ep->aliases = json_array();
		ep->settings = json_incref(json_object_get(e, "Settings"));
		if (!json_is_object(ep->settings)) {
			json_decref(ep->settings);
			ep->settings = json_object();
		}
		if (ep->ip && !ep->released)
			ipam_set_add(&n->used, ep->ip);
		endpoint_state6_load(n, ep, e);
		n->n_eps++;
	}
	return n;
}

int networks_add(struct networks *ns, struct network *n)
{
	struct network **v = realloc(ns->v, (ns->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ns->v = v;
	ns->v[ns->n++] = n;
	return 0;
}

static void networks_forget(struct networks *ns, struct network *n)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i] == n) {
			memmove(&ns->v[i], &ns->v[i + 1], (ns->n - i - 1) * sizeof(*ns->v));
			ns->n--;
			return;
		}
}

static struct network *find_name(struct networks *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i]->name, name) == 0)
			return ns->v[i];
	return NULL;
}

bool network_name_exists(struct networks *ns, const char *name)
{
	return find_name(ns, name) != NULL;
}

int network_lookup(struct networks *ns, const char *ref, struct network **ret, struct error *err)
{
	if (!ref || !*ref)
		return error_set(err, -ENOENT, "network %s not found", ref ? ref : "");
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i]->id, ref) == 0)
			return *ret = ns->v[i], 0;
	struct network *n = NULL;
	size_t len = strlen(ref), found = 0;
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i]->name, ref) == 0 && found++ == 0)
			n = ns->v[i];
	if (found > 1) /* only made with CheckDuplicate false */
		return error_set(err, -EINVAL,
				 "network %s is ambiguous (%zu matches found based on name)", ref,
				 found);
	if (n)
		return *ret = n, 0;
	for (size_t i = 0; i < ns->n; i++)
		if (strncmp(ns->v[i]->id, ref, len) == 0 && found++ == 0)
			n = ns->v[i];
	if (found > 1)
		return error_set(err, -EINVAL,
				 "network %s is ambiguous (%zu matches found based on ID prefix)",
				 ref, found);
	if (!n)
		return error_set(err, -ENOENT, "network %s not found", ref);
	*ret = n;
	return 0;
}

struct endpoint *network_endpoint(struct network *n, const char *cid)
{
	for (size_t i = 0; i < n->n_eps; i++)
		if (strcmp(n->eps[i].cid, cid) == 0)
			return &n->eps[i];
	return NULL;
}

struct endpoint *container_endpoint(struct network *n, const char *cid)
{
	struct endpoint *ep = network_endpoint(n, cid);
	return ep && !ep->gateway ? ep : NULL;
}

static bool container_running(struct networks *ns, const char *cid);

/* On an overlay network the swarm hands out the addresses: one a stopped
 * container still holds here (a task that is over) goes to the new owner. */
static void release_stale(struct networks *ns, struct network *n, uint32_t ip)
{
	for (size_t i = 0; i < n->n_eps; i++)
		if (n->eps[i].ip == ip && !n->eps[i].released &&
		    !container_running(ns, n->eps[i].cid)) {
			network_detach(ns, n, n->eps[i].cid);
			return;
		}
}

/* ip free on n for a new endpoint; -EEXIST "Address already in use". */
static int take_address(struct networks *ns, struct network *n, uint32_t ip, struct error *err)
{
	if (n->overlay && ipam_set_has(&n->used, ip))
		release_stale(ns, n, ip);
	if (ipam_set_has(&n->used, ip) || ip == n->gateway)
		return error_set(err, -EEXIST, "Address already in use");
	return 0;
}

static int attach(struct networks *ns, struct network *n, const char *cid, uint32_t ip,
		  bool is_static, const struct in6_addr *ip6, json_t *aliases, json_t *settings,
		  const char *owner, bool gateway, struct error *err)
{
	char buf[16];
	if (strcmp(n->driver, "bridge") == 0 && n->subnet.prefix) {
		if (ip && !cidr_contains(&n->subnet, ip))
			return error_set(
			    err, -EINVAL,
			    "no configured subnet or ip-range contain the IP address %s",
			    ip_format(ip, buf));
		int r = ip ? take_address(ns, n, ip, err) : 0;
		if (r < 0)
			return r;
		if (!ip && ipam_alloc(&n->used, &n->subnet, &n->range, n->gateway, &ip) < 0)
			return error_set(
			    err, -ENOSPC,
			    "no available IPv4 addresses on this network's address pools: %s (%s)",
			    n->name, n->id);
	}
	struct endpoint *v = realloc(n->eps, (n->n_eps + 1) * sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	n->eps = v;
	struct endpoint *e = &n->eps[n->n_eps];
	*e = (struct endpoint){.ip = ip, .static_ip = is_static, .gateway = gateway};
	snprintf(e->cid, sizeof(e->cid), "%s", cid);
	snprintf(e->owner, sizeof(e->owner), "%s", owner ? owner : "");
	if (strcmp(n->driver, "bridge") == 0) {
		int r6 = endpoint_ip6_reserve(n, e, ip6, err);
		if (r6 < 0)
			return r6;
	}
	digest_random_hex(e->id);
	e->aliases = json_is_array(aliases) ? json_deep_copy(aliases) : json_array();
	e->settings = json_is_object(settings) ? json_deep_copy(settings) : json_object();
	if (ip)
		ipam_set_add(&n->used, ip);
	n->n_eps++;
	int r = network_save(ns, n, err);
	if (r < 0)
		network_detach(ns, n, cid);
	return r;
}

int network_attach(struct networks *ns, struct network *n, const char *cid, uint32_t ip,
		   const struct in6_addr *ip6, json_t *aliases, json_t *settings, const char *owner,
		   bool asked, struct error *err)
{
	return attach(ns, n, cid, ip, owner ? asked : ip != 0, ip6, aliases, settings, owner, false,
		      err);
}

int network_attach_gateway(struct networks *ns, struct network *n, const char *cid,
			   struct error *err)
{
	return attach(ns, n, cid, 0, false, NULL, NULL, NULL, NULL, true, err);
}

static void save_logged(struct networks *ns, struct network *n)
{
	struct error err = ERROR_INIT;
	if (network_save(ns, n, &err) < 0)
		log_warn(ns->deps.log, "network %s: %s", n->name, error_msg(&err));
	error_clear(&err);
}

void network_endpoint_release(struct networks *ns, struct network *n, struct endpoint *ep)
{
	if (ep->released)
		return;
	if (ep->ip)
		ipam_set_del(&n->used, ep->ip);
	if (!ep->static_ip)
		ep->ip = 0;
	ep->released = true;
	save_logged(ns, n);
}

int network_endpoint_readdress(struct networks *ns, struct network *n, const char *cid, uint32_t ip,
			       const char *owner, struct error *err)
{
	struct endpoint *ep = network_endpoint(n, cid);
	if (!ep || !ep->released)
		return error_set(err, -ENOENT, "container %.12s has no attachment to network %s",
				 cid, n->name);
	int r = take_address(ns, n, ip, err);
	if (r < 0)
		return r;
	ep = network_endpoint(n, cid); /* release_stale may have moved it */
	if (ipam_set_add(&n->used, ip) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	ep->ip = ip;
	ep->released = false;
	snprintf(ep->owner, sizeof(ep->owner), "%s", owner);
	save_logged(ns, n);
	return 0;
}

void network_detach(struct networks *ns, struct network *n, const char *cid)
{
	for (size_t i = 0; i < n->n_eps; i++) {
		if (strcmp(n->eps[i].cid, cid) != 0)
			continue;
		if (n->eps[i].ip && !n->eps[i].released)
			ipam_set_del(&n->used, n->eps[i].ip);
		endpoint_ip6_release(n, &n->eps[i]);
		json_decref(n->eps[i].aliases);
		json_decref(n->eps[i].settings);
		memmove(&n->eps[i], &n->eps[i + 1], (n->n_eps - i - 1) * sizeof(*n->eps));
		n->n_eps--;
		struct error err = ERROR_INIT;
		if (network_save(ns, n, &err) < 0)
			log_warn(ns->deps.log, "network %s: %s", n->name, error_msg(&err));
		error_clear(&err);
		return;
	}
}

/* ---- bridges and rules ---- */

int network_bridge_up(struct networks *ns, struct network *n, struct error *err)
{
	if (strcmp(n->driver, "bridge") != 0)
		return 0;
	struct cidr gw = {n->gateway, n->subnet.prefix};
	struct cidr6 gw6 = {n->gateway6, n->subnet6.prefix};
	int r = nl_bridge_ensure(n->bridge, &gw, n->ipv6 ? &gw6 : NULL, n->mtu, err);
	if (r < 0)
		return r;
	n->up = true;
	return 0;
}

void network_rules_rebuild(struct networks *ns)
{
	if (!ns->iptables)
		return;
	struct nft_bridge *br = calloc(ns->n + 1, sizeof(*br));
	size_t nb = 0, np = 0;
	for (size_t i = 0; i < ns->n_sb; i++)
		np += ns->sb[i]->n_nports;
	struct nft_port *ports = calloc(np + 1, sizeof(*ports));
	if (!br || !ports) {
		free(br);
		free(ports);
		return;
	}
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		if (strcmp(n->driver, "bridge") || !n->up)
			continue;
		br[nb++] = (struct nft_bridge){.ifname = n->bridge,
					       .subnet = n->subnet,
					       .internal = n->internal,
					       /* Tasks on an overlay network go out
						* through docker_gwbridge. */
					       .masquerade = n->masquerade && !n->overlay,
					       .subnet6 = n->ipv6 ? n->subnet6
								  : (struct cidr6){.prefix = 0},
					       .nat6 = n->nat6 && n->masquerade};
	}
	np = 0;
	for (size_t i = 0; i < ns->n_sb; i++)
		for (size_t k = 0; k < ns->sb[i]->n_nports; k++)
			ports[np++] = ns->sb[i]->nports[k];
	_cleanup_free_ char *text = nft_ruleset(ns->table, br, nb, ports, np);
	struct error err = ERROR_INIT;
	if (!text)
		log_warn(ns->deps.log, "nftables: out of memory");
	else if (nft_apply(ns->nft, text, &err) < 0)
		log_warn(ns->deps.log, "rebuilding table %s: %s", ns->table, error_msg(&err));
	error_clear(&err);
	if (nb && !ns->forwarding_set) {
		/* As dockerd's --ip-forward: outbound NAT and published ports
		 * reached from containers need routing between interfaces. */
		int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				log_warn(ns->deps.log, "cannot enable IPv4 forwarding");
			close(fd);
		}
		ns->forwarding_set = true;
	}
	free(br);
	free(ports);
}

/* ---- init ---- */

/* 32-bit FNV-1a, for names derived from the exec root. */
static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int load_networks(struct networks *ns, struct error *err)
{
	DIR *dh = opendir(ns->dir);
	if (!dh)
		return error_set(err, -errno, "open %s: %s", ns->dir, strerror(errno));
	/* A save that kill -9 cut short. */
	fs_remove_stale_tmp(ns->dir);
	struct dirent *de;
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", ns->dir, de->d_name) < 0)
			break;
		json_t *j = json_load_file(p, 0, NULL);
		struct network *n = j ? network_from_json(j) : NULL;
		json_decref(j);
		if (!n || networks_add(ns, n) < 0) {
			log_warn(ns->deps.log, "ignoring damaged network file %s", p);
			network_free(n);
		}
	}
	closedir(dh);
	return 0;
}

struct network *new_network(const char *name, const char *driver)
{
	struct network *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strdup(name);
	snprintf(n->driver, sizeof(n->driver), "%s", driver);
	n->labels = json_object();
	n->options = json_object();
	n->created_ns = time_now_ns();
	n->masquerade = true;
	if (!n->name || !n->labels || !n->options || digest_random_hex(n->id) < 0) {
		network_free(n);
		return NULL;
	}
	return n;
}

/* Subnets in use: the host's routes (minus our own bridges') and our
 * networks'. */
static int taken_subnets(struct networks *ns, const struct network *skip, struct cidr **ret,
			 size_t *n, struct error *err)
{
	struct cidr *routes = NULL;
	size_t nr = 0;
	int r = nl_host_routes(&routes, &nr, err);
	if (r < 0)
		return r;
	struct cidr *v = realloc(routes, (nr + ns->n + 1) * sizeof(*v));
	if (!v) {
		free(routes);
		return error_set(err, -ENOMEM, "out of memory");
	}
	size_t k = 0;
	for (size_t i = 0; i < nr; i++) {
		bool ours = false;
		for (size_t j = 0; j < ns->n && !ours; j++)
			ours = ns->v[j] == skip && ns->v[j]->subnet.prefix &&
			       cidr_overlap(&ns->v[j]->subnet, &v[i]);
		if (!ours)
			v[k++] = v[i];
	}
	for (size_t j = 0; j < ns->n; j++)
		if (ns->v[j] != skip && ns->v[j]->subnet.prefix)
			v[k++] = ns->v[j]->subnet;
	*ret = v;
	*n = k;
	return 0;
}

/* The default bridge's subnet: --bip, else the one it had (when still
 * free), else the first free one of the pools. */
static int default_subnet(struct networks *ns, struct network *n, struct error *err)
{
	if (ns->deps.bip) {
		struct cidr c;
		if (cidr_parse(ns->deps.bip, true, &c) < 0 || c.prefix > 30)
			return error_set(
			    err, -EINVAL,
			    "invalid --bip %s: want an address with a prefix, e.g. 10.213.0.1/24",
			    ns->deps.bip);
		n->gateway = c.addr;
		n->subnet = (struct cidr){c.addr & cidr_mask(c.prefix), c.prefix};
	} else {
		_cleanup_free_ struct cidr *taken = NULL;
		size_t nt = 0;
		int r = taken_subnets(ns, n, &taken, &nt, err);
		if (r < 0)
			return r;
		bool keep = n->subnet.prefix;
		for (size_t i = 0; i < nt && keep; i++)
			keep = !cidr_overlap(&taken[i], &n->subnet);
		if (!keep) {
			r = addr_pool_pick(ns->pools, ns->n_pools, taken, nt, &n->subnet);
			if (r < 0)
				return error_set(
				    err, r,
				    "could not find an available, non-overlapping IPv4 address "
				    "pool among the defaults to assign to the network");
			n->gateway = n->subnet.addr + 1;
		}
	}
	n->range = (struct cidr){0};
	if (ns->deps.fixed_cidr) {
		struct cidr c;
		if (cidr_parse(ns->deps.fixed_cidr, false, &c) < 0 || !cidr_within(&n->subnet, &c))
			return error_set(
			    err, -EINVAL,
			    "invalid --fixed-cidr %s: must be a subnet of the bridge's %s",
			    ns->deps.fixed_cidr, ns->deps.bip ? ns->deps.bip : "subnet");
		n->range = c;
	}
	return 0;
}

static int builtin_networks(struct networks *ns, struct error *err)
{
	const char *names[] = {"bridge", "host", "none"};
	const char *drivers[] = {"bridge", "host", "null"};
	for (size_t i = 0; i < 3; i++) {
		struct network *n = find_name(ns, names[i]);
		if (!n) {
			n = new_network(names[i], drivers[i]);
			if (!n || networks_add(ns, n) < 0) {
				network_free(n);
				return error_set(err, -ENOMEM, "out of memory");
			}
		}
		n->builtin = true;
		n->is_default = i == 0;
		if (i == 0) {
			snprintf(n->bridge, sizeof(n->bridge), "%s", ns->default_bridge);
			int r = default_subnet(ns, n, err);
			if (r < 0)
				return r;
			json_decref(n->options);
			char mtu[16];
			snprintf(mtu, sizeof(mtu), "%d", n->mtu ? n->mtu : 1500);
			n->options =
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
				      "com.docker.network.bridge.default_bridge", "true",
				      "com.docker.network.bridge.enable_icc", "true", OPT_MASQ,
				      "true", "com.docker.network.bridge.host_binding_ipv4",
				      "0.0.0.0", OPT_BRIDGE_NAME, n->bridge, OPT_MTU, mtu);
		}
		int r = network_save(ns, n, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int setup_pools(struct networks *ns, struct error *err)
{
	if (!ns->deps.n_address_pools) {
		ns->n_pools = addr_pool_defaults(ns->pools, ARRAY_SIZE(ns->pools));
		return 0;
	}
	for (size_t i = 0; i < ns->deps.n_address_pools && i < ARRAY_SIZE(ns->pools); i++) {
		if (addr_pool_parse(ns->deps.address_pools[i], &ns->pools[i]) < 0)
			return error_set(err, -EINVAL,
					 "invalid default address pool \"%s\": want "
					 "base=<CIDR>,size=<prefix length>",
					 ns->deps.address_pools[i]);
		ns->n_pools = i + 1;
	}
	return 0;
}

int network_init(struct networks **ret, const struct network_deps *deps, struct error *err)
{
	struct networks *ns = calloc(1, sizeof(*ns));
	*ret = ns;
	if (!ns)
		return error_set(err, -ENOMEM, "out of memory");
	ns->deps = *deps;
	ns->iptables = ns->deps.iptables;
	bool dflt = strcmp(ns->deps.exec_root, "/run/berth") == 0;
	uint32_t h = fnv(ns->deps.exec_root);
	if (dflt)
		snprintf(ns->table, sizeof(ns->table), "berth");
	else
		snprintf(ns->table, sizeof(ns->table), "berth_%08x", h);
	if (ns->deps.bridge && *ns->deps.bridge)
		snprintf(ns->default_bridge, sizeof(ns->default_bridge), "%s", ns->deps.bridge);
	else if (dflt)
		snprintf(ns->default_bridge, sizeof(ns->default_bridge), "berth0");
	else
		snprintf(ns->default_bridge, sizeof(ns->default_bridge), "berth-%08x", h);
	/* docker_gwbridge's device: Docker's name, or one per exec root so
	 * that test daemons never share it. */
	if (dflt)
		snprintf(ns->gw_bridge, sizeof(ns->gw_bridge), "docker_gwbridge");
	else
		snprintf(ns->gw_bridge, sizeof(ns->gw_bridge), "gwbr-%08x", h);
	if (ns->deps.bridge && (strlen(ns->deps.bridge) > 15 || !*ns->deps.bridge))
		return error_set(err, -EINVAL, "invalid bridge name \"%s\": 1 to 15 characters",
				 ns->deps.bridge);
	if (asprintf(&ns->dir, "%s/network", ns->deps.data_root) < 0 ||
	    asprintf(&ns->run_dir, "%s/network", ns->deps.exec_root) < 0 ||
	    asprintf(&ns->netns_dir, "%s/netns", ns->deps.exec_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_mkdir_p(ns->dir, 0700, err);
	if (r == 0)
		r = fs_mkdir_p(ns->run_dir, 0700, err);
	if (r == 0)
		r = fs_mkdir_p(ns->netns_dir, 0700, err);
	if (r == 0)
		r = setup_pools(ns, err);
	if (r == 0)
		r = load_networks(ns, err);
	if (r == 0)
		r = builtin_networks(ns, err);
	if (r < 0)
		return r;
	if (ns->iptables && !(ns->nft = nft_open()))
		log_warn(ns->deps.log,
			 "nftables unavailable: no NAT, isolation or published ports");
	log_info(ns->deps.log, "networking: default bridge %s, nftables table %s",
		 ns->default_bridge, ns->iptables ? ns->table : "(none: --iptables=false)");
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		struct error e2 = ERROR_INIT;
		if (network_is_user(n) && network_bridge_up(ns, n, &e2) < 0)
			log_warn(ns->deps.log, "network %s: %s", n->name, error_msg(&e2));
		error_clear(&e2);
	}
	return 0;
}

void network_done(struct networks *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->n; i++)
		network_free(ns->v[i]);
	for (size_t i = 0; i < ns->n_sb; i++)
		sandbox_free(ns->sb[i]);
	free(ns->v);
	free(ns->sb);
	nft_close(ns->nft);
	free(ns->dir);
	free(ns->run_dir);
	free(ns->netns_dir);
	free(ns);
}

/* ---- create / remove ---- */

static int parse_aux(struct network *n, json_t *aux, struct error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(aux, k, v)
	{
		const char *s = json_string_value(v);
		uint32_t ip;
		char sub[20];
		if (!s || ip_parse(s, &ip) < 0)
			return error_set(err, -EINVAL, "invalid auxiliary address %s: %s", k,
					 s ? s : "");
		if (!cidr_contains(&n->subnet, ip))
			return error_set(err, -EPERM,
					 "auxiliary address: (%s:%s) must belong to the master "
					 "pool: %s",
					 k, s, cidr_format(&n->subnet, sub));
	}
	if (json_object_size(aux)) {
		n->aux = json_deep_copy(aux);
		reserve_aux(n);
	}
	return 0;
}

/* Whether an IPAM config is for IPv6: by its subnet, else its gateway or
 * range. */
static bool ipam_config_is_v6(json_t *c)
{
	const char *s = jstr(c, "Subnet");
	if (!*s)
		s = *jstr(c, "Gateway") ? jstr(c, "Gateway") : jstr(c, "IPRange");
	return strchr(s, ':') != NULL;
}

/* The IPv4 config of the body's IPAM; *ret_c6 its IPv6 config (NULL: none). */
static int parse_ipam(struct networks *ns, struct network *n, json_t *body, json_t **ret_c6,
		      struct error *err)
{
	json_t *cfgs = json_object_get(json_object_get(body, "IPAM"), "Config");
	const char *drv = jstr(json_object_get(body, "IPAM"), "Driver");
	if (*drv && strcmp(drv, "default") != 0)
		return error_set(err, -EINVAL,
				 "IPAM driver \"%s\" is not supported: use the default", drv);
	json_t *c = NULL, *e;
	size_t k;
	*ret_c6 = NULL;
	json_array_foreach(cfgs, k, e)
	{
		bool v6 = ipam_config_is_v6(e);
		if (v6 ? *ret_c6 != NULL : c != NULL)
			return error_set(err, -EINVAL,
					 "only one IPv%d subnet per network is supported",
					 v6 ? 6 : 4);
		if (v6)
			*ret_c6 = e;
		else
			c = e;
	}
	const char *sub = jstr(c, "Subnet"), *gw = jstr(c, "Gateway"), *range = jstr(c, "IPRange");
	if (*sub && (cidr_parse(sub, false, &n->subnet) < 0 || n->subnet.prefix > 30))
		return error_set(err, -EINVAL, "invalid CIDR address: %s", sub);
	if (!*sub && (*gw || *range))
		return error_set(err, -EINVAL, "a gateway or ip-range needs a subnet (--subnet)");
	if (*range) {
		if (cidr_parse(range, false, &n->range) < 0)
			return error_set(err, -EINVAL, "invalid CIDR address: %s", range);
		if (!cidr_within(&n->subnet, &n->range))
			return error_set(err, -EINVAL, "ip-range %s is not within subnet %s", range,
					 sub);
	}
	if (*gw) {
		if (ip_parse(gw, &n->gateway) < 0)
			return error_set(err, -EINVAL, "invalid gateway address: %s", gw);
		if (!cidr_contains(&n->subnet, n->gateway))
			return error_set(err, -EINVAL, "gateway %s is not within subnet %s", gw,
					 sub);
	}
	_cleanup_free_ struct cidr *taken = NULL;
	size_t nt = 0;
	if (!*sub) {
		int r = taken_subnets(ns, NULL, &taken, &nt, err);
		if (r < 0)
			return r;
		if (addr_pool_pick(ns->pools, ns->n_pools, taken, nt, &n->subnet) < 0)
			return error_set(
			    err, -ENOSPC,
			    "could not find an available, non-overlapping IPv4 address pool among "
			    "the defaults to assign to the network");
	}
	for (size_t i = 0; i < ns->n; i++) {
		struct network *o = ns->v[i];
		char buf[20];
		if (o->subnet.prefix && cidr_overlap(&o->subnet, &n->subnet))
			return error_set(
			    err, -EEXIST,
			    "Pool overlaps with other one on this address space (%s of network %s)",
			    cidr_format(&o->subnet, buf), o->name);
	}
	if (!n->gateway)
		n->gateway = n->subnet.addr + 1;
	return parse_aux(n, json_object_get(c, "AuxiliaryAddresses"), err);
}

static int parse_options(struct networks *ns, struct network *n, json_t *body, struct error *err)
{
	json_t *opts = json_object_get(body, "Options");
	const char *k;
	json_t *v;
	json_object_foreach(opts, k, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			return error_set(err, -EINVAL, "option %s must be a string", k);
		json_object_set(n->options, k, v);
		if (strcmp(k, OPT_BRIDGE_NAME) == 0) {
			if (!*s || strlen(s) > 15 || strchr(s, '/') || strchr(s, ' '))
				return error_set(err, -EINVAL,
						 "invalid bridge name \"%s\": 1 to 15 characters",
						 s);
			snprintf(n->bridge, sizeof(n->bridge), "%s", s);
		} else if (strcmp(k, OPT_MTU) == 0) {
			char *end;
			long m = strtol(s, &end, 10);
			if (*end || m < 68 || m > 65535)
				return error_set(err, -EINVAL, "invalid MTU \"%s\"", s);
			n->mtu = (int)m;
		} else if (strcmp(k, OPT_MASQ) == 0) {
			n->masquerade = strcmp(s, "false") != 0 && strcmp(s, "0") != 0;
		}
	}
	if (!n->bridge[0])
		snprintf(n->bridge, sizeof(n->bridge), "br-%.12s", n->id);
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i]->bridge, n->bridge) == 0)
			return error_set(err, -EEXIST,
					 "bridge name %s is already used by network %s", n->bridge,
					 ns->v[i]->name);
	if (nl_link_exists(n->bridge))
		return error_set(err, -EEXIST,
				 "a network interface named %s exists already on the host",
				 n->bridge);
	return 0;
}

/* A name is a path segment of the API (/networks/{id}) and a DNS-ish label
 * in messages: no '/', no control characters, not "." or "..". */
static int network_name_validate(const char *name, struct error *err)
{
	size_t len = strlen(name);
	if (len > 255)
		return error_set(
		    err, -EINVAL,
		    "network name is too long (%zu characters), names can be at most 255 "
		    "characters",
		    len);
	bool ok = strcmp(name, ".") && strcmp(name, "..");
	for (const char *p = name; ok && *p; p++)
		ok = *p != '/' && (unsigned char)*p >= 0x20 && *p != 0x7f;
	if (!ok)
		return error_set(
		    err, -EINVAL,
		    "invalid network name \"%s\": a name cannot contain '/' or control "
		    "characters, nor be \".\" or \"..\"",
		    name);
	return 0;
}

int network_create(struct networks *ns, json_t *body, bool check_duplicate, char **ret_id,
		   char **ret_warning, struct error *err)
{
	const char *name = jstr(body, "Name"), *driver = jstr(body, "Driver");
	if (!*name)
		return error_set(err, -EINVAL, "network name must not be empty");
	int r = network_name_validate(name, err);
	if (r < 0)
		return r;
	struct network *same = find_name(ns, name);
	if (same && same->builtin)
		return error_set(err, -EPERM, "%s is a pre-defined network and cannot be created",
				 name);
	if (same && check_duplicate)
		return error_set(err, -EEXIST, "network with name %s already exists", name);
	_cleanup_free_ char *warning = NULL;
	if (same &&
	    asprintf(&warning, "Network with name %s (id : %s) already exists", name, same->id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (!strcmp(driver, "host") || !strcmp(driver, "null"))
		return error_set(err, -EPERM, "only one instance of \"%s\" network is allowed",
				 driver);
	if (*driver && strcmp(driver, "bridge") != 0)
		return error_set(err, -ENOENT, "plugin \"%s\" not found", driver);
	struct network *n = NULL;
	r = network_make(ns, body, &n, err);
	if (r < 0)
		return r;
	*ret_id = strdup(n->id);
	*ret_warning = TAKE_PTR(warning);
	return 0;
}

int network_make(struct networks *ns, json_t *body, struct network **ret, struct error *err)
{
	bool ipv6 = json_is_true(json_object_get(body, "EnableIPv6"));
	const char *opt6 = jstr(json_object_get(body, "Options"), "com.docker.network.enable_ipv6");
	if (!json_object_get(body, "EnableIPv6") && *opt6) {
		if (strcmp(opt6, "true") && strcmp(opt6, "false") && strcmp(opt6, "1") &&
		    strcmp(opt6, "0"))
			return error_set(err, -EINVAL, "driver-opt \"%s\" is not a valid bool",
					 "com.docker.network.enable_ipv6");
		ipv6 = !strcmp(opt6, "true") || !strcmp(opt6, "1");
	}
	struct network *n = new_network(jstr(body, "Name"), "bridge");
	if (!n)
		return error_set(err, -ENOMEM, "out of memory");
	n->internal = json_is_true(json_object_get(body, "Internal"));
	if (json_is_object(json_object_get(body, "Labels"))) {
		json_decref(n->labels);
		n->labels = json_deep_copy(json_object_get(body, "Labels"));
	}
	json_t *c6 = NULL;
	int r = parse_options(ns, n, body, err);
	if (r == 0)
		r = parse_ipam(ns, n, body, &c6, err);
	if (r == 0)
		r = network_ipam6_parse(ns, n, c6, ipv6, err);
	/* The bridge's name is free on the host (parse_options): from here on
	 * a failure deletes whatever of it was made, also a half-made one.
	 * Saved before the bridge is made: a kill -9 in between leaves a
	 * network whose bridge the next start makes, never a bridge nobody
	 * knows (whose name would refuse every later create). */
	bool bridge_made = r == 0;
	if (r == 0)
		r = network_save(ns, n, err);
	bool saved = r == 0;
	if (r == 0)
		r = network_bridge_up(ns, n, err);
	if (r == 0 && networks_add(ns, n) < 0)
		r = error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		if (saved)
			network_unsave(ns, n);
		if (bridge_made)
			nl_link_delete(n->bridge);
		network_free(n);
		return r;
	}
	network_rules_rebuild(ns);
	network_event(ns, n, "create", NULL);
	*ret = n;
	return 0;
}

static bool container_running(struct networks *ns, const char *cid)
{
	struct net_container c;
	struct error err = ERROR_INIT;
	int r = net_container_find(ns, cid, &c, &err);
	error_clear(&err);
	return r == 0 && (c.running || c.starting);
}

int net_container_find(struct networks *ns, const char *ref, struct net_container *ret,
		       struct error *err)
{
	const struct net_container_source *src = &ns->deps.containers;
	return src->lookup(src->data, ref, ret, err);
}

void network_destroy(struct networks *ns, struct network *n)
{
	/* Links first: a kill -9 before the file is gone leaves the network,
	 * whose links the next start makes again, not links nobody knows. */
	if (n->overlay)
		nl_link_delete(n->vxlan);
	network_mesh_down(ns, n);
	nl_link_delete(n->bridge);
	network_unsave(ns, n);
	networks_forget(ns, n);
	network_rules_rebuild(ns);
	network_event(ns, n, "destroy", NULL);
	network_free(n);
}

int network_remove(struct networks *ns, const char *ref, struct error *err)
{
	struct network *n;
	int r = network_lookup(ns, ref, &n, err);
	if (r < 0)
		return r;
	if (n->builtin)
		return error_set(err, -EPERM, "%s is a pre-defined network and cannot be removed",
				 n->name);
	if (n->overlay) /* the swarm's: removed on a manager */
		return error_set(err, -ENOENT, "network %s not found", ref);
	/* In a swarm dockerd's ingress sandbox always has an endpoint on
	 * docker_gwbridge. */
	bool held = ns->in_swarm && n == gwbridge_find(ns);
	for (size_t i = 0; i < n->n_eps && !held; i++)
		held = container_running(ns, n->eps[i].cid);
	if (held)
		return error_set(
		    err, -EPERM,
		    "error while removing network: network %s id %s has active endpoints", n->name,
		    n->id);
	network_destroy(ns, n);
	return 0;
}

static bool prune_match(struct network *n, const struct filters *f, int64_t until)
{
	if (until && n->created_ns > until)
		return false;
	if (!filters_match_label(f, "label", n->labels))
		return false;
	size_t nv = 0;
	const char *const *neg = filters_values(f, "label!", &nv);
	for (size_t i = 0; i < nv; i++) {
		struct filters *one = filters_new();
		if (!one)
			continue;
		filters_add(one, "label", neg[i]);
		bool m = filters_match_label(one, "label", n->labels);
		filters_free(one);
		if (m)
			return false;
	}
	return true;
}

int network_prune(struct networks *ns, const struct filters *f, json_t **ret_deleted,
		  struct error *err)
{
	static const char *const keys[] = {"label", "label!", "until", NULL};
	int64_t until;
	int r = filters_validate(f, keys, err);
	if (r == 0)
		r = filters_get_until(f, time_now_ns(), &until, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	for (size_t i = 0; i < ns->n;) {
		struct network *n = ns->v[i];
		bool held = ns->in_swarm && n == gwbridge_find(ns); /* as at rm */
		if (n->builtin || n->overlay || n->n_eps || held || !prune_match(n, f, until)) {
			i++;
			continue;
		}
		json_array_append_new(out, json_string(n->name));
		network_destroy(ns, n);
	}
	*ret_deleted = out;
	return 0;
}
