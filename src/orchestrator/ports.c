/* Ports published in host mode (see ports.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "orchestrator/ports.h"

bool port_host_key(json_t *port, char *key, size_t len)
{
	const char *mode = json_string_value(json_object_get(port, "PublishMode"));
	json_int_t published = json_integer_value(json_object_get(port, "PublishedPort"));
	if (!mode || strcmp(mode, "host") != 0 || published <= 0)
		return false;
	const char *proto = json_string_value(json_object_get(port, "Protocol"));
	snprintf(key, len, "%lld/%s", (long long)published, proto && *proto ? proto : "tcp");
	return true;
}

bool ports_host_conflict(json_t *ports, json_t *used)
{
	size_t i;
	json_t *p;
	char key[32];
	json_array_foreach(ports, i, p)
	{
		if (port_host_key(p, key, sizeof(key)) && json_object_get(used, key))
			return true;
	}
	return false;
}

void ports_host_add(json_t *ports, json_t *used)
{
	size_t i;
	json_t *p;
	char key[32];
	json_array_foreach(ports, i, p)
	{
		if (port_host_key(p, key, sizeof(key)))
			json_object_set_new(used, key, json_true());
	}
}

#define DYNAMIC_FIRST 30000
#define DYNAMIC_LAST 32767

json_t *ports_published(json_t *service)
{
	json_t *ports = json_object_get(json_object_get(service, "Endpoint"), "Ports");
	if (ports)
		return ports;
	return json_object_get(json_object_get(json_object_get(service, "Spec"), "EndpointSpec"),
			       "Ports");
}

static const char *proto_of(json_t *port)
{
	const char *p = json_string_value(json_object_get(port, "Protocol"));
	return p && *p ? p : "tcp";
}

static bool is_ingress(json_t *port)
{
	const char *m = json_string_value(json_object_get(port, "PublishMode"));
	return !m || !*m || strcmp(m, "ingress") == 0;
}

static json_int_t published_of(json_t *port)
{
	return json_integer_value(json_object_get(port, "PublishedPort"));
}

/* The dynamic port prev gave target/proto; 0: none. */
static json_int_t previous_dynamic(json_t *prev, json_t *port)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(prev, "Ports"), i, p)
	{
		json_int_t pub = published_of(p);
		if (is_ingress(p) && pub >= DYNAMIC_FIRST && pub <= DYNAMIC_LAST &&
		    json_equal(json_object_get(p, "TargetPort"),
			       json_object_get(port, "TargetPort")) &&
		    strcmp(proto_of(p), proto_of(port)) == 0)
			return pub;
	}
	return 0;
}

/* taken has a bit per dynamic port. */
static bool is_taken(const uint8_t *taken, json_int_t n)
{
	size_t k = (size_t)(n - DYNAMIC_FIRST);
	return taken[k / 8] & (1u << (k % 8));
}

static void set_taken(uint8_t *taken, json_int_t n)
{
	size_t k = (size_t)(n - DYNAMIC_FIRST);
	taken[k / 8] |= (uint8_t)(1u << (k % 8));
}

static void mark_taken(json_t *ports, uint8_t *taken)
{
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p)
	{
		json_int_t pub = published_of(p);
		if (pub >= DYNAMIC_FIRST && pub <= DYNAMIC_LAST)
			set_taken(taken, pub);
	}
}

static json_int_t take_lowest(uint8_t *taken)
{
	for (json_int_t n = DYNAMIC_FIRST; n <= DYNAMIC_LAST; n++) {
		if (!is_taken(taken, n)) {
			set_taken(taken, n);
			return n;
		}
	}
	return 0;
}

/* The spec's ports with a published port for each ingress one. */
static json_t *allocate(json_t *spec_ports, json_t *prev, json_t *services, const char *self_id)
{
	uint8_t taken[(DYNAMIC_LAST - DYNAMIC_FIRST) / 8 + 1] = {0};
	const char *id;
	json_t *svc;
	json_object_foreach(services, id, svc)
	{
		if (!self_id || strcmp(id, self_id) != 0)
			mark_taken(ports_published(svc), taken);
	}
	mark_taken(spec_ports, taken);
	json_t *out = json_deep_copy(spec_ports);
	size_t i;
	json_t *p;
	/* Those prev gave are kept first, so that a new port never takes one. */
	json_array_foreach(out, i, p)
	{
		json_int_t again =
		    is_ingress(p) && !published_of(p) ? previous_dynamic(prev, p) : 0;
		if (again && !is_taken(taken, again)) {
			json_object_set_new(p, "PublishedPort", json_integer(again));
			set_taken(taken, again);
		}
	}
	json_array_foreach(out, i, p)
	{
		if (is_ingress(p) && !published_of(p))
			json_object_set_new(p, "PublishedPort", json_integer(take_lowest(taken)));
	}
	return out;
}

json_t *ports_endpoint(json_t *service_spec, json_t *prev, json_t *services, const char *self_id)
{
	json_t *ep = json_object_get(service_spec, "EndpointSpec");
	json_t *out =
	    json_pack("{s:o}", "Spec",
		      json_is_object(ep) ? json_incref(ep) : json_pack("{s:s}", "Mode", "vip"));
	json_t *ports = json_object_get(ep, "Ports");
	if (json_array_size(ports))
		json_object_set_new(out, "Ports", allocate(ports, prev, services, self_id));
	return out;
}
