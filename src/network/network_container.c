/* Containers on networks: attachments at create, the sandbox of a running
 * container (its namespace at <exec-root>/netns/<id>, one veth per network,
 * published ports held by bound sockets, the embedded DNS server), live
 * connect/disconnect, restore at daemon start, and the JSON the container
 * endpoints show. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "network/dns.h"
#include "network/network.h"
#include "network/network_ipv6.h"
#include "network/ingress.h"
#include "network/network_priv.h"
#include "network/nl.h"

void sandbox_host_if(const char *cid, int index, char buf[16])
{
	snprintf(buf, 16, "vb%.10s%02x", cid, index & 0xff);
}

/* "aa:bb:cc:dd:ee:ff" (either case); -EINVAL otherwise. */
static int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	if (strlen(s) != 17 || strspn(s, "0123456789abcdefABCDEF:") != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

void endpoint_mac(const struct endpoint *ep, uint8_t mac[6])
{
	if (mac_parse(jstr(ep->settings, "MacAddress"), mac) == 0)
		return;
	uint32_t ip = ep->ip;
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(ip >> 24);
	mac[3] = (uint8_t)(ip >> 16);
	mac[4] = (uint8_t)(ip >> 8);
	mac[5] = (uint8_t)ip;
}

void endpoint_mac_text(const struct endpoint *ep, char buf[18])
{
	uint8_t m[6];
	endpoint_mac(ep, m);
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

struct sandbox *sandbox_find(struct networks *ns, const char *cid)
{
	for (size_t i = 0; ns && i < ns->n_sb; i++)
		if (strcmp(ns->sb[i]->cid, cid) == 0)
			return ns->sb[i];
	return NULL;
}

/* The container's networks with an endpoint, in network order. */
size_t container_networks(struct networks *ns, const char *cid, struct network **out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < ns->n && k < max; i++)
		if (container_endpoint(ns->v[i], cid))
			out[k++] = ns->v[i];
	return k;
}

int sandbox_index(struct sandbox *sb, struct network *n)
{
	json_t *v = json_object_get(sb->ifaces, n->id);
	return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

/* The endpoint whose interface is eth0. */
static struct network *primary_network(struct networks *ns, struct sandbox *sb)
{
	struct network *best = NULL;
	int bi = 1 << 20;
	for (size_t i = 0; i < ns->n; i++) {
		int idx = sandbox_index(sb, ns->v[i]);
		if (idx >= 0 && idx < bi && network_endpoint(ns->v[i], sb->cid)) {
			best = ns->v[i];
			bi = idx;
		}
	}
	return best;
}

int sandbox_save(struct networks *ns, struct sandbox *sb, struct error *err)
{
	_cleanup_free_ char *path = NULL;
	json_t *j = json_pack("{s:s, s:O, s:O}", "Netns", sb->netns, "Ifaces", sb->ifaces, "Ports",
			      sb->ports ? sb->ports : json_null());
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text || asprintf(&path, "%s/%s.json", ns->run_dir, sb->cid) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_write_atomic(path, text, strlen(text), 0600, err);
}

/* ---- DNS ---- */

/* Adds the service records' answers for name on n that out lacks (a local
 * task is also a container of that name); whether it added any. */
static bool add_service_records(struct dns_addrs *out, struct network *n, const char *name)
{
	uint32_t found[64];
	size_t nf = overlay_resolve(n, name, found, ARRAY_SIZE(found)), before = out->n4;
	for (size_t i = 0; i < nf; i++) {
		bool seen = false;
		for (size_t j = 0; j < out->n4 && !seen; j++)
			seen = out->v4[j] == found[i];
		if (!seen)
			dns_addrs_add(out, found[i], NULL);
	}
	return out->n4 > before;
}

/* Names of user networks shared with the asking container. */
static void dns_resolve(void *userdata, const char *name, struct dns_addrs *out)
{
	struct sandbox *sb = userdata;
	struct networks *ns = sb->ns;
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		if (!network_is_user(n) || !container_endpoint(n, sb->cid))
			continue;
		char want[256];
		snprintf(want, sizeof(want), "%s", name);
		size_t wl = strlen(want), nl = strlen(n->name);
		if (wl > nl + 1 && want[wl - nl - 1] == '.' && !strcasecmp(want + wl - nl, n->name))
			want[wl - nl - 1] = '\0'; /* name.network */
		/* On a swarm network the service records come first: a service's
		 * alias names its VIP, not the local task that also bears it. */
		if (n->overlay && add_service_records(out, n, want))
			continue;
		for (size_t e = 0; e < n->n_eps; e++) {
			struct endpoint *ep = &n->eps[e];
			struct net_container c;
			struct error err = ERROR_INIT;
			if (ep->gateway || !sandbox_find(ns, ep->cid) ||
			    net_container_find(ns, ep->cid, &c, &err) < 0) {
				error_clear(&err);
				continue;
			}
			bool m = !strcasecmp(c.name, want) ||
				 (strlen(want) == 12 && !strncmp(c.id, want, 12));
			size_t a;
			json_t *al;
			json_array_foreach(ep->aliases, a, al) m =
			    m || !strcasecmp(json_string_value(al), want);
			if (m)
				dns_addrs_add(out, ep->ip, &ep->ip6);
		}
	}
}

static size_t upstreams(const struct net_container *c, uint32_t *out, size_t max)
{
	size_t k = 0, i;
	json_t *v;
	json_array_foreach(json_object_get(c->host_config, "Dns"), i,
			   v) if (k < max && ip_parse(json_string_value(v), &out[k]) == 0) k++;
	if (k)
		return k;
	_cleanup_free_ char *text = NULL;
	if (fs_read_file("/etc/resolv.conf", 1 << 16, &text, NULL) < 0)
		return 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l && k < max; l = strtok_r(NULL, "\n", &save)) {
		char ip[64];
		if (sscanf(l, "nameserver %63s", ip) == 1 && ip_parse(ip, &out[k]) == 0)
			k++;
	}
	return k;
}

void sandbox_dns_update(struct networks *ns, struct sandbox *sb)
{
	struct network *nets[64];
	size_t n = container_networks(ns, sb->cid, nets, 64);
	bool user = false;
	for (size_t i = 0; i < n; i++)
		user = user || network_is_user(nets[i]);
	if (!user || sb->dns)
		return;
	struct net_container c;
	struct error err = ERROR_INIT;
	uint32_t up[4];
	size_t nup = 0;
	if (net_container_find(ns, sb->cid, &c, &err) == 0)
		nup = upstreams(&c, up, 4);
	if (dns_server_start(ns->deps.loop, sb->netns, dns_resolve, sb, up, nup, &sb->dns, &err) <
	    0)
		log_warn(ns->deps.log, "container %.12s: %s", sb->cid, error_msg(&err));
	error_clear(&err);
}

/* ---- sandbox lifecycle ---- */

static int next_index(struct sandbox *sb)
{
	for (int i = 0;; i++) {
		bool used = false;
		const char *k;
		json_t *v;
		json_object_foreach(sb->ifaces, k, v) used = used || json_integer_value(v) == i;
		if (!used)
			return i;
	}
}

int sandbox_join(struct networks *ns, struct sandbox *sb, struct network *n, struct error *err)
{
	struct endpoint *ep = network_endpoint(n, sb->cid);
	if (!ep)
		return error_set(err, -ENOENT, "no endpoint");
	if (ep->released) /* network_container_attach first */
		return error_set(err, -EAGAIN, "Could not attach to network %s: not attached",
				 n->name);
	int r = n->up ? 0 : network_bridge_up(ns, n, err);
	if (r < 0)
		return r;
	bool has_gw = false;
	const char *k;
	json_t *v;
	json_object_foreach(sb->ifaces, k, v)
	{
		struct network *o = NULL;
		struct error e2 = ERROR_INIT;
		/* An overlay network gives no gateway (docker_gwbridge does). */
		if (network_lookup(ns, k, &o, &e2) == 0 && !o->internal && !o->overlay)
			has_gw = true;
		error_clear(&e2);
	}
	int idx = next_index(sb);
	char host_if[16], ifname[16];
	sandbox_host_if(sb->cid, idx, host_if);
	snprintf(ifname, sizeof(ifname), "eth%d", idx);
	struct nl_endpoint nep = {.netns_path = sb->netns,
				  .host_if = host_if,
				  .bridge = n->bridge,
				  .ifname = ifname,
				  .ip = ep->ip,
				  .prefix = n->subnet.prefix,
				  .gateway = n->internal || n->overlay || has_gw ? 0 : n->gateway,
				  .mtu = n->mtu,
				  .isolated = !strcmp(jstr(n->options, OPT_ICC), "false")};
	endpoint_mac(ep, nep.mac);
	endpoint_nl6(ns, sb, n, ep, &nep);
	nl_link_delete(host_if); /* a leftover of a crash */
	r = nl_endpoint_add(&nep, err);
	if (r < 0)
		return r;
	json_object_set_new(sb->ifaces, n->id, json_integer(idx));
	return 0;
}

struct network *sandbox_port_network(struct networks *ns, struct sandbox *sb)
{
	struct network *gw = gwbridge_find(ns);
	struct endpoint *ep = gw ? network_endpoint(gw, sb->cid) : NULL;
	if (ep && ep->gateway && sandbox_index(sb, gw) >= 0)
		return gw;
	return primary_network(ns, sb);
}

void sandbox_leave(struct networks *ns, struct sandbox *sb, struct network *n)
{
	int idx = sandbox_index(sb, n);
	if (idx < 0)
		return;
	char host_if[16];
	sandbox_host_if(sb->cid, idx, host_if);
	nl_link_delete(host_if);
	json_object_del(sb->ifaces, n->id);
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	dns_server_stop(sb->dns);
	ports_close(sb);
	json_decref(sb->ifaces);
	json_decref(sb->ports);
	free(sb->lb_text);
	free(sb->lb_vips);
	free(sb->mesh_text);
	free(sb->netns);
	free(sb);
}

/* Deletes the kernel objects of a sandbox (veths, namespace), its file. */
static void sandbox_destroy(struct networks *ns, struct sandbox *sb)
{
	const char *k;
	json_t *v;
	json_object_foreach(sb->ifaces, k, v)
	{
		char host_if[16];
		sandbox_host_if(sb->cid, (int)json_integer_value(v), host_if);
		nl_link_delete(host_if);
	}
	netns_remove(sb->netns);
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s.json", ns->run_dir, sb->cid) >= 0)
		unlink(path);
	sandbox_free(sb);
}

static int sandbox_add(struct networks *ns, struct sandbox *sb)
{
	struct sandbox **v = realloc(ns->sb, (ns->n_sb + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ns->sb = v;
	ns->sb[ns->n_sb++] = sb;
	return 0;
}

static void sandbox_forget(struct networks *ns, struct sandbox *sb)
{
	for (size_t i = 0; i < ns->n_sb; i++)
		if (ns->sb[i] == sb) {
			memmove(&ns->sb[i], &ns->sb[i + 1], (ns->n_sb - i - 1) * sizeof(*ns->sb));
			ns->n_sb--;
			return;
		}
}

static struct sandbox *sandbox_new(struct networks *ns, const char *cid)
{
	struct sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->ns = ns;
	snprintf(sb->cid, sizeof(sb->cid), "%s", cid);
	sb->ifaces = json_object();
	if (asprintf(&sb->netns, "%s/%s", ns->netns_dir, cid) < 0)
		sb->netns = NULL;
	if (!sb->ifaces || !sb->netns) {
		sandbox_free(sb);
		return NULL;
	}
	return sb;
}

static int shared_netns(struct networks *ns, const struct net_container *c, char **ret,
			struct error *err)
{
	const char *ref = net_mode(c) + 10;
	struct net_container owner, *o = &owner;
	int r = net_container_find(ns, ref, o, err);
	if (r < 0)
		return r;
	if (!o->running)
		return error_set(err, -EINVAL,
				 "cannot join network namespace of a non running container: %s",
				 ref);
	if (net_mode_is(o, "host"))
		return error_set(
		    err, -EINVAL,
		    "cannot join the network namespace of container %s: it uses the host's", ref);
	struct sandbox *sb = sandbox_find(ns, o->id);
	if (!sb) {
		*ret = NULL;
		return error_set(
		    err, -EINVAL,
		    "container %s has no network namespace of berthd's to join (--network none)",
		    ref);
	}
	*ret = strdup(sb->netns);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

int network_container_up(struct networks *ns, const struct net_container *c, char **ret_netns,
			 struct error *err)
{
	*ret_netns = NULL;
	if (net_mode_is(c, "host") || net_mode_is(c, "none"))
		return 0;
	if (net_mode_shared(c))
		return shared_netns(ns, c, ret_netns, err);
	struct sandbox *old = sandbox_find(ns, c->id);
	if (old) { /* left by a run whose end we did not see */
		sandbox_forget(ns, old);
		sandbox_destroy(ns, old);
	}
	struct sandbox *sb = sandbox_new(ns, c->id);
	if (!sb)
		return error_set(err, -ENOMEM, "out of memory");
	netns_remove(sb->netns);
	struct network *nets[64];
	size_t nn = container_networks(ns, c->id, nets, 64);
	int r = netns_create(sb->netns, err);
	for (size_t i = 0; r == 0 && i < nn; i++)
		r = sandbox_join(ns, sb, nets[i], err);
	if (r == 0)
		r = sandbox_gw_update(ns, sb, err);
	struct network *prim = r == 0 ? sandbox_port_network(ns, sb) : NULL;
	if (r == 0 && prim)
		r = ports_setup(ns, c, sb, network_endpoint(prim, c->id), err);
	if (r == 0 && sandbox_add(ns, sb) < 0)
		r = error_set(err, -ENOMEM, "out of memory");
	if (r == 0) {
		r = sandbox_save(ns, sb, err);
		if (r < 0)
			sandbox_forget(ns, sb);
	}
	if (r < 0) {
		sandbox_destroy(ns, sb);
		gwbridge_release(ns, c->id);
		return r;
	}
	network_rules_rebuild(ns);
	sandbox_dns_update(ns, sb);
	sandbox_lb_update(ns, sb);
	for (size_t i = 0; i < nn; i++)
		network_event(ns, nets[i], "connect", c->id);
	*ret_netns = strdup(sb->netns);
	return *ret_netns ? 0 : error_set(err, -ENOMEM, "out of memory");
}

void network_container_down(struct networks *ns, const struct net_container *c)
{
	attachments_release(ns, c);
	struct sandbox *sb = sandbox_find(ns, c->id);
	if (!sb)
		return;
	struct network *nets[64];
	size_t nn = container_networks(ns, c->id, nets, 64);
	sandbox_forget(ns, sb);
	sandbox_destroy(ns, sb);
	gwbridge_release(ns, c->id);
	network_rules_rebuild(ns);
	for (size_t i = 0; i < nn; i++)
		network_event(ns, nets[i], "disconnect", c->id);
}

/* ---- create / remove ---- */

static json_t *epcfg_for(json_t *netcfg, struct network *n, const char *given)
{
	json_t *eps = json_object_get(netcfg, "EndpointsConfig");
	json_t *e = json_object_get(eps, given);
	if (!e && n->is_default)
		e = json_object_get(eps, "default");
	if (!e)
		e = json_object_get(eps, n->name);
	if (!e)
		e = json_object_get(eps, n->id);
	return e;
}

/* What of the endpoint config is kept and shown as given: the MAC address
 * (the container's Config.MacAddress on its NetworkMode network, as older
 * APIs put it), Links, DriverOpts and IPAMConfig.LinkLocalIPs. */
static int endpoint_settings(const struct net_container *c, struct network *n, json_t *epcfg,
			     json_t **ret, struct error *err)
{
	const char *mac = jstr(epcfg, "MacAddress");
	const char *mode = net_mode(c);
	if (!*mac && (!strcmp(mode, n->name) || !strcmp(mode, n->id) ||
		      (n->is_default && !strcmp(mode, "bridge"))))
		mac = jstr(c->config, "MacAddress");
	uint8_t m[6];
	if (*mac && mac_parse(mac, m) < 0)
		return error_set(err, -EINVAL, "address %s: invalid MAC address", mac);
	size_t i;
	json_t *v;
	json_t *lls = json_object_get(json_object_get(epcfg, "IPAMConfig"), "LinkLocalIPs");
	json_array_foreach(lls, i, v)
	{
		const char *a = json_string_value(v);
		unsigned char buf[16];
		if (!a || (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1))
			return error_set(err, -EINVAL, "invalid link-local IP address: %s",
					 a ? a : "");
	}
	json_t *s = json_object();
	if (*mac)
		json_object_set_new(s, "MacAddress", json_string(mac));
	const char *keys[] = {"Links", "DriverOpts"};
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (json_is_array(json_object_get(epcfg, keys[i])) ||
		    json_is_object(json_object_get(epcfg, keys[i])))
			json_object_set(s, keys[i], json_object_get(epcfg, keys[i]));
	if (json_array_size(lls))
		json_object_set(s, "LinkLocalIPs", lls);
	*ret = s;
	return 0;
}

/* Validates an endpoint config and attaches. */
static int attach_cfg(struct networks *ns, const struct net_container *c, struct network *n,
		      json_t *epcfg, struct error *err)
{
	if (strcmp(n->driver, "bridge") != 0)
		return error_set(err, -EPERM,
				 "container cannot be disconnected from host network or connected "
				 "to host network");
	if (network_endpoint(n, c->id) && n->overlay)
		return error_set(err, -EEXIST, "%s is already attached to network %s", c->name,
				 n->name);
	if (network_endpoint(n, c->id))
		return error_set(err, -EEXIST, "endpoint with name %s already exists in network %s",
				 c->name, n->name);
	const char *ips = jstr(json_object_get(epcfg, "IPAMConfig"), "IPv4Address");
	json_t *aliases = json_object_get(epcfg, "Aliases");
	uint32_t ip = 0;
	if (*ips && ip_parse(ips, &ip) < 0)
		return error_set(err, -EINVAL, "invalid IPv4 address: %s", ips);
	if (n->builtin && ip)
		return error_set(
		    err, -EINVAL,
		    "user specified IP address is supported on user defined networks only");
	if (n->builtin && json_array_size(aliases))
		return error_set(err, -EINVAL,
				 "network-scoped alias is supported only for containers in user "
				 "defined networks");
	json_t *settings = NULL;
	struct in6_addr ip6;
	/* berthd's own, from the swarm's answer (api/): the attachment, and
	 * whether the address was the container's wish or the swarm's pick. */
	json_t *sa = n->overlay ? json_object_get(epcfg, "SwarmAttachment") : NULL;
	int r = endpoint_ip6_parse(n, epcfg, &ip6, err);
	if (r == 0)
		r = endpoint_settings(c, n, epcfg, &settings, err);
	if (r == 0)
		r = network_attach(ns, n, c->id, ip, &ip6, aliases, settings,
				   sa ? jstr(sa, "Owner") : NULL,
				   !json_is_true(json_object_get(sa, "IPAMOperational")), err);
	json_decref(settings);
	return r;
}

int network_container_create(struct networks *ns, const struct net_container *c, json_t *netcfg,
			     struct error *err)
{
	const char *mode = net_mode(c);
	if (!*mode || !strcmp(mode, "default"))
		json_object_set_new(c->host_config, "NetworkMode", json_string("bridge"));
	mode = net_mode(c);
	if (!strcmp(mode, "host") || !strcmp(mode, "none"))
		return 0;
	if (net_mode_shared(c)) {
		struct net_container o;
		int r = net_container_find(ns, mode + 10, &o, err);
		if (r < 0)
			return r;
		char buf[DIGEST_HEX_LEN + 16];
		snprintf(buf, sizeof(buf), "container:%s", o.id);
		json_object_set_new(c->host_config, "NetworkMode", json_string(buf));
		return 0;
	}
	struct network *n = NULL;
	int r = network_lookup(ns, mode, &n, err);
	/* Not 404: the docker CLI takes a 404 from create for a missing
	 * image and would try to pull it. */
	if (r == -ENOENT && err)
		r = err->code = -EINVAL;
	if (r < 0)
		return r;
	if (!strcmp(n->driver, "host") || !strcmp(n->driver, "null")) {
		json_object_set_new(c->host_config, "NetworkMode",
				    json_string(!strcmp(n->driver, "host") ? "host" : "none"));
		return 0;
	}
	r = attach_cfg(ns, c, n, epcfg_for(netcfg, n, mode), err);
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(netcfg, "EndpointsConfig"), k, v)
	{
		struct network *o = NULL;
		if (r < 0)
			break;
		r = network_lookup(ns, strcmp(k, "default") ? k : "bridge", &o, err);
		if (r == -ENOENT && err)
			r = err->code = -EINVAL;
		if (r == 0 && o != n)
			r = attach_cfg(ns, c, o, v, err);
	}
	if (r < 0)
		network_container_removed(ns, c);
	return r;
}

void network_container_removed(struct networks *ns, const struct net_container *c)
{
	for (size_t i = 0; i < ns->n;) {
		struct network *n = ns->v[i];
		if (!network_endpoint(n, c->id)) {
			i++;
			continue;
		}
		network_detach(ns, n, c->id);
		/* After a leave, the swarm's networks go with their last task. */
		if (ns->left_swarm && n->overlay && !n->n_eps)
			network_destroy(ns, n);
		else
			i++;
	}
}

/* ---- connect / disconnect ---- */

/* For a change already made: a failure to give the container its way out
 * is logged (the change stays). */
static void gw_update_logged(struct networks *ns, struct sandbox *sb)
{
	struct error err = ERROR_INIT;
	if (sandbox_gw_update(ns, sb, &err) < 0)
		log_warn(ns->deps.log, "container %.12s: %s", sb->cid, error_msg(&err));
	error_clear(&err);
}

int network_connect(struct networks *ns, const char *ref, const char *container, json_t *epcfg,
		    struct error *err)
{
	struct network *n;
	struct net_container cv, *c = &cv;
	int r = network_lookup(ns, ref, &n, err);
	if (r == 0)
		r = net_container_find(ns, container, c, err);
	if (r < 0)
		return r;
	if (net_mode_is(c, "host") || net_mode_is(c, "none") || net_mode_shared(c))
		return error_set(err, -EPERM,
				 "container sharing network namespace with another container or "
				 "host cannot be connected to any other network");
	r = attach_cfg(ns, c, n, epcfg, err);
	if (r < 0)
		return r;
	struct sandbox *sb = sandbox_find(ns, c->id);
	/* As dockerd, a container that does not run holds no attachment: it
	 * is asked for at the start. */
	if (!sb && n->overlay && !c->starting)
		attachments_release(ns, c);
	if (sb) {
		/* A network with a gateway replaces docker_gwbridge's before it
		 * joins (its default route), an overlay may need it after. */
		r = sandbox_gw_update(ns, sb, err);
		if (r == 0)
			r = sandbox_join(ns, sb, n, err);
		if (r == 0)
			r = sandbox_gw_update(ns, sb, err);
		if (r < 0) {
			sandbox_leave(ns, sb, n);
			network_detach(ns, n, c->id);
			gw_update_logged(ns, sb);
			return r;
		}
		struct error e2 = ERROR_INIT;
		if (sandbox_save(ns, sb, &e2) < 0)
			log_warn(ns->deps.log, "container %.12s: %s", c->id, error_msg(&e2));
		error_clear(&e2);
		network_rules_rebuild(ns);
		sandbox_dns_update(ns, sb);
		sandbox_lb_update(ns, sb);
		network_event(ns, n, "connect", c->id);
	}
	return 0;
}

void network_container_disconnect(struct networks *ns, struct network *n, const char *id)
{
	char cid[DIGEST_HEX_LEN + 1]; /* id may be the endpoint's, which goes */
	snprintf(cid, sizeof(cid), "%s", id);
	struct sandbox *sb = sandbox_find(ns, cid);
	if (sb)
		sandbox_leave(ns, sb, n);
	network_detach(ns, n, cid);
	if (sb) {
		gw_update_logged(ns, sb);
		struct error e2 = ERROR_INIT;
		if (sandbox_save(ns, sb, &e2) < 0)
			log_warn(ns->deps.log, "container %.12s: %s", cid, error_msg(&e2));
		error_clear(&e2);
		network_rules_rebuild(ns);
		sandbox_lb_update(ns, sb);
		network_event(ns, n, "disconnect", cid);
	}
}

int network_disconnect(struct networks *ns, const char *ref, const char *container, bool force,
		       struct error *err)
{
	struct network *n;
	struct net_container cv, *c = &cv;
	int r = network_lookup(ns, ref, &n, err);
	if (r == 0)
		r = net_container_find(ns, container, c, err);
	if (r < 0)
		return r;
	if (!container_endpoint(n, c->id))
		return error_set(err, -EINVAL, "container %s is not connected to network %s", c->id,
				 n->name);
	network_container_disconnect(ns, n, c->id);
	return 0;
}

/* ---- restore and shutdown ---- */

static void restore_one(struct networks *ns, const char *file)
{
	char cid[DIGEST_HEX_LEN + 1];
	snprintf(cid, sizeof(cid), "%.*s", DIGEST_HEX_LEN, file);
	if (strlen(file) != DIGEST_HEX_LEN + 5 || sandbox_find(ns, cid))
		return;
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", ns->run_dir, file) < 0)
		return;
	json_t *j = json_load_file(path, 0, NULL);
	struct sandbox *sb = sandbox_new(ns, cid);
	struct net_container c;
	struct error err = ERROR_INIT;
	bool alive = net_container_find(ns, cid, &c, &err) == 0 && c.running;
	error_clear(&err);
	if (!sb || !j) {
		json_decref(j);
		sandbox_free(sb);
		unlink(path);
		return;
	}
	json_decref(sb->ifaces);
	sb->ifaces = json_incref(json_object_get(j, "Ifaces"));
	if (!sb->ifaces)
		sb->ifaces = json_object();
	json_t *ports = json_incref(json_object_get(j, "Ports"));
	json_decref(j);
	if (!alive || sandbox_add(ns, sb) < 0) {
		log_info(ns->deps.log, "removing the network of stopped container %.12s", cid);
		json_decref(ports);
		sandbox_destroy(ns, sb);
		return;
	}
	if (netns_repin(sb->netns, c.pid, &err) < 0)
		log_warn(ns->deps.log, "container %.12s: %s", cid, error_msg(&err));
	error_clear(&err);
	struct network *prim = sandbox_port_network(ns, sb);
	if (json_is_object(ports)) {
		sb->ports = json_deep_copy(ports);
		if (prim)
			ports_restore(ns, sb, network_endpoint(prim, cid));
	}
	json_decref(ports);
	sandbox_dns_update(ns, sb);
}

void network_restore(struct networks *ns)
{
	network_ingress_reset(ns);
	DIR *dh = opendir(ns->run_dir);
	struct dirent *de;
	while (dh && (de = readdir(dh)))
		if (de->d_name[0] != '.')
			restore_one(ns, de->d_name);
	if (dh)
		closedir(dh);
	gwbridge_restore(ns);
	attachments_restore(ns);
	/* Namespaces without a sandbox: a crash between making one and saving it. */
	dh = opendir(ns->netns_dir);
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.' || sandbox_find(ns, de->d_name))
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", ns->netns_dir, de->d_name) >= 0)
			netns_remove(p);
	}
	if (dh)
		closedir(dh);
	/* Bridges of networks with running containers must exist. */
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		bool used = false;
		for (size_t e = 0; e < n->n_eps && !used; e++)
			used = sandbox_find(ns, n->eps[e].cid) != NULL;
		struct error err = ERROR_INIT;
		if (strcmp(n->driver, "bridge") == 0 && !n->up &&
		    (used || nl_link_exists(n->bridge)) && network_bridge_up(ns, n, &err) < 0)
			log_warn(ns->deps.log, "network %s: %s", n->name, error_msg(&err));
		error_clear(&err);
	}
	network_rules_rebuild(ns);
}

void network_stop(struct networks *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->n_sb; i++) {
		dns_server_stop(ns->sb[i]->dns);
		ns->sb[i]->dns = NULL;
	}
	if (ns->n_sb > 0)
		return; /* running containers keep their network */
	for (size_t i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i]->driver, "bridge") == 0 && ns->v[i]->up) {
			nl_link_delete(ns->v[i]->bridge);
			ns->v[i]->up = false;
		}
	}
	struct error err = ERROR_INIT;
	if (ns->iptables && ns->nft && nft_delete_table(ns->nft, ns->table, &err) < 0)
		log_warn(ns->deps.log, "%s", error_msg(&err));
	error_clear(&err);
}
