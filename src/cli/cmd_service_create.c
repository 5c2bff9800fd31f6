/* `berth service create`: docker's flags turned into the ServiceSpec the
 * docker CLI sends for them (cli/command/service/opts.go ToService), then
 * the progress until the service converges unless --detach. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/registry_auth.h"
#include "cli/service_image.h"
#include "cli/run_opts.h"
#include "cli/service_opts.h"
#include "cli/service_progress.h"
#include "cli/service_refs.h"
#include "image/changes.h"
#include "image/reference.h"

struct create_opts {
	const char *name, *mode, *replicas, *max_concurrent, *max_per_node, *grace, *workdir, *user,
	    *hostname, *entrypoint, *stop_signal, *endpoint_mode, *log_driver, *isolation;
	const char *restart_cond, *restart_delay, *restart_max, *restart_window;
	struct service_update_flags update, rollback;
	struct service_resource_flags res;
	struct service_health_flags health;
	struct cli_strv env, env_files, labels, clabels, constraints, prefs, networks, secrets,
	    configs, mounts, publish, cap_add, cap_drop, sysctls, ulimits, groups, dns, dns_search,
	    dns_options, hosts, log_opts, generic;
	bool detach, quiet, init, tty, read_only, registry_auth, no_resolve_image;
};

static json_t *kv_object(const struct cli_strv *sv)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sv->n; i++) {
		const char *eq = strchr(sv->v[i], '=');
		_cleanup_free_ char *k =
		    eq ? strndup(sv->v[i], (size_t)(eq - sv->v[i])) : strdup(sv->v[i]);
		if (k)
			json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

static json_t *str_array(const struct cli_strv *sv, size_t from)
{
	json_t *a = json_array();
	for (size_t i = from; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* Sets obj[key] to v unless v is empty (Go's omitempty); steals v. */
static void set_str(json_t *obj, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(obj, key, json_string(v));
}

static int uint_flag(const char *v, const char *flag, uint64_t *ret, struct error *err)
{
	char *end = NULL;
	unsigned long long n = v ? strtoull(v, &end, 10) : 0;
	if (v && (!*v || *end || *v == '-'))
		return error_set(err, -EINVAL,
				 "invalid argument \"%s\" for \"--%s\" flag: strconv.ParseUint: "
				 "parsing \"%s\": invalid syntax",
				 v, flag, v);
	*ret = n;
	return 0;
}

/* docker's makeEnv: env files, then -e; a later value of a key replaces
 * an earlier one, at the later position. */
static int make_env(const struct create_opts *o, json_t **ret, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *all = json_array(), *env = json_array();
	if (cli_read_kv_files(&o->env_files, true, all, err) < 0)
		return err->code;
	for (size_t i = 0; i < o->env.n; i++) {
		const char *e = o->env.v[i];
		const char *val = strchr(e, '=') ? NULL : getenv(e);
		json_array_append_new(all, val ? json_sprintf("%s=%s", e, val) : json_string(e));
	}
	size_t i;
	json_t *e;
	json_array_foreach(all, i, e)
	{
		const char *s = json_string_value(e);
		size_t klen = strcspn(s, "=");
		for (size_t k = 0; k < json_array_size(env);) {
			const char *c = json_string_value(json_array_get(env, k));
			if (strcmp(c, s) == 0 || (strncmp(c, s, klen) == 0 && c[klen] == '='))
				json_array_remove(env, k);
			else
				k++;
		}
		json_array_append(env, e);
	}
	*ret = TAKE_PTR(env);
	return 0;
}

/* docker's EffectiveCapAddCapDrop: normalized, ALL alone, a cap both added
 * and dropped is added, RESET dropped, each list sorted. */
static void capabilities(const struct create_opts *o, json_t *cs)
{
	_cleanup_(cli_json_decrefp) json_t *add = json_object(), *drop = json_object();
	for (size_t i = 0; i < o->cap_add.n; i++) {
		_cleanup_free_ char *c = cli_normalize_cap(o->cap_add.v[i]);
		if (c)
			json_object_set_new(add, c, json_true());
	}
	for (size_t i = 0; i < o->cap_drop.n; i++) {
		_cleanup_free_ char *c = cli_normalize_cap(o->cap_drop.v[i]);
		if (c)
			json_object_set_new(drop, c, json_true());
	}
	if (json_object_get(add, "ALL")) {
		json_object_clear(add);
		json_object_set_new(add, "ALL", json_true());
	}
	if (json_object_get(drop, "ALL")) {
		json_object_clear(drop);
		json_object_set_new(drop, "ALL", json_true());
	}
	json_t *lists[2] = {json_array(), json_array()};
	json_t *maps[2] = {add, drop};
	for (int l = 0; l < 2; l++) {
		const char *k;
		json_t *v;
		json_object_foreach(maps[l], k, v)
		{
			if (strcmp(k, "RESET") != 0 && (l == 0 || !json_object_get(add, k)))
				json_array_append_new(lists[l], json_string(k));
		}
		service_opts_sort_strings(lists[l]);
	}
	service_opts_set_or_drop(cs, "CapabilityAdd", lists[0]);
	service_opts_set_or_drop(cs, "CapabilityDrop", lists[1]);
}

static int container_spec(const struct create_opts *o, const struct cli_strv *args, json_t **ret,
			  struct error *err)
{
	/* The CLI sends the image as a familiar name with its tag. */
	struct reference ref = REFERENCE_INIT;
	int r = reference_parse(args->v[0], &ref, err);
	if (r == 0)
		r = reference_default_tag(&ref);
	_cleanup_free_ char *image = r == 0 ? reference_familiar_string(&ref) : NULL;
	reference_done(&ref);
	if (r < 0)
		return error_wrap(err, "invalid reference format");
	_cleanup_(cli_json_decrefp) json_t *cs = json_pack("{s:s}", "Image", image ? image : "");
	service_opts_set_or_drop(cs, "Labels", kv_object(&o->clabels));
	if (o->entrypoint && *o->entrypoint) {
		json_t *words = changes_split_words(o->entrypoint);
		if (!words)
			return error_set(err, -EINVAL,
					 "invalid argument \"%s\" for \"--entrypoint\" flag: EOF "
					 "found when expecting closing quote",
					 o->entrypoint);
		json_object_set_new(cs, "Command", words);
	}
	service_opts_set_or_drop(cs, "Args", str_array(args, 1));
	set_str(cs, "Hostname", o->hostname);
	json_t *env = NULL;
	if (make_env(o, &env, err) < 0)
		return err->code;
	service_opts_set_or_drop(cs, "Env", env);
	set_str(cs, "Dir", o->workdir);
	set_str(cs, "User", o->user);
	service_opts_set_or_drop(cs, "Groups", str_array(&o->groups, 0));
	json_object_set_new(cs, "Init", json_boolean(o->init));
	set_str(cs, "StopSignal", o->stop_signal);
	if (o->tty)
		json_object_set_new(cs, "TTY", json_true());
	if (o->read_only)
		json_object_set_new(cs, "ReadOnly", json_true());
	json_t *mounts = json_array();
	json_object_set_new(cs, "Mounts", mounts);
	for (size_t i = 0; i < o->mounts.n; i++) {
		json_t *m;
		if (cli_parse_mount(o->mounts.v[i], &m, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--mount\" flag",
					  o->mounts.v[i]);
		json_array_append_new(mounts, m);
	}
	if (!json_array_size(mounts))
		json_object_del(cs, "Mounts");
	r = cli_duration_into(o->grace, "stop-grace-period", cs, "StopGracePeriod", err);
	if (r == 0)
		r = service_opts_health(cs, &o->health, err);
	if (r < 0)
		return r;
	json_t *hosts = json_array();
	for (size_t i = 0; i < o->hosts.n; i++) {
		const char *c = strchr(o->hosts.v[i], ':');
		if (c)
			json_array_append_new(hosts, json_sprintf("%s %.*s", c + 1,
								  (int)(c - o->hosts.v[i]),
								  o->hosts.v[i]));
	}
	service_opts_set_or_drop(cs, "Hosts", hosts);
	json_t *dns = json_object();
	service_opts_set_or_drop(dns, "Nameservers", str_array(&o->dns, 0));
	service_opts_set_or_drop(dns, "Search", str_array(&o->dns_search, 0));
	service_opts_set_or_drop(dns, "Options", str_array(&o->dns_options, 0));
	json_object_set_new(cs, "DNSConfig", dns);
	json_t *secrets = NULL, *configs = NULL;
	r = service_refs_parse(true, &o->secrets, &secrets, err);
	if (r == 0)
		r = service_refs_parse(false, &o->configs, &configs, err);
	service_opts_set_or_drop(cs, "Secrets", secrets);
	service_opts_set_or_drop(cs, "Configs", configs);
	if (r < 0)
		return r;
	set_str(cs, "Isolation", o->isolation);
	service_opts_set_or_drop(cs, "Sysctls", kv_object(&o->sysctls));
	capabilities(o, cs);
	json_t *ulimits = json_array();
	json_object_set_new(cs, "Ulimits", ulimits);
	for (size_t i = 0; i < o->ulimits.n; i++) {
		json_t *u;
		if (cli_parse_ulimit(o->ulimits.v[i], &u, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--ulimit\" flag",
					  o->ulimits.v[i]);
		json_array_append_new(ulimits, u);
	}
	if (!json_array_size(ulimits))
		json_object_del(cs, "Ulimits");
	*ret = TAKE_PTR(cs);
	return 0;
}

/* docker's ToServiceMode. */
static int service_mode(const struct create_opts *o, json_t **ret, struct error *err)
{
	const char *mode = o->mode ? o->mode : "replicated";
	uint64_t replicas = 0, concurrent = 0;
	int r = uint_flag(o->replicas, "replicas", &replicas, err);
	if (r == 0)
		r = uint_flag(o->max_concurrent, "max-concurrent", &concurrent, err);
	if (r < 0)
		return r;
	bool per_node = o->max_per_node && strtoull(o->max_per_node, NULL, 10) > 0;
	if (strcmp(mode, "global") == 0 || strcmp(mode, "global-job") == 0) {
		if (o->replicas)
			return error_set(err, -EINVAL,
					 "replicas can only be used with replicated "
					 "or replicated-job mode");
		if (per_node)
			return error_set(err, -EINVAL,
					 "replicas-max-per-node can only be used with "
					 "replicated or replicated-job mode");
		if (o->max_concurrent)
			return error_set(
			    err, -EINVAL,
			    "max-concurrent can only be used with replicated-job mode");
		*ret = json_pack("{s:{}}", strcmp(mode, "global") == 0 ? "Global" : "GlobalJob");
	} else if (strcmp(mode, "replicated") == 0) {
		if (o->max_concurrent)
			return error_set(
			    err, -EINVAL,
			    "max-concurrent can only be used with replicated-job mode");
		*ret = json_pack("{s:{}}", "Replicated");
		if (o->replicas)
			json_object_set_new(json_object_get(*ret, "Replicated"), "Replicas",
					    json_integer((json_int_t)replicas));
	} else if (strcmp(mode, "replicated-job") == 0) {
		json_t *job = json_object();
		if (o->max_concurrent || o->replicas)
			json_object_set_new(
			    job, "MaxConcurrent",
			    json_integer((json_int_t)(o->max_concurrent ? concurrent : replicas)));
		if (o->replicas)
			json_object_set_new(job, "TotalCompletions",
					    json_integer((json_int_t)replicas));
		*ret = json_pack("{s:o}", "ReplicatedJob", job);
	} else {
		return error_set(err, -EINVAL,
				 "unknown mode: %s, only replicated and global supported", mode);
	}
	return 0;
}

/* An update or rollback config when one of its flags is given: SwarmKit's
 * defaults, then the flags. */
static int update_config(json_t *spec, const struct service_update_flags *c, const char *what,
			 struct error *err)
{
	if (!service_update_flags_given(c))
		return 0;
	json_object_set_new(spec, strcmp(what, "update") == 0 ? "UpdateConfig" : "RollbackConfig",
			    json_pack("{s:i, s:s, s:I, s:i, s:s}", "Parallelism", 1,
				      "FailureAction", "pause", "Monitor", (json_int_t)5000000000,
				      "MaxFailureRatio", 0, "Order", "stop-first"));
	return service_opts_update_config(spec, c, what, err);
}

static int restart_policy(const struct create_opts *o, json_t *tt, struct error *err)
{
	if (!o->restart_cond && !o->restart_delay && !o->restart_max && !o->restart_window)
		return 0;
	json_t *rp = json_pack("{s:s, s:I, s:i}", "Condition", o->restart_cond ?: "any", "Delay",
			       (json_int_t)5000000000, "MaxAttempts", 0);
	json_object_set_new(tt, "RestartPolicy", rp);
	uint64_t max = 0;
	int r = uint_flag(o->restart_max, "restart-max-attempts", &max, err);
	if (r == 0 && o->restart_max)
		json_object_set_new(rp, "MaxAttempts", json_integer((json_int_t)max));
	if (r == 0)
		r = cli_duration_into(o->restart_delay, "restart-delay", rp, "Delay", err);
	if (r == 0)
		r = cli_duration_into(o->restart_window, "restart-window", rp, "Window", err);
	return r;
}

static int placement(const struct create_opts *o, json_t *tt, struct error *err)
{
	json_t *pl = json_object();
	json_object_set_new(tt, "Placement", pl);
	service_opts_set_or_drop(pl, "Constraints", str_array(&o->constraints, 0));
	json_t *prefs = json_array();
	json_object_set_new(pl, "Preferences", prefs);
	for (size_t i = 0; i < o->prefs.n; i++) {
		json_t *p;
		if (service_opts_placement_pref(o->prefs.v[i], &p, err) < 0)
			return error_wrap(err,
					  "invalid argument \"%s\" for \"--placement-pref\" flag",
					  o->prefs.v[i]);
		json_array_append_new(prefs, p);
	}
	if (!json_array_size(prefs))
		json_object_del(pl, "Preferences");
	uint64_t max = 0;
	int r = uint_flag(o->max_per_node, "replicas-max-per-node", &max, err);
	if (r == 0 && max)
		json_object_set_new(pl, "MaxReplicas", json_integer((json_int_t)max));
	return r;
}

static int task_template(const struct create_opts *o, const struct cli_strv *args, json_t **ret,
			 struct error *err)
{
	json_t *cs = NULL;
	int r = container_spec(o, args, &cs, err);
	if (r < 0)
		return r;
	_cleanup_(cli_json_decrefp) json_t *tt = json_pack(
	    "{s:o, s:{s:{}, s:{}}}", "ContainerSpec", cs, "Resources", "Limits", "Reservations");
	r = service_opts_resources(tt, &o->res, err);
	if (r == 0 && o->generic.n) {
		json_t *generic = NULL;
		r = service_opts_generic_resources(o->generic.v, o->generic.n, "generic-resource",
						   &generic, err);
		if (r == 0)
			json_object_set_new(
			    json_object_get(json_object_get(tt, "Resources"), "Reservations"),
			    "GenericResources", generic);
	}
	if (r == 0)
		r = restart_policy(o, tt, err);
	if (r == 0)
		r = placement(o, tt, err);
	if (r < 0)
		return r;
	json_t *nets = json_array();
	json_object_set_new(tt, "Networks", nets);
	for (size_t i = 0; i < o->networks.n; i++) {
		json_t *n;
		if (service_opts_network(o->networks.v[i], &n, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"--network\" flag",
					  o->networks.v[i]);
		json_array_append_new(nets, n);
	}
	if (!json_array_size(nets))
		json_object_del(tt, "Networks");
	if (o->log_driver && *o->log_driver) {
		json_t *ld = json_pack("{s:s}", "Name", o->log_driver);
		service_opts_set_or_drop(ld, "Options", kv_object(&o->log_opts));
		json_object_set_new(tt, "LogDriver", ld);
	}
	json_object_set_new(tt, "ForceUpdate", json_integer(0));
	*ret = TAKE_PTR(tt);
	return 0;
}

static int build_spec(const struct create_opts *o, const struct cli_strv *args, json_t **ret,
		      struct error *err)
{
	json_t *mode = NULL, *tt = NULL;
	int r = service_mode(o, &mode, err);
	if (r < 0)
		return r;
	_cleanup_(cli_json_decrefp) json_t *spec = json_pack(
	    "{s:s, s:o}", "Name", o->name ? o->name : "", "Labels", kv_object(&o->labels));
	if ((r = task_template(o, args, &tt, err)) < 0) {
		json_decref(mode);
		return r;
	}
	json_object_set_new(spec, "TaskTemplate", tt);
	json_object_set_new(spec, "Mode", mode);
	bool job = json_object_get(mode, "ReplicatedJob") || json_object_get(mode, "GlobalJob");
	if (job &&
	    (service_update_flags_given(&o->update) || service_update_flags_given(&o->rollback)))
		return error_set(err, -EINVAL,
				 "update and rollback configuration is not supported for jobs");
	r = update_config(spec, &o->update, "update", err);
	if (r == 0)
		r = update_config(spec, &o->rollback, "rollback", err);
	if (r < 0)
		return r;
	json_t *ep = json_object(), *ports = json_array();
	json_object_set_new(spec, "EndpointSpec", ep);
	if (o->endpoint_mode && *o->endpoint_mode) {
		_cleanup_free_ char *m = strdup(o->endpoint_mode);
		for (char *c = m; c && *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		json_object_set_new(ep, "Mode", json_string(m ? m : ""));
	}
	json_object_set_new(ep, "Ports", ports);
	for (size_t i = 0; i < o->publish.n; i++)
		if (service_opts_publish(o->publish.v[i], ports, err) < 0)
			return error_wrap(err, "invalid argument \"%s\" for \"-p, --publish\" flag",
					  o->publish.v[i]);
	if (!json_array_size(ports))
		json_object_del(ep, "Ports");
	*ret = TAKE_PTR(spec);
	return 0;
}

static int create(const struct cli *cli, const struct create_opts *o, const struct cli_strv *args,
		  struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *body = NULL, *resp = NULL;
	int r = build_spec(o, args, &body, err);
	if (r < 0)
		return r;
	json_t *cs = json_object_get(json_object_get(body, "TaskTemplate"), "ContainerSpec");
	r = service_refs_resolve(cli, true, json_object_get(cs, "Secrets"), err);
	if (r == 0)
		r = service_refs_resolve(cli, false, json_object_get(cs, "Configs"), err);
	if (r < 0)
		return r;
	/* Only with --with-registry-auth do the credentials leave. */
	_cleanup_free_ char *auth =
	    o->registry_auth ? cli_registry_auth_for_image(args->v[0]) : NULL;
	_cleanup_free_ char *warning = NULL;
	if (!o->no_resolve_image &&
	    service_image_resolve(cli, json_object_get(body, "TaskTemplate"), auth, &warning) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	r = cli_call_auth(cli, "POST", "/services/create", NULL, body, auth, &resp, err);
	if (r < 0)
		return r;
	if (warning)
		fprintf(cli->err, "%s\n", warning);
	const char *id = json_string_value(json_object_get(resp, "ID")) ?: "";
	fprintf(cli->out, "%s\n", id);
	fflush(cli->out);
	return o->detach ? 0 : cli_service_progress(cli, id, id, o->quiet, err);
}

#define LIST(n, t, v, h)                                                                           \
	{                                                                                          \
		n, 0, CLI_FLAG_LIST, t, v, h, false                                                \
	}
#define STR(n, t, v, h)                                                                            \
	{                                                                                          \
		n, 0, CLI_FLAG_STRING, t, v, h, false                                              \
	}
#define BOOL(n, s, t, h)                                                                           \
	{                                                                                          \
		n, s, CLI_FLAG_BOOL, t, NULL, h, false                                             \
	}

int cli_cmd_service_create(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct create_opts o = {0};
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    LIST("cap-add", &o.cap_add, "list", "Add Linux capabilities"),
	    LIST("cap-drop", &o.cap_drop, "list", "Drop Linux capabilities"),
	    LIST("config", &o.configs, "config", "Specify configurations to expose to the service"),
	    LIST("constraint", &o.constraints, "list", "Placement constraints"),
	    LIST("container-label", &o.clabels, "list", "Container labels"),
	    BOOL("detach", 'd', &o.detach,
		 "Exit immediately instead of waiting for the service to converge"),
	    LIST("dns", &o.dns, "list", "Set custom DNS servers"),
	    LIST("dns-option", &o.dns_options, "list", "Set DNS options"),
	    LIST("dns-search", &o.dns_search, "list", "Set custom DNS search domains"),
	    STR("endpoint-mode", &o.endpoint_mode, "string", "Endpoint mode (vip or dnsrr)"),
	    STR("entrypoint", &o.entrypoint, "command",
		"Overwrite the default ENTRYPOINT of the image"),
	    {"env", 'e', CLI_FLAG_LIST, &o.env, "list", "Set environment variables", false},
	    LIST("env-file", &o.env_files, "list", "Read in a file of environment variables"),
	    LIST("generic-resource", &o.generic, "list", "User defined resources"),
	    LIST("group", &o.groups, "list",
		 "Set one or more supplementary user groups for the container"),
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
	    LIST("host", &o.hosts, "list", "Set one or more custom host-to-IP mappings (host:ip)"),
	    STR("hostname", &o.hostname, "string", "Container hostname"),
	    BOOL("init", 0, &o.init,
		 "Use an init inside each service container to forward signals and reap "
		 "processes"),
	    STR("isolation", &o.isolation, "string", "Service container isolation mode"),
	    {"label", 'l', CLI_FLAG_LIST, &o.labels, "list", "Service labels", false},
	    STR("limit-cpu", &o.res.limit_cpu, "decimal", "Limit CPUs"),
	    STR("limit-memory", &o.res.limit_memory, "bytes", "Limit Memory"),
	    STR("limit-pids", &o.res.limit_pids, "int",
		"Limit maximum number of processes (default 0 = unlimited)"),
	    STR("log-driver", &o.log_driver, "string", "Logging driver for service"),
	    LIST("log-opt", &o.log_opts, "list", "Logging driver options"),
	    STR("max-concurrent", &o.max_concurrent, "uint",
		"Number of job tasks to run concurrently (default equal to --replicas)"),
	    STR("mode", &o.mode, "string",
		"Service mode (\"replicated\", \"global\", \"replicated-job\", \"global-job\")"),
	    LIST("mount", &o.mounts, "mount", "Attach a filesystem mount to the service"),
	    STR("name", &o.name, "string", "Service name"),
	    LIST("network", &o.networks, "network", "Network attachments"),
	    BOOL("no-healthcheck", 0, &o.health.none,
		 "Disable any container-specified HEALTHCHECK"),
	    BOOL("no-resolve-image", 0, &o.no_resolve_image,
		 "Do not query the registry to resolve image digest and supported platforms"),
	    LIST("placement-pref", &o.prefs, "pref", "Add a placement preference"),
	    {"publish", 'p', CLI_FLAG_LIST, &o.publish, "port", "Publish a port as a node port",
	     false},
	    BOOL("quiet", 'q', &o.quiet, "Suppress progress output"),
	    BOOL("read-only", 0, &o.read_only,
		 "Mount the container's root filesystem as read only"),
	    STR("replicas", &o.replicas, "uint", "Number of tasks"),
	    STR("replicas-max-per-node", &o.max_per_node, "uint",
		"Maximum number of tasks per node (default 0 = unlimited)"),
	    STR("reserve-cpu", &o.res.reserve_cpu, "decimal", "Reserve CPUs"),
	    STR("reserve-memory", &o.res.reserve_memory, "bytes", "Reserve Memory"),
	    STR("restart-condition", &o.restart_cond, "string",
		"Restart when condition is met (\"none\", \"on-failure\", \"any\") (default "
		"\"any\")"),
	    STR("restart-delay", &o.restart_delay, "duration",
		"Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)"),
	    STR("restart-max-attempts", &o.restart_max, "uint",
		"Maximum number of restarts before giving up"),
	    STR("restart-window", &o.restart_window, "duration",
		"Window used to evaluate the restart policy (ns|us|ms|s|m|h)"),
	    STR("rollback-delay", &o.rollback.delay, "duration",
		"Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s)"),
	    STR("rollback-failure-action", &o.rollback.failure_action, "string",
		"Action on rollback failure (\"pause\", \"continue\") (default \"pause\")"),
	    STR("rollback-max-failure-ratio", &o.rollback.max_failure_ratio, "float",
		"Failure rate to tolerate during a rollback (default 0)"),
	    STR("rollback-monitor", &o.rollback.monitor, "duration",
		"Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h) "
		"(default 5s)"),
	    STR("rollback-order", &o.rollback.order, "string",
		"Rollback order (\"start-first\", \"stop-first\") (default \"stop-first\")"),
	    STR("rollback-parallelism", &o.rollback.parallelism, "uint",
		"Maximum number of tasks rolled back simultaneously (0 to roll back all at once) "
		"(default 1)"),
	    LIST("secret", &o.secrets, "secret", "Specify secrets to expose to the service"),
	    STR("stop-grace-period", &o.grace, "duration",
		"Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)"),
	    STR("stop-signal", &o.stop_signal, "string", "Signal to stop the container"),
	    LIST("sysctl", &o.sysctls, "list", "Sysctl options"),
	    {"tty", 't', CLI_FLAG_BOOL, &o.tty, NULL, "Allocate a pseudo-TTY", false},
	    LIST("ulimit", &o.ulimits, "ulimit", "Ulimit options (default [])"),
	    STR("update-delay", &o.update.delay, "duration",
		"Delay between updates (ns|us|ms|s|m|h) (default 0s)"),
	    STR("update-failure-action", &o.update.failure_action, "string",
		"Action on update failure (\"pause\", \"continue\", \"rollback\") (default "
		"\"pause\")"),
	    STR("update-max-failure-ratio", &o.update.max_failure_ratio, "float",
		"Failure rate to tolerate during an update (default 0)"),
	    STR("update-monitor", &o.update.monitor, "duration",
		"Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default "
		"5s)"),
	    STR("update-order", &o.update.order, "string",
		"Update order (\"start-first\", \"stop-first\") (default \"stop-first\")"),
	    STR("update-parallelism", &o.update.parallelism, "uint",
		"Maximum number of tasks updated simultaneously (0 to update all at once) "
		"(default 1)"),
	    {"user", 'u', CLI_FLAG_STRING, &o.user, "string",
	     "Username or UID (format: <name|uid>[:<group|gid>])", false},
	    BOOL("with-registry-auth", 0, &o.registry_auth,
		 "Send registry authentication details to swarm agents"),
	    {"workdir", 'w', CLI_FLAG_STRING, &o.workdir, "string",
	     "Working directory inside the container", false},
	};
	static const struct cli_cmd_spec spec = {
	    "Create a new service", NULL, false, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	    CLI_ARGS_MIN,	    1};
	int code = cli_cmd_parse_until_args(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc,
					    argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		code = create(cli, &o, &args, &err) < 0 ? cli_fail_clear(cli, &err) : CLI_EXIT_OK;
	}
	struct cli_strv *lists[] = {
	    &o.env,	    &o.env_files, &o.labels,   &o.clabels, &o.constraints, &o.prefs,
	    &o.networks,    &o.secrets,	  &o.configs,  &o.mounts,  &o.publish,	   &o.cap_add,
	    &o.cap_drop,    &o.sysctls,	  &o.ulimits,  &o.groups,  &o.dns,	   &o.dns_search,
	    &o.dns_options, &o.hosts,	  &o.log_opts, &o.generic};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		cli_strv_free(lists[i]);
	cli_strv_free(&args);
	return code;
}
