/* The local side of swarm overlay networks (network.h): a user bridge
 * network (endpoints, addresses, DNS and nftables rules as any user
 * bridge's) whose bridge also has a vxlan port, and whose peers on other
 * nodes are FDB and neighbour entries on that port. The swarm agent says
 * which networks this node uses and who is where; this file makes the
 * kernel match. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network.h"
#include "network/network_priv.h"
#include "network/nl.h"

/* VXLAN's 50 bytes of headers (outer IPv4, UDP, VXLAN, inner Ethernet). */
#define VXLAN_OVERHEAD 50
/* ESP in transport mode with AES-GCM: SPI and sequence (8), IV (8), ICV
 * (16), trailer and padding (2 + up to 3), rounded up. */
#define ESP_OVERHEAD 40

static struct network *find_id(struct networks *ns, const char *id)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i]->id, id) == 0)
			return ns->v[i];
	return NULL;
}

static struct network *overlay_new(const struct overlay_net *o)
{
	struct network *n = new_network(o->name, "bridge");
	if (!n)
		return NULL;
	snprintf(n->id, sizeof(n->id), "%s", o->id);
	snprintf(n->bridge, sizeof(n->bridge), "ov-%.12s", o->id);
	snprintf(n->vxlan, sizeof(n->vxlan), "vx-%.12s", o->id);
	n->overlay = true;
	n->vni = o->vni;
	n->subnet = o->subnet;
	n->range = o->range;
	n->gateway = o->gateway;
	n->internal = o->internal;
	return n;
}

static int vxlan_up(struct network *n, uint32_t local, int port, struct error *err)
{
	struct nl_vxlan vx = {.name = n->vxlan,
			      .bridge = n->bridge,
			      .vni = n->vni,
			      .local = local,
			      .port = port,
			      .mtu = n->mtu};
	return nl_vxlan_ensure(&vx, err);
}

int network_overlay_ensure(struct networks *ns, const struct overlay_net *o, uint32_t local,
			   int port, struct error *err)
{
	struct network *n = find_id(ns, o->id);
	bool made = false;
	if (!n) {
		if (!(n = overlay_new(o)) || networks_add(ns, n) < 0) {
			network_free(n);
			return error_set(err, -ENOMEM, "out of memory");
		}
		made = true;
	}
	int under = nl_link_mtu_of_addr(local);
	int overhead = VXLAN_OVERHEAD + (o->encrypted ? ESP_OVERHEAD : 0);
	n->mtu = o->mtu ? o->mtu : (under > overhead ? under : 1500) - overhead;
	int r = 0;
	if (!n->peers) {
		/* First time in this run: a vxlan device left by an earlier run
		 * holds entries nobody knows of; it is made again. */
		nl_link_delete(n->vxlan);
		n->peers = json_object();
		if (!n->peers)
			r = error_set(err, -ENOMEM, "out of memory");
	}
	if (r == 0)
		r = network_bridge_up(ns, n, err);
	if (r == 0)
		r = vxlan_up(n, local, port, err);
	if (r == 0 && made)
		r = network_save(ns, n, err);
	if (r < 0) {
		if (made)
			network_destroy(ns, n);
		return r;
	}
	if (made) {
		network_rules_rebuild(ns);
		log_info(ns->deps.log, "overlay network %s: bridge %s, vxlan %s (VNI %u, port %d)",
			 n->name, n->bridge, n->vxlan, n->vni, port);
	}
	return 0;
}

static void peer_key(const struct nl_peer *p, char key[16], char val[40])
{
	char vtep[16];
	ip_format(p->ip, key);
	snprintf(val, 40, "%02x:%02x:%02x:%02x:%02x:%02x %s", p->mac[0], p->mac[1], p->mac[2],
		 p->mac[3], p->mac[4], p->mac[5], ip_format(p->vtep, vtep));
}

static int peer_parse(const char *key, const char *val, struct nl_peer *p)
{
	unsigned m[6];
	char vtep[16];
	if (ip_parse(key, &p->ip) < 0 ||
	    sscanf(val, "%x:%x:%x:%x:%x:%x %15s", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], vtep) !=
		7 ||
	    ip_parse(vtep, &p->vtep) < 0)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		p->mac[i] = (uint8_t)m[i];
	return 0;
}

void network_overlay_peers(struct networks *ns, const char *id, const struct nl_peer *peers,
			   size_t n_peers)
{
	struct network *n = find_id(ns, id);
	if (!n || !n->overlay || !n->peers)
		return;
	json_t *want = json_object();
	for (size_t i = 0; i < n_peers; i++) {
		char key[16], val[40];
		peer_key(&peers[i], key, val);
		json_object_set_new(want, key, json_string(val));
	}
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(n->peers, tmp, k, v)
	{
		json_t *w = json_object_get(want, k);
		struct nl_peer p;
		if (w && json_equal(w, v))
			continue;
		if (peer_parse(k, json_string_value(v), &p) == 0)
			nl_vxlan_peer(n->vxlan, &p, false, NULL);
		json_object_del(n->peers, k);
	}
	json_object_foreach(want, k, v)
	{
		struct nl_peer p;
		struct error err = ERROR_INIT;
		if (json_object_get(n->peers, k) || peer_parse(k, json_string_value(v), &p) < 0)
			continue;
		if (nl_vxlan_peer(n->vxlan, &p, true, &err) < 0)
			log_warn(ns->deps.log, "overlay network %s: %s", n->name, error_msg(&err));
		else
			json_object_set(n->peers, k, v);
		error_clear(&err);
	}
	json_decref(want);
}

void network_overlay_prune(struct networks *ns, bool (*keep)(void *data, const char *id),
			   void *data)
{
	for (size_t i = 0; i < ns->n;) {
		struct network *n = ns->v[i];
		if (!n->overlay || n->n_eps || keep(data, n->id)) {
			i++;
			continue;
		}
		log_info(ns->deps.log, "overlay network %s: no longer used here", n->name);
		network_destroy(ns, n);
	}
}

bool network_local_plain(struct networks *ns, const char *ref)
{
	struct network *n = NULL;
	struct error err = ERROR_INIT;
	bool r = network_lookup(ns, ref, &n, &err) == 0 && !n->overlay;
	error_clear(&err);
	return r;
}

bool network_overlay_holds(struct networks *ns, const char *id, uint32_t ip)
{
	struct network *n = find_id(ns, id);
	for (size_t i = 0; n && i < n->n_eps; i++)
		if (n->eps[i].ip == ip && !n->eps[i].released)
			return true;
	return false;
}
