/* Shared service flags (see service_opts.h). */
#include "cli/service_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/run_opts.h"
#include "shared/generic_resources.h"

static json_t *child(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_object(v))
		json_object_set_new(o, k, v = json_object());
	return v;
}

bool service_update_flags_given(const struct service_update_flags *c)
{
	return c->parallelism || c->delay || c->failure_action || c->monitor || c->order ||
	       c->max_failure_ratio;
}

int service_opts_update_config(json_t *spec, const struct service_update_flags *c, const char *what,
			       struct error *err)
{
	if (!c->parallelism && !c->delay && !c->failure_action && !c->monitor && !c->order &&
	    !c->max_failure_ratio)
		return 0;
	json_t *uc = child(spec, strcmp(what, "update") == 0 ? "UpdateConfig" : "RollbackConfig");
	char flag[64];
	if (c->parallelism)
		json_object_set_new(uc, "Parallelism",
				    json_integer(strtoll(c->parallelism, NULL, 10)));
	if (c->failure_action)
		json_object_set_new(uc, "FailureAction", json_string(c->failure_action));
	if (c->order)
		json_object_set_new(uc, "Order", json_string(c->order));
	if (c->max_failure_ratio)
		json_object_set_new(uc, "MaxFailureRatio",
				    json_real(strtod(c->max_failure_ratio, NULL)));
	snprintf(flag, sizeof(flag), "%s-delay", what);
	int r = cli_duration_into(c->delay, flag, uc, "Delay", err);
	snprintf(flag, sizeof(flag), "%s-monitor", what);
	if (r == 0)
		r = cli_duration_into(c->monitor, flag, uc, "Monitor", err);
	return r;
}

/* A CPU count or a size flag's value into obj's key. */
static int resource_into(json_t *obj, const char *key, const char *v, bool cpus, const char *flag,
			 struct error *err)
{
	int64_t n;
	if (!v)
		return 0;
	int r = cpus ? cli_parse_cpus(v, &n, err) : cli_parse_ram(v, &n, err);
	if (r < 0)
		return error_wrap(err, "invalid argument \"%s\" for \"--%s\" flag", v, flag);
	json_object_set_new(obj, key, json_integer(n));
	return 0;
}

int service_opts_resources(json_t *tt, const struct service_resource_flags *o, struct error *err)
{
	json_t *res = NULL;
	int r = 0;
	if (o->limit_cpu || o->limit_memory || o->limit_pids) {
		json_t *lim = child(res = child(tt, "Resources"), "Limits");
		r = resource_into(lim, "NanoCPUs", o->limit_cpu, true, "limit-cpu", err);
		if (r == 0)
			r = resource_into(lim, "MemoryBytes", o->limit_memory, false,
					  "limit-memory", err);
		char *end = NULL;
		long long pids = o->limit_pids ? strtoll(o->limit_pids, &end, 10) : 0;
		if (r == 0 && o->limit_pids && (!*o->limit_pids || *end))
			r = error_set(err, -EINVAL,
				      "invalid argument \"%s\" for \"--limit-pids\" flag: "
				      "strconv.ParseInt: parsing \"%s\": invalid syntax",
				      o->limit_pids, o->limit_pids);
		if (r == 0 && o->limit_pids)
			json_object_set_new(lim, "Pids", json_integer(pids));
	}
	if (r == 0 && (o->reserve_cpu || o->reserve_memory)) {
		json_t *rsv = child(res ? res : child(tt, "Resources"), "Reservations");
		r = resource_into(rsv, "NanoCPUs", o->reserve_cpu, true, "reserve-cpu", err);
		if (r == 0)
			r = resource_into(rsv, "MemoryBytes", o->reserve_memory, false,
					  "reserve-memory", err);
	}
	return r;
}

int service_opts_generic_resources(const char *const *terms, size_t n, const char *flag,
				   json_t **ret, struct error *err)
{
	*ret = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strchr(terms[i], '='))
			return error_set(err, -EINVAL,
					 "invalid argument \"%s\" for \"--%s\" flag: invalid "
					 "generic-resource format `%s` expected `name=value`",
					 terms[i], flag, terms[i]);
	json_t *list = NULL;
	int r = generic_resources_parse(terms, n, &list, err);
	if (r < 0)
		return error_wrap(err, "invalid generic resource specification");
	json_t *named = generic_resources_first_named(list);
	if (named) {
		json_t *spec = json_object_get(named, "NamedResourceSpec");
		r = error_set(
		    err, -EINVAL,
		    "invalid generic-resource request `%s=%s`, Named Generic Resources is "
		    "not supported for service create or update",
		    json_string_value(json_object_get(spec, "Kind")),
		    json_string_value(json_object_get(spec, "Value")));
		json_decref(list);
		return r;
	}
	*ret = list;
	return 0;
}

/* docker's updateHealthcheck: --no-healthcheck alone disables the check;
 * --health-* change the fields given, and a check that was disabled comes
 * back; --health-cmd "" drops the test (the image's runs again). */
int service_opts_health(json_t *cs, const struct service_health_flags *o, struct error *err)
{
	bool fields = o->cmd || o->interval || o->timeout || o->retries || o->start_period ||
		      o->start_interval;
	if (!fields && !o->none)
		return 0;
	if (o->none && fields)
		return error_set(err, -EINVAL,
				 "--no-healthcheck conflicts with --health-* options");
	if (o->none) {
		json_object_set_new(cs, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
		return 0;
	}
	json_t *hc = child(cs, "Healthcheck");
	json_t *test = json_object_get(hc, "Test");
	if (json_array_size(test) &&
	    strcmp(json_string_value(json_array_get(test, 0)) ?: "", "NONE") == 0)
		json_object_del(hc, "Test");
	int r = cli_duration_into(o->interval, "health-interval", hc, "Interval", err);
	if (r == 0)
		r = cli_duration_into(o->timeout, "health-timeout", hc, "Timeout", err);
	if (r == 0)
		r = cli_duration_into(o->start_period, "health-start-period", hc, "StartPeriod",
				      err);
	if (r == 0)
		r = cli_duration_into(o->start_interval, "health-start-interval", hc,
				      "StartInterval", err);
	char *end = NULL;
	long long retries = o->retries ? strtoll(o->retries, &end, 10) : 0;
	if (r == 0 && o->retries && (!*o->retries || *end))
		r = error_set(err, -EINVAL,
			      "invalid argument \"%s\" for \"--health-retries\" flag: "
			      "strconv.ParseInt: parsing \"%s\": invalid syntax",
			      o->retries, o->retries);
	if (r == 0 && o->retries)
		json_object_set_new(hc, "Retries", json_integer(retries));
	if (r == 0 && o->cmd && *o->cmd)
		json_object_set_new(hc, "Test", json_pack("[s, s]", "CMD-SHELL", o->cmd));
	else if (r == 0 && o->cmd)
		json_object_del(hc, "Test");
	return r;
}

/* A port number of the long syntax (Go's ParseUint(v, 10, 16)). */
static int port_value(const char *v, const char *what, json_t *pc, const char *key,
		      struct error *err)
{
	char *end = NULL;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *end || v[0] == '-' || v[0] == '+')
		return error_set(err, -EINVAL,
				 "invalid %s port (%s): value must be an integer: invalid syntax",
				 what, v);
	if (n > 65535)
		return error_set(
		    err, -EINVAL,
		    "invalid %s port (%s): value must be an integer: value out of range", what, v);
	json_object_set_new(pc, key, json_integer((json_int_t)n));
	return 0;
}

/* "published=8080,target=80,protocol=udp,mode=host" */
static int publish_long(const char *s, json_t *ports, struct error *err)
{
	_cleanup_free_ char *copy = strdup(s);
	_cleanup_(cli_json_decrefp) json_t *f = json_object();
	if (!copy || !f)
		return error_set(err, -ENOMEM, "out of memory");
	char *save = NULL;
	for (char *field = strtok_r(copy, ",", &save); field; field = strtok_r(NULL, ",", &save)) {
		for (char *c = field; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		char *eq = strchr(field, '=');
		if (!eq || eq == field)
			return error_set(err, -EINVAL, "invalid field: %s", field);
		*eq = '\0';
		const char *k = field, *v = eq + 1;
		int r = 0;
		if (strcmp(k, "protocol") == 0) {
			if (strcmp(v, "tcp") && strcmp(v, "udp") && strcmp(v, "sctp"))
				return error_set(err, -EINVAL, "invalid protocol value '%s'", v);
			json_object_set_new(f, "Protocol", json_string(v));
		} else if (strcmp(k, "mode") == 0) {
			if (strcmp(v, "ingress") && strcmp(v, "host"))
				return error_set(err, -EINVAL,
						 "invalid publish mode value (%s): must be either "
						 "'ingress' or 'host'",
						 v);
			json_object_set_new(f, "PublishMode", json_string(v));
		} else if (strcmp(k, "target") == 0) {
			r = port_value(v, "target", f, "TargetPort", err);
		} else if (strcmp(k, "published") == 0) {
			r = port_value(v, "published", f, "PublishedPort", err);
		} else {
			return error_set(err, -EINVAL, "invalid field key: %s", k);
		}
		if (r < 0)
			return r;
	}
	if (!json_integer_value(json_object_get(f, "TargetPort")))
		return error_set(err, -EINVAL, "missing mandatory field 'target'");
	/* docker's field order: Protocol, TargetPort, PublishedPort, PublishMode. */
	json_t *pc = json_pack("{s:s, s:O}", "Protocol",
			       json_string_value(json_object_get(f, "Protocol")) ?: "tcp",
			       "TargetPort", json_object_get(f, "TargetPort"));
	if (json_integer_value(json_object_get(f, "PublishedPort")))
		json_object_set(pc, "PublishedPort", json_object_get(f, "PublishedPort"));
	json_object_set_new(
	    pc, "PublishMode",
	    json_string(json_string_value(json_object_get(f, "PublishMode")) ?: "ingress"));
	json_array_append_new(ports, pc);
	return 0;
}

/* "80" or "8080-8081" into [*lo, *hi]; false when not a port range. */
static bool port_range(const char *s, size_t len, unsigned long *lo, unsigned long *hi)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	*lo = strtoul(buf, &end, 10);
	if (end == buf || *lo > 65535)
		return false;
	*hi = *lo;
	if (*end == '-') {
		char *start = end + 1;
		*hi = strtoul(start, &end, 10);
		if (end == start || *hi > 65535 || *hi < *lo)
			return false;
	}
	return *end == '\0';
}

/* nat.ParsePortSpec's "[[ip:]published:]target[/proto]" as the swarm ports
 * docker's ConvertPortToPortConfig makes of it. */
static int publish_short(const char *s, json_t *ports, struct error *err)
{
	const char *slash = strchr(s, '/');
	const char *proto = slash ? slash + 1 : "tcp";
	size_t spec_len = slash ? (size_t)(slash - s) : strlen(s);
	const char *colon = memrchr(s, ':', spec_len);
	const char *target = colon ? colon + 1 : s;
	size_t target_len = spec_len - (size_t)(target - s);
	const char *pub = s;
	size_t pub_len = colon ? (size_t)(colon - s) : 0;
	const char *ip_colon = colon ? memrchr(s, ':', pub_len) : NULL;
	if (ip_colon)
		return error_set(err, -EINVAL, "hostip is not supported");
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return error_set(err, -EINVAL, "invalid proto: %s", proto);
	unsigned long tlo, thi, plo = 0, phi = 0;
	if (!port_range(target, target_len, &tlo, &thi))
		return error_set(err, -EINVAL, "invalid containerPort: %.*s", (int)target_len,
				 target);
	if (pub_len && !port_range(pub, pub_len, &plo, &phi))
		return error_set(err, -EINVAL, "invalid hostPort: %.*s", (int)pub_len, pub);
	if (pub_len && thi - tlo != phi - plo && thi != tlo)
		return error_set(err, -EINVAL,
				 "invalid ranges specified for container and host "
				 "Ports: %.*s and %.*s",
				 (int)target_len, target, (int)pub_len, pub);
	for (unsigned long t = tlo; t <= thi; t++) {
		/* One target with a published range publishes each of them. */
		unsigned long from = thi == tlo ? plo : plo + (t - tlo);
		unsigned long to = thi == tlo ? phi : from;
		for (unsigned long p = from; p <= to; p++) {
			json_t *pc =
			    json_pack("{s:s, s:I}", "Protocol", proto, "TargetPort", (json_int_t)t);
			if (p)
				json_object_set_new(pc, "PublishedPort",
						    json_integer((json_int_t)p));
			json_object_set_new(pc, "PublishMode", json_string("ingress"));
			json_array_append_new(ports, pc);
		}
	}
	return 0;
}

int service_opts_publish(const char *s, json_t *ports, struct error *err)
{
	/* docker's test of the long syntax: \w+=\w+ somewhere. */
	const char *eq = strchr(s, '=');
	bool long_syntax = eq && eq > s && eq[1] && eq[1] != ',';
	return long_syntax ? publish_long(s, ports, err) : publish_short(s, ports, err);
}

int service_opts_network(const char *s, json_t **ret, struct error *err)
{
	if (!strchr(s, '=')) {
		*ret = json_pack("{s:s}", "Target", s);
		return 0;
	}
	_cleanup_free_ char *copy = strdup(s);
	_cleanup_(cli_json_decrefp) json_t *n = json_object();
	if (!copy || !n)
		return error_set(err, -ENOMEM, "out of memory");
	char *save = NULL;
	for (char *field = strtok_r(copy, ",", &save); field; field = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(field, '=');
		if (!eq)
			return error_set(err, -EINVAL, "invalid field %s", field);
		*eq = '\0';
		const char *k = field, *v = eq + 1;
		if (strcasecmp(k, "name") == 0) {
			json_object_set_new(n, "Target", json_string(v));
		} else if (strcasecmp(k, "alias") == 0) {
			json_t *a = json_object_get(n, "Aliases");
			if (!a)
				json_object_set_new(n, "Aliases", a = json_array());
			json_array_append_new(a, json_string(v));
		} else if (strcasecmp(k, "driver-opt") == 0) {
			const char *veq = strchr(v, '=');
			if (!veq)
				return error_set(err, -EINVAL,
						 "invalid key value pair format in driver options");
			json_t *o = json_object_get(n, "DriverOpts");
			if (!o)
				json_object_set_new(n, "DriverOpts", o = json_object());
			_cleanup_free_ char *key = strndup(v, (size_t)(veq - v));
			json_object_set_new(o, key, json_string(veq + 1));
		} else {
			return error_set(err, -EINVAL, "invalid field key %s", k);
		}
	}
	if (!json_object_get(n, "Target"))
		return error_set(err, -EINVAL, "network name/id is not specified");
	*ret = TAKE_PTR(n);
	return 0;
}

int service_opts_placement_pref(const char *s, json_t **ret, struct error *err)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return error_set(err, -EINVAL,
				 "placement preference must be of the format \"<strategy>=<arg>\"");
	if ((size_t)(eq - s) != 6 || strncmp(s, "spread", 6) != 0)
		return error_set(err, -EINVAL,
				 "unsupported placement preference %.*s (only spread is supported)",
				 (int)(eq - s), s);
	*ret = json_pack("{s:{s:s}}", "Spread", "SpreadDescriptor", eq + 1);
	return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a) ?: "",
		      json_string_value(*(json_t *const *)b) ?: "");
}

void service_opts_sort_strings(json_t *arr)
{
	size_t n = json_array_size(arr);
	_cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_json_str);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
}

void service_opts_set_or_drop(json_t *obj, const char *key, json_t *v)
{
	if ((json_is_array(v) && json_array_size(v)) ||
	    (json_is_object(v) && json_object_size(v))) {
		json_object_set_new(obj, key, v);
		return;
	}
	json_decref(v);
	json_object_del(obj, key);
}
