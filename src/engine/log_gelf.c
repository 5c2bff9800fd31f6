/* The gelf log driver's options, checked as dockerd's ValidateLogOpt, and
 * the fields every message carries (dockerd's rawExtra), made once here;
 * the shim sends (src/shim/gelf.c). Cached for docker logs as syslog is
 * (container_log_cache_opts). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/log_gelf.h"

static const char *opt(json_t *cfg, const char *key)
{
	const char *s = json_string_value(json_object_get(cfg, key));
	return s ? s : "";
}

/* dockerd's parseAddress: udp:// or tcp:// with host and port. */
static int parse_address(const char *a, char proto[8], char **ret_addr, struct error *err)
{
	*ret_addr = NULL;
	if (!*a)
		return error_set(err, -EINVAL, "gelf-address is a required parameter");
	const char *sep = strstr(a, "://");
	const char *colon = strchr(a, ':'), *slash = strchr(a, '/');
	if (!sep && colon && (!slash || colon < slash) && colon != a)
		return error_set(err, -EINVAL,
				 "parse \"%s\": first path segment in URL cannot contain colon", a);
	size_t sl = sep ? (size_t)(sep - a) : 0;
	if (!(sl == 3 && (!strncmp(a, "udp", 3) || !strncmp(a, "tcp", 3))))
		return error_set(err, -EINVAL, "gelf: endpoint needs to be TCP or UDP");
	snprintf(proto, 8, "%.3s", a);
	const char *host = sep + 3;
	size_t hl = strcspn(host, "/?#");
	const char *close_br = host[0] == '[' ? memchr(host, ']', hl) : NULL;
	const char *port =
	    close_br ? (close_br[1] == ':' ? close_br + 1 : NULL) : memchr(host, ':', hl);
	bool bad = !port || (!close_br && memchr(port + 1, ':', hl - (size_t)(port + 1 - host)));
	if (bad)
		return error_set(err, -EINVAL,
				 "gelf: please provide gelf-address as proto://host:port");
	if (asprintf(ret_addr, "%.*s", (int)hl, host) < 0) {
		*ret_addr = NULL;
		return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Go's strconv.Atoi, within [lo, hi]. */
static bool int_in(const char *s, long lo, long hi)
{
	char *end;
	long n = strtol(s, &end, 10);
	return *s && !*end && n >= lo && n <= hi;
}

static int check_opt(const char *key, const char *val, const char *proto, struct error *err)
{
	static const char *const common[] = {"env",	     "env-regex", "labels",
					     "labels-regex", "tag",	  "gelf-address"};
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		if (!strcmp(key, common[i]))
			return 0;
	bool udp = !strcmp(proto, "udp");
	if (!strcmp(key, "gelf-compression-level") || !strcmp(key, "gelf-compression-type")) {
		if (!udp)
			return error_set(err, -EINVAL, "compression is only supported on UDP");
		bool ok =
		    !strcmp(key, "gelf-compression-level")
			? int_in(val, -1, 9)
			: (!strcmp(val, "gzip") || !strcmp(val, "zlib") || !strcmp(val, "none"));
		return ok ? 0
			  : error_set(err, -EINVAL,
				      "unknown value \"%s\" for log opt \"%s\" for gelf log driver",
				      val, key);
	}
	if (!strcmp(key, "gelf-tcp-max-reconnect") || !strcmp(key, "gelf-tcp-reconnect-delay")) {
		if (udp)
			return error_set(err, -EINVAL, "\"%s\" is only valid for TCP", key);
		return int_in(val, 0, 1L << 30)
			   ? 0
			   : error_set(err, -EINVAL, "\"%s\" must be a positive integer", key);
	}
	if (container_log_builtin_key(key))
		return 0;
	return error_set(err, -EINVAL, "unknown log opt \"%s\" for gelf log driver", key);
}

int log_gelf_opts(json_t *lc, uint64_t *max_size, unsigned *max_file, bool *cached,
		  struct error *err)
{
	json_t *cfg = json_object_get(lc, "Config");
	char proto[8];
	_cleanup_free_ char *addr = NULL;
	int r = parse_address(opt(cfg, "gelf-address"), proto, &addr, err);
	const char *key;
	json_t *v;
	json_object_foreach(cfg, key, v)
	{
		if (r < 0)
			break;
		if (!json_is_string(v))
			r = error_set(err, -EINVAL, "log opt '%s' must be a string", key);
		else
			r = check_opt(key, json_string_value(v), proto, err);
	}
	return r < 0 ? r : container_log_cache_opts(cfg, max_size, max_file, cached, err);
}

static char *extra_fields(const struct container *c, json_t *cfg, struct error *err)
{
	_cleanup_free_ char *tag = NULL, *cmd = NULL;
	int r = container_log_tag(c, opt(cfg, "tag"), &tag, err);
	if (r == 0)
		r = container_log_tag(c, "{{.Command}}", &cmd, err);
	if (r < 0)
		return NULL;
	char created[64];
	time_format_rfc3339nano(c->created_ns, created, sizeof(created));
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	json_t *extra = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "_container_id", c->id,
				  "_container_name", c->name[0] == '/' ? c->name + 1 : c->name,
				  "_image_id", c->image_id, "_image_name", image ? image : "",
				  "_command", cmd, "_tag", tag, "_created", created);
	r = extra ? container_log_attrs(c, cfg, "_", extra, err)
		  : error_set(err, -ENOMEM, "out of memory");
	char *text = r == 0 ? json_dumps(extra, JSON_COMPACT) : NULL;
	json_decref(extra);
	if (r == 0 && !text)
		error_set(err, -ENOMEM, "out of memory");
	return text;
}

int log_gelf_shim_args(const struct container *c, json_t *lc, struct log_gelf_args *a,
		       struct error *err)
{
	json_t *cfg = json_object_get(lc, "Config");
	*a = (struct log_gelf_args){0};
	int r = parse_address(opt(cfg, "gelf-address"), a->proto, &a->addr, err);
	if (r == 0 && !(a->extra = extra_fields(c, cfg, err)))
		r = err->code;
	if (r < 0) {
		log_gelf_args_done(a);
		return r;
	}
	/* go-gelf's defaults: gzip at the best speed. */
	snprintf(a->compress, sizeof(a->compress), "%s",
		 *opt(cfg, "gelf-compression-type") ? opt(cfg, "gelf-compression-type") : "gzip");
	snprintf(a->level, sizeof(a->level), "%s",
		 *opt(cfg, "gelf-compression-level") ? opt(cfg, "gelf-compression-level") : "1");
	return 0;
}

void log_gelf_args_done(struct log_gelf_args *a)
{
	free(a->addr);
	free(a->extra);
	a->addr = a->extra = NULL;
}
