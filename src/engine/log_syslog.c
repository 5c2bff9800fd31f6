/* The syslog log driver's options, checked as dockerd's ValidateLogOpt, and
 * the dual-logging cache (dockerd's cache-* options): a driver that cannot
 * be read keeps a local copy for `docker logs`, here the json-file log with
 * the local driver's defaults. The shim sends (src/shim/syslog.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "engine/container.h"
#include "engine/log_syslog.h"

static const char *const facilities[] = {
    "kern",   "user",	"mail",	    "daemon", "auth",	"syslog", "lpr",    "news",
    "uucp",   "cron",	"authpriv", "ftp",    "",	"",	  "",	    "",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};

static const char *opt(json_t *cfg, const char *key)
{
	const char *s = json_string_value(json_object_get(cfg, key));
	return s ? s : "";
}

/* dockerd's parseFacility: a name or 0..23; shifted as syslog's PRI wants. */
static int parse_facility(const char *s, int *ret, struct error *err)
{
	if (!*s) {
		*ret = 3 << 3; /* daemon */
		return 0;
	}
	for (int i = 0; i < (int)(sizeof(facilities) / sizeof(facilities[0])); i++)
		if (facilities[i][0] && strcmp(s, facilities[i]) == 0) {
			*ret = i << 3;
			return 0;
		}
	char *end;
	long n = strtol(s, &end, 10);
	if (*end || end == s || n < 0 || n > 23)
		return error_set(err, -EINVAL, "invalid syslog facility");
	*ret = (int)n << 3;
	return 0;
}

static bool known_format(const char *f)
{
	return !*f || !strcmp(f, "rfc3164") || !strcmp(f, "rfc5424") || !strcmp(f, "rfc5424micro");
}

static bool known_scheme(const char *a, size_t n)
{
	static const char *const schemes[] = {"udp", "tcp", "unix", "unixgram", "tcp+tls"};
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (n == strlen(schemes[i]) && !strncmp(a, schemes[i], n))
			return true;
	return false;
}

/* dockerd's parseAddress: proto and address (host:port, 514 by default, or
 * the socket's path). Empty: the host's syslog socket ("local"). */
static int parse_address(const char *a, char proto[16], char **ret_addr, struct error *err)
{
	*ret_addr = NULL;
	if (!*a) {
		snprintf(proto, 16, "local");
		return 0;
	}
	const char *sep = strstr(a, "://");
	const char *colon = strchr(a, ':'), *slash = strchr(a, '/');
	if (!sep && colon && (!slash || colon < slash))
		return error_set(err, -EINVAL,
				 "parse \"%s\": first path segment in URL cannot contain colon", a);
	size_t sl = sep ? (size_t)(sep - a) : 0;
	const char *rest = sep ? sep + 3 : a;
	if (!known_scheme(a, sl))
		return error_set(err, -EINVAL, "unsupported scheme: '%.*s'",
				 (int)(sl < 64 ? sl : 64), a);
	snprintf(proto, 16, "%.*s", (int)sl, a);
	if (!strcmp(proto, "tcp+tls"))
		return error_set(
		    err, -EINVAL,
		    "syslog-address: tcp+tls is not supported by Berth (use tcp or udp)");
	if (!strncmp(proto, "unix", 4)) {
		const char *path = strchr(rest, '/') ? strchr(rest, '/') : "";
		struct stat st;
		char text[64];
		if (stat(path, &st) < 0)
			return error_set(err, -EINVAL, "stat %s: %s", path,
					 error_go_text(errno, text, sizeof(text)));
		*ret_addr = strdup(path);
		return *ret_addr ? 0 : error_set(err, -ENOMEM, "out of memory");
	}
	size_t hl = strcspn(rest, "/?#");
	const char *close_br = rest[0] == '[' ? memchr(rest, ']', hl) : NULL;
	const char *port =
	    close_br ? (close_br[1] == ':' ? close_br + 1 : NULL) : memchr(rest, ':', hl);
	if (!close_br && port && memchr(port + 1, ':', hl - (size_t)(port + 1 - rest)))
		return error_set(err, -EINVAL, "address %.*s: too many colons in address", (int)hl,
				 rest);
	int r = port ? asprintf(ret_addr, "%.*s", (int)hl, rest)
		     : asprintf(ret_addr, "%.*s:514", (int)hl, rest);
	if (r < 0) {
		*ret_addr = NULL;
		return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static bool is_opt(const char *key)
{
	static const char *const keys[] = {"env",
					   "env-regex",
					   "labels",
					   "labels-regex",
					   "tag",
					   "syslog-address",
					   "syslog-facility",
					   "syslog-tls-ca-cert",
					   "syslog-tls-cert",
					   "syslog-tls-key",
					   "syslog-tls-skip-verify",
					   "syslog-format"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

int log_syslog_opts(json_t *lc, uint64_t *max_size, unsigned *max_file, bool *cached,
		    struct error *err)
{
	json_t *cfg = json_object_get(lc, "Config");
	const char *key;
	json_t *v;
	json_object_foreach(cfg, key, v)
	{
		if (!json_is_string(v))
			return error_set(err, -EINVAL, "log opt '%s' must be a string", key);
		if (!is_opt(key) && !container_log_builtin_key(key))
			return error_set(err, -EINVAL, "unknown log opt '%s' for syslog log driver",
					 key);
	}
	char proto[16];
	_cleanup_free_ char *addr = NULL;
	int facility;
	int r = parse_address(opt(cfg, "syslog-address"), proto, &addr, err);
	if (r == 0)
		r = parse_facility(opt(cfg, "syslog-facility"), &facility, err);
	if (r == 0 && !known_format(opt(cfg, "syslog-format")))
		r = error_set(err, -EINVAL, "Invalid syslog format");
	return r < 0 ? r : container_log_cache_opts(cfg, max_size, max_file, cached, err);
}

int log_syslog_shim_args(const struct container *c, json_t *lc, struct log_syslog_args *a,
			 struct error *err)
{
	json_t *cfg = json_object_get(lc, "Config");
	*a = (struct log_syslog_args){0};
	int r = parse_address(opt(cfg, "syslog-address"), a->proto, &a->addr, err);
	int facility = 0;
	if (r == 0)
		r = parse_facility(opt(cfg, "syslog-facility"), &facility, err);
	if (r == 0)
		r = container_log_tag(c, opt(cfg, "tag"), &a->tag, err);
	if (r < 0) {
		log_syslog_args_done(a);
		return r;
	}
	snprintf(a->facility, sizeof(a->facility), "%d", facility);
	snprintf(a->format, sizeof(a->format), "%s", opt(cfg, "syslog-format"));
	if (!a->addr)
		a->addr = strdup("");
	return a->addr ? 0 : error_set(err, -ENOMEM, "out of memory");
}

void log_syslog_args_done(struct log_syslog_args *a)
{
	free(a->addr);
	free(a->tag);
	a->addr = a->tag = NULL;
}
