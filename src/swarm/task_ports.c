/* Host-mode ports of a task's container (see task_ports.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/task_ports.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool host_mode(json_t *port, char *key, size_t len)
{
	const char *mode = jstr(port, "PublishMode");
	json_int_t target = json_integer_value(json_object_get(port, "TargetPort"));
	if (!mode || strcmp(mode, "host") != 0 || target <= 0)
		return false;
	snprintf(key, len, "%lld/%s", (long long)target, jstr(port, "Protocol") ?: "tcp");
	return true;
}

void task_ports_bind(json_t *task, json_t *body)
{
	json_t *hc = json_object_get(body, "HostConfig");
	json_t *exposed = json_object(), *bindings = json_object();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(task, "_ports"), i, p)
	{
		char key[32], hport[24] = "";
		if (!host_mode(p, key, sizeof(key)))
			continue;
		json_int_t published = json_integer_value(json_object_get(p, "PublishedPort"));
		if (published > 0)
			snprintf(hport, sizeof(hport), "%lld", (long long)published);
		json_object_set_new(exposed, key, json_object());
		json_t *list = json_object_get(bindings, key);
		if (!list)
			json_object_set_new(bindings, key, list = json_array());
		json_array_append_new(list,
				      json_pack("{s:s, s:s}", "HostIp", "", "HostPort", hport));
	}
	if (json_object_size(bindings) && hc) {
		json_object_set_new(body, "ExposedPorts", exposed);
		json_object_set_new(hc, "PortBindings", bindings);
		return;
	}
	json_decref(exposed);
	json_decref(bindings);
}

json_t *task_port_status(json_t *task, json_t *bound)
{
	json_t *ports = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(task, "_ports"), i, p)
	{
		char key[32];
		if (!host_mode(p, key, sizeof(key)))
			continue;
		json_int_t published = json_integer_value(json_object_get(p, "PublishedPort"));
		if (published <= 0)
			published =
			    atoi(jstr(json_array_get(json_object_get(bound, key), 0), "HostPort")
				     ?: "0");
		json_t *pc = json_deep_copy(p);
		json_object_set_new(pc, "PublishedPort", json_integer(published));
		json_array_append_new(ports, pc);
	}
	if (!json_array_size(ports)) {
		json_decref(ports);
		return NULL;
	}
	return json_pack("{s:o}", "Ports", ports);
}
