/* Swarm networks: what /networks asks of a manager (swarm_networks.h). */
#include "swarm/swarm_networks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "network/ipam.h"
#include "network/network.h"
#include "swarm/ca.h"
#include "swarm/store_networks.h"
#include "swarm/swarm_int.h"
#include "swarm/task_networks.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void fail(swarm_done_fn cb, void *data, struct error *err)
{
	cb(data, err->code, NULL, error_msg(err));
	error_clear(err);
}

/* ---- swarm init ---- */

int swarm_init_network_check(const struct swarm_init_req *req, struct error *err)
{
	uint32_t size = req->subnet_size ? req->subnet_size : 24;
	json_t *pools = req->default_addr_pool;
	if (pools && !json_is_null(pools) && !json_is_array(pools))
		return error_set(err, -EINVAL, "DefaultAddrPool must be a list of CIDRs");
	if (json_array_size(pools) && size > 29)
		return error_set(err, -ERANGE, "subnet size is out of range: %u", size);
	size_t i;
	json_t *p;
	json_array_foreach(pools, i, p)
	{
		struct cidr c;
		const char *s = json_string_value(p);
		if (!s || cidr_parse(s, false, &c) < 0)
			return error_set(err, -EINVAL, "invalid CIDR: %s", s ? s : "");
		if (size < (uint32_t)c.prefix)
			return error_set(
			    err, -ERANGE,
			    "invalid CIDR: \"%s\". Subnet size is too small for pool: %u", s, size);
	}
	uint32_t port = req->data_path_port;
	if (port && (port < 1024 || port > 49151))
		return error_set(err, -ERANGE,
				 "Datapath port number is not in valid range (1024-49151) : %u",
				 port);
	return 0;
}

void swarm_init_network_settings(const struct swarm_init_req *req, json_t *cluster)
{
	if (json_array_size(req->default_addr_pool)) {
		json_t *pools = json_array();
		size_t i;
		json_t *p;
		json_array_foreach(req->default_addr_pool, i, p)
		{
			struct cidr c;
			char buf[20];
			cidr_parse(json_string_value(p), false, &c);
			json_array_append_new(pools, json_string(cidr_format(&c, buf)));
		}
		json_object_set_new(cluster, "DefaultAddrPool", pools);
	}
	if (req->subnet_size)
		json_object_set_new(cluster, "SubnetSize", json_integer(req->subnet_size));
	if (req->data_path_port)
		json_object_set_new(cluster, "DataPathPort", json_integer(req->data_path_port));
}

/* ---- reads ---- */

bool swarm_networks_served(struct swarm *sw)
{
	return sw && sw->state == SWARM_ACTIVE && sw->manager && sw->store.cluster;
}

static json_t *ipam_view(json_t *net)
{
	json_t *cfg =
	    json_pack("{s:s, s:s}", "Subnet", jstr(net, "Subnet"), "Gateway", jstr(net, "Gateway"));
	if (*jstr(net, "IPRange"))
		json_object_set_new(cfg, "IPRange", json_string(jstr(net, "IPRange")));
	return json_pack("{s:s, s:n, s:[o]}", "Driver", "default", "Options", "Config", cfg);
}

json_t *swarm_network_view(struct swarm *sw, json_t *net)
{
	json_t *spec = json_object_get(net, "Spec");
	json_t *opts = json_deep_copy(json_object_get(spec, "Options"));
	if (!json_is_object(opts)) {
		json_decref(opts);
		opts = json_object();
	}
	char vni[16];
	snprintf(vni, sizeof(vni), "%lld",
		 (long long)json_integer_value(json_object_get(net, "VNI")));
	json_object_set_new(opts, OVERLAY_VNI_OPTION, json_string(vni));
	json_t *labels = json_object_get(spec, "Labels");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:b, s:b, s:b, s:{s:s}, s:b, "
			 "s:n, s:o, s:O?}",
			 "Name", jstr(spec, "Name"), "Id", jstr(net, "ID"), "Created",
			 jstr(net, "CreatedAt"), "Scope", "swarm", "Driver", "overlay",
			 "EnableIPv4", 1, "EnableIPv6", 0, "IPAM", ipam_view(net), "Internal",
			 json_is_true(json_object_get(spec, "Internal")), "Attachable",
			 json_is_true(json_object_get(spec, "Attachable")), "Ingress",
			 json_is_true(json_object_get(spec, "Ingress")), "ConfigFrom", "Network",
			 "", "ConfigOnly", 0, "Containers", "Options", opts, "Labels",
			 json_object_size(labels) ? labels : NULL);
}

static bool list_match(json_t *net, const struct filters *f)
{
	json_t *spec = json_object_get(net, "Spec");
	const char *name = jstr(spec, "Name");
	if (!filters_match_fuzzy(f, "id", jstr(net, "ID")))
		return false;
	if (!filters_match_substring(f, "name", name))
		return false;
	if (!filters_match_exact(f, "driver", "overlay") ||
	    !filters_match_exact(f, "scope", "swarm") ||
	    !filters_match_label(f, "label", json_object_get(spec, "Labels")) ||
	    !filters_match_exact(f, "type", "custom"))
		return false;
	if (filters_has_key(f, "dangling")) {
		bool want = false;
		struct error err = ERROR_INIT;
		filters_get_bool(f, "dangling", false, &want, &err);
		error_clear(&err);
		if (want != (json_object_size(json_object_get(net, "Endpoints")) == 0))
			return false;
	}
	return true;
}

json_t *swarm_networks_list(struct swarm *sw, const struct filters *f)
{
	json_t *out = json_array();
	if (!swarm_networks_served(sw))
		return out;
	const char *id;
	json_t *v;
	json_object_foreach(sw->store.networks, id, v)
	{
		if (list_match(v, f))
			json_array_append_new(out, swarm_network_view(sw, v));
	}
	return out;
}

int swarm_network_inspect(struct swarm *sw, const char *ref, json_t **ret, struct error *err)
{
	if (!swarm_networks_served(sw))
		return error_set(err, -ENOENT, "network %s not found", ref);
	json_t *net;
	int r = store_find_network(&sw->store, ref, &net, err);
	if (r < 0)
		return r;
	*ret = swarm_network_view(sw, net);
	/* As dockerd: where the network is in use, its containers here and
	 * the nodes it spans. */
	json_t *cs = network_overlay_containers(sw->deps.networks, jstr(net, "ID"));
	if (cs) {
		json_object_set_new(*ret, "Containers", cs);
		json_object_set_new(*ret, "Peers", task_networks_peers(sw, net));
	}
	return 0;
}

bool swarm_network_name_taken(struct swarm *sw, const char *name)
{
	json_t *net;
	return swarm_networks_served(sw) && store_find_network(&sw->store, name, &net, NULL) == 0 &&
	       strcmp(jstr(json_object_get(net, "Spec"), "Name"), name) == 0;
}

/* swarmkit's Network object, as NetworksAttachments carry it. */
static json_t *swarmkit_network(json_t *net)
{
	json_t *spec = json_object_get(net, "Spec");
	char vni[16];
	snprintf(vni, sizeof(vni), "%lld",
		 (long long)json_integer_value(json_object_get(net, "VNI")));
	json_t *ipam =
	    json_pack("{s:{s:s}, s:[{s:s, s:s}]}", "Driver", "Name", "default", "Configs", "Subnet",
		      jstr(net, "Subnet"), "Gateway", jstr(net, "Gateway"));
	return json_pack(
	    "{s:s, s:O, s:s, s:s, s:{s:s, s:O, s:{s:s}, s:b, s:b, s:b, s:s}, "
	    "s:{s:s, s:{s:s}}, s:o}",
	    "ID", jstr(net, "ID"), "Version", json_object_get(net, "Version"), "CreatedAt",
	    jstr(net, "CreatedAt"), "UpdatedAt", jstr(net, "UpdatedAt"), "Spec", "Name",
	    jstr(spec, "Name"), "Labels", json_object_get(spec, "Labels") ?: json_null(),
	    "DriverConfiguration", "Name", "overlay", "Internal",
	    json_is_true(json_object_get(spec, "Internal")), "Attachable",
	    json_is_true(json_object_get(spec, "Attachable")), "Ingress",
	    json_is_true(json_object_get(spec, "Ingress")), "Scope", "swarm", "DriverState", "Name",
	    "overlay", "Options", OVERLAY_VNI_OPTION, vni, "IPAMOptions", ipam);
}

json_t *swarm_task_attachments(struct swarm *sw, const char *task_id)
{
	json_t *out = NULL;
	const char *id;
	json_t *net;
	json_object_foreach(sw->store.networks, id, net)
	{
		json_t *ep = json_object_get(json_object_get(net, "Endpoints"), task_id ?: "");
		if (!ep)
			continue;
		struct cidr sub;
		char addr[24];
		cidr_parse(jstr(net, "Subnet"), false, &sub);
		snprintf(addr, sizeof(addr), "%s/%d", jstr(ep, "IP"), sub.prefix);
		if (!out)
			out = json_array();
		json_array_append_new(out, json_pack("{s:o, s:[s]}", "Network",
						     swarmkit_network(net), "Addresses", addr));
	}
	return out;
}

/* ---- create ---- */

static int check_options(json_t *opts, struct error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(opts, k, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			return error_set(err, -EINVAL, "option %s must be a string", k);
		if (strcmp(k, OVERLAY_MTU_OPTION) == 0) {
			char *end;
			long m = strtol(s, &end, 10);
			if (!*s || *end || m < 68 || m > 65535)
				return error_set(err, -EINVAL, "invalid MTU \"%s\"", s);
		} else if (strcmp(k, OVERLAY_VNI_OPTION) == 0) {
			return error_set(err, -EINVAL, "option %s is set by the swarm", k);
		}
	}
	return 0;
}

/* dockerd's validateIpamConfig, then the spec's Subnet/Gateway/IPRange. */
static int check_ipam(json_t *body, json_t *spec, struct error *err)
{
	json_t *ipam = json_object_get(body, "IPAM");
	const char *drv = jstr(ipam, "Driver");
	json_t *cfgs = json_object_get(ipam, "Config");
	if (*drv && strcmp(drv, "default") != 0)
		return error_set(err, -EINVAL,
				 "IPAM driver \"%s\" is not supported: use the default", drv);
	if (json_array_size(cfgs) > 1)
		return error_set(err, -EINVAL, "only one IPv4 subnet per network is supported");
	json_t *c = json_array_get(cfgs, 0);
	const char *sub = jstr(c, "Subnet"), *gw = jstr(c, "Gateway"), *range = jstr(c, "IPRange");
	struct cidr subnet = {0}, kept, rc, rkept;
	uint32_t gwip;
	char buf[20];
	if (!*sub && (*gw || *range))
		return error_set(err, -EINVAL, "a gateway or ip-range needs a subnet (--subnet)");
	if (*sub && (cidr_parse(sub, false, &subnet) < 0 || subnet.prefix > 29))
		return error_set(err, -EINVAL, "invalid CIDR address: %s", sub);
	if (*sub && cidr_parse(sub, true, &kept) == 0 && kept.addr != subnet.addr)
		return error_set(err, -EINVAL,
				 "invalid network config:\ninvalid subnet %s: it should be %s", sub,
				 cidr_format(&subnet, buf));
	if (*range) {
		if (cidr_parse(range, false, &rc) < 0)
			return error_set(err, -EINVAL, "invalid CIDR address: %s", range);
		if (cidr_parse(range, true, &rkept) == 0 && rkept.addr != rc.addr)
			return error_set(
			    err, -EINVAL,
			    "invalid network config:\ninvalid ip-range %s: it should be %s", range,
			    cidr_format(&rc, buf));
		if (!cidr_within(&subnet, &rc))
			return error_set(
			    err, -EINVAL,
			    "invalid network config:\ninvalid ip-range %s: parent subnet "
			    "%s doesn't contain ip-range",
			    range, sub);
	}
	if (*gw) {
		if (ip_parse(gw, &gwip) < 0)
			return error_set(err, -EINVAL, "invalid gateway address: %s", gw);
		if (!cidr_contains(&subnet, gwip))
			return error_set(
			    err, -EINVAL,
			    "invalid network config:\ninvalid gateway %s: parent subnet %s "
			    "doesn't contain this address",
			    gw, sub);
	}
	if (*sub)
		json_object_set_new(spec, "Subnet", json_string(cidr_format(&subnet, buf)));
	if (*range)
		json_object_set_new(spec, "IPRange", json_string(cidr_format(&rc, buf)));
	if (*gw)
		json_object_set_new(spec, "Gateway", json_string(gw));
	return 0;
}

static bool predefined(const char *name)
{
	return !strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none") ||
	       !strcmp(name, "default");
}

/* The stored Spec of a create request (swarm_networks.h), checked. */
static int spec_of(struct swarm *sw, json_t *body, json_t **ret, struct error *err)
{
	const char *name = jstr(body, "Name");
	if (!*name)
		return error_set(err, -EINVAL, "network name must not be empty");
	if (predefined(name))
		return error_set(err, -EPERM, "%s is a pre-defined network and cannot be created",
				 name);
	if (json_is_true(json_object_get(body, "EnableIPv6")))
		return error_set(err, -EINVAL, "IPv6 networks are not supported");
	json_t *labels = json_object_get(body, "Labels");
	json_t *opts = json_object_get(body, "Options");
	if ((labels && !json_is_null(labels) && !json_is_object(labels)) ||
	    (opts && !json_is_null(opts) && !json_is_object(opts)))
		return error_set(err, -EINVAL, "Labels and Options must be objects of strings");
	if (json_is_object(labels) && json_object_get(labels, "com.docker.swarm.predefined"))
		return error_set(err, -EPERM,
				 "rpc error: code = PermissionDenied desc = label "
				 "com.docker.swarm.predefined is for internally created predefined "
				 "networks and cannot be applied by users");
	int r = check_options(opts, err);
	if (r < 0)
		return r;
	bool ingress = json_is_true(json_object_get(body, "Ingress"));
	bool attachable = json_is_true(json_object_get(body, "Attachable"));
	if (ingress && attachable)
		return error_set(
		    err, -EINVAL,
		    "rpc error: code = InvalidArgument desc = ingress network cannot be "
		    "attachable");
	json_t *spec =
	    json_pack("{s:s, s:o, s:o, s:b, s:b, s:b}", "Name", name, "Labels",
		      json_is_object(labels) ? json_deep_copy(labels) : json_object(), "Options",
		      json_is_object(opts) ? json_deep_copy(opts) : json_object(), "Internal",
		      json_is_true(json_object_get(body, "Internal")), "Attachable", attachable,
		      "Ingress", ingress);
	r = check_ipam(body, spec, err);
	if (r < 0) {
		json_decref(spec);
		return r;
	}
	*ret = spec;
	return 0;
}

struct create_ctx {
	swarm_done_fn cb;
	void *data;
	char id[32];
};

static void created(void *data, int status, json_t *result, const char *msg)
{
	struct create_ctx *c = data;
	json_t *out = status == 0 ? json_pack("{s:s, s:s}", "Id", c->id, "Warning", "") : NULL;
	c->cb(c->data, status, out, msg);
	json_decref(out);
	free(c);
}

json_t *swarm_service_vips(struct swarm *sw, json_t *svc)
{
	json_t *out = json_array();
	const char *id = jstr(svc, "ID");
	const char *nid;
	json_t *net;
	json_object_foreach(sw->store.networks, nid, net)
	{
		json_t *ep = json_object_get(json_object_get(net, "Endpoints"), id);
		const char *sub = strchr(jstr(net, "Subnet"), '/');
		if (!ep || strcmp(jstr(ep, "Kind"), "vip") != 0 || !sub)
			continue;
		char addr[40];
		snprintf(addr, sizeof(addr), "%s%s", jstr(ep, "IP"), sub);
		json_array_append_new(out, json_pack("{s:s, s:s}", "NetworkID", nid, "Addr", addr));
	}
	if (json_array_size(out))
		return out;
	json_decref(out);
	return NULL;
}

json_t *swarm_ingress_network(void)
{
	char id[32];
	swarm_new_id(id);
	return json_pack("{s:s, s:{s:s, s:{}, s:{}, s:b, s:b, s:b}}", "ID", id, "Spec", "Name",
			 "ingress", "Labels", "Options", "Internal", 0, "Attachable", 0, "Ingress",
			 1);
}

void swarm_network_create(struct swarm *sw, json_t *body, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *spec = NULL;
	struct network_plan plan;
	if (swarm_check_manager(sw, &err) < 0 || spec_of(sw, body, &spec, &err) < 0)
		return fail(cb, data, &err);
	if (store_network_plan(&sw->store, spec, &plan, &err) < 0) {
		json_decref(spec);
		return fail(cb, data, &err);
	}
	struct create_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(spec);
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	c->cb = cb;
	c->data = data;
	swarm_new_id(c->id);
	swarm_write(sw, swarm_cmd("network", json_pack("{s:s, s:o}", "ID", c->id, "Spec", spec)),
		    created, c);
}

void swarm_network_rm(struct swarm *sw, const char *ref, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *net;
	if (swarm_check_manager(sw, &err) < 0 ||
	    store_find_network(&sw->store, ref, &net, &err) < 0 ||
	    store_network_check_unused(&sw->store, net, &err) < 0)
		return fail(cb, data, &err);
	swarm_write(sw,
		    json_pack("{s:s, s:s, s:I}", "op", "rm_network", "id", jstr(net, "ID"), "ts",
			      (json_int_t)time_now_ns()),
		    cb, data);
}

/* ---- prune ---- */

struct prune {
	swarm_done_fn cb;
	void *data;
	json_t *names; /* of the networks removed */
	size_t pending;
};

struct prune_one {
	struct prune *p;
	char *name;
};

static void prune_settle(struct prune *p)
{
	if (--p->pending)
		return;
	p->cb(p->data, 0, p->names, NULL);
	json_decref(p->names);
	free(p);
}

static void pruned_one(void *data, int status, json_t *res, const char *msg)
{
	struct prune_one *o = data;
	struct prune *p = o->p;
	if (status == 0)
		json_array_append_new(p->names, json_string(o->name));
	free(o->name);
	free(o);
	prune_settle(p);
}

/* dockerd's matchLabels: every "label" holds and not every "label!" does. */
static bool prune_labels_match(const struct filters *f, json_t *labels)
{
	size_t n = 0;
	return filters_match_label(f, "label", labels) &&
	       !(filters_values(f, "label!", &n) && n && filters_match_label(f, "label!", labels));
}

/* dockerd's network Filter: "until" keeps the networks created after it. */
static bool prune_created_match(int64_t until, json_t *net)
{
	int64_t created;
	const char *ts = jstr(net, "CreatedAt");
	return !until || !ts || time_parse_user_timestamp(ts, 0, &created) < 0 || created <= until;
}

void swarm_networks_prune(struct swarm *sw, const struct filters *f, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	int64_t until;
	if (filters_get_until(f, time_now_ns(), &until, &err) < 0)
		return fail(cb, data, &err);
	struct prune *p = calloc(1, sizeof(*p));
	if (!p || !(p->names = json_array())) {
		free(p);
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	p->cb = cb;
	p->data = data;
	p->pending = 1; /* until every removal is sent */
	const char *id;
	json_t *net;
	json_t *nets = swarm_networks_served(sw) ? sw->store.networks : NULL;
	json_object_foreach(nets, id, net)
	{
		json_t *spec = json_object_get(net, "Spec");
		struct prune_one *o;
		/* The routing mesh's network goes only when asked by name, and one
		 * in use stays (dockerd ignores "is in use"). */
		if (json_is_true(json_object_get(spec, "Ingress")) ||
		    !prune_labels_match(f, json_object_get(spec, "Labels")) ||
		    !prune_created_match(until, net) ||
		    store_network_check_unused(&sw->store, net, NULL) < 0 ||
		    !(o = calloc(1, sizeof(*o))))
			continue;
		o->p = p;
		o->name = strdup(jstr(spec, "Name"));
		p->pending++;
		swarm_write(sw,
			    json_pack("{s:s, s:s, s:I}", "op", "rm_network", "id", id, "ts",
				      (json_int_t)time_now_ns()),
			    pruned_one, o);
	}
	prune_settle(p);
}
