/* Swarm networks and their endpoints in the replicated store
 * (store_networks.h). */
#include "swarm/store_networks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "orchestrator/allocator.h"
#include "orchestrator/task_state.h"
#include "swarm/store.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

bool store_networks_handles(const char *op)
{
	return strcmp(op, "network") == 0 || strcmp(op, "rm_network") == 0 ||
	       strcmp(op, "net_attach") == 0 || strcmp(op, "net_detach") == 0 ||
	       strcmp(op, "net_batch") == 0;
}

size_t store_default_pools(const struct store *s, struct addr_pool *out, size_t max)
{
	json_t *pools = json_object_get(s->cluster, "DefaultAddrPool");
	json_int_t size = json_integer_value(json_object_get(s->cluster, "SubnetSize"));
	size_t n = 0, i;
	json_t *p;
	json_array_foreach(pools, i, p)
	{
		struct cidr base;
		if (n < max && cidr_parse(json_string_value(p) ?: "", false, &base) == 0)
			out[n++] = (struct addr_pool){base, size ? (int)size : 24};
	}
	if (n == 0 && max > 0)
		out[n++] = (struct addr_pool){{0x0a000000u, 8}, size ? (int)size : 24};
	return n;
}

static json_t *network_named(const struct store *s, const char *name)
{
	const char *id;
	json_t *v;
	json_object_foreach(s->networks, id, v)
	{
		if (strcmp(jstr(json_object_get(v, "Spec"), "Name"), name) == 0)
			return v;
	}
	return NULL;
}

static bool vni_used(const struct store *s, uint32_t vni)
{
	const char *id;
	json_t *v;
	json_object_foreach(s->networks, id, v)
	{
		if (json_integer_value(json_object_get(v, "VNI")) == (json_int_t)vni)
			return true;
	}
	return false;
}

int store_network_plan(const struct store *s, json_t *spec, struct network_plan *ret,
		       struct error *err)
{
	const char *name = jstr(spec, "Name");
	if (network_named(s, name))
		return error_set(err, -EEXIST, "network with name %s already exists", name);
	json_t *ingress = allocator_ingress_network(s->networks);
	if (ingress && json_is_true(json_object_get(spec, "Ingress")))
		return error_set(err, -EEXIST,
				 "rpc error: code = AlreadyExists desc = ingress network (%s) is "
				 "already present",
				 jstr(ingress, "ID"));
	struct network_plan p = {0};
	const char *sub = jstr(spec, "Subnet"), *gw = jstr(spec, "Gateway"),
		   *range = jstr(spec, "IPRange");
	if ((*sub && cidr_parse(sub, false, &p.subnet) < 0) ||
	    (*range && cidr_parse(range, false, &p.range) < 0) ||
	    (*gw && ip_parse(gw, &p.gateway) < 0))
		return error_set(err, -EINVAL, "bad network spec");
	size_t n_taken = 0;
	_cleanup_free_ struct cidr *taken =
	    calloc(json_object_size(s->networks) + 1, sizeof(*taken));
	if (!taken)
		return error_set(err, -ENOMEM, "out of memory");
	const char *id;
	json_t *v;
	json_object_foreach(s->networks, id, v)
	{
		if (cidr_parse(jstr(v, "Subnet"), false, &taken[n_taken]) == 0)
			n_taken++;
	}
	if (*sub) {
		for (size_t i = 0; i < n_taken; i++)
			if (cidr_overlap(&taken[i], &p.subnet))
				return error_set(
				    err, -EPERM,
				    "Pool overlaps with other one on this address space");
	} else {
		struct addr_pool pools[16];
		size_t np = store_default_pools(s, pools, ARRAY_SIZE(pools));
		if (addr_pool_pick(pools, np, taken, n_taken, &p.subnet) < 0)
			return error_set(err, -EINVAL,
					 "all predefined address pools have been fully subnetted");
	}
	if (!p.gateway)
		p.gateway = p.subnet.addr + 1;
	for (p.vni = OVERLAY_VNI_FIRST; p.vni <= OVERLAY_VNI_LAST && vni_used(s, p.vni); p.vni++)
		;
	if (p.vni > OVERLAY_VNI_LAST)
		return error_set(err, -ENOSPC, "no VXLAN ID left");
	*ret = p;
	return 0;
}

static int apply_create(struct store *s, json_t *v, int64_t ts, struct error *err)
{
	const char *id = jstr(v, "ID");
	json_t *spec = json_object_get(v, "Spec");
	if (!*id || !json_is_object(spec))
		return error_set(err, -EINVAL, "bad store command network");
	if (json_object_get(s->networks, id))
		return 0; /* sent again after an unknown outcome */
	struct network_plan p;
	int r = store_network_plan(s, spec, &p, err);
	if (r < 0)
		return r;
	char sub[20], gw[16], range[20];
	json_t *net =
	    json_pack("{s:s, s:O, s:s, s:s, s:s, s:I, s:{}}", "ID", id, "Spec", spec, "Subnet",
		      cidr_format(&p.subnet, sub), "Gateway", ip_format(p.gateway, gw), "IPRange",
		      p.range.prefix ? cidr_format(&p.range, range) : "", "VNI", (json_int_t)p.vni,
		      "Endpoints");
	if (!net)
		return error_set(err, -ENOMEM, "out of memory");
	store_stamp(s, net, ts);
	json_object_set_new(s->networks, id, net);
	if (s->on_change)
		s->on_change(s->change_data, "network", "create", net, NULL, ts);
	return 0;
}

static int apply_remove(struct store *s, const char *id, int64_t ts)
{
	json_t *net = json_object_get(s->networks, id);
	s->index++;
	if (!net)
		return 0;
	json_incref(net);
	json_object_del(s->networks, id);
	if (s->on_change)
		s->on_change(s->change_data, "network", "remove", net, NULL, ts);
	json_decref(net);
	return 0;
}

/* The addresses in use on net: its endpoints'. */
static int used_addresses(json_t *net, struct ipam_set *used)
{
	const char *owner;
	json_t *ep;
	json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
	{
		uint32_t ip;
		if (ip_parse(jstr(ep, "IP"), &ip) == 0 && ipam_set_add(used, ip) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

static int pick_address(json_t *net, const char *want, uint32_t *ret, struct error *err)
{
	struct cidr subnet, range = {0};
	uint32_t gw = 0, ip = 0;
	char buf[16];
	if (cidr_parse(jstr(net, "Subnet"), false, &subnet) < 0)
		return error_set(err, -EINVAL, "network %s has no subnet", jstr(net, "ID"));
	cidr_parse(jstr(net, "IPRange"), false, &range);
	ip_parse(jstr(net, "Gateway"), &gw);
	struct ipam_set used = {0};
	int r = used_addresses(net, &used);
	if (r == 0 && *want) {
		if (ip_parse(want, &ip) < 0 || !cidr_contains(&subnet, ip))
			r = error_set(err, -EINVAL,
				      "no configured subnet or ip-range contain the IP address %s",
				      want);
		else if (ipam_set_has(&used, ip) || ip == gw)
			r = error_set(err, -EEXIST, "Address already in use");
	} else if (r == 0 && ipam_alloc(&used, &subnet, &range, gw, &ip) < 0) {
		r = error_set(err, -ENOSPC, "could not find an available IP while allocating %s",
			      ip_format(subnet.addr, buf));
	}
	ipam_set_free(&used);
	if (r == -ENOMEM)
		return error_set(err, r, "out of memory");
	if (r == 0)
		*ret = ip;
	return r;
}

/* The fields of an endpoint a net_attach may change once it has its
 * address: its node (scheduled, moved) and what DNS and the load balancer
 * read (allocator.h). */
static const char *const mutable_fields[] = {"Node", "Name", "Service", "Aliases", "DNSRR"};

static bool fields_differ(json_t *old, json_t *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(mutable_fields); i++) {
		json_t *want = json_object_get(v, mutable_fields[i]);
		if (want && !json_equal(want, json_object_get(old, mutable_fields[i])))
			return true;
	}
	return false;
}

static void fields_copy(json_t *ep, json_t *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(mutable_fields); i++) {
		json_t *want = json_object_get(v, mutable_fields[i]);
		if (want)
			json_object_set(ep, mutable_fields[i], want);
	}
}

/* A container's new attachment replaces its previous one on the same node
 * in the same entry, gone back or not (its address is free for it again):
 * a copy of net without it, or NULL when there is none to replace. */
static json_t *without_replaced(json_t *net, json_t *v)
{
	json_t *old = json_object_get(json_object_get(net, "Endpoints"), jstr(v, "Replaces"));
	if (!old || strcmp(jstr(old, "Kind"), "container") != 0 ||
	    strcmp(jstr(old, "Node"), jstr(v, "Node")) != 0)
		return NULL;
	json_t *copy = json_deep_copy(net);
	json_object_del(json_object_get(copy, "Endpoints"), jstr(v, "Replaces"));
	return copy;
}

static int apply_attach(struct store *s, json_t *v, int64_t ts, struct error *err)
{
	json_t *net = json_object_get(s->networks, jstr(v, "Network"));
	const char *owner = jstr(v, "Owner");
	if (!net)
		return error_set(err, -ENOENT, "network %s not found", jstr(v, "Network"));
	if (!*owner)
		return error_set(err, -EINVAL, "bad store command net_attach");
	json_t *old = json_object_get(json_object_get(net, "Endpoints"), owner);
	if (old && !fields_differ(old, v))
		return 0;
	_cleanup_(json_decrefp) json_t *rest = old ? NULL : without_replaced(net, v);
	if (rest)
		net = rest;
	json_t *ep;
	if (old) {
		/* Same address; a new node, or new DNS facts. */
		ep = json_deep_copy(old);
	} else {
		uint32_t ip = 0;
		int r = pick_address(net, jstr(v, "IP"), &ip, err);
		if (r < 0)
			return r;
		char addr[16], mac[18];
		ip_format(ip, addr);
		snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x", ip >> 24, (ip >> 16) & 255,
			 (ip >> 8) & 255, ip & 255);
		ep = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Kind", jstr(v, "Kind"), "Name",
			       jstr(v, "Name"), "Node", jstr(v, "Node"), "IP", addr, "MAC", mac);
	}
	fields_copy(ep, v);
	json_t *copy = json_deep_copy(net);
	json_object_set_new(json_object_get(copy, "Endpoints"), owner, ep);
	store_stamp(s, copy, ts);
	json_object_set_new(s->networks, jstr(v, "Network"), copy);
	return 0;
}

static int apply_detach(struct store *s, json_t *v, int64_t ts)
{
	json_t *net = json_object_get(s->networks, jstr(v, "Network"));
	if (!net || !json_object_get(json_object_get(net, "Endpoints"), jstr(v, "Owner"))) {
		s->index++;
		return 0;
	}
	json_t *copy = json_deep_copy(net);
	json_object_del(json_object_get(copy, "Endpoints"), jstr(v, "Owner"));
	store_stamp(s, copy, ts);
	json_object_set_new(s->networks, jstr(v, "Network"), copy);
	return 0;
}

static int apply_one(struct store *s, const char *op, json_t *cmd, int64_t ts_ns, struct error *err)
{
	json_t *v = json_object_get(cmd, "v");
	if (strcmp(op, "network") == 0)
		return apply_create(s, v, ts_ns, err);
	if (strcmp(op, "rm_network") == 0)
		return apply_remove(s, jstr(cmd, "id"), ts_ns);
	if (strcmp(op, "net_attach") == 0)
		return apply_attach(s, v, ts_ns, err);
	return apply_detach(s, v, ts_ns);
}

int store_networks_apply(struct store *s, const char *op, json_t *cmd, int64_t ts_ns,
			 struct error *err)
{
	if (strcmp(op, "net_batch") != 0)
		return apply_one(s, op, cmd, ts_ns, err);
	/* The allocator's round: an endpoint that cannot have an address (the
	 * network is full or gone) does not hold up the others. */
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(cmd, "cmds"), i, c)
	{
		const char *sop = jstr(c, "op");
		if (strcmp(sop, "net_attach") == 0 || strcmp(sop, "net_detach") == 0)
			apply_one(s, sop, c, ts_ns, NULL);
	}
	return 0;
}

int store_find_network(const struct store *s, const char *ref, json_t **ret, struct error *err)
{
	json_t *n = ref && *ref ? json_object_get(s->networks, ref) : NULL;
	if (!n && ref && *ref)
		n = network_named(s, ref);
	if (n) {
		*ret = n;
		return 0;
	}
	size_t rl = ref ? strlen(ref) : 0, matches = 0;
	const char *id;
	json_t *v;
	json_object_foreach(s->networks, id, v)
	{
		if (rl && strncmp(id, ref, rl) == 0 && matches++ == 0)
			n = v;
	}
	if (matches == 1) {
		*ret = n;
		return 0;
	}
	if (matches > 1)
		return error_set(err, -EINVAL,
				 "network %s is ambiguous (%zu matches found based on ID prefix)",
				 ref, matches);
	return error_set(err, -ENOENT, "network %s not found", ref ? ref : "");
}

static bool service_uses(json_t *svc, const char *net_id)
{
	json_t *spec = json_object_get(svc, "Spec");
	json_t *lists[] = {json_object_get(json_object_get(spec, "TaskTemplate"), "Networks"),
			   json_object_get(spec, "Networks")};
	for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
		size_t i;
		json_t *a;
		json_array_foreach(lists[k], i, a)
		{
			if (strcmp(jstr(a, "Target"), net_id) == 0)
				return true;
		}
	}
	return false;
}

static bool task_live(json_t *task)
{
	return task && task_state_parse(jstr(task, "DesiredState")) <= TASK_RUNNING &&
	       task_state_parse(jstr(json_object_get(task, "Status"), "State")) <= TASK_RUNNING;
}

int store_network_check_unused(const struct store *s, json_t *net, struct error *err)
{
	const char *net_id = jstr(net, "ID");
	const char *id;
	json_t *v;
	bool ingress = json_is_true(json_object_get(json_object_get(net, "Spec"), "Ingress"));
	json_object_foreach(s->services, id, v)
	{
		if (ingress && allocator_needs_ingress(json_object_get(v, "Spec")))
			return error_set(
			    err, -EINVAL,
			    "rpc error: code = FailedPrecondition desc = ingress network "
			    "cannot be removed because service %s depends on it",
			    id);
	}
	/* As SwarmKit's removeIngressNetwork: only services hold it. */
	if (ingress)
		return 0;
	json_object_foreach(s->services, id, v)
	{
		if (service_uses(v, net_id))
			return error_set(
			    err, -EINVAL,
			    "rpc error: code = FailedPrecondition desc = network %s is "
			    "in use by service %s",
			    net_id, id);
	}
	json_object_foreach(json_object_get(net, "Endpoints"), id, v)
	{
		/* A VIP is its service's: the service was checked above. */
		if (strcmp(jstr(v, "Kind"), "vip") == 0)
			continue;
		bool task = strcmp(jstr(v, "Kind"), "task") == 0;
		json_t *t = json_object_get(s->tasks, id);
		/* A task of a removed service is on its way out even before the
		 * orchestrator says so: docker stack rm removes the networks
		 * right after the services. */
		if (task && !json_object_get(s->services, jstr(t, "ServiceID")))
			continue;
		if (!task || task_live(t))
			return error_set(
			    err, -EINVAL,
			    "rpc error: code = FailedPrecondition desc = network %s is "
			    "in use by task %s",
			    net_id, id);
	}
	return 0;
}
