/* Legacy links (see container_links.h), as moby's daemon/links builds them. */
#include "engine/container_links.h"
#include "engine/containers_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "engine/container.h"
#include "network/network.h"

static const char *hc_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Legacy links live on the default bridge only: elsewhere the endpoint's
 * Links say what they mean. */
static bool on_default_bridge(struct container *c)
{
	const char *m = hc_str(c->host_config, "NetworkMode");
	return !*m || !strcmp(m, "bridge") || !strcmp(m, "default");
}

#define HOST_AND_LINKS                                                                             \
	"conflicting options: host type networking can't be used with links. This would "          \
	"result in undefined behavior"

int container_links_resolve(struct containers *cs, struct container *c, struct error *err)
{
	json_t *links = json_object_get(c->host_config, "Links");
	if (!json_array_size(links))
		return 0;
	if (!strcmp(hc_str(c->host_config, "NetworkMode"), "host"))
		return error_set(err, -EINVAL, HOST_AND_LINKS);
	if (!on_default_bridge(c))
		return 0;
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(links, i, v)
	{
		const char *s = json_string_value(v);
		const char *colon = s ? strchr(s, ':') : NULL;
		_cleanup_free_ char *name =
		    s ? strndup(s, colon ? (size_t)(colon - s) : strlen(s)) : NULL;
		const char *alias = colon ? colon + 1 : name;
		struct container *child;
		struct error e2 = ERROR_INIT;
		int r = !name || !*name || !*alias
			    ? error_set(&e2, -EINVAL, "invalid link %s", s ? s : "")
			    : containers_lookup(cs, name, &child, &e2);
		if (r == 0 && !strcmp(hc_str(child->host_config, "NetworkMode"), "host"))
			r = error_set(&e2, -EINVAL, HOST_AND_LINKS);
		char *norm = NULL;
		if (r == 0 && asprintf(&norm, "%s:%s/%s", child->name, c->name,
				       alias[0] == '/' ? alias + 1 : alias) < 0)
			r = error_set(&e2, -ENOMEM, "out of memory");
		if (r < 0) {
			/* Not 404: the docker CLI would try to pull the image. */
			r = error_set(err, r == -ENOENT ? -EINVAL : r,
				      "could not get container for %s: %s", name ? name : "",
				      error_msg(&e2));
			error_clear(&e2);
			json_decref(out);
			return r;
		}
		json_array_append_new(out, json_string(norm));
		free(norm);
	}
	json_object_set_new(c->host_config, "Links", out);
	return 0;
}

/* "/child:/parent/alias" -> child's name and the link's path. */
static bool link_split(const char *s, char **ret_child, const char **ret_path)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	if (!colon || colon[1] != '/')
		return false;
	*ret_child = strndup(s, (size_t)(colon - s));
	*ret_path = colon + 1;
	return *ret_child != NULL;
}

struct port {
	int num;
	const char *proto;
};

/* moby's withTCPPriority: tcp first, then by protocol, then by number. */
static int port_cmp(const void *a, const void *b)
{
	const struct port *x = a, *y = b;
	int xt = strcmp(x->proto, "tcp") == 0, yt = strcmp(y->proto, "tcp") == 0;
	if (strcmp(x->proto, y->proto) != 0)
		return xt ? -1 : yt ? 1 : strcmp(x->proto, y->proto);
	return x->num - y->num;
}

static void env_add(json_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_add(json_t *env, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) >= 0)
		json_array_append_new(env, json_string(s));
	va_end(ap);
	free(s);
}

/* The ALIAS_PORT* variables, ranges of consecutive ports included. */
static void port_env(json_t *env, const char *A, const char *ip, json_t *exposed)
{
	size_t n = json_object_size(exposed), k = 0;
	_cleanup_free_ struct port *ps = calloc(n + 1, sizeof(*ps));
	const char *key;
	json_t *v;
	json_object_foreach(exposed, key, v)
	{
		const char *slash = strchr(key, '/');
		if (ps && atoi(key) > 0)
			ps[k++] = (struct port){atoi(key), slash ? slash + 1 : "tcp"};
	}
	if (!ps)
		return;
	qsort(ps, k, sizeof(*ps), port_cmp);
	struct port start = {0}, end = {0};
	for (size_t i = 0; i < k; i++) {
		struct port p = ps[i];
		char up[16];
		snprintf(up, sizeof(up), "%s", p.proto);
		for (char *q = up; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		if (i == 0) {
			start = end = p;
			env_add(env, "%s_PORT=%s://%s:%d", A, p.proto, ip, p.num);
		}
		env_add(env, "%s_PORT_%d_%s=%s://%s:%d", A, p.num, up, p.proto, ip, p.num);
		env_add(env, "%s_PORT_%d_%s_ADDR=%s", A, p.num, up, ip);
		env_add(env, "%s_PORT_%d_%s_PORT=%d", A, p.num, up, p.num);
		env_add(env, "%s_PORT_%d_%s_PROTO=%s", A, p.num, up, p.proto);
		if (p.num == end.num + 1 && !strcmp(p.proto, end.proto)) {
			end = p;
			if (i < k - 1)
				continue;
		}
		if (end.num != start.num || strcmp(end.proto, start.proto) != 0) {
			snprintf(up, sizeof(up), "%s", start.proto);
			for (char *q = up; *q; q++)
				*q = (char)toupper((unsigned char)*q);
			env_add(env, "%s_PORT_%d_%s_START=%s://%s:%d", A, start.num, up,
				start.proto, ip, start.num);
			env_add(env, "%s_PORT_%d_%s_PORT_START=%d", A, start.num, up, start.num);
			env_add(env, "%s_PORT_%d_%s_END=%s://%s:%d", A, start.num, up, end.proto,
				ip, end.num);
			env_add(env, "%s_PORT_%d_%s_PORT_END=%d", A, start.num, up, end.num);
		}
		start = end = p;
	}
}

/* moby's Link.ToEnv for one link. */
static void link_env(json_t *env, const char *path, const char *ip, struct container *child)
{
	const char *last = strrchr(path, '/');
	_cleanup_free_ char *A = strdup(last ? last + 1 : path);
	if (!A)
		return;
	for (char *q = A; *q; q++)
		*q = *q == '-' ? '_' : (char)toupper((unsigned char)*q);
	port_env(env, A, ip, json_object_get(child->config, "ExposedPorts"));
	env_add(env, "%s_NAME=%s", A, path);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(child->config, "Env"), i, v)
	{
		const char *s = json_string_value(v), *eq = s ? strchr(s, '=') : NULL;
		if (!eq || !strncmp(s, "HOME=", 5) || !strncmp(s, "PATH=", 5))
			continue;
		env_add(env, "%s_ENV_%.*s=%s", A, (int)(eq - s), s, eq + 1);
	}
}

int container_links_collect(struct containers *cs, struct container *c, json_t **ret_env,
			    char **ret_hosts, struct error *err)
{
	struct net_container nc;
	json_t *env = json_array();
	char *hosts = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&hosts, &hl);
	int r = f ? 0 : error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *v;
	json_array_foreach(on_default_bridge(c) ? json_object_get(c->host_config, "Links") : NULL,
			   i, v)
	{
		_cleanup_free_ char *cname = NULL;
		const char *path;
		struct container *child = NULL;
		if (r < 0 || !link_split(json_string_value(v), &cname, &path))
			continue;
		struct error e2 = ERROR_INIT;
		if (containers_lookup(cs, cname, &child, &e2) < 0 ||
		    child->state != CONTAINER_RUNNING) {
			error_clear(&e2);
			r = error_set(err, -EINVAL,
				      "Cannot link to a non running container: %s AS %s", cname,
				      path);
			break;
		}
		json_t *ns = network_container_settings(cs->networks, container_net(child, &nc));
		const char *ip = hc_str(ns, "IPAddress");
		if (*ip) {
			link_env(env, path, ip, child);
			const char *alias = strrchr(path, '/') + 1;
			fprintf(f, "%s\t%s %s", ip, alias, hc_str(child->config, "Hostname"));
			if (strcmp(alias, child->name + 1) != 0)
				fprintf(f, " %s", child->name + 1);
			fputc('\n', f);
		}
		json_decref(ns);
	}
	if (f)
		fclose(f);
	if (r < 0) {
		json_decref(env);
		free(hosts);
		return r;
	}
	*ret_env = env;
	*ret_hosts = hosts;
	return 0;
}

int container_link_remove(struct containers *cs, const char *parent, const char *alias,
			  struct error *err)
{
	struct container *p;
	struct error e2 = ERROR_INIT;
	int r = containers_lookup(cs, parent, &p, &e2);
	error_clear(&e2);
	json_t *links = r == 0 ? json_object_get(p->host_config, "Links") : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(links, i, v)
	{
		_cleanup_free_ char *cname = NULL;
		const char *path, *s = json_string_value(v);
		if (!link_split(s, &cname, &path) || strcmp(strrchr(path, '/') + 1, alias) != 0)
			continue;
		json_array_remove(links, i);
		return container_save(cs, p, err);
	}
	return error_set(err, -ENOENT, "No such container: %s/%s", parent, alias);
}
