/* `berth service update`: docker's flags turned into changes of the
 * service's current spec (GET, change, POST with its version), then the
 * progress until the service converges unless --detach. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/query.h"
#include "cli/registry_auth.h"
#include "cli/service_image.h"
#include "cli/run_opts.h"
#include "cli/service_progress.h"
#include "cli/service_opts.h"
#include "cli/service_refs.h"
#include "image/changes.h"

struct update_opts {
	const char *image, *replicas, *grace;
	const char *hostname, *user, *workdir, *stop_signal, *endpoint_mode, *log_driver, *args,
	    *entrypoint, *max_per_node, *isolation;
	const char *max_concurrent; /* taken and left unused, as docker's update does */
	const char *restart_cond, *restart_delay, *restart_max, *restart_window;
	struct cli_strv env_add, env_rm, label_add, label_rm, clabel_add, clabel_rm, secret_add,
	    secret_rm, config_add, config_rm, constraint_add, constraint_rm, mount_add, mount_rm,
	    publish_add, publish_rm, network_add, network_rm;
	struct cli_strv group_add, group_rm, dns_add, dns_rm, dns_option_add, dns_option_rm,
	    dns_search_add, dns_search_rm, host_add, host_rm, pref_add, pref_rm, log_opts, cap_add,
	    cap_drop, sysctl_add, sysctl_rm, ulimit_add, ulimit_rm, generic_add, generic_rm;
	struct service_update_flags update, rollback;
	struct service_resource_flags res;
	struct service_health_flags health;
	enum cli_opt_bool tty, read_only, init;
	bool force, detach, quiet, do_rollback, registry_auth, no_resolve_image;
};

static json_t *child(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_object(v))
		json_object_set_new(o, k, v = json_object());
	return v;
}

static json_t *child_array(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_array(v))
		json_object_set_new(o, k, v = json_array());
	return v;
}

/* The part of "k=v" (or "k") before '=' equals key. */
static bool key_is(const char *kv, const char *key)
{
	size_t n = strcspn(kv, "=");
	return strlen(key) == n && strncmp(kv, key, n) == 0;
}

/* --env-rm K then --env-add K=V: entries of list whose key is given go. */
static void list_remove_keys(json_t *list, const struct cli_strv *keys, bool by_key)
{
	for (size_t i = 0; i < json_array_size(list);) {
		const char *e = json_string_value(json_array_get(list, i)) ?: "";
		bool gone = false;
		for (size_t k = 0; k < keys->n && !gone; k++)
			gone = by_key ? key_is(e, keys->v[k]) : strcmp(e, keys->v[k]) == 0;
		if (gone)
			json_array_remove(list, i);
		else
			i++;
	}
}

static void env_update(json_t *cs, const struct update_opts *o)
{
	json_t *env = child_array(cs, "Env");
	list_remove_keys(env, &o->env_rm, true);
	for (size_t i = 0; i < o->env_add.n; i++) {
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(o->env_add.v[i], "="),
			 o->env_add.v[i]);
		struct cli_strv one = {.v = (const char *[]){key}, .n = 1};
		list_remove_keys(env, &one, true);
		json_array_append_new(env, json_string(o->env_add.v[i]));
	}
}

static void labels_update(json_t *labels, const struct cli_strv *add, const struct cli_strv *rm)
{
	for (size_t i = 0; i < rm->n; i++)
		json_object_del(labels, rm->v[i]);
	for (size_t i = 0; i < add->n; i++) {
		const char *eq = strchr(add->v[i], '=');
		_cleanup_free_ char *k =
		    eq ? strndup(add->v[i], (size_t)(eq - add->v[i])) : strdup(add->v[i]);
		if (k)
			json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
}

/* --secret-rm/--config-rm name a secret by name or ID; --*-add appends. */
static int refs_update(const struct cli *cli, json_t *cs, bool secret, const struct cli_strv *add,
		       const struct cli_strv *rm, struct error *err)
{
	if (!add->n && !rm->n)
		return 0;
	json_t *refs = child_array(cs, secret ? "Secrets" : "Configs");
	const char *name_key = secret ? "SecretName" : "ConfigName";
	const char *id_key = secret ? "SecretID" : "ConfigID";
	for (size_t i = 0; i < json_array_size(refs);) {
		json_t *ref = json_array_get(refs, i);
		bool gone = false;
		for (size_t k = 0; k < rm->n && !gone; k++)
			gone = strcmp(json_string_value(json_object_get(ref, name_key)) ?: "",
				      rm->v[k]) == 0 ||
			       strcmp(json_string_value(json_object_get(ref, id_key)) ?: "",
				      rm->v[k]) == 0;
		if (gone)
			json_array_remove(refs, i);
		else
			i++;
	}
	if (!add->n)
		return 0;
	_cleanup_(cli_json_decrefp) json_t *added = NULL;
	int r = service_refs_parse(secret, add, &added, err);
	if (r == 0)
		r = service_refs_resolve(cli, secret, added, err);
	if (r == 0)
		json_array_extend(refs, added);
	return r;
}

static const char *mount_str(json_t *m, const char *k)
{
	return json_string_value(json_object_get(m, k)) ?: "";
}

static int cmp_mounts(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(mount_str(x, "Source"), mount_str(y, "Source"));
	return c ? c : strcmp(mount_str(x, "Target"), mount_str(y, "Target"));
}

/* docker's updateMounts: added mounts replace those of the same target,
 * --mount-rm drops targets, and the list comes out sorted by source, then
 * target. */
static int mounts_update(json_t *cs, const struct update_opts *o, struct error *err)
{
	if (!o->mount_add.n && !o->mount_rm.n)
		return 0;
	_cleanup_(cli_json_decrefp) json_t *by_target = json_object();
	for (size_t i = 0; i < o->mount_add.n; i++) {
		json_t *m;
		int r = cli_parse_mount(o->mount_add.v[i], &m, err);
		if (r < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--mount-add\" flag",
					  o->mount_add.v[i]);
		if (json_object_get(by_target, mount_str(m, "Target"))) {
			json_decref(m);
			return error_set(err, -EINVAL, "duplicate mount target");
		}
		json_object_set_new(by_target, mount_str(m, "Target"), m);
	}
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(cs, "Mounts"), i, m)
	{
		if (!json_object_get(by_target, mount_str(m, "Target")))
			json_object_set(by_target, mount_str(m, "Target"), m);
	}
	for (size_t k = 0; k < o->mount_rm.n; k++)
		json_object_del(by_target, o->mount_rm.v[k]);
	size_t n = json_object_size(by_target), at = 0;
	_cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	const char *target;
	json_object_foreach(by_target, target, m) v[at++] = m;
	qsort(v, n, sizeof(*v), cmp_mounts);
	if (!n) { /* none left: no field, as docker's omitempty */
		json_object_del(cs, "Mounts");
		return 0;
	}
	json_t *list = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append(list, v[k]);
	json_object_set_new(cs, "Mounts", list);
	return 0;
}

/* docker's portConfigToString: the key ports are told apart and sorted by. */
static char *port_key(json_t *p)
{
	char *k = NULL;
	if (asprintf(&k, "%lld:%lld/%s/%s",
		     (long long)json_integer_value(json_object_get(p, "PublishedPort")),
		     (long long)json_integer_value(json_object_get(p, "TargetPort")),
		     json_string_value(json_object_get(p, "Protocol")) ?: "",
		     json_string_value(json_object_get(p, "PublishMode")) ?: "") < 0)
		return NULL;
	return k;
}

static bool same_or_default(json_t *a, json_t *b, const char *key, const char *dflt)
{
	const char *x = json_string_value(json_object_get(a, key)) ?: "";
	const char *y = json_string_value(json_object_get(b, key)) ?: "";
	return strcmp(x, y) == 0 || (!*x && strcmp(y, dflt) == 0) || (!*y && strcmp(x, dflt) == 0);
}

static int cmp_port_keys(const void *a, const void *b)
{
	_cleanup_free_ char *x = port_key(*(json_t *const *)a);
	_cleanup_free_ char *y = port_key(*(json_t *const *)b);
	return strcmp(x ? x : "", y ? y : "");
}

/* docker's updatePorts: --publish-rm drops the ports of that target port,
 * protocol and mode; --publish-add adds ports not there yet; the list is
 * sorted by "published:target/protocol/mode". */
static int ports_update(json_t *spec, const struct update_opts *o, struct error *err)
{
	if (!o->publish_add.n && !o->publish_rm.n)
		return 0;
	_cleanup_(cli_json_decrefp) json_t *rm = json_array(), *add = json_array(),
					   *set = json_object(), *out = json_array();
	for (size_t i = 0; i < o->publish_rm.n; i++)
		if (service_opts_publish(o->publish_rm.v[i], rm, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--publish-rm\" flag",
					  o->publish_rm.v[i]);
	for (size_t i = 0; i < o->publish_add.n; i++)
		if (service_opts_publish(o->publish_add.v[i], add, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--publish-add\" flag",
					  o->publish_add.v[i]);
	json_t *ep = child(spec, "EndpointSpec");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(ep, "Ports"), i, p)
	{
		_cleanup_free_ char *k = port_key(p);
		if (!k || json_object_get(set, k))
			continue;
		json_object_set(set, k, p);
		bool gone = false;
		size_t j;
		json_t *r;
		json_array_foreach(rm, j, r) gone =
		    gone || (same_or_default(p, r, "Protocol", "tcp") &&
			     json_integer_value(json_object_get(p, "TargetPort")) ==
				 json_integer_value(json_object_get(r, "TargetPort")) &&
			     same_or_default(p, r, "PublishMode", "ingress"));
		if (!gone)
			json_array_append(out, p);
	}
	json_array_foreach(add, i, p)
	{
		_cleanup_free_ char *k = port_key(p);
		if (k && !json_object_get(set, k))
			json_array_append(out, p);
	}
	size_t n = json_array_size(out);
	_cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		v[i] = json_array_get(out, i);
	qsort(v, n, sizeof(*v), cmp_port_keys);
	json_t *ports = json_array();
	for (i = 0; i < n; i++)
		json_array_append(ports, v[i]);
	json_object_set_new(ep, "Ports", ports);
	return 0;
}

/* A network's ID by name or ID, as the CLI's NetworkInspect (swarm scope). */
static int network_id(const struct cli *cli, const char *ref, char **ret, struct error *err)
{
	_cleanup_free_ char *p = query_path("/networks/%s", ref);
	struct query q = {0};
	_cleanup_(cli_json_decrefp) json_t *net = NULL;
	int r = p ? query_add(&q, "scope", "swarm") : error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = cli_call(cli, "GET", p, &q, NULL, &net, err);
	query_done(&q);
	if (r < 0)
		return r;
	const char *id = json_string_value(json_object_get(net, "Id"));
	*ret = strdup(id ? id : ref);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

static int cmp_targets(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Target")) ?: "",
		      json_string_value(json_object_get(*(json_t *const *)b, "Target")) ?: "");
}

static bool has_target(json_t *nets, const char *id)
{
	size_t i;
	json_t *n;
	json_array_foreach(nets, i, n)
	{
		if (strcmp(json_string_value(json_object_get(n, "Target")) ?: "", id) == 0)
			return true;
	}
	return false;
}

/* docker's updateNetworks: by ID; the deprecated Spec.Networks moves into
 * the task template; the list is sorted by target. */
static int networks_update(const struct cli *cli, json_t *spec, const struct update_opts *o,
			   struct error *err)
{
	if (!o->network_add.n && !o->network_rm.n)
		return 0;
	json_t *tt = child(spec, "TaskTemplate");
	_cleanup_(cli_json_decrefp) json_t *cur =
	    json_array_size(json_object_get(tt, "Networks"))
		? json_incref(json_object_get(tt, "Networks"))
		: json_incref(json_object_get(spec, "Networks"));
	json_object_del(spec, "Networks");
	_cleanup_(cli_json_decrefp) json_t *rm_ids = json_object(), *out = json_array();
	for (size_t i = 0; i < o->network_rm.n; i++) {
		_cleanup_free_ char *id = NULL;
		int r = network_id(cli, o->network_rm.v[i], &id, err);
		if (r < 0)
			return r;
		json_object_set_new(rm_ids, id, json_true());
	}
	size_t i;
	json_t *n;
	json_array_foreach(cur, i, n)
	{
		if (!json_object_get(rm_ids, json_string_value(json_object_get(n, "Target")) ?: ""))
			json_array_append(out, n);
	}
	for (size_t k = 0; k < o->network_add.n; k++) {
		json_t *att;
		_cleanup_free_ char *id = NULL;
		int r = service_opts_network(o->network_add.v[k], &att, err);
		if (r < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--network-add\" flag",
					  o->network_add.v[k]);
		r = network_id(cli, json_string_value(json_object_get(att, "Target")), &id, err);
		if (r == 0 && has_target(out, id))
			r = error_set(err, -EINVAL, "service is already attached to network %s",
				      json_string_value(json_object_get(att, "Target")));
		if (r < 0) {
			json_decref(att);
			return r;
		}
		json_object_set_new(att, "Target", json_string(id));
		json_array_append_new(out, att);
	}
	size_t cnt = json_array_size(out);
	_cleanup_free_ json_t **v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++)
		v[i] = json_array_get(out, i);
	qsort(v, cnt, sizeof(*v), cmp_targets);
	json_t *nets = json_array();
	for (i = 0; i < cnt; i++)
		json_array_append(nets, v[i]);
	json_object_set_new(tt, "Networks", nets);
	return 0;
}

static bool has_string(json_t *list, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		if (strcmp(json_string_value(v) ?: "", s) == 0)
			return true;
	}
	return false;
}

static bool listed(const struct cli_strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* docker's updateGroups and updateDNSConfig: add, drop duplicates (DNS
 * only), remove, sort; an empty result is no field. */
static void strings_update(json_t *o, const char *key, const struct cli_strv *add,
			   const struct cli_strv *rm, bool dedup)
{
	json_t *cur = json_object_get(o, key);
	_cleanup_(cli_json_decrefp) json_t *all =
	    json_is_array(cur) ? json_copy(cur) : json_array();
	for (size_t i = 0; i < add->n; i++)
		json_array_append_new(all, json_string(add->v[i]));
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(all, i, v)
	{
		const char *s = json_string_value(v) ?: "";
		bool seen = dedup && has_string(out, s);
		if (!seen && !listed(rm, s))
			json_array_append(out, v);
	}
	service_opts_sort_strings(out);
	service_opts_set_or_drop(o, key, out);
}

/* docker's updateHosts: "host:ip" added as "ip host", --host-rm by host. */
static void hosts_update(json_t *cs, const struct update_opts *o)
{
	_cleanup_(cli_json_decrefp) json_t *add = json_array();
	for (size_t i = 0; i < o->host_add.n; i++) {
		const char *c = strchr(o->host_add.v[i], ':');
		if (c)
			json_array_append_new(add, json_sprintf("%s %.*s", c + 1,
								(int)(c - o->host_add.v[i]),
								o->host_add.v[i]));
	}
	json_t *hosts = child_array(cs, "Hosts");
	json_array_extend(hosts, add);
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(hosts, i, v)
	{
		const char *e = json_string_value(v) ?: "";
		bool dup = has_string(out, e);
		const char *sp = strchr(e, ' ');
		char host[256] = "";
		if (sp)
			snprintf(host, sizeof(host), "%.*s", (int)strcspn(sp + 1, " "), sp + 1);
		bool gone = false;
		for (size_t k = 0; k < o->host_rm.n && *host && !gone; k++)
			gone = strncmp(o->host_rm.v[k], host, strlen(host)) == 0 &&
			       (o->host_rm.v[k][strlen(host)] == ':' ||
				!o->host_rm.v[k][strlen(host)]);
		if (!dup && !gone)
			json_array_append(out, v);
	}
	service_opts_sort_strings(out);
	service_opts_set_or_drop(cs, "Hosts", out);
}

/* docker's updatePlacementPreferences: --placement-pref-rm by spread
 * descriptor, then the added ones. */
static int prefs_update(json_t *tt, const struct update_opts *o, struct error *err)
{
	json_t *placement = child(tt, "Placement");
	json_t *cur = json_object_get(placement, "Preferences");
	json_t *out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(cur, i, p)
	{
		const char *have = json_string_value(
		    json_object_get(json_object_get(p, "Spread"), "SpreadDescriptor"));
		bool gone = false;
		for (size_t k = 0; k < o->pref_rm.n && have && !gone; k++)
			gone = strncmp(o->pref_rm.v[k], "spread=", 7) == 0 &&
			       strcmp(o->pref_rm.v[k] + 7, have) == 0;
		if (!gone)
			json_array_append(out, p);
	}
	for (size_t k = 0; k < o->pref_add.n; k++) {
		json_t *pref;
		if (service_opts_placement_pref(o->pref_add.v[k], &pref, err) < 0) {
			json_decref(out);
			return error_wrap(
			    err, "invalid argument \"%s\" for \"--placement-pref-add\" flag",
			    o->pref_add.v[k]);
		}
		json_array_append_new(out, pref);
	}
	service_opts_set_or_drop(placement, "Preferences", out);
	return 0;
}

/* docker's defaultRestartPolicy, then the flags given. */
static const char *generic_kind(json_t *res)
{
	return json_string_value(
	    json_object_get(json_object_get(res, "DiscreteResourceSpec"), "Kind"));
}

/* docker's addGenericResources and removeGenericResources: counts by kind,
 * a kind added again replaces the count. */
static int generic_update(json_t *tt, const struct update_opts *o, struct error *err)
{
	if (!o->generic_add.n && !o->generic_rm.n)
		return 0;
	json_t *rsv = child(child(tt, "Resources"), "Reservations");
	json_t *list = child_array(rsv, "GenericResources");
	size_t i;
	json_t *res;
	json_array_foreach(list, i, res)
	{
		if (!generic_kind(res))
			return error_set(err, -EINVAL, "invalid generic-resource for service task");
	}
	_cleanup_(cli_json_decrefp) json_t *add = NULL;
	int r = o->generic_add.n
		    ? service_opts_generic_resources(o->generic_add.v, o->generic_add.n,
						     "generic-resource-add", &add, err)
		    : 0;
	if (r < 0)
		return r;
	json_t *a;
	json_array_foreach(add, i, a)
	{
		size_t j;
		json_array_foreach(list, j, res)
		{
			if (strcmp(generic_kind(res), generic_kind(a)) == 0)
				break;
		}
		if (j < json_array_size(list))
			json_array_set(list, j, a);
		else
			json_array_append(list, a);
	}
	for (size_t k = 0; k < o->generic_rm.n; k++) {
		size_t j;
		json_array_foreach(list, j, res)
		{
			if (strcmp(generic_kind(res), o->generic_rm.v[k]) == 0)
				break;
		}
		if (j == json_array_size(list))
			return error_set(err, -EINVAL,
					 "could not find generic-resource `%s` to remove it",
					 o->generic_rm.v[k]);
		json_array_remove(list, j);
	}
	if (!json_array_size(list))
		json_object_del(rsv, "GenericResources");
	return 0;
}

static int restart_update(json_t *tt, const struct update_opts *o, struct error *err)
{
	if (!o->restart_cond && !o->restart_delay && !o->restart_max && !o->restart_window)
		return 0;
	json_t *rp = json_object_get(tt, "RestartPolicy");
	if (!json_is_object(rp)) {
		rp = json_pack("{s:s, s:I, s:i, s:i}", "Condition", "any", "Delay",
			       (json_int_t)5000000000, "MaxAttempts", 0, "Window", 0);
		json_object_set_new(tt, "RestartPolicy", rp);
	}
	if (o->restart_cond)
		json_object_set_new(rp, "Condition", json_string(o->restart_cond));
	if (o->restart_max) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(o->restart_max, &end, 10);
		if (!*o->restart_max || *end || errno || *o->restart_max == '-')
			return error_set(err, -EINVAL,
					 "invalid argument \"%s\" for \"--restart-max-attempts\" "
					 "flag: strconv.ParseUint: parsing \"%s\": invalid syntax",
					 o->restart_max, o->restart_max);
		json_object_set_new(rp, "MaxAttempts", json_integer((json_int_t)n));
	}
	int r = cli_duration_into(o->restart_delay, "restart-delay", rp, "Delay", err);
	if (r == 0)
		r = cli_duration_into(o->restart_window, "restart-window", rp, "Window", err);
	return r;
}

/* --args and --entrypoint: shell words, as docker's ShlexOpt. */
static int words_update(json_t *cs, const char *key, const char *flag, const char *v,
			struct error *err)
{
	if (!v)
		return 0;
	json_t *words = changes_split_words(v);
	if (!words)
		return error_set(err, -EINVAL,
				 "invalid argument \"%s\" for \"--%s\" flag: EOF found when "
				 "expecting closing quote",
				 v, flag);
	service_opts_set_or_drop(cs, key, words);
	return 0;
}

/* A boolean flag given: false is no field, as docker's omitempty, except
 * Init, a pointer in docker's ContainerSpec. */
static void bool_update(json_t *o, const char *key, enum cli_opt_bool v, bool keep_false)
{
	if (v == CLI_OPT_TRUE || (v == CLI_OPT_FALSE && keep_false))
		json_object_set_new(o, key, json_boolean(v == CLI_OPT_TRUE));
	else if (v == CLI_OPT_FALSE)
		json_object_del(o, key);
}

static void string_update(json_t *o, const char *key, const char *v)
{
	if (!v)
		return;
	if (*v)
		json_object_set_new(o, key, json_string(v));
	else
		json_object_del(o, key);
}

/* The capabilities of list and flags as a set; *reset when RESET is among
 * the flags. */
static json_t *cap_set(json_t *list, const struct cli_strv *flags, bool *reset)
{
	json_t *set = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	    json_object_set_new(set, json_string_value(v) ?: "", json_true());
	for (size_t k = 0; flags && k < flags->n; k++) {
		if (strcasecmp(flags->v[k], "RESET") == 0) {
			*reset = true;
			continue;
		}
		_cleanup_free_ char *c = cli_normalize_cap(flags->v[k]);
		if (c)
			json_object_set_new(set, c, json_true());
	}
	return set;
}

/* A capability set as docker's capsList: ALL alone, else sorted; none is
 * no field. */
static void set_caps(json_t *cs, const char *key, json_t *set)
{
	json_t *list = json_array();
	const char *c;
	json_t *v;
	if (json_object_get(set, "ALL"))
		json_array_append_new(list, json_string("ALL"));
	else
		json_object_foreach(set, c, v) json_array_append_new(list, json_string(c));
	service_opts_sort_strings(list);
	service_opts_set_or_drop(cs, key, list);
}

/* docker's updateCapabilities: dropping one that was added removes it
 * from the added (and the other way round); adding wins over dropping;
 * RESET empties the service's list first. */
static void caps_update(json_t *cs, const struct update_opts *o)
{
	bool reset_add = false, reset_drop = false, unused = false;
	_cleanup_(cli_json_decrefp) json_t *add_new = cap_set(NULL, &o->cap_add, &reset_add);
	_cleanup_(cli_json_decrefp) json_t *drop_new = cap_set(NULL, &o->cap_drop, &reset_drop);
	_cleanup_(cli_json_decrefp) json_t *cap_add =
	    reset_add ? json_object()
		      : cap_set(json_object_get(cs, "CapabilityAdd"), NULL, &unused);
	_cleanup_(cli_json_decrefp) json_t *cap_drop =
	    reset_drop ? json_object()
		       : cap_set(json_object_get(cs, "CapabilityDrop"), NULL, &unused);
	const char *c;
	json_t *v;
	json_object_foreach(drop_new, c, v)
	{
		if (json_object_get(add_new, c))
			continue;
		if (json_object_get(cap_add, c))
			json_object_del(cap_add, c);
		else
			json_object_set_new(cap_drop, c, json_true());
	}
	json_object_foreach(add_new, c, v)
	{
		if (json_object_get(cap_drop, c))
			json_object_del(cap_drop, c);
		else
			json_object_set_new(cap_add, c, json_true());
	}
	set_caps(cs, "CapabilityDrop", cap_drop);
	set_caps(cs, "CapabilityAdd", cap_add);
}

/* docker's updateSysCtls: removed by key, then added. */
static void sysctls_update(json_t *cs, const struct update_opts *o)
{
	json_t *m = json_object_get(cs, "Sysctls");
	for (size_t i = 0; json_is_object(m) && i < o->sysctl_rm.n; i++) {
		_cleanup_free_ char *k =
		    strndup(o->sysctl_rm.v[i], strcspn(o->sysctl_rm.v[i], "="));
		if (k)
			json_object_del(m, k);
	}
	if (o->sysctl_add.n)
		labels_update(child(cs, "Sysctls"), &o->sysctl_add, &(struct cli_strv){0});
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")) ?: "",
		      json_string_value(json_object_get(*(json_t *const *)b, "Name")) ?: "");
}

/* docker's updateUlimits: by name, removed then added, sorted by name. */
static int ulimits_update(json_t *cs, const struct update_opts *o, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *by_name = json_object();
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(cs, "Ulimits"), i, u)
	    json_object_set(by_name, json_string_value(json_object_get(u, "Name")) ?: "", u);
	for (size_t k = 0; k < o->ulimit_rm.n; k++) {
		_cleanup_free_ char *name =
		    strndup(o->ulimit_rm.v[k], strcspn(o->ulimit_rm.v[k], "="));
		if (name)
			json_object_del(by_name, name);
	}
	for (size_t k = 0; k < o->ulimit_add.n; k++) {
		if (cli_parse_ulimit(o->ulimit_add.v[k], &u, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--ulimit-add\" flag",
					  o->ulimit_add.v[k]);
		json_object_set_new(by_name, json_string_value(json_object_get(u, "Name")) ?: "",
				    u);
	}
	size_t n = json_object_size(by_name), at = 0;
	if (!n) {
		json_object_del(cs, "Ulimits");
		return 0;
	}
	_cleanup_free_ json_t **v = calloc(n, sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	const char *name;
	json_object_foreach(by_name, name, u) v[at++] = u;
	qsort(v, n, sizeof(*v), cmp_names);
	json_t *list = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append(list, v[k]);
	json_object_set_new(cs, "Ulimits", list);
	return 0;
}

/* --replicas-max-per-node: Placement.MaxReplicas, 0 none. */
static int max_per_node_update(json_t *tt, const char *s, struct error *err)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		return error_set(err, -EINVAL,
				 "invalid argument \"%s\" for \"--replicas-max-per-node\" flag: "
				 "strconv.ParseUint: parsing \"%s\": invalid syntax",
				 s, s);
	json_t *placement = child(tt, "Placement");
	if (n)
		json_object_set_new(placement, "MaxReplicas", json_integer((json_int_t)n));
	else
		json_object_del(placement, "MaxReplicas");
	return 0;
}

/* The flags docker's updateService applies as plain values. */
static int scalars_update(json_t *spec, json_t *tt, json_t *cs, const struct update_opts *o,
			  struct error *err)
{
	string_update(cs, "Hostname", o->hostname);
	string_update(cs, "User", o->user);
	string_update(cs, "Dir", o->workdir);
	string_update(cs, "StopSignal", o->stop_signal);
	bool_update(cs, "TTY", o->tty, false);
	bool_update(cs, "ReadOnly", o->read_only, false);
	bool_update(cs, "Init", o->init, true);
	if (o->endpoint_mode)
		json_object_set_new(child(spec, "EndpointSpec"), "Mode",
				    json_string(o->endpoint_mode));
	if (o->log_driver && *o->log_driver) {
		json_t *opts = json_object();
		for (size_t i = 0; i < o->log_opts.n; i++) {
			const char *eq = strchr(o->log_opts.v[i], '=');
			_cleanup_free_ char *k =
			    eq ? strndup(o->log_opts.v[i], (size_t)(eq - o->log_opts.v[i]))
			       : strdup(o->log_opts.v[i]);
			if (k)
				json_object_set_new(opts, k, json_string(eq ? eq + 1 : ""));
		}
		json_object_set_new(
		    tt, "LogDriver",
		    json_pack("{s:s, s:o}", "Name", o->log_driver, "Options", opts));
	}
	int r = words_update(cs, "Args", "args", o->args, err);
	if (r == 0)
		r = words_update(cs, "Command", "entrypoint", o->entrypoint, err);
	if (r == 0)
		r = restart_update(tt, o, err);
	if (r == 0 && (o->pref_add.n || o->pref_rm.n))
		r = prefs_update(tt, o, err);
	if (o->group_add.n || o->group_rm.n)
		strings_update(cs, "Groups", &o->group_add, &o->group_rm, false);
	if (o->dns_add.n || o->dns_rm.n || o->dns_option_add.n || o->dns_option_rm.n ||
	    o->dns_search_add.n || o->dns_search_rm.n) {
		json_t *dns = child(cs, "DNSConfig");
		strings_update(dns, "Nameservers", &o->dns_add, &o->dns_rm, true);
		strings_update(dns, "Search", &o->dns_search_add, &o->dns_search_rm, true);
		strings_update(dns, "Options", &o->dns_option_add, &o->dns_option_rm, true);
	}
	if (o->host_add.n || o->host_rm.n)
		hosts_update(cs, o);
	if (o->cap_add.n || o->cap_drop.n)
		caps_update(cs, o);
	if (o->sysctl_add.n || o->sysctl_rm.n)
		sysctls_update(cs, o);
	if (r == 0 && (o->ulimit_add.n || o->ulimit_rm.n))
		r = ulimits_update(cs, o, err);
	string_update(cs, "Isolation", o->isolation);
	if (r == 0 && o->max_per_node)
		r = max_per_node_update(tt, o->max_per_node, err);
	return r;
}

static int apply(const struct cli *cli, json_t *spec, const struct update_opts *o,
		 struct error *err)
{
	json_t *tt = child(spec, "TaskTemplate"), *cs = child(tt, "ContainerSpec");
	if (o->image)
		json_object_set_new(cs, "Image", json_string(o->image));
	if (o->force)
		json_object_set_new(
		    tt, "ForceUpdate",
		    json_integer(json_integer_value(json_object_get(tt, "ForceUpdate")) + 1));
	if (o->replicas) {
		json_t *rep = json_object_get(json_object_get(spec, "Mode"), "Replicated");
		if (!rep)
			return error_set(err, -EINVAL,
					 "replicas can only be used with replicated or "
					 "replicated-job mode");
		json_object_set_new(rep, "Replicas", json_integer(strtoll(o->replicas, NULL, 10)));
	}
	/* As docker's updateService, only what a flag names is touched (no
	 * empty lists appear). */
	if (o->env_add.n || o->env_rm.n)
		env_update(cs, o);
	if (o->label_add.n || o->label_rm.n)
		labels_update(child(spec, "Labels"), &o->label_add, &o->label_rm);
	if (o->clabel_add.n || o->clabel_rm.n)
		labels_update(child(cs, "Labels"), &o->clabel_add, &o->clabel_rm);
	if (o->constraint_add.n || o->constraint_rm.n) {
		json_t *cons = child_array(child(tt, "Placement"), "Constraints");
		list_remove_keys(cons, &o->constraint_rm, false);
		for (size_t i = 0; i < o->constraint_add.n; i++)
			json_array_append_new(cons, json_string(o->constraint_add.v[i]));
	}
	int r = cli_duration_into(o->grace, "stop-grace-period", cs, "StopGracePeriod", err);
	if (r == 0)
		r = scalars_update(spec, tt, cs, o, err);
	if (r == 0)
		r = refs_update(cli, cs, true, &o->secret_add, &o->secret_rm, err);
	if (r == 0)
		r = refs_update(cli, cs, false, &o->config_add, &o->config_rm, err);
	if (r == 0)
		r = service_opts_update_config(spec, &o->update, "update", err);
	if (r == 0)
		r = service_opts_update_config(spec, &o->rollback, "rollback", err);
	if (r == 0)
		r = service_opts_resources(tt, &o->res, err);
	if (r == 0)
		r = generic_update(tt, o, err);
	if (r == 0)
		r = service_opts_health(cs, &o->health, err);
	if (r == 0)
		r = mounts_update(cs, o, err);
	if (r == 0)
		r = ports_update(spec, o, err);
	if (r == 0)
		r = networks_update(cli, spec, o, err);
	return r;
}

/* As docker: new credentials with --with-registry-auth (for the image the
 * spec will have), else the daemon keeps those of the current spec, or of
 * the previous one for a rollback. */
static int post(const struct cli *cli, json_t *svc, json_t *spec, const struct update_opts *o,
		char **warning, struct error *err)
{
	char version[32];
	snprintf(version, sizeof(version), "%lld",
		 (long long)json_integer_value(
		     json_object_get(json_object_get(svc, "Version"), "Index")));
	struct query q = {0};
	int r = query_add(&q, "version", version);
	if (r == 0 && o->do_rollback)
		r = query_add(&q, "rollback", "previous");
	_cleanup_free_ char *auth = NULL;
	if (r == 0 && o->registry_auth)
		auth = cli_registry_auth_for_image(
		    json_string_value(json_object_get(
			json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec"),
			"Image"))
			?: "");
	else if (r == 0)
		r = query_add(&q, "registryAuthFrom", o->do_rollback ? "previous-spec" : "spec");
	/* As docker's CLI: a new --image is pinned to its digest. */
	if (r == 0 && o->image && !o->no_resolve_image &&
	    service_image_resolve(cli, json_object_get(spec, "TaskTemplate"), auth, warning) < 0)
		r = error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *p =
	    query_path("/services/%s/update", json_string_value(json_object_get(svc, "ID")));
	r = r == 0 && p ? cli_call_auth(cli, "POST", p, &q, spec, auth, NULL, err)
			: error_set(err, -ENOMEM, "out of memory");
	query_done(&q);
	return r;
}

static int update(const struct cli *cli, const char *name, const struct update_opts *o,
		  struct error *err)
{
	_cleanup_free_ char *p = query_path("/services/%s", name);
	if (!p)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_(cli_json_decrefp) json_t *svc = NULL;
	int r = cli_call(cli, "GET", p, NULL, NULL, &svc, err);
	if (r < 0)
		return r;
	_cleanup_(cli_json_decrefp) json_t *spec = json_deep_copy(json_object_get(svc, "Spec"));
	if (!o->do_rollback && (r = apply(cli, spec, o, err)) < 0)
		return r;
	_cleanup_free_ char *warning = NULL;
	if ((r = post(cli, svc, spec, o, &warning, err)) < 0)
		return r;
	if (warning)
		fprintf(cli->err, "%s\n", warning);
	fprintf(cli->out, "%s\n", name);
	if (o->detach)
		return 0;
	return cli_service_progress(cli, json_string_value(json_object_get(svc, "ID")), name,
				    o->quiet, err);
}

#define LIST(n, t, h)                                                                              \
	{                                                                                          \
		n, 0, CLI_FLAG_LIST, t, "list", h, false                                           \
	}
#define STR(n, t, v, h)                                                                            \
	{                                                                                          \
		n, 0, CLI_FLAG_STRING, t, v, h, false                                              \
	}

int cli_cmd_service_update(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct update_opts o = {0};
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    STR("args", &o.args, "command", "Service command args"),
	    LIST("cap-add", &o.cap_add, "Add Linux capabilities"),
	    LIST("cap-drop", &o.cap_drop, "Drop Linux capabilities"),
	    LIST("config-add", &o.config_add, "Add or update a config file on a service"),
	    LIST("config-rm", &o.config_rm, "Remove a configuration file"),
	    LIST("constraint-add", &o.constraint_add, "Add or update a placement constraint"),
	    LIST("constraint-rm", &o.constraint_rm, "Remove a constraint"),
	    LIST("container-label-add", &o.clabel_add, "Add or update a container label"),
	    LIST("container-label-rm", &o.clabel_rm, "Remove a container label by its key"),
	    {"detach", 'd', CLI_FLAG_BOOL, &o.detach, NULL,
	     "Exit immediately instead of waiting for the service to converge", false},
	    LIST("dns-add", &o.dns_add, "Add or update a custom DNS server"),
	    LIST("dns-option-add", &o.dns_option_add, "Add or update a DNS option"),
	    LIST("dns-option-rm", &o.dns_option_rm, "Remove a DNS option"),
	    LIST("dns-rm", &o.dns_rm, "Remove a custom DNS server"),
	    LIST("dns-search-add", &o.dns_search_add, "Add or update a custom DNS search domain"),
	    LIST("dns-search-rm", &o.dns_search_rm, "Remove a DNS search domain"),
	    STR("endpoint-mode", &o.endpoint_mode, "string", "Endpoint mode (vip or dnsrr)"),
	    STR("entrypoint", &o.entrypoint, "command",
		"Overwrite the default ENTRYPOINT of the image"),
	    LIST("env-add", &o.env_add, "Add or update an environment variable"),
	    LIST("env-rm", &o.env_rm, "Remove an environment variable"),
	    {"force", 0, CLI_FLAG_BOOL, &o.force, NULL,
	     "Force update even if no changes require it", false},
	    LIST("generic-resource-add", &o.generic_add, "Add a Generic resource"),
	    LIST("generic-resource-rm", &o.generic_rm, "Remove a Generic resource"),
	    LIST("group-add", &o.group_add,
		 "Add an additional supplementary user group to the container"),
	    LIST("group-rm", &o.group_rm,
		 "Remove a previously added supplementary user group from the container"),
	    STR("health-cmd", &o.health.cmd, "string", "Command to run to check health"),
	    STR("health-interval", &o.health.interval, "duration",
		"Time between running the check (ms|s|m|h)"),
	    STR("health-retries", &o.health.retries, "int",
		"Consecutive failures needed to report unhealthy"),
	    STR("health-start-period", &o.health.start_period, "duration",
		"Start period for the container to initialize before counting retries towards "
		"unstable (ms|s|m|h)"),
	    STR("health-timeout", &o.health.timeout, "duration",
		"Maximum time to allow one check to run (ms|s|m|h)"),
	    LIST("host-add", &o.host_add, "Add a custom host-to-IP mapping (\"host:ip\")"),
	    LIST("host-rm", &o.host_rm, "Remove a custom host-to-IP mapping (\"host:ip\")"),
	    STR("hostname", &o.hostname, "string", "Container hostname"),
	    STR("image", &o.image, "string", "Service image tag"),
	    STR("isolation", &o.isolation, "string", "Service container isolation mode"),
	    {"init", 0, CLI_FLAG_OPT_BOOL, &o.init, NULL,
	     "Use an init inside each service container to forward signals and reap processes",
	     false},
	    LIST("label-add", &o.label_add, "Add or update a service label"),
	    LIST("label-rm", &o.label_rm, "Remove a label by its key"),
	    STR("limit-cpu", &o.res.limit_cpu, "decimal", "Limit CPUs"),
	    STR("limit-memory", &o.res.limit_memory, "bytes", "Limit Memory"),
	    STR("limit-pids", &o.res.limit_pids, "int",
		"Limit maximum number of processes (default 0 = unlimited)"),
	    STR("log-driver", &o.log_driver, "string", "Logging driver for service"),
	    {"log-opt", 0, CLI_FLAG_LIST, &o.log_opts, "list", "Logging driver options", false},
	    LIST("mount-add", &o.mount_add, "Add or update a mount on a service"),
	    LIST("mount-rm", &o.mount_rm, "Remove a mount by its target path"),
	    LIST("network-add", &o.network_add, "Add a network"),
	    LIST("network-rm", &o.network_rm, "Remove a network"),
	    {"no-healthcheck", 0, CLI_FLAG_BOOL, &o.health.none, NULL,
	     "Disable any container-specified HEALTHCHECK", false},
	    {"no-resolve-image", 0, CLI_FLAG_BOOL, &o.no_resolve_image, NULL,
	     "Do not query the registry to resolve image digest and supported platforms", false},
	    LIST("placement-pref-add", &o.pref_add, "Add a placement preference"),
	    LIST("placement-pref-rm", &o.pref_rm, "Remove a placement preference"),
	    {"quiet", 'q', CLI_FLAG_BOOL, &o.quiet, NULL, "Suppress progress output", false},
	    LIST("publish-add", &o.publish_add, "Add or update a published port"),
	    LIST("publish-rm", &o.publish_rm, "Remove a published port by its target port"),
	    {"read-only", 0, CLI_FLAG_OPT_BOOL, &o.read_only, NULL,
	     "Mount the container's root filesystem as read only", false},
	    STR("max-concurrent", &o.max_concurrent, "uint",
		"Number of job tasks to run concurrently (default equal to --replicas)"),
	    STR("replicas", &o.replicas, "uint", "Number of tasks"),
	    STR("replicas-max-per-node", &o.max_per_node, "uint",
		"Maximum number of tasks per node (default 0 = unlimited)"),
	    STR("reserve-cpu", &o.res.reserve_cpu, "decimal", "Reserve CPUs"),
	    STR("reserve-memory", &o.res.reserve_memory, "bytes", "Reserve Memory"),
	    STR("restart-condition", &o.restart_cond, "string",
		"Restart when condition is met (\"none\", \"on-failure\", \"any\")"),
	    STR("restart-delay", &o.restart_delay, "duration",
		"Delay between restart attempts (ns|us|ms|s|m|h)"),
	    STR("restart-max-attempts", &o.restart_max, "uint",
		"Maximum number of restarts before giving up"),
	    STR("restart-window", &o.restart_window, "duration",
		"Window used to evaluate the restart policy (ns|us|ms|s|m|h)"),
	    {"rollback", 0, CLI_FLAG_BOOL, &o.do_rollback, NULL,
	     "Rollback to previous specification", false},
	    STR("rollback-delay", &o.rollback.delay, "duration",
		"Delay between task rollbacks (ns|us|ms|s|m|h)"),
	    STR("rollback-failure-action", &o.rollback.failure_action, "string",
		"Action on rollback failure (\"pause\", \"continue\")"),
	    STR("rollback-max-failure-ratio", &o.rollback.max_failure_ratio, "float",
		"Failure rate to tolerate during a rollback"),
	    STR("rollback-monitor", &o.rollback.monitor, "duration",
		"Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h)"),
	    STR("rollback-order", &o.rollback.order, "string",
		"Rollback order (\"start-first\", \"stop-first\")"),
	    STR("rollback-parallelism", &o.rollback.parallelism, "uint",
		"Maximum number of tasks rolled back simultaneously (0 to roll back all at once)"),
	    LIST("secret-add", &o.secret_add, "Add or update a secret on a service"),
	    LIST("secret-rm", &o.secret_rm, "Remove a secret"),
	    STR("stop-grace-period", &o.grace, "duration",
		"Time to wait before force killing a container (ns|us|ms|s|m|h)"),
	    STR("stop-signal", &o.stop_signal, "string", "Signal to stop the container"),
	    LIST("sysctl-add", &o.sysctl_add, "Add or update a Sysctl option"),
	    LIST("sysctl-rm", &o.sysctl_rm, "Remove a Sysctl option"),
	    STR("update-delay", &o.update.delay, "duration",
		"Delay between updates (ns|us|ms|s|m|h)"),
	    STR("update-failure-action", &o.update.failure_action, "string",
		"Action on update failure (\"pause\", \"continue\", \"rollback\")"),
	    STR("update-max-failure-ratio", &o.update.max_failure_ratio, "float",
		"Failure rate to tolerate during an update"),
	    STR("update-monitor", &o.update.monitor, "duration",
		"Duration after each task update to monitor for failure (ns|us|ms|s|m|h)"),
	    STR("update-order", &o.update.order, "string",
		"Update order (\"start-first\", \"stop-first\")"),
	    STR("update-parallelism", &o.update.parallelism, "uint",
		"Maximum number of tasks updated simultaneously (0 to update all at once)"),
	    {"tty", 't', CLI_FLAG_OPT_BOOL, &o.tty, NULL, "Allocate a pseudo-TTY", false},
	    {"ulimit-add", 0, CLI_FLAG_LIST, &o.ulimit_add, "ulimit",
	     "Add or update a ulimit option", false},
	    LIST("ulimit-rm", &o.ulimit_rm, "Remove a ulimit option"),
	    {"user", 'u', CLI_FLAG_STRING, &o.user, "string",
	     "Username or UID (format: <name|uid>[:<group|gid>])", false},
	    {"with-registry-auth", 0, CLI_FLAG_BOOL, &o.registry_auth, NULL,
	     "Send registry authentication details to swarm agents", false},
	    {"workdir", 'w', CLI_FLAG_STRING, &o.workdir, "string",
	     "Working directory inside the container", false},
	};
	static const struct cli_cmd_spec spec = {"Update a service",  NULL,	      false,
						 "[OPTIONS] SERVICE", CLI_ARGS_EXACT, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		code =
		    update(cli, args.v[0], &o, &err) < 0 ? cli_fail_clear(cli, &err) : CLI_EXIT_OK;
	}
	struct cli_strv *lists[] = {
	    &o.env_add,	       &o.env_rm,	 &o.label_add,	    &o.label_rm,
	    &o.clabel_add,     &o.clabel_rm,	 &o.secret_add,	    &o.secret_rm,
	    &o.config_add,     &o.config_rm,	 &o.constraint_add, &o.constraint_rm,
	    &o.mount_add,      &o.mount_rm,	 &o.publish_add,    &o.publish_rm,
	    &o.network_add,    &o.network_rm,	 &o.group_add,	    &o.group_rm,
	    &o.dns_add,	       &o.dns_rm,	 &o.dns_option_add, &o.dns_option_rm,
	    &o.dns_search_add, &o.dns_search_rm, &o.host_add,	    &o.host_rm,
	    &o.pref_add,       &o.pref_rm,	 &o.log_opts,	    &o.cap_add,
	    &o.cap_drop,       &o.sysctl_add,	 &o.sysctl_rm,	    &o.ulimit_add,
	    &o.ulimit_rm,      &o.generic_add,	 &o.generic_rm};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		cli_strv_free(lists[i]);
	cli_strv_free(&args);
	return code;
}
