/* The routing mesh on this node (ingress.h). Marks and routing tables
 * live in one range, MESH_MARK + the low 16 bits of a node's ingress
 * address, so a container's rules of the mesh are found and replaced
 * without touching anything else. */
#include "network/ingress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "network/network.h"
#include "network/network_priv.h"
#include "network/nft.h"
#include "network/nl.h"
#include "network/nl_mesh.h"

#define MESH_MARK 0x6d650000u
#define MESH_MARK_LAST (MESH_MARK | 0xffffu)

struct network_mesh {
	struct ingress_node self; /* on the bridge */
	struct ingress_node *nodes;
	size_t n_nodes;
	char *text; /* the node's table last applied */
};

static void table_name(struct networks *ns, char buf[48])
{
	snprintf(buf, 48, "%s_mesh", ns->table);
}

static struct network *find_id(struct networks *ns, const char *id)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i]->id, id) == 0)
			return ns->v[i];
	return NULL;
}

void network_mesh_free(struct network *n)
{
	if (!n->mesh)
		return;
	free(n->mesh->nodes);
	free(n->mesh->text);
	free(n->mesh);
	n->mesh = NULL;
}

static void apply_node_table(struct networks *ns, struct network *n, char *text)
{
	struct network_mesh *m = n->mesh;
	if (!text || (m->text && strcmp(text, m->text) == 0)) {
		free(text);
		return;
	}
	struct error err = ERROR_INIT;
	if (nft_apply(ns->nft, text, &err) < 0) {
		log_warn(ns->deps.log, "routing mesh: %s", error_msg(&err));
		free(text);
	} else {
		free(m->text);
		m->text = text;
	}
	error_clear(&err);
}

/* The node's own address on the bridge: the one its tasks' replies are
 * routed to, and the MAC they know it by. */
static void bridge_self(struct networks *ns, struct network *n, const struct ingress_node *self)
{
	struct network_mesh *m = n->mesh;
	if (!self->ip || (m->self.ip == self->ip && !memcmp(m->self.mac, self->mac, 6)))
		return;
	if (m->self.ip)
		nl_link_addr_del(n->bridge, m->self.ip, n->subnet.prefix);
	struct error err = ERROR_INIT;
	if (nl_link_mac_addr(n->bridge, self->mac, self->ip, n->subnet.prefix, &err) < 0)
		log_warn(ns->deps.log, "routing mesh: %s", error_msg(&err));
	else
		m->self = *self;
	error_clear(&err);
}

void network_ingress_update(struct networks *ns, const char *id, const struct ingress_mesh *im)
{
	struct network *n = find_id(ns, id);
	if (!n)
		return;
	if (!n->mesh && !(n->mesh = calloc(1, sizeof(*n->mesh)))) {
		log_warn(ns->deps.log, "routing mesh: out of memory");
		return;
	}
	struct network_mesh *m = n->mesh;
	bridge_self(ns, n, &im->self);
	char table[48];
	table_name(ns, table);
	apply_node_table(ns, n, nft_mesh_ruleset(table, im->ports, im->n_ports));
	bool same =
	    m->n_nodes == im->n_nodes &&
	    (!im->n_nodes || !memcmp(m->nodes, im->nodes, im->n_nodes * sizeof(*im->nodes)));
	if (same)
		return;
	struct ingress_node *copy = calloc(im->n_nodes + 1, sizeof(*copy));
	if (!copy)
		return;
	if (im->n_nodes)
		memcpy(copy, im->nodes, im->n_nodes * sizeof(*copy));
	free(m->nodes);
	m->nodes = copy;
	m->n_nodes = im->n_nodes;
	for (size_t i = 0; i < ns->n_sb; i++)
		if (network_endpoint(n, ns->sb[i]->cid))
			sandbox_mesh_update(ns, ns->sb[i]);
}

void network_mesh_down(struct networks *ns, struct network *n)
{
	if (!n->mesh)
		return;
	char table[48];
	table_name(ns, table);
	struct error err = ERROR_INIT;
	if (nft_delete_table(ns->nft, table, &err) < 0)
		log_warn(ns->deps.log, "routing mesh: %s", error_msg(&err));
	error_clear(&err);
	network_mesh_free(n);
}

void network_ingress_reset(struct networks *ns)
{
	char table[48];
	table_name(ns, table);
	struct error err = ERROR_INIT;
	nft_delete_table(ns->nft, table, &err);
	error_clear(&err);
}

/* The ingress network sb is on, and its interface there. */
static struct network *ingress_of(struct networks *ns, struct sandbox *sb, char ifname[16])
{
	for (size_t i = 0; i < ns->n; i++) {
		struct network *n = ns->v[i];
		json_t *idx = json_object_get(sb->ifaces, n->id);
		if (n->mesh && json_is_integer(idx) && network_endpoint(n, sb->cid)) {
			snprintf(ifname, 16, "eth%d", (int)json_integer_value(idx));
			return n;
		}
	}
	return NULL;
}

static uint32_t mark_of(uint32_t ip)
{
	return MESH_MARK | (ip & 0xffffu);
}

/* In sb's namespace: the table, then the rules and routes it marks for. */
static int apply_in(struct sandbox *sb, const char *text, const char *ifname,
		    const struct nl_mark_route *routes, size_t n, struct error *err)
{
	int orig;
	int r = netns_enter(sb->netns, &orig, err);
	if (r < 0)
		return r;
	struct nft_ctx *ctx = nft_open();
	r = nft_apply(ctx, text, err);
	nft_close(ctx);
	if (r == 0 && n > 0)
		r = nl_mark_routes_set(ifname, routes, n, MESH_MARK, MESH_MARK_LAST, err);
	netns_leave(orig);
	return r;
}

void sandbox_mesh_update(struct networks *ns, struct sandbox *sb)
{
	char ifname[16] = "";
	struct network *n = ingress_of(ns, sb, ifname);
	if (!n && !sb->mesh_text)
		return;
	size_t k = n ? n->mesh->n_nodes : 0;
	_cleanup_free_ struct nft_mesh_node *nodes = calloc(k + 1, sizeof(*nodes));
	_cleanup_free_ struct nl_mark_route *routes = calloc(k + 1, sizeof(*routes));
	if (!nodes || !routes)
		return;
	for (size_t i = 0; i < k; i++) {
		const struct ingress_node *in = &n->mesh->nodes[i];
		memcpy(nodes[i].mac, in->mac, 6);
		nodes[i].mark = routes[i].mark = mark_of(in->ip);
		routes[i].via = in->ip;
	}
	char table[48];
	table_name(ns, table);
	char *text = nft_mesh_sandbox_ruleset(table, ifname, nodes, k);
	if (!text || (sb->mesh_text && strcmp(text, sb->mesh_text) == 0)) {
		free(text);
		return;
	}
	struct error err = ERROR_INIT;
	if (apply_in(sb, text, ifname, routes, k, &err) < 0) {
		log_warn(ns->deps.log, "container %.12s: routing mesh: %s", sb->cid,
			 error_msg(&err));
		free(text);
	} else {
		free(sb->mesh_text);
		sb->mesh_text = text;
	}
	error_clear(&err);
}
