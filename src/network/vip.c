/* Service discovery and VIP balancing on swarm overlay networks: the
 * service records the swarm agent hands over (network.h), answered by the
 * embedded DNS, and the VIP table in each container's own namespace. The
 * balancing sits in the container's output path, as Docker's IPVS does in
 * the sandbox: a VIP is no one's address, so it must be rewritten before
 * the container looks for it on the wire; and replies find the DNAT's
 * conntrack entry where the connection began, on any node, with no SNAT
 * (the task sees the client's address). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "network/conntrack.h"
#include "network/network.h"
#include "network/ingress.h"
#include "network/network_priv.h"
#include "network/nl.h"

static bool named(const char *name, json_t *svc, const char *svc_name)
{
	if (!strcasecmp(name, svc_name))
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(svc, "Aliases"), i, a)
	{
		if (!strcasecmp(name, json_string_value(a) ?: ""))
			return true;
	}
	return false;
}

static size_t tasks_of(json_t *svc, uint32_t *ips, size_t k, size_t max)
{
	const char *name;
	json_t *ip;
	json_object_foreach(json_object_get(svc, "Tasks"), name, ip)
	{
		if (k < max && ip_parse(json_string_value(ip) ?: "", &ips[k]) == 0)
			k++;
	}
	return k;
}

size_t overlay_resolve(const struct network *n, const char *name, uint32_t *ips, size_t max)
{
	bool tasks = !strncasecmp(name, "tasks.", 6);
	const char *svc_name;
	json_t *svc;
	size_t k = 0;
	json_object_foreach(n->services, svc_name, svc)
	{
		bool container = json_is_true(json_object_get(svc, "Container"));
		if (named(tasks ? name + 6 : name, svc, svc_name) && !(tasks && container)) {
			if (tasks || container || json_is_true(json_object_get(svc, "DNSRR")))
				k = tasks_of(svc, ips, k, max);
			else if (k < max && ip_parse(jstr(svc, "VIP"), &ips[k]) == 0)
				k++;
			continue;
		}
		const char *task;
		json_t *ip;
		json_object_foreach(json_object_get(svc, "Tasks"), task, ip)
		{
			if (k < max && !strcasecmp(task, name) &&
			    ip_parse(json_string_value(ip) ?: "", &ips[k]) == 0)
				k++;
		}
	}
	return k;
}

/* The VIPs of sb's overlay networks with their backends, as nft_vip
 * entries over addrs (room for every task of every network). */
static size_t collect(struct networks *ns, struct sandbox *sb, struct nft_vip *vips, size_t max,
		      uint32_t *addrs, size_t n_addrs)
{
	size_t n = 0, used = 0;
	for (size_t i = 0; i < ns->n; i++) {
		struct network *net = ns->v[i];
		if (!net->overlay || !network_endpoint(net, sb->cid))
			continue;
		const char *svc_name;
		json_t *svc;
		json_object_foreach(net->services, svc_name, svc)
		{
			uint32_t vip;
			if (n == max || ip_parse(jstr(svc, "VIP"), &vip) < 0)
				continue;
			size_t k = tasks_of(svc, addrs + used, 0, n_addrs - used);
			vips[n++] = (struct nft_vip){vip, addrs + used, k};
			used += k;
		}
	}
	return n;
}

static size_t records_size(struct networks *ns, size_t *n_tasks)
{
	size_t n = 0;
	*n_tasks = 0;
	for (size_t i = 0; i < ns->n; i++) {
		const char *k;
		json_t *svc;
		json_object_foreach(ns->v[i]->services, k, svc)
		{
			n++;
			*n_tasks += json_object_size(json_object_get(svc, "Tasks"));
		}
	}
	return n;
}

/* Applies text in netns, then drops the conntrack entries that still
 * lead to a backend the table no longer has (also when it was replaced
 * while berthd was down: the table is applied afresh after a start). A
 * failed flush is only logged: the table is in place. */
static int apply_in(struct networks *ns, struct sandbox *sb, const char *text,
		    const struct nft_vip *vips, size_t n, struct error *err)
{
	int orig;
	int r = netns_enter(sb->netns, &orig, err);
	if (r < 0)
		return r;
	/* Its own context: libnftables talks to the namespace its socket
	 * was opened in; so does the conntrack socket. */
	struct nft_ctx *ctx = nft_open();
	r = nft_apply(ctx, text, err);
	nft_close(ctx);
	struct error ct_err = ERROR_INIT;
	if (r == 0 && conntrack_flush_stale(vips, n, sb->lb_vips, sb->n_lb_vips, &ct_err) < 0)
		log_warn(ns->deps.log, "container %.12s: VIP connections: %s", sb->cid,
			 error_msg(&ct_err));
	error_clear(&ct_err);
	netns_leave(orig);
	return r;
}

static int remember_vips(struct sandbox *sb, const struct nft_vip *vips, size_t n)
{
	uint32_t *v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = vips[i].vip;
	free(sb->lb_vips);
	sb->lb_vips = v;
	sb->n_lb_vips = n;
	return 0;
}

void sandbox_lb_update(struct networks *ns, struct sandbox *sb)
{
	sandbox_mesh_update(ns, sb);
	bool overlay = false;
	for (size_t i = 0; i < ns->n && !overlay; i++)
		overlay = ns->v[i]->overlay && network_endpoint(ns->v[i], sb->cid);
	/* Only containers on an overlay network ever get a table. */
	if (!overlay && !sb->lb_text)
		return;
	size_t n_tasks, n_svc = records_size(ns, &n_tasks);
	_cleanup_free_ struct nft_vip *vips = calloc(n_svc + 1, sizeof(*vips));
	_cleanup_free_ uint32_t *addrs = calloc(n_tasks + 1, sizeof(*addrs));
	if (!vips || !addrs) {
		log_warn(ns->deps.log, "container %.12s: VIP table: out of memory", sb->cid);
		return;
	}
	size_t n = collect(ns, sb, vips, n_svc, addrs, n_tasks);
	char *text = nft_vip_ruleset(ns->table, vips, n);
	if (!text || (sb->lb_text && !strcmp(text, sb->lb_text))) {
		free(text);
		return;
	}
	struct error err = ERROR_INIT;
	int r = apply_in(ns, sb, text, vips, n, &err);
	if (r == 0 && remember_vips(sb, vips, n) < 0)
		r = error_set(&err, -ENOMEM, "out of memory");
	if (r < 0) {
		log_warn(ns->deps.log, "container %.12s: VIP table: %s", sb->cid, error_msg(&err));
		free(text);
	} else {
		free(sb->lb_text);
		sb->lb_text = text;
	}
	error_clear(&err);
}

void network_overlay_services(struct networks *ns, const char *id, json_t *services)
{
	struct network *n = NULL;
	for (size_t i = 0; i < ns->n && !n; i++)
		if (ns->v[i]->overlay && !strcmp(ns->v[i]->id, id))
			n = ns->v[i];
	if (!n || (n->services && json_equal(n->services, services)))
		return;
	json_decref(n->services);
	n->services = json_incref(services);
	size_t k = 0;
	for (size_t i = 0; i < ns->n_sb; i++)
		if (network_endpoint(n, ns->sb[i]->cid)) {
			sandbox_lb_update(ns, ns->sb[i]);
			k++;
		}
	log_debug(ns->deps.log, "overlay network %s: service records changed (%zu containers here)",
		  n->name, k);
}
