/* Tasks as containers (see task_container.h). */
#include "swarm/task_container.h"

#include <stdio.h>
#include <string.h>

#include "shared/generic_resources.h"
#include "swarm/services.h"
#include "swarm/task_ports.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void task_container_name(json_t *task, char *buf, size_t len)
{
	swarm_task_name(task, jstr(task, "_service_name") ?: "", buf, len);
}

/* {{.Service.Name}}, {{.Task.Slot}}, {{.Node.Hostname}}... in a hostname. */
static json_t *expand(const char *tmpl, json_t *task, const char *node_id, const char *host)
{
	char out[512] = "", name[256], slot[32];
	task_container_name(task, name, sizeof(name));
	snprintf(slot, sizeof(slot), "%lld",
		 (long long)json_integer_value(json_object_get(task, "Slot")));
	const struct {
		const char *key, *val;
	} vars[] = {{"{{.Service.Name}}", jstr(task, "_service_name")},
		    {"{{.Service.ID}}", jstr(task, "ServiceID")},
		    {"{{.Task.ID}}", jstr(task, "ID")},
		    {"{{.Task.Name}}", name},
		    {"{{.Task.Slot}}", slot},
		    {"{{.Node.ID}}", node_id},
		    {"{{.Node.Hostname}}", host}};
	size_t o = 0;
	for (const char *p = tmpl; *p && o < sizeof(out) - 1;) {
		size_t i;
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if (strncmp(p, vars[i].key, strlen(vars[i].key)) == 0)
				break;
		if (i < sizeof(vars) / sizeof(vars[0])) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", vars[i].val ?: "");
			p += strlen(vars[i].key);
		} else {
			out[o++] = *p++;
		}
	}
	out[o < sizeof(out) ? o : sizeof(out) - 1] = '\0';
	return json_string(out);
}

static void copy(json_t *dst, const char *to, json_t *src, const char *from)
{
	json_t *v = json_object_get(src, from);
	if (v && !json_is_null(v))
		json_object_set(dst, to, v);
}

static const char *network_mode(json_t *spec)
{
	json_t *nets = json_object_get(spec, "Networks");
	const char *t = jstr(json_array_get(nets, 0), "Target");
	return t && *t ? t : "bridge";
}

json_t *task_container_body(json_t *task, const char *node_id, const char *host)
{
	json_t *spec = json_object_get(task, "Spec");
	json_t *cs = json_object_get(spec, "ContainerSpec");
	json_t *body = json_object(), *hc = json_object();
	char name[256];
	task_container_name(task, name, sizeof(name));
	copy(body, "Image", cs, "Image");
	copy(body, "Entrypoint", cs, "Command");
	copy(body, "Cmd", cs, "Args");
	copy(body, "Env", cs, "Env");
	json_t *generic = json_object_get(task, "GenericResources");
	if (json_array_size(generic)) {
		/* A copy: the spec's list is the task's. */
		json_t *env = json_object_get(cs, "Env");
		env = json_is_array(env) ? json_copy(env) : json_array();
		generic_resources_env(generic, env);
		json_object_set_new(body, "Env", env);
	}
	copy(body, "WorkingDir", cs, "Dir");
	copy(body, "User", cs, "User");
	copy(body, "StopSignal", cs, "StopSignal");
	copy(body, "Healthcheck", cs, "Healthcheck");
	copy(body, "Tty", cs, "TTY");
	copy(body, "OpenStdin", cs, "OpenStdin");
	if (jstr(cs, "Hostname"))
		json_object_set_new(body, "Hostname",
				    expand(jstr(cs, "Hostname"), task, node_id, host));
	json_t *grace = json_object_get(cs, "StopGracePeriod");
	if (json_is_integer(grace))
		json_object_set_new(body, "StopTimeout",
				    json_integer(json_integer_value(grace) / 1000000000));
	json_t *labels = json_deep_copy(json_object_get(cs, "Labels"));
	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	json_object_set_new(labels, "com.docker.swarm.node.id", json_string(node_id));
	json_object_set_new(labels, "com.docker.swarm.service.id",
			    json_string(jstr(task, "ServiceID") ?: ""));
	json_object_set_new(labels, "com.docker.swarm.service.name",
			    json_string(jstr(task, "_service_name") ?: ""));
	json_object_set_new(labels, "com.docker.swarm.task", json_string(""));
	json_object_set_new(labels, "com.docker.swarm.task.id", json_string(jstr(task, "ID")));
	json_object_set_new(labels, "com.docker.swarm.task.name", json_string(name));
	json_object_set_new(body, "Labels", labels);
	json_object_set_new(hc, "NetworkMode", json_string(network_mode(spec)));
	copy(hc, "Mounts", cs, "Mounts");
	copy(hc, "Init", cs, "Init");
	copy(hc, "ReadonlyRootfs", cs, "ReadOnly");
	copy(hc, "CapAdd", cs, "CapabilityAdd");
	copy(hc, "CapDrop", cs, "CapabilityDrop");
	copy(hc, "Sysctls", cs, "Sysctls");
	copy(hc, "Ulimits", cs, "Ulimits");
	copy(hc, "GroupAdd", cs, "Groups");
	copy(hc, "Isolation", cs, "Isolation");
	json_t *lim = json_object_get(json_object_get(spec, "Resources"), "Limits");
	copy(hc, "NanoCpus", lim, "NanoCPUs");
	copy(hc, "Memory", lim, "MemoryBytes");
	copy(hc, "PidsLimit", lim, "Pids");
	/* As swarmkit's executor: the spec's log driver, options and all. */
	json_t *ld = json_object_get(spec, "LogDriver");
	if (jstr(ld, "Name")) {
		json_t *opts = json_object_get(ld, "Options");
		json_object_set_new(
		    hc, "LogConfig",
		    json_pack("{s:s,s:o}", "Type", jstr(ld, "Name"), "Config",
			      json_is_object(opts) ? json_deep_copy(opts) : json_object()));
	}
	json_object_set_new(body, "HostConfig", hc);
	task_ports_bind(task, body);
	return body;
}
