/* A service's EndpointSpec (see service_ports.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrator/allocator.h"
#include "orchestrator/ports.h"
#include "swarm/service_ports.h"
#include "swarm/store.h"

#define INVALID "rpc error: code = InvalidArgument desc = "

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* dockerd maps names it does not know to the enum's zero value. */
static void fill(json_t *port, const char *key, const char *const *known, size_t n)
{
	const char *v = jstr(port, key);
	for (size_t i = 0; v && i < n; i++)
		if (strcasecmp(v, known[i]) == 0) {
			json_object_set_new(port, key, json_string(known[i]));
			return;
		}
	json_object_set_new(port, key, json_string(known[0]));
}

int service_ports_check(json_t *spec, struct error *err)
{
	json_t *ep = json_object_get(spec, "EndpointSpec");
	if (!json_is_object(ep))
		return 0;
	const char *mode = jstr(ep, "Mode");
	if (mode && *mode && strcmp(mode, "vip") != 0 && strcmp(mode, "dnsrr") != 0)
		return error_set(err, -EINVAL, "invalid resolution mode: \"%s\"", mode);
	json_object_set_new(ep, "Mode", json_string(mode && *mode ? mode : "vip"));
	static const char *const protocols[] = {"tcp", "udp", "sctp"};
	static const char *const modes[] = {"ingress", "host"};
	json_t *seen = json_object();
	size_t i;
	json_t *p;
	int r = 0;
	json_array_foreach(json_object_get(ep, "Ports"), i, p)
	{
		if (!json_is_object(p))
			continue;
		fill(p, "Protocol", protocols, 3);
		fill(p, "PublishMode", modes, 2);
		if (strcmp(jstr(ep, "Mode"), "dnsrr") == 0 &&
		    strcmp(jstr(p, "PublishMode"), "ingress") == 0) {
			r = error_set(err, -EINVAL,
				      INVALID
				      "EndpointSpec: port published with ingress mode can't "
				      "be used with dnsrr mode");
			break;
		}
		json_int_t published = json_integer_value(json_object_get(p, "PublishedPort"));
		if (published == 0)
			continue;
		char key[48];
		snprintf(key, sizeof(key), "%lld/%s", (long long)published, jstr(p, "Protocol"));
		if (json_object_get(seen, key)) {
			r = error_set(err, -EINVAL,
				      INVALID "EndpointSpec: duplicate published ports provided");
			break;
		}
		json_object_set_new(seen, key, json_true());
	}
	json_decref(seen);
	return r;
}

/* The ports published in mode ("8080/tcp" -> true). */
static json_t *published(json_t *ports, const char *mode)
{
	json_t *set = json_object();
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p)
	{
		json_int_t n = json_integer_value(json_object_get(p, "PublishedPort"));
		const char *m = jstr(p, "PublishMode") ?: "ingress";
		if (n <= 0 || strcmp(m, mode) != 0)
			continue;
		char key[48];
		snprintf(key, sizeof(key), "%lld/%s", (long long)n, jstr(p, "Protocol") ?: "tcp");
		json_object_set_new(set, key, json_true());
	}
	return set;
}

int service_ports_check_conflicts(const struct store *s, json_t *spec, const char *self_id,
				  struct error *err)
{
	if (allocator_needs_ingress(spec) && !allocator_ingress_network(s->networks))
		return error_set(
		    err, -EINVAL,
		    "rpc error: code = FailedPrecondition desc = service needs ingress "
		    "network, but no ingress network is present");
	json_t *mine = json_object_get(json_object_get(spec, "EndpointSpec"), "Ports");
	json_t *ingress = published(mine, "ingress"), *host = published(mine, "host");
	int r = 0;
	const char *id;
	json_t *svc;
	json_object_foreach(s->services, id, svc)
	{
		if (r < 0 || (!json_object_size(ingress) && !json_object_size(host)))
			break;
		if (self_id && strcmp(self_id, id) == 0)
			continue;
		json_t *other = json_object_get(svc, "Spec");
		json_t *their_ingress = published(ports_published(svc), "ingress");
		json_t *their_host = published(ports_published(svc), "host");
		const char *key;
		json_t *v;
		/* A host-mode port of theirs is taken by our ingress port;
		 * host-mode ports of two services share nodes (the scheduler
		 * keeps them apart). */
		json_object_foreach(their_host, key, v)
		{
			if (r == 0 && json_object_get(ingress, key))
				r = error_set(err, -EINVAL,
					      INVALID "port '%d' is already in use by service '%s' "
						      "(%s) as a host-published port",
					      atoi(key), jstr(other, "Name") ?: "", id);
		}
		json_object_foreach(their_ingress, key, v)
		{
			if (r == 0 && (json_object_get(ingress, key) || json_object_get(host, key)))
				r = error_set(err, -EINVAL,
					      INVALID "port '%d' is already in use by service '%s' "
						      "(%s) as an ingress port",
					      atoi(key), jstr(other, "Name") ?: "", id);
		}
		json_decref(their_ingress);
		json_decref(their_host);
	}
	json_decref(ingress);
	json_decref(host);
	return r;
}
