/* Ports published in host mode (see ports.h). */
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

json_t *ports_endpoint(json_t *service_spec)
{
	json_t *ep = json_object_get(service_spec, "EndpointSpec");
	json_t *out =
	    json_pack("{s:o}", "Spec",
		      json_is_object(ep) ? json_incref(ep) : json_pack("{s:s}", "Mode", "vip"));
	json_t *ports = json_object_get(ep, "Ports");
	if (json_array_size(ports))
		json_object_set(out, "Ports", ports);
	return out;
}
