/* The log drivers: json-file with its options (--log-opt max-size,
 * max-file), as Docker's driver reads them; local, kept in the json-file
 * format; none. The shim rotates, readers follow the files. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "engine/container.h"
#include "engine/log_gelf.h"
#include "engine/log_syslog.h"

/* Docker's RAMInBytes: "10", "10k", "1.5m", "2g", "4kb", "4KiB" (binary). */
static int parse_ram(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isdigit((unsigned char)*s))
		return -EINVAL;
	const char *units = "kmgtp";
	double mul = 1;
	if (*end == ' ')
		end++;
	const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mul *= 1024;
		end++;
		if (tolower((unsigned char)*end) == 'i')
			end++;
	}
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end)
		return -EINVAL;
	/* Go's int64 conversion of a larger value is negative: refused. */
	if (v * mul >= 9223372036854775807.0)
		return -ERANGE;
	*ret = (uint64_t)(v * mul);
	return 0;
}

/* Options of json-file and local (stored the json-file way; only its
 * defaults differ: 20m, 5 files, as Docker's local driver). */
static int file_opts(json_t *lc, bool local, uint64_t *max_size, unsigned *max_file,
		     struct error *err)
{
	const char *key;
	json_t *v;
	bool has_size = false, has_file = false;
	json_object_foreach(json_object_get(lc, "Config"), key, v) {
		const char *s = json_string_value(v);
		if (!s)
			return error_set(err, -EINVAL, "log opt '%s' must be a string", key);
		if (!strcmp(key, "max-size")) {
			int r = parse_ram(s, max_size);
			if (r == -EINVAL)
				return error_set(err, -EINVAL, "invalid size: '%s'", s);
			if (r < 0 || *max_size == 0)
				return error_set(err, -EINVAL,
						 "max-size must be a positive number");
			has_size = true;
		} else if (!strcmp(key, "max-file")) {
			char *end;
			long n = strtol(s, &end, 10);
			if (!*s || *end || n < 1 || n > 1000)
				return error_set(err, -EINVAL, "max-file cannot be less than 1");
			*max_file = (unsigned)n;
			has_file = true;
		} else if (strcmp(key, "compress") && !container_log_builtin_key(key) &&
			   (local || (strcmp(key, "labels") && strcmp(key, "labels-regex") &&
				      strcmp(key, "env") && strcmp(key, "env-regex") &&
				      strcmp(key, "tag")))) {
			return error_set(err, -EINVAL,
					 local ? "unknown log opt '%s' for log driver local"
					       : "unknown log opt '%s' for json-file log driver",
					 key);
		}
	}
	if (local && !has_size)
		*max_size = 20 * 1024 * 1024;
	if (local && !has_file)
		*max_file = 5;
	return 0;
}

int container_log_opts(json_t *hc, uint64_t *max_size, unsigned *max_file, struct error *err)
{
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	*max_size = 0;
	*max_file = 1;
	/* Options of every driver (dockerd's built-in ones). */
	const char *mode =
	    json_string_value(json_object_get(json_object_get(lc, "Config"), "mode"));
	if (mode && *mode && strcmp(mode, "blocking") && strcmp(mode, "non-blocking") &&
	    (!type || strcmp(type, "none")))
		return error_set(err, -EINVAL, "logger: logging mode not supported: %s", mode);
	if (!type || !*type || !strcmp(type, "json-file") || !strcmp(type, "local"))
		return file_opts(lc, type && !strcmp(type, "local"), max_size, max_file, err);
	if (!strcmp(type, "none"))
		return 0; /* dockerd takes any option for none, and keeps nothing */
	bool cached;
	if (!strcmp(type, "syslog"))
		return log_syslog_opts(lc, max_size, max_file, &cached, err);
	if (!strcmp(type, "gelf"))
		return log_gelf_opts(lc, max_size, max_file, &cached, err);
	return error_set(err, -EINVAL, "logger: no log driver named '%s' is registered", type);
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *ret)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, t[i]))
			return *ret = true, 0;
		if (!strcmp(s, f[i]))
			return *ret = false, 0;
	}
	return -EINVAL;
}

int container_log_config_merge(json_t *defaults, json_t *body)
{
	json_t *hc = json_object_get(body, "HostConfig");
	if (!hc && json_object_set_new(body, "HostConfig", hc = json_object()) < 0)
		return -ENOMEM;
	if (!json_is_object(hc))
		return 0;
	json_t *lc = json_object_get(hc, "LogConfig");
	if (!lc && json_object_set_new(hc, "LogConfig", lc = json_object()) < 0)
		return -ENOMEM;
	if (!json_is_object(lc))
		return 0;
	const char *def_type = json_string_value(json_object_get(defaults, "Type"));
	def_type = def_type && *def_type ? def_type : "json-file";
	json_t *type = json_object_get(lc, "Type");
	if ((!type || (json_is_string(type) && !*json_string_value(type))) &&
	    json_object_set_new(lc, "Type", json_string(def_type)) < 0)
		return -ENOMEM;
	json_t *cfg = json_object_get(lc, "Config");
	if ((!cfg || json_is_null(cfg)) &&
	    json_object_set_new(lc, "Config", cfg = json_object()) < 0)
		return -ENOMEM;
	const char *t = json_string_value(json_object_get(lc, "Type"));
	bool same = t && !strcmp(t, def_type);
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(defaults, "Config"), k, v)
	{
		if (!json_is_object(cfg) || json_object_get(cfg, k))
			continue;
		if ((same || container_log_cache_key(k)) && json_object_set(cfg, k, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* dockerd's ExtraAttributes: the labels and environment variables named
 * (or matching), keys with prefix unless they start with "_" (gelf's
 * keyMod; json-file's has none). */
static int add_matching(json_t *extra, json_t *from, const char *prefix, const char *names,
			const char *regex, struct error *err)
{
	if (*names) {
		_cleanup_free_ char *list = strdup(names);
		char *save = NULL;
		for (char *n = list ? strtok_r(list, ",", &save) : NULL; n;
		     n = strtok_r(NULL, ",", &save)) {
			json_t *val = json_object_get(from, n);
			char key[512];
			snprintf(key, sizeof(key), "%s%s", n[0] == '_' ? "" : prefix, n);
			if (json_is_string(val))
				json_object_set(extra, key, val);
		}
	}
	if (!*regex)
		return 0;
	regex_t re;
	if (regcomp(&re, regex, REG_EXTENDED | REG_NOSUB) != 0)
		return error_set(err, -EINVAL, "error parsing regexp: invalid regexp: `%s`", regex);
	const char *k;
	json_t *val;
	json_object_foreach(from, k, val)
	{
		char key[512];
		snprintf(key, sizeof(key), "%s%s", k[0] == '_' ? "" : prefix, k);
		if (json_is_string(val) && regexec(&re, k, 0, NULL, 0) == 0)
			json_object_set(extra, key, val);
	}
	regfree(&re);
	return 0;
}

static json_t *env_object(const struct container *c)
{
	json_t *env = json_object(), *e;
	size_t i;
	json_array_foreach(json_object_get(c->config, "Env"), i, e)
	{
		const char *s = json_string_value(e), *eq = s ? strchr(s, '=') : NULL;
		if (!eq)
			continue;
		_cleanup_free_ char *k = strndup(s, (size_t)(eq - s));
		if (k)
			json_object_set_new(env, k, json_string(eq + 1));
	}
	return env;
}

int container_log_attrs(const struct container *c, json_t *cfg, const char *prefix, json_t *out,
			struct error *err)
{
	const char *names[4];
	const char *keys[] = {"labels", "labels-regex", "env", "env-regex"};
	for (size_t i = 0; i < 4; i++) {
		names[i] = json_string_value(json_object_get(cfg, keys[i]));
		names[i] = names[i] ? names[i] : "";
	}
	json_t *env = env_object(c);
	if (!env)
		return error_set(err, -ENOMEM, "out of memory");
	int r = add_matching(out, json_object_get(c->config, "Labels"), prefix, names[0], names[1],
			     err);
	if (r == 0)
		r = add_matching(out, env, prefix, names[2], names[3], err);
	json_decref(env);
	return r;
}

/* Go's url.QueryEscape. */
static void query_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-_.~", ch))
			fputc(ch, f);
		else if (ch == ' ')
			fputc('+', f);
		else
			fprintf(f, "%%%02X", ch);
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int container_log_details(const struct container *c, char **ret, struct error *err)
{
	*ret = NULL;
	json_t *lc = json_object_get(c->host_config, "LogConfig");
	json_t *cfg = json_object_get(lc, "Config");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	json_t *attrs = json_object();
	if (!attrs)
		return error_set(err, -ENOMEM, "out of memory");
	int r = 0;
	/* Only json-file keeps attributes: labels, env and a tag asked for. */
	if (!type || !*type || !strcmp(type, "json-file")) {
		r = container_log_attrs(c, cfg, "", attrs, err);
		const char *tag = json_string_value(json_object_get(cfg, "tag"));
		_cleanup_free_ char *t = NULL;
		if (r == 0 && tag && *tag && (r = container_log_tag(c, tag, &t, err)) == 0)
			json_object_set_new(attrs, "tag", json_string(t));
	}
	size_t n = json_object_size(attrs), i = 0, len = 0;
	_cleanup_free_ const char **keys = calloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *v;
	if (keys) {
		json_object_foreach(attrs, k, v) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), key_cmp);
	}
	FILE *f = r == 0 && keys ? open_memstream(ret, &len) : NULL;
	for (i = 0; f && i < n; i++) {
		fputs(i ? "," : "", f);
		query_escape(f, keys[i]);
		fputc('=', f);
		query_escape(f, json_string_value(json_object_get(attrs, keys[i])));
	}
	if (f && fclose(f) != 0)
		r = error_set(err, -ENOMEM, "out of memory");
	else if (r == 0 && !f)
		r = error_set(err, -ENOMEM, "out of memory");
	json_decref(attrs);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	return r;
}

bool container_log_builtin_key(const char *key)
{
	return !strcmp(key, "mode") || !strcmp(key, "max-buffer-size") ||
	       container_log_cache_key(key);
}

bool container_log_cache_key(const char *key)
{
	return !strcmp(key, "cache-disabled") || !strcmp(key, "cache-max-size") ||
	       !strcmp(key, "cache-max-file") || !strcmp(key, "cache-compress");
}

int container_log_cache_opts(json_t *cfg, uint64_t *max_size, unsigned *max_file, bool *cached,
			     struct error *err)
{
	const char *off = json_string_value(json_object_get(cfg, "cache-disabled"));
	bool disabled = false;
	if (off && *off && parse_bool(off, &disabled) < 0)
		return error_set(err, -EINVAL, "invalid value for option cache-disabled: %s", off);
	*cached = !disabled;
	/* The cache's options are the local driver's, prefixed. */
	json_t *local = json_object();
	static const char *const keys[] = {"max-size", "max-file", "compress"};
	for (size_t i = 0; local && i < ARRAY_SIZE(keys); i++) {
		char k[32];
		snprintf(k, sizeof(k), "cache-%s", keys[i]);
		if (json_object_get(cfg, k))
			json_object_set(local, keys[i], json_object_get(cfg, k));
	}
	json_t *lc = local ? json_pack("{s:s,s:o}", "Type", "local", "Config", local) : NULL;
	int r = lc ? file_opts(lc, true, max_size, max_file, err)
		   : error_set(err, -ENOMEM, "out of memory");
	json_decref(lc);
	return r;
}

bool container_log_kept(json_t *hc)
{
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	if (type && !strcmp(type, "none"))
		return false;
	/* Drivers that send keep the cache unless told not to (checked at
	 * create; nothing else of their options matters here). */
	bool sends = type && (!strcmp(type, "syslog") || !strcmp(type, "gelf"));
	const char *off =
	    json_string_value(json_object_get(json_object_get(lc, "Config"), "cache-disabled"));
	bool disabled = false;
	return !(sends && off && parse_bool(off, &disabled) == 0 && disabled);
}

static char **strv_dup(const char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			container_log_args_freep(&out);
			return NULL;
		}
	return out;
}

static int syslog_args(const struct container *c, json_t *lc, char ***ret, struct error *err)
{
	struct log_syslog_args a;
	int r = log_syslog_shim_args(c, lc, &a, err);
	if (r < 0)
		return r;
	const char *v[] = {"--syslog-proto",	a.proto,    "--syslog-addr",   a.addr,
			   "--syslog-facility", a.facility, "--syslog-format", a.format,
			   "--syslog-tag",	a.tag};
	*ret = strv_dup(v, ARRAY_SIZE(v));
	log_syslog_args_done(&a);
	return 0;
}

static int gelf_args(const struct container *c, json_t *lc, char ***ret, struct error *err)
{
	struct log_gelf_args a;
	int r = log_gelf_shim_args(c, lc, &a, err);
	if (r < 0)
		return r;
	const char *v[] = {"--gelf-proto",    a.proto,	  "--gelf-addr",  a.addr,
			   "--gelf-compress", a.compress, "--gelf-level", a.level,
			   "--gelf-extra",    a.extra};
	*ret = strv_dup(v, ARRAY_SIZE(v));
	log_gelf_args_done(&a);
	return 0;
}

int container_log_shim_args(const struct container *c, char ***ret, struct error *err)
{
	*ret = NULL;
	json_t *lc = json_object_get(c->host_config, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	bool syslog = type && !strcmp(type, "syslog"), gelf = type && !strcmp(type, "gelf");
	if (!syslog && !gelf)
		return 0;
	struct error e2 = ERROR_INIT;
	int r = syslog ? syslog_args(c, lc, ret, &e2) : gelf_args(c, lc, ret, &e2);
	/* Made at the start, as dockerd makes its logger. */
	if (r < 0)
		error_set(err, r, "failed to initialize logging driver: %s", error_msg(&e2));
	else if (!*ret)
		r = error_set(err, -ENOMEM, "out of memory");
	error_clear(&e2);
	return r;
}

void container_log_args_freep(char ***v)
{
	for (size_t i = 0; *v && (*v)[i]; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
}

/* One field of dockerd's log tag template (logger.Info's methods and
 * fields); NULL when there is no such field. */
static char *tag_field(const struct container *c, const char *f, size_t n)
{
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	const char *img_id = strchr(c->image_id, ':') ? strchr(c->image_id, ':') + 1 : c->image_id;
	const char *name = c->name[0] == '/' ? c->name + 1 : c->name;
	char host[256] = "";
	char *r = NULL;
#define IS(s) (n == strlen(s) && !strncmp(f, s, n))
	if (IS("ID"))
		r = strndup(c->id, 12);
	else if (IS("FullID") || IS("ContainerID"))
		r = strdup(c->id);
	else if (IS("Name"))
		r = strdup(name);
	else if (IS("ContainerName"))
		r = strdup(c->name);
	else if (IS("ImageID"))
		r = strndup(img_id, 12);
	else if (IS("ImageFullID") || IS("ContainerImageID"))
		r = strdup(c->image_id);
	else if (IS("ImageName") || IS("ContainerImageName"))
		r = strdup(image ? image : "");
	else if (IS("DaemonName"))
		r = strdup("docker");
	else if (IS("Hostname"))
		r = strdup(gethostname(host, sizeof(host) - 1) == 0 ? host : "");
	else if (IS("Command")) {
		json_t *argv = json_object_get(c->config, "Entrypoint");
		json_t *cmd = json_object_get(c->config, "Cmd");
		_cleanup_free_ char *a = NULL;
		size_t i, len = 0;
		json_t *v;
		FILE *m = open_memstream(&a, &len);
		if (m) {
			bool first = true;
			json_array_foreach(argv, i, v)
			{
				fprintf(m, "%s%s", first ? "" : " ", json_string_value(v));
				first = false;
			}
			json_array_foreach(cmd, i, v)
			{
				fprintf(m, "%s%s", first ? "" : " ", json_string_value(v));
				first = false;
			}
			fclose(m);
			r = TAKE_PTR(a);
		}
	} else
		return NULL;
#undef IS
	return r ? r : strdup("");
}

int container_log_tag(const struct container *c, const char *tmpl, char **ret, struct error *err)
{
	*ret = NULL;
	if (!tmpl || !*tmpl)
		tmpl = "{{.ID}}";
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (!m)
		return error_set(err, -ENOMEM, "out of memory");
	const char *p = tmpl;
	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open) {
			fputs(p, m);
			break;
		}
		fwrite(p, 1, (size_t)(open - p), m);
		const char *close = strstr(open, "}}");
		const char *f = open + 2;
		while (*f == ' ')
			f++;
		size_t n = close ? (size_t)(close - f) : 0;
		while (n && f[n - 1] == ' ')
			n--;
		_cleanup_free_ char *v =
		    close && n > 1 && *f == '.' ? tag_field(c, f + 1, n - 1) : NULL;
		if (!v) {
			fclose(m);
			if (!close)
				return error_set(err, -EINVAL,
						 "template: log-tag:1: unclosed action");
			return error_set(err, -EINVAL,
					 "template: log-tag:1:%d: executing \"log-tag\" at <%.*s>: "
					 "can't evaluate field %.*s in type *logger.Info",
					 (int)(f - tmpl), (int)n, f, (int)(n ? n - 1 : 0), f + 1);
		}
		fputs(v, m);
		p = close + 2;
	}
	if (fclose(m) != 0)
		return error_set(err, -ENOMEM, "out of memory");
	*ret = TAKE_PTR(out);
	return 0;
}
