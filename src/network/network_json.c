/* Docker's JSON for networks: inspect (with the running containers and
 * their addresses) and the filtered list. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/timeutil.h"
#include "network/network.h"
#include "network/network_ipv6.h"
#include "network/network_priv.h"

static json_t *containers_json(struct networks *ns, struct network *n)
{
	json_t *out = json_object();
	for (size_t i = 0; i < n->n_eps; i++) {
		struct endpoint *ep = &n->eps[i];
		struct net_container c;
		struct error err = ERROR_INIT;
		int r = net_container_find(ns, ep->cid, &c, &err);
		error_clear(&err);
		if (r < 0 || !c.running || !sandbox_find(ns, ep->cid))
			continue;
		char ip[16], addr[24], mac[18], addr6[CIDR6_LEN], gw_name[21];
		snprintf(addr, sizeof(addr), "%s/%d", ip_format(ep->ip, ip), n->subnet.prefix);
		endpoint_mac_text(ep, mac);
		/* libnetwork's name of a gateway endpoint: gateway_<sandbox ID>,
		 * and the sandbox's ID is the container's here. */
		snprintf(gw_name, sizeof(gw_name), "gateway_%.12s", c.id);
		json_object_set_new(out, c.id,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name",
					      ep->gateway ? gw_name : c.name, "EndpointID", ep->id,
					      "MacAddress", mac, "IPv4Address", addr, "IPv6Address",
					      endpoint_ip6_cidr(n, ep, addr6)));
	}
	/* host network: the containers using it. */
	const struct net_container_source *src = &ns->deps.containers;
	struct net_container c;
	for (size_t i = 0; n->builtin && strcmp(n->driver, "bridge") && src->at(src->data, i, &c);
	     i++) {
		bool mine = (!strcmp(n->driver, "host") && net_mode_is(&c, "host")) ||
			    (!strcmp(n->driver, "null") && net_mode_is(&c, "none"));
		if (mine && c.running)
			json_object_set_new(out, c.id,
					    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", c.name,
						      "EndpointID", "", "MacAddress", "",
						      "IPv4Address", "", "IPv6Address", ""));
	}
	return out;
}

static json_t *ipam_json(struct network *n)
{
	json_t *cfg = json_array();
	if (n->subnet.prefix) {
		char sub[20], gw[16], range[20];
		json_t *c = json_pack("{s:s, s:s}", "Subnet", cidr_format(&n->subnet, sub),
				      "Gateway", ip_format(n->gateway, gw));
		if (n->range.prefix)
			json_object_set_new(c, "IPRange",
					    json_string(cidr_format(&n->range, range)));
		if (n->aux)
			json_object_set(c, "AuxiliaryAddresses", n->aux);
		json_array_append_new(cfg, c);
	}
	json_t *c6 = network_ipam6_json(n);
	if (c6)
		json_array_append_new(cfg, c6);
	return json_pack("{s:s, s:n, s:o}", "Driver", "default", "Options", "Config", cfg);
}

static json_t *one_json(struct networks *ns, struct network *n, bool with_containers)
{
	char created[64];
	time_format_rfc3339nano(n->created_ns, created, sizeof(created));
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:b, s:b, s:b, s:{s:s}, s:b, "
		      "s:o, s:O, s:O}",
		      "Name", n->name, "Id", n->id, "Created", created, "Scope",
		      n->overlay ? "swarm" : "local", "Driver", n->overlay ? "overlay" : n->driver,
		      "EnableIPv6", n->ipv6, "IPAM", ipam_json(n), "Internal", n->internal,
		      "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly", 0,
		      "Containers", with_containers ? containers_json(ns, n) : json_object(),
		      "Options", n->options, "Labels", n->labels);
	return o;
}

/* The local side of a swarm network on a worker, which has no store: what
 * the dispatcher sent completes it as a manager shows it. */
static void add_swarm_info(struct network *n, json_t *o)
{
	json_t *info = n->swarm_info;
	json_t *labels = json_object_get(info, "Labels");
	if (!n->overlay || !info)
		return;
	json_object_set(o, "Attachable", json_object_get(info, "Attachable"));
	if (json_is_object(labels))
		json_object_set(o, "Labels", labels);
	json_object_set(o, "Peers", json_object_get(info, "Peers"));
}

int network_inspect_json(struct networks *ns, const char *ref, json_t **ret, struct error *err)
{
	struct network *n;
	int r = network_lookup(ns, ref, &n, err);
	if (r < 0)
		return r;
	*ret = one_json(ns, n, true);
	if (!*ret)
		return error_set(err, -ENOMEM, "out of memory");
	add_swarm_info(n, *ret);
	return 0;
}

void network_overlay_info(struct networks *ns, const char *id, json_t *info)
{
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		if (n->overlay && !strcmp(n->id, id) && json_is_object(info)) {
			json_decref(n->swarm_info);
			n->swarm_info = json_incref(info);
		}
	}
}

json_t *network_overlay_containers(struct networks *ns, const char *id)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i]->overlay && !strcmp(ns->v[i]->id, id))
			return containers_json(ns, ns->v[i]);
	return NULL;
}

static bool list_match(struct networks *ns, struct network *n, const struct filters *f)
{
	if (!filters_match_fuzzy(f, "id", n->id))
		return false;
	if (!filters_match_substring(f, "name", n->name))
		return false;
	if (!filters_match_exact(f, "driver", n->overlay ? "overlay" : n->driver) ||
	    !filters_match_exact(f, "scope", n->overlay ? "swarm" : "local") ||
	    !filters_match_label(f, "label", n->labels))
		return false;
	if (!filters_match_exact(f, "type", n->builtin ? "builtin" : "custom"))
		return false;
	if (filters_has_key(f, "dangling")) {
		bool want = false;
		struct error err = ERROR_INIT;
		filters_get_bool(f, "dangling", false, &want, &err);
		error_clear(&err);
		if (want != (!n->builtin && n->n_eps == 0))
			return false;
	}
	return true;
}

int network_list_json(struct networks *ns, const struct filters *f, json_t **ret, struct error *err)
{
	static const char *const keys[] = {"id",   "name",  "driver",	"label",
					   "type", "scope", "dangling", NULL};
	int r = filters_validate(f, keys, err);
	if (r < 0)
		return r;
	if (filters_has_key(f, "type"))
		for (size_t i = 0, nv = 0; i < 1; i++) {
			const char *const *vals = filters_values(f, "type", &nv);
			for (size_t k = 0; k < nv; k++)
				if (strcmp(vals[k], "custom") && strcmp(vals[k], "builtin"))
					return error_set(err, -EINVAL,
							 "invalid filter: 'type'='%s'", vals[k]);
		}
	json_t *out = json_array();
	for (size_t i = 0; i < ns->n; i++)
		if (list_match(ns, ns->v[i], f))
			json_array_append_new(out, one_json(ns, ns->v[i], false));
	*ret = out;
	return 0;
}
