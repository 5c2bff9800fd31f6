/* IPv6 on bridge networks (dual stack): the IPv6 half of a network's IPAM
 * config (checked with dockerd 28's messages; a /64 of the engine's ULA pool
 * when none is given), its state on disk and in inspect, and the IPv6
 * addresses of endpoints. The IPv4 half stays in network.c. */
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "network/network.h"
#include "network/network_ipv6.h"
#include "network/network_priv.h"
#include "network/nl.h"

#define OPT_GW_MODE6 "com.docker.network.bridge.gateway_mode_ipv6"

/* ---- create ---- */

/* An address of the v6 config, label "gateway X" or "auxiliary address
 * NAME": dockerd's checks and words. */
static int check_addr6(const char *label, const char *s, const struct cidr6 *sub,
		       struct in6_addr *ret, struct error *err)
{
	char sb[CIDR6_LEN];
	uint32_t v4;
	if (ip6_parse(s, ret) < 0)
		return error_set(err, -EINVAL, "invalid network config:\ninvalid %s: %s", label,
				 ip_parse(s, &v4) == 0 ? "parent subnet is an IPv6 block"
						       : "invalid address");
	if (!cidr6_contains(sub, ret))
		return error_set(err, -EINVAL,
				 "invalid network config:\ninvalid %s: parent subnet %s doesn't "
				 "contain this address",
				 label, cidr6_format(sub, sb));
	return 0;
}

static int check_range6(const char *s, const struct cidr6 *sub, struct cidr6 *ret,
			struct error *err)
{
	char sb[CIDR6_LEN], mb[CIDR6_LEN];
	struct cidr c;
	if (cidr6_parse(s, true, ret) < 0)
		return error_set(err, -EINVAL, "invalid network config:\ninvalid ip-range %s: %s",
				 s,
				 cidr_parse(s, true, &c) == 0 ? "parent subnet is an IPv6 block"
							      : "invalid CIDR block notation");
	if (ret->prefix < sub->prefix)
		return error_set(
		    err, -EINVAL,
		    "invalid network config:\ninvalid ip-range %s: CIDR block is bigger "
		    "than its parent subnet %s",
		    s, cidr6_format(sub, sb));
	struct cidr6 masked;
	cidr6_parse(s, false, &masked);
	if (!cidr6_is_masked(ret))
		return error_set(err, -EINVAL,
				 "invalid network config:\ninvalid ip-range %s: it should be %s", s,
				 cidr6_format(&masked, mb));
	if (!cidr6_overlap(sub, ret))
		return error_set(err, -EINVAL,
				 "invalid network config:\ninvalid ip-range %s: parent subnet %s "
				 "doesn't contain ip-range",
				 s, cidr6_format(sub, sb));
	return 0;
}

static int parse_aux6(struct network *n, json_t *aux, struct error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(aux, k, v)
	{
		struct in6_addr a;
		char label[300];
		snprintf(label, sizeof(label), "auxiliary address %s", k);
		int r = check_addr6(label, json_string_value(v) ? json_string_value(v) : "",
				    &n->subnet6, &a, err);
		if (r < 0)
			return r;
	}
	if (json_object_size(aux))
		n->aux6 = json_deep_copy(aux);
	network_reserve_aux6(n);
	return 0;
}

/* A subnet given by the user: dockerd's ValidateIPAM. */
static int parse_subnet6(struct network *n, json_t *cfg, struct error *err)
{
	const char *sub = jstr(cfg, "Subnet"), *gw = jstr(cfg, "Gateway");
	const char *range = jstr(cfg, "IPRange");
	char mb[CIDR6_LEN];
	if (cidr6_parse(sub, true, &n->subnet6) < 0)
		return error_set(
		    err, -EINVAL,
		    "invalid network config:\ninvalid subnet %s: invalid CIDR block notation", sub);
	if (!cidr6_is_masked(&n->subnet6)) {
		struct cidr6 m;
		cidr6_parse(sub, false, &m);
		return error_set(err, -EINVAL,
				 "invalid network config:\ninvalid subnet %s: it should be %s", sub,
				 cidr6_format(&m, mb));
	}
	int r = *range ? check_range6(range, &n->subnet6, &n->range6, err) : 0;
	char label[300];
	snprintf(label, sizeof(label), "gateway %s", gw);
	if (r == 0 && *gw)
		r = check_addr6(label, gw, &n->subnet6, &n->gateway6, err);
	return r;
}

/* The /64 of the engine's ULA /48 that no network of ours uses. */
static int pick_subnet6(struct networks *ns, struct network *n, struct error *err)
{
	_cleanup_free_ struct cidr6 *taken = calloc(ns->n + 1, sizeof(*taken));
	if (!taken)
		return error_set(err, -ENOMEM, "out of memory");
	if (!ns->pool6.prefix) {
		/* dockerd derives its IPv6 pool from the engine ID. Worked out
		 * here, not at start: OpenSSL's first digest loads its providers,
		 * a megabyte of an idle daemon's memory. */
		uint8_t sha[32];
		SHA256((const unsigned char *)ns->deps.engine_id, strlen(ns->deps.engine_id), sha);
		ip6_ula_pool(sha, &ns->pool6);
	}
	size_t nt = 0;
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i]->ipv6)
			taken[nt++] = ns->v[i]->subnet6;
	if (cidr6_pick(&ns->pool6, 64, taken, nt, &n->subnet6) < 0)
		return error_set(err, -ENOSPC,
				 "could not find an available, non-overlapping IPv6 address pool "
				 "among the defaults to assign to the network");
	return 0;
}

static int parse_gw_mode6(struct network *n, struct error *err)
{
	const char *m = jstr(n->options, OPT_GW_MODE6);
	/* NAT66 is off unless asked for, as dockerd 20.10 (no ip6tables). */
	if (!*m || !strcmp(m, "routed"))
		n->nat6 = false;
	else if (!strcmp(m, "nat"))
		n->nat6 = true;
	else if (!strcmp(m, "nat-unprotected") || !strcmp(m, "isolated"))
		return error_set(err, -EINVAL,
				 "gateway mode %s is not supported: use nat or routed", m);
	else
		return error_set(err, -EINVAL, "unknown gateway mode %s", m);
	return 0;
}

int network_ipam6_parse(struct networks *ns, struct network *n, json_t *cfg, bool enable,
			struct error *err)
{
	int r = parse_gw_mode6(n, err);
	if (r < 0)
		return r;
	if (!enable) {
		/* dockerd keeps (and shows) a v6 config it does not use. */
		if (cfg) {
			cidr6_parse(jstr(cfg, "Subnet"), false, &n->subnet6);
			cidr6_parse(jstr(cfg, "IPRange"), false, &n->range6);
			ip6_parse(jstr(cfg, "Gateway"), &n->gateway6);
		}
		return 0;
	}
	r = cfg ? parse_subnet6(n, cfg, err) : pick_subnet6(ns, n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ns->n; i++) {
		struct network *o = ns->v[i];
		char buf[CIDR6_LEN];
		if (o->ipv6 && cidr6_overlap(&o->subnet6, &n->subnet6))
			return error_set(
			    err, -EPERM,
			    "invalid pool request: Pool overlaps with other one on this "
			    "address space (%s of network %s)",
			    cidr6_format(&o->subnet6, buf), o->name);
	}
	n->ipv6 = true;
	if (ip6_is_zero(&n->gateway6)) {
		struct cidr6 whole = {0};
		if (ipam6_alloc(&n->used6, &n->subnet6, &whole, NULL, &n->gateway6) < 0)
			return error_set(
			    err, -ENOSPC,
			    "failed to allocate gateway: no available addresses on this pool");
	}
	return parse_aux6(n, json_object_get(cfg, "AuxiliaryAddresses"), err);
}

/* ---- state ---- */

void network_reserve_aux6(struct network *n)
{
	const char *k;
	json_t *v;
	json_object_foreach(n->aux6, k, v)
	{
		struct in6_addr a;
		if (ip6_parse(json_string_value(v), &a) == 0)
			ipam6_set_add(&n->used6, &a);
	}
}

static json_t *cidr6_json(const struct cidr6 *c)
{
	char buf[CIDR6_LEN];
	return json_string(c->prefix || !ip6_is_zero(&c->addr) ? cidr6_format(c, buf) : "");
}

static json_t *addr6_json(const struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	return json_string(ip6_is_zero(a) ? "" : ip6_format(a, buf));
}

void network_state6_save(struct network *n, json_t *j)
{
	json_object_set_new(j, "IPv6", json_boolean(n->ipv6));
	json_object_set_new(j, "NAT6", json_boolean(n->nat6));
	json_object_set_new(j, "Subnet6", cidr6_json(&n->subnet6));
	json_object_set_new(j, "IPRange6", cidr6_json(&n->range6));
	json_object_set_new(j, "Gateway6", addr6_json(&n->gateway6));
	if (n->aux6)
		json_object_set(j, "AuxAddresses6", n->aux6);
}

void network_state6_load(struct network *n, json_t *j)
{
	n->ipv6 = json_is_true(json_object_get(j, "IPv6"));
	n->nat6 = json_is_true(json_object_get(j, "NAT6"));
	cidr6_parse(jstr(j, "Subnet6"), false, &n->subnet6);
	cidr6_parse(jstr(j, "IPRange6"), false, &n->range6);
	ip6_parse(jstr(j, "Gateway6"), &n->gateway6);
	n->aux6 = json_incref(json_object_get(j, "AuxAddresses6"));
	network_reserve_aux6(n);
}

void endpoint_state6_save(const struct endpoint *e, json_t *j)
{
	if (ip6_is_zero(&e->ip6))
		return;
	json_object_set_new(j, "IP6", addr6_json(&e->ip6));
	json_object_set_new(j, "Static6", json_boolean(e->static_ip6));
}

void endpoint_state6_load(struct network *n, struct endpoint *e, json_t *j)
{
	if (ip6_parse(jstr(j, "IP6"), &e->ip6) < 0)
		return;
	e->static_ip6 = json_is_true(json_object_get(j, "Static6"));
	ipam6_set_add(&n->used6, &e->ip6);
}

/* ---- endpoints ---- */

int endpoint_ip6_parse(struct network *n, json_t *epcfg, struct in6_addr *ret, struct error *err)
{
	const char *s = jstr(json_object_get(epcfg, "IPAMConfig"), "IPv6Address");
	*ret = (struct in6_addr){0};
	if (!*s)
		return 0;
	if (ip6_parse(s, ret) < 0 || ip6_is_zero(ret))
		return error_set(err, -EINVAL, "invalid IPv6 address: %s", s);
	if (n->builtin)
		return error_set(
		    err, -EINVAL,
		    "user specified IP address is supported on user defined networks only");
	if (!n->ipv6)
		return error_set(err, -EINVAL,
				 "user specified IP address is supported only when connecting to "
				 "networks with user configured subnets");
	if (!cidr6_contains(&n->subnet6, ret))
		return error_set(err, -EINVAL,
				 "no configured subnet or ip-range contain the IP address %s", s);
	return 0;
}

int endpoint_ip6_reserve(struct network *n, struct endpoint *e, const struct in6_addr *want,
			 struct error *err)
{
	if (!n->ipv6)
		return 0;
	if (want && !ip6_is_zero(want)) {
		if (ipam6_set_has(&n->used6, want) || ip6_equal(want, &n->gateway6))
			return error_set(err, -EEXIST, "Address already in use");
		e->ip6 = *want;
		e->static_ip6 = true;
	} else if (ipam6_alloc(&n->used6, &n->subnet6, &n->range6, &n->gateway6, &e->ip6) < 0) {
		return error_set(
		    err, -ENOSPC,
		    "no available IPv6 addresses on this network's address pools: %s (%s)", n->name,
		    n->id);
	}
	return ipam6_set_add(&n->used6, &e->ip6) == -ENOMEM
		   ? error_set(err, -ENOMEM, "out of memory")
		   : 0;
}

void endpoint_ip6_release(struct network *n, struct endpoint *e)
{
	if (!ip6_is_zero(&e->ip6))
		ipam6_set_del(&n->used6, &e->ip6);
}

/* ---- JSON ---- */

json_t *network_ipam6_json(struct network *n)
{
	if (!n->subnet6.prefix)
		return NULL;
	char sub[CIDR6_LEN], range[CIDR6_LEN], gw[INET6_ADDRSTRLEN];
	json_t *c = json_pack("{s:s}", "Subnet", cidr6_format(&n->subnet6, sub));
	if (!ip6_is_zero(&n->gateway6))
		json_object_set_new(c, "Gateway", json_string(ip6_format(&n->gateway6, gw)));
	if (n->range6.prefix)
		json_object_set_new(c, "IPRange", json_string(cidr6_format(&n->range6, range)));
	if (n->aux6)
		json_object_set(c, "AuxiliaryAddresses", n->aux6);
	return c;
}

void endpoint_json6(struct network *n, struct endpoint *ep, bool live, json_t *o)
{
	char ip[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
	bool has = live && ep && !ip6_is_zero(&ep->ip6);
	json_object_set_new(o, "IPv6Gateway", json_string(has ? ip6_format(&n->gateway6, gw) : ""));
	json_object_set_new(o, "GlobalIPv6Address",
			    json_string(has ? ip6_format(&ep->ip6, ip) : ""));
	json_object_set_new(o, "GlobalIPv6PrefixLen", json_integer(has ? n->subnet6.prefix : 0));
	json_t *ipam = json_object_get(o, "IPAMConfig");
	if (ep && ep->static_ip6) {
		if (!json_is_object(ipam)) {
			ipam = json_object();
			json_object_set_new(o, "IPAMConfig", ipam);
		}
		json_object_set_new(ipam, "IPv6Address", json_string(ip6_format(&ep->ip6, ip)));
	}
}

const char *endpoint_ip6_cidr(struct network *n, struct endpoint *ep, char *buf)
{
	char ip[INET6_ADDRSTRLEN];
	if (ip6_is_zero(&ep->ip6))
		return "";
	snprintf(buf, CIDR6_LEN, "%s/%d", ip6_format(&ep->ip6, ip), n->subnet6.prefix);
	return buf;
}

/* ---- sandboxes ---- */

void endpoint_nl6(struct networks *ns, struct sandbox *sb, struct network *n, struct endpoint *ep,
		  struct nl_endpoint *nep)
{
	if (!n->ipv6 || ip6_is_zero(&ep->ip6))
		return;
	nep->ip6 = ep->ip6;
	nep->prefix6 = n->subnet6.prefix;
	bool has_gw6 = false;
	const char *k;
	json_t *v;
	json_object_foreach(sb->ifaces, k, v)
	{
		struct network *o = NULL;
		struct error e2 = ERROR_INIT;
		if (network_lookup(ns, k, &o, &e2) == 0 && !o->internal && o->ipv6)
			has_gw6 = true;
		error_clear(&e2);
	}
	if (!n->internal && !has_gw6)
		nep->gateway6 = n->gateway6;
}
