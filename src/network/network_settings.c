/* What containers see of their networks: NetworkSettings for inspect and
 * list, /etc/resolv.conf and /etc/hosts lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "network/network.h"
#include "network/network_ipv6.h"
#include "network/network_priv.h"

const char *net_mode(const struct net_container *c)
{
	return jstr(c->host_config, "NetworkMode");
}

bool net_mode_is(const struct net_container *c, const char *m)
{
	return strcmp(net_mode(c), m) == 0;
}

bool net_mode_shared(const struct net_container *c)
{
	return strncmp(net_mode(c), "container:", 10) == 0;
}

/* ---- JSON ---- */

static json_t *endpoint_json(const struct net_container *c, struct network *n, struct endpoint *ep,
			     bool live)
{
	char ip[16], gw[16], mac[18];
	json_t *lls = ep ? json_object_get(ep->settings, "LinkLocalIPs") : NULL;
	json_t *ipam = json_null();
	/* As dockerd, a running container shows the address its swarm
	 * attachment gave, a stopped one only the address it asked for. */
	bool ipv4 = ep && (ep->static_ip || (live && ep->owner[0] && !ep->released));
	if (ipv4 || lls) {
		ipam = json_object();
		if (ipv4)
			json_object_set_new(ipam, "IPv4Address",
					    json_string(ip_format(ep->ip, ip)));
		if (lls)
			json_object_set(ipam, "LinkLocalIPs", lls);
	}
	json_t *links = ep ? json_object_get(ep->settings, "Links") : NULL;
	json_t *dopts = ep ? json_object_get(ep->settings, "DriverOpts") : NULL;
	const char *want_mac = ep ? jstr(ep->settings, "MacAddress") : "";
	json_t *dns = json_array();
	if (network_is_user(n)) {
		char sid[13];
		snprintf(sid, sizeof(sid), "%.12s", c->id);
		json_array_append_new(dns, json_string(c->name));
		json_array_append_new(dns, json_string(sid));
		size_t i;
		json_t *a;
		json_array_foreach(ep ? ep->aliases : NULL, i, a) json_array_append(dns, a);
	}
	live = live && ep && ep->ip;
	/* A stopped container shows the address it asked for, as dockerd. */
	if (live)
		endpoint_mac_text(ep, mac);
	json_t *o =
	    json_pack("{s:o, s:O, s:O, s:s, s:O, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:o}",
		      "IPAMConfig", ipam, "Links", links ? links : json_null(), "Aliases",
		      ep && json_array_size(ep->aliases) ? ep->aliases : json_null(), "MacAddress",
		      live ? mac : want_mac, "DriverOpts", dopts ? dopts : json_null(), "NetworkID",
		      n->id, "EndpointID", live ? ep->id : "", "Gateway",
		      live && n->gateway ? ip_format(n->gateway, gw) : "", "IPAddress",
		      live ? ip_format(ep->ip, ip) : "", "IPPrefixLen", live ? n->subnet.prefix : 0,
		      "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
		      "DNSNames", json_array_size(dns) ? dns : (json_decref(dns), json_null()));
	if (o)
		endpoint_json6(n, ep, live, o);
	return o;
}

/* NetworkSettings.Networks; *ret_default (may be NULL) gets a reference to
 * the default bridge's endpoint when c has one. */
static json_t *networks_json(struct networks *ns, const struct net_container *c, bool live,
			     json_t **ret_default)
{
	json_t *nets = json_object();
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		struct endpoint *ep = container_endpoint(n, c->id);
		bool special = (n->builtin && !strcmp(n->name, "host") && net_mode_is(c, "host")) ||
			       (n->builtin && !strcmp(n->name, "none") && net_mode_is(c, "none"));
		if (!ep && !special)
			continue;
		json_t *e = endpoint_json(c, n, ep, live);
		if (n->is_default && ret_default)
			*ret_default = json_incref(e);
		json_object_set_new(nets, n->name, e);
	}
	return nets;
}

json_t *network_container_settings(struct networks *ns, const struct net_container *c)
{
	struct sandbox *sb = sandbox_find(ns, c->id);
	bool live = sb && c->running;
	json_t *top = NULL;
	json_t *nets = networks_json(ns, c, live, &top);
	json_t *ports = live && sb->ports ? json_incref(sb->ports) : json_object();
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:b, s:s, s:i, s:o, s:n, s:n, s:s, s:s, s:s, s:i, "
	    "s:s, s:i, s:s, s:s, s:o}",
	    "Bridge", "", "SandboxID", live ? c->id : "", "SandboxKey", live ? sb->netns : "",
	    "HairpinMode", 0, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0, "Ports",
	    ports, "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "", "Gateway",
	    "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPPrefixLen",
	    0, "IPv6Gateway", "", "MacAddress", "", "Networks", nets);
	if (top) {
		const char *keys[] = {"EndpointID",	     "Gateway",	   "IPAddress",
				      "IPPrefixLen",	     "MacAddress", "GlobalIPv6Address",
				      "GlobalIPv6PrefixLen", "IPv6Gateway"};
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			json_object_set(o, keys[i], json_object_get(top, keys[i]));
		json_decref(top);
	}
	return o;
}

json_t *network_container_networks(struct networks *ns, const struct net_container *c)
{
	return networks_json(ns, c, sandbox_find(ns, c->id) && c->running, NULL);
}

json_t *network_container_ports_summary(struct networks *ns, const struct net_container *c)
{
	struct sandbox *sb = sandbox_find(ns, c->id);
	json_t *out = json_array();
	json_t *ports =
	    sb && c->running && sb->ports ? sb->ports : json_object_get(c->config, "ExposedPorts");
	const char *key;
	json_t *v;
	json_object_foreach(ports, key, v)
	{
		int cport;
		const char *proto;
		if (port_key_parse(key, &cport, &proto) < 0)
			continue;
		if (!json_is_array(v) || !json_array_size(v)) {
			json_array_append_new(
			    out, json_pack("{s:i, s:s}", "PrivatePort", cport, "Type", proto));
			continue;
		}
		size_t i;
		json_t *b;
		json_array_foreach(v, i, b) json_array_append_new(
		    out, json_pack("{s:s, s:i, s:i, s:s}", "IP", jstr(b, "HostIp"), "PrivatePort",
				   cport, "PublicPort", atoi(jstr(b, "HostPort")), "Type", proto));
	}
	return out;
}

/* ---- /etc files ---- */

/* The container whose namespace c uses: c, or the one of container:<ref>
 * (filled in *buf). */
static const struct net_container *netns_owner(struct networks *ns, const struct net_container *c,
					       struct net_container *buf)
{
	struct error err = ERROR_INIT;
	if (net_mode_shared(c) && net_container_find(ns, net_mode(c) + 10, buf, &err) == 0)
		c = buf;
	error_clear(&err);
	return c;
}

char *network_resolv_conf(struct networks *ns, const struct net_container *c)
{
	struct net_container owner;
	c = netns_owner(ns, c, &owner);
	if (net_mode_is(c, "host") || net_mode_is(c, "none"))
		return NULL;
	struct network *nets[64];
	size_t nn = container_networks(ns, c->id, nets, 64);
	bool user = false;
	for (size_t i = 0; i < nn; i++)
		user = user || network_is_user(nets[i]);
	_cleanup_free_ char *host = NULL;
	fs_read_file("/etc/resolv.conf", 1 << 16, &host, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	size_t i, servers = 0;
	json_t *v;
	if (user) {
		fprintf(f, "nameserver 127.0.0.11\n");
		servers++;
	} else {
		json_array_foreach(json_object_get(c->host_config, "Dns"), i, v)
		{
			fprintf(f, "nameserver %s\n", json_string_value(v));
			servers++;
		}
	}
	char *save = NULL;
	for (char *l = host ? strtok_r(host, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char ip[64];
		if (sscanf(l, "nameserver %63s", ip) == 1) {
			/* The host's loopback resolvers are unreachable from the
			 * container's namespace (dockerd filters them too). */
			if (user || servers || !strncmp(ip, "127.", 4) || !strcmp(ip, "::1"))
				continue;
			fprintf(f, "%s\n", l);
		} else if (!strncmp(l, "search", 6) || (!user && !strncmp(l, "options", 7))) {
			fprintf(f, "%s\n", l);
		}
	}
	fclose(f);
	if (!user && !strstr(out ? out : "", "nameserver")) {
		char *more = NULL;
		if (asprintf(&more, "%snameserver 8.8.8.8\nnameserver 8.8.4.4\n", out ? out : "") >=
		    0) {
			free(out);
			out = more;
		}
	}
	if (user && out) {
		char *more = NULL;
		if (asprintf(&more, "%soptions ndots:0\n", out) >= 0) {
			free(out);
			out = more;
		}
	}
	return out;
}

char *network_hosts_lines(struct networks *ns, const struct net_container *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(c->host_config, "ExtraHosts"), i, v)
	{
		const char *s = json_string_value(v);
		/* name:ip, split at the first ':' so IPv6 addresses stay whole. */
		const char *colon = s ? strchr(s, ':') : NULL;
		if (colon)
			fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - s), s);
	}
	struct net_container owner;
	const struct net_container *o = netns_owner(ns, c, &owner);
	struct network *nets[64];
	size_t nn = container_networks(ns, o->id, nets, 64);
	char ip[INET6_ADDRSTRLEN];
	for (size_t k = 0; k < nn && k < 1; k++) {
		struct endpoint *ep = network_endpoint(nets[k], o->id);
		if (ep && ep->ip)
			fprintf(f, "%s\t%s\n", ip_format(ep->ip, ip), jstr(c->config, "Hostname"));
		if (ep && !ip6_is_zero(&ep->ip6))
			fprintf(f, "%s\t%s\n", ip6_format(&ep->ip6, ip),
				jstr(c->config, "Hostname"));
	}
	fclose(f);
	return out;
}
