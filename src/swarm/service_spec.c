/* ServiceSpec checks (see service_spec.h). */
#include "swarm/service_spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orchestrator/constraint.h"
#include "swarm/store.h"

#define INVALID "rpc error: code = InvalidArgument desc = "

/* SwarmKit's ^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$: stack services are
 * <stack>_<service>. */
static bool dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static int check_mounts(json_t *mounts, struct error *err)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
	{
		const char *type = json_string_value(json_object_get(m, "Type")) ?: "volume";
		const char *src = json_string_value(json_object_get(m, "Source")) ?: "";
		const char *dst = json_string_value(json_object_get(m, "Target")) ?: "";
		if (dst[0] != '/')
			return error_set(err, -EINVAL,
					 INVALID "ContainerSpec: invalid mount target, must be an "
						 "absolute path: %s",
					 dst);
		if (strcmp(type, "bind") == 0 && src[0] != '/')
			return error_set(err, -EINVAL,
					 INVALID "ContainerSpec: invalid bind mount source, source "
						 "path not absolute: %s",
					 src);
		if (strcmp(type, "tmpfs") == 0 && *src)
			return error_set(err, -EINVAL,
					 INVALID "ContainerSpec: invalid tmpfs source, source must "
						 "be empty");
		if (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 &&
		    strcmp(type, "tmpfs") != 0)
			return error_set(err, -EINVAL,
					 INVALID "ContainerSpec: invalid mount type: %s", type);
	}
	return 0;
}

/* Whether s is a decimal uid or gid (dockerd parses them at the task's
 * start; refused here, so a bad one never reaches a node). */
static bool numeric_id(const char *s)
{
	if (!*s || strlen(s) > 10)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* swarmkit's validateSecretRefsSpec and validateConfigRefsSpec: every
 * reference names its object and a target, file targets are unique. */
static int check_refs(json_t *cs, enum store_kind k, struct error *err)
{
	const char *what = store_kind_name(k);
	const char *id_key = k == STORE_SECRET ? "SecretID" : "ConfigID";
	const char *name_key = k == STORE_SECRET ? "SecretName" : "ConfigName";
	json_t *refs = json_object_get(cs, k == STORE_SECRET ? "Secrets" : "Configs");
	if (refs && !json_is_null(refs) && !json_is_array(refs))
		return error_set(err, -EINVAL, INVALID "malformed %s reference", what);
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref)
	{
		const char *id = json_string_value(json_object_get(ref, id_key));
		const char *name = json_string_value(json_object_get(ref, name_key));
		json_t *file = json_object_get(ref, "File");
		json_t *runtime = json_object_get(ref, "Runtime");
		if (!id || !*id || !name || !*name)
			return error_set(err, -EINVAL, INVALID "malformed %s reference", what);
		if (json_is_object(runtime) && k == STORE_CONFIG && !json_is_object(file))
			continue;
		if (!json_is_object(file))
			return error_set(err, -EINVAL,
					 INVALID "malformed %s reference, no target provided",
					 what);
		const char *target = json_string_value(json_object_get(file, "Name"));
		if (!target || !*target)
			return error_set(err, -EINVAL,
					 INVALID "malformed file %s reference, invalid target file "
						 "name provided",
					 what);
		static const char *const ids[] = {"UID", "GID"};
		for (size_t j = 0; j < 2; j++) {
			json_t *v = json_object_get(file, ids[j]);
			if (v && !(json_is_string(v) &&
				   (!*json_string_value(v) || numeric_id(json_string_value(v)))))
				return error_set(err, -EINVAL,
						 INVALID "malformed file %s reference, invalid %s "
							 "for %s",
						 what, ids[j], name);
		}
		json_t *mode = json_object_get(file, "Mode");
		if (mode && !json_is_null(mode) &&
		    (!json_is_integer(mode) || json_integer_value(mode) < 0 ||
		     json_integer_value(mode) > 07777))
			return error_set(err, -EINVAL,
					 INVALID "malformed file %s reference, invalid mode for %s",
					 what, name);
		for (size_t j = 0; j < i; j++) {
			json_t *prev = json_array_get(refs, j);
			const char *pt = json_string_value(
			    json_object_get(json_object_get(prev, "File"), "Name"));
			if (pt && strcmp(pt, target) == 0)
				return error_set(
				    err, -EINVAL,
				    INVALID
				    "%s references '%s' and '%s' have a conflicting target: '%s'",
				    what, json_string_value(json_object_get(prev, name_key)), name,
				    target);
		}
	}
	return 0;
}

/* Go's decoder matches keys to fields ignoring case, and docker-py sends
 * {"replicated": {"Replicas": 2}}: such keys get the field's name. */
static void canon_keys(json_t *obj, const char *const *names)
{
	for (; json_is_object(obj) && *names; names++) {
		const char *k;
		json_t *v, *tmp;
		json_object_foreach_safe(obj, tmp, k, v)
		{
			if (strcmp(k, *names) != 0 && strcasecmp(k, *names) == 0) {
				json_object_set(obj, *names, v);
				json_object_del(obj, k);
			}
		}
	}
}

static void canon_mode(json_t *mode)
{
	static const char *const modes[] = {"Replicated", "Global", "ReplicatedJob", "GlobalJob",
					    NULL};
	static const char *const counts[] = {"Replicas", "MaxConcurrent", "TotalCompletions",
					     NULL};
	canon_keys(mode, modes);
	for (size_t i = 0; modes[i]; i++)
		canon_keys(json_object_get(mode, modes[i]), counts);
}

static int check_mode(json_t *mode, struct error *err)
{
	int n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(mode, k, v) n += !json_is_null(v);
	if (n > 1)
		return error_set(err, -EINVAL, "must specify only one service mode");
	json_t *rep = json_object_get(json_object_get(mode, "Replicated"), "Replicas");
	if (rep && (!json_is_integer(rep) || json_integer_value(rep) < 0))
		return error_set(err, -EINVAL, INVALID "Replicas must be a non-negative number");
	return 0;
}

static int check_update_config(json_t *uc, const char *what, struct error *err)
{
	if (!uc || json_is_null(uc))
		return 0;
	const char *fa = json_string_value(json_object_get(uc, "FailureAction"));
	const char *order = json_string_value(json_object_get(uc, "Order"));
	double ratio = json_number_value(json_object_get(uc, "MaxFailureRatio"));
	if (fa && *fa && strcmp(fa, "pause") && strcmp(fa, "continue") && strcmp(fa, "rollback"))
		return error_set(err, -EINVAL, "unrecognized %s failure action %s", what, fa);
	if (order && *order && strcmp(order, "stop-first") && strcmp(order, "start-first"))
		return error_set(err, -EINVAL, "unrecognized %s order %s", what, order);
	if (ratio < 0 || ratio > 1)
		return error_set(err, -EINVAL,
				 INVALID "TaskSpec: %s max failure ratio must be between 0 and 1",
				 what);
	return 0;
}

/* The mode as dockerd's conversion leaves it: one replica unless told, a
 * replicated job's MaxConcurrent 1 and TotalCompletions MaxConcurrent. */
static void fill_mode(json_t *spec)
{
	json_t *mode = json_object_get(spec, "Mode");
	json_t *job = json_object_get(mode, "ReplicatedJob");
	if (json_is_object(job)) {
		if (!json_is_integer(json_object_get(job, "MaxConcurrent")))
			json_object_set_new(job, "MaxConcurrent", json_integer(1));
		if (!json_is_integer(json_object_get(job, "TotalCompletions")))
			json_object_set(job, "TotalCompletions",
					json_object_get(job, "MaxConcurrent"));
		return;
	}
	if (json_is_object(json_object_get(mode, "Global")) ||
	    json_is_object(json_object_get(mode, "GlobalJob")))
		return;
	json_t *rep = json_object_get(json_object_get(mode, "Replicated"), "Replicas");
	json_object_set_new(spec, "Mode",
			    json_pack("{s:{s:I}}", "Replicated", "Replicas",
				      rep ? json_integer_value(rep) : (json_int_t)1));
}

/* SwarmKit's validateResources, for Limits and Reservations. */
static int check_resources(json_t *res, struct error *err)
{
	json_int_t cpu = json_integer_value(json_object_get(res, "NanoCPUs"));
	json_int_t mem = json_integer_value(json_object_get(res, "MemoryBytes"));
	if (cpu != 0 && cpu < 1000000)
		return error_set(err, -EINVAL, INVALID "invalid cpu value %g: Must be at least %g",
				 (double)cpu / 1e9, 1e6 / 1e9);
	if (mem != 0 && mem < 4 * 1024 * 1024)
		return error_set(err, -EINVAL,
				 INVALID "invalid memory value %lld: Must be at least 4MiB",
				 (long long)mem);
	return 0;
}

int service_spec_check(json_t *spec, struct error *err)
{
	const char *name = json_string_value(json_object_get(spec, "Name")) ?: "";
	json_t *tt = json_object_get(spec, "TaskTemplate");
	json_t *cs = json_object_get(tt, "ContainerSpec");
	if (*name && !dns_label(name))
		return error_set(err, -EINVAL,
				 INVALID "name must be valid as a DNS name component");
	if (strlen(name) > 63)
		return error_set(err, -EINVAL, INVALID "name must be 63 characters or fewer");
	if (!json_is_object(cs))
		return error_set(err, -EINVAL, INVALID "ContainerSpec: missing in service spec");
	const char *image = json_string_value(json_object_get(cs, "Image"));
	if (!image || !*image)
		return error_set(err, -EINVAL,
				 INVALID "ContainerSpec: image reference must be provided");
	canon_mode(json_object_get(spec, "Mode"));
	int r = check_mode(json_object_get(spec, "Mode"), err);
	if (r == 0) {
		fill_mode(spec);
		r = check_mounts(json_object_get(cs, "Mounts"), err);
	}
	if (r == 0)
		r = check_refs(cs, STORE_SECRET, err);
	if (r == 0)
		r = check_refs(cs, STORE_CONFIG, err);
	json_t *res = json_object_get(tt, "Resources");
	if (r == 0)
		r = check_resources(json_object_get(res, "Limits"), err);
	if (r == 0)
		r = check_resources(json_object_get(res, "Reservations"), err);
	struct error cerr = ERROR_INIT;
	if (r == 0 &&
	    constraints_check(json_object_get(json_object_get(tt, "Placement"), "Constraints"),
			      &cerr) < 0)
		r = error_set(err, -EINVAL, INVALID "%s", error_msg(&cerr));
	error_clear(&cerr);
	if (r == 0)
		r = check_update_config(json_object_get(spec, "UpdateConfig"), "update", err);
	if (r == 0)
		r = check_update_config(json_object_get(spec, "RollbackConfig"), "rollback", err);
	return r;
}

/* swarmkit's checkSecretExistence and checkConfigExistence: each reference's
 * ID exists and has the name the reference gives. */
static int check_existence(const struct store *s, json_t *cs, enum store_kind k, struct error *err)
{
	const char *name_key = k == STORE_SECRET ? "SecretName" : "ConfigName";
	json_t *refs = json_object_get(cs, k == STORE_SECRET ? "Secrets" : "Configs");
	char *missing = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&missing, &len);
	if (!f)
		return error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref)
	{
		const char *id = json_string_value(
		    json_object_get(ref, k == STORE_SECRET ? "SecretID" : "ConfigID"));
		const char *name = json_string_value(json_object_get(ref, name_key)) ?: "";
		json_t *obj = id ? json_object_get(store_objects(s, k), id) : NULL;
		const char *has =
		    json_string_value(json_object_get(json_object_get(obj, "Spec"), "Name"));
		if (!has || strcmp(has, name) != 0)
			fprintf(f, "%s%s", n++ ? ", " : "", name);
	}
	fclose(f);
	int r = 0;
	if (n)
		r = error_set(err, -EINVAL, INVALID "%s%s not found: %s", store_kind_name(k),
			      n == 1 ? "" : "s", missing ? missing : "");
	free(missing);
	return r;
}

int service_spec_check_refs(const struct store *s, json_t *spec, struct error *err)
{
	json_t *cs = json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec");
	int r = check_existence(s, cs, STORE_SECRET, err);
	return r < 0 ? r : check_existence(s, cs, STORE_CONFIG, err);
}

#define SECONDS_NS(n) ((json_int_t)(n)*1000000000)

/* obj[key], made {} when absent. */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

static void set_default(json_t *obj, const char *key, json_t *value)
{
	if (!json_object_get(obj, key))
		json_object_set(obj, key, value);
	json_decref(value);
}

/* An update or rollback config; its enums and ratio are always present in
 * dockerd's answer (proto3 zero values). */
static void update_defaults(json_t *spec, const char *key)
{
	bool given = json_is_object(json_object_get(spec, key));
	json_t *uc = member(spec, key);
	if (!given)
		json_object_set_new(uc, "Parallelism", json_integer(1));
	set_default(uc, "FailureAction", json_string("pause"));
	set_default(uc, "Monitor", json_integer(SECONDS_NS(5)));
	set_default(uc, "MaxFailureRatio", json_integer(0));
	set_default(uc, "Order", json_string("stop-first"));
}

void service_spec_insert_defaults(json_t *spec)
{
	json_t *tt = member(spec, "TaskTemplate");
	json_t *cs = json_object_get(tt, "ContainerSpec");
	if (json_is_object(cs)) {
		set_default(cs, "StopGracePeriod", json_integer(SECONDS_NS(10)));
		member(cs, "DNSConfig");
	}
	member(tt, "Resources");
	member(tt, "Placement");
	json_t *rp = member(tt, "RestartPolicy");
	set_default(rp, "Condition", json_string("any"));
	set_default(rp, "Delay", json_integer(SECONDS_NS(5)));
	set_default(rp, "MaxAttempts", json_integer(0));
	update_defaults(spec, "UpdateConfig");
	update_defaults(spec, "RollbackConfig");
}
