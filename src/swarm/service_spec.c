/* ServiceSpec checks (see service_spec.h). */
#include "swarm/service_spec.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "orchestrator/constraint.h"

#define INVALID "rpc error: code = InvalidArgument desc = "

static bool dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
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

int service_spec_check(json_t *spec, struct error *err)
{
	const char *name = json_string_value(json_object_get(spec, "Name")) ?: "";
	json_t *tt = json_object_get(spec, "TaskTemplate");
	json_t *cs = json_object_get(tt, "ContainerSpec");
	if (*name && !dns_label(name))
		return error_set(err, -EINVAL,
				 INVALID "name must be valid as a DNS name component");
	if (!json_is_object(cs))
		return error_set(err, -EINVAL, INVALID "ContainerSpec: missing in service spec");
	const char *image = json_string_value(json_object_get(cs, "Image"));
	if (!image || !*image)
		return error_set(err, -EINVAL,
				 INVALID "ContainerSpec: image reference must be provided");
	int r = check_mode(json_object_get(spec, "Mode"), err);
	if (r == 0)
		r = check_mounts(json_object_get(cs, "Mounts"), err);
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
