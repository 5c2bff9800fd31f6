/* run/create flags and the create body (see run_opts.h). */
#include "cli/run_opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/path.h"
#include "basic/timeutil.h"
#include "cli/client.h"
#include "shared/device_rule.h"

void run_opts_free(struct run_opts *o)
{
	struct cli_strv *lists[] = {&o->env,
				    &o->env_files,
				    &o->volumes,
				    &o->labels,
				    &o->label_files,
				    &o->mounts,
				    &o->tmpfs,
				    &o->cap_add,
				    &o->cap_drop,
				    &o->security_opts,
				    &o->ulimits,
				    &o->sysctls,
				    &o->log_opts,
				    &o->publish,
				    &o->expose,
				    &o->aliases,
				    &o->dns,
				    &o->add_hosts,
				    &o->devices,
				    &o->device_cgroup_rules,
				    &o->blkio_weight_devices,
				    &o->read_bps,
				    &o->write_bps,
				    &o->read_iops,
				    &o->write_iops};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		cli_strv_free(lists[i]);
}

/* --- converters --------------------------------------------------------------- */

int cli_parse_ram(const char *s, int64_t *ret, struct error *err)
{
	/* ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$ */
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
		p++;
	double num = strtod(s, NULL);
	if (*p == ' ')
		p++;
	static const char units[] = "kmgtp";
	double mul = 1;
	const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
	if (u) {
		for (const char *q = units; q <= u; q++)
			mul *= 1024;
		p++;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		goto bad;
	*ret = (int64_t)(num * mul);
	return 0;
bad:
	return error_set(err, -EINVAL, "invalid size: '%s'", s);
}

int cli_parse_cpus(const char *s, int64_t *ret, struct error *err)
{
	char *end = NULL;
	errno = 0;
	double v = *s ? strtod(s, &end) : NAN;
	if (isnan(v) || errno || (end && *end))
		return error_set(err, -EINVAL, "failed to parse %s as a rational number", s);
	double nanos = v * 1e9;
	if (nanos != floor(nanos) || nanos > 9.2e18 || nanos < 0)
		return error_set(err, -EINVAL, "value is too precise");
	*ret = (int64_t)nanos;
	return 0;
}

static const char *const ulimit_names[] = {"core",    "cpu",	  "data",   "fsize",	  "locks",
					   "memlock", "msgqueue", "nice",   "nofile",	  "nproc",
					   "rss",     "rtprio",	  "rttime", "sigpending", "stack"};

static int parse_i64(const char *s, int64_t *ret)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* The blkio device lists, "/dev/x:VALUE", as docker's opts validate them
 * (ValidateWeightDevice, ValidateThrottleBpsDevice, ...IOpsDevice). */
enum blkio_kind { BLKIO_WEIGHT, BLKIO_BPS, BLKIO_IOPS };

static int cli_parse_blkio_device(const char *s, enum blkio_kind kind, json_t **ret,
				  struct error *err)
{
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return error_set(err, -EINVAL, "bad format: %s", s);
	if (strncmp(s, "/dev/", 5) != 0)
		return error_set(err, -EINVAL, "bad format for device path: %s", s);
	int64_t v = -1;
	const char *num = colon + 1;
	struct error e2 = ERROR_INIT;
	bool ok = kind == BLKIO_BPS ? cli_parse_ram(num, &v, &e2) == 0 && v >= 0
				    : isdigit((unsigned char)*num) && parse_i64(num, &v) == 0;
	error_clear(&e2);
	if (kind == BLKIO_WEIGHT && (!ok || v > 65535 || (v > 0 && (v < 10 || v > 1000))))
		return error_set(err, -EINVAL, "invalid weight for device: %s", s);
	if (kind == BLKIO_BPS && !ok)
		return error_set(
		    err, -EINVAL,
		    "invalid rate for device: %s. The correct format is "
		    "<device-path>:<number>[<unit>]. Number must be a positive integer. "
		    "Unit is optional and can be kb, mb, or gb",
		    s);
	if (kind == BLKIO_IOPS && !ok)
		return error_set(err, -EINVAL,
				 "invalid rate for device: %s. The correct format is "
				 "<device-path>:<number>. Number must be a positive integer",
				 s);
	_cleanup_free_ char *path = strndup(s, (size_t)(colon - s));
	*ret = path ? json_pack("{s:s, s:I}", "Path", path,
				kind == BLKIO_WEIGHT ? "Weight" : "Rate", (json_int_t)v)
		    : NULL;
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

/* The five lists with their flag, HostConfig key and kind. */
static const struct blkio_list {
	size_t offset; /* of the struct cli_strv in struct run_opts */
	const char *flag, *key;
	enum blkio_kind kind;
} blkio_lists[] = {
    {offsetof(struct run_opts, blkio_weight_devices), "--blkio-weight-device", "BlkioWeightDevice",
     BLKIO_WEIGHT},
    {offsetof(struct run_opts, read_bps), "--device-read-bps", "BlkioDeviceReadBps", BLKIO_BPS},
    {offsetof(struct run_opts, write_bps), "--device-write-bps", "BlkioDeviceWriteBps", BLKIO_BPS},
    {offsetof(struct run_opts, read_iops), "--device-read-iops", "BlkioDeviceReadIOps", BLKIO_IOPS},
    {offsetof(struct run_opts, write_iops), "--device-write-iops", "BlkioDeviceWriteIOps",
     BLKIO_IOPS},
};

static const struct cli_strv *blkio_values(const struct run_opts *o, const struct blkio_list *l)
{
	return (const struct cli_strv *)((const char *)o + l->offset);
}

/* docker's validDeviceMode: r, w and m, each at most once. */
static bool device_mode(const char *m)
{
	return *m && strspn(m, "rwm") == strlen(m) && strlen(m) <= 3 &&
	       !(strchr(m, 'r') != strrchr(m, 'r') || strchr(m, 'w') != strrchr(m, 'w') ||
		 strchr(m, 'm') != strrchr(m, 'm'));
}

/* --device [host-path:]container-path[:mode], as docker's validateLinuxPath
 * and parseLinuxDevice read it (container paths cleaned). */
static int cli_parse_device(const char *s, json_t **ret, struct error *err)
{
	const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if ((c2 && strchr(c2 + 1, ':')) || !*s || *s == ':')
		return error_set(err, -EINVAL, "bad format for path: %s", s);
	_cleanup_free_ char *a = strndup(s, c1 ? (size_t)(c1 - s) : strlen(s));
	_cleanup_free_ char *b =
	    c1 ? strndup(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1)) : NULL;
	const char *mode = c2 ? c2 + 1 : b && device_mode(b) ? b : "rwm";
	if (c2 && !device_mode(mode))
		return error_set(err, -EINVAL, "bad mode specified: %s", mode);
	/* With one colon, a mode there makes the first part both paths. */
	const char *dest = b && !(!c2 && device_mode(b)) ? b : a;
	if (!a || (c1 && !b))
		return error_set(err, -ENOMEM, "out of memory");
	if (*dest != '/')
		return error_set(err, -EINVAL, "%s is not an absolute path", dest);
	_cleanup_free_ char *host = c2 || dest != a ? strdup(a) : path_clean(a);
	_cleanup_free_ char *in = c2 ? strdup(dest) : path_clean(dest);
	if (!host || !in)
		return error_set(err, -ENOMEM, "out of memory");
	*ret = json_pack("{s:s, s:s, s:s}", "PathOnHost", host, "PathInContainer", in,
			 "CgroupPermissions", mode);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

int cli_parse_ulimit(const char *s, json_t **ret, struct error *err)
{
	const char *eq = strchr(s, '=');
	if (!eq)
		return error_set(err, -EINVAL, "invalid ulimit argument: %s", s);
	_cleanup_free_ char *name = strndup(s, (size_t)(eq - s));
	bool known = false;
	for (size_t i = 0; name && i < ARRAY_SIZE(ulimit_names); i++)
		known = known || strcmp(name, ulimit_names[i]) == 0;
	if (!known)
		return error_set(err, -EINVAL, "invalid ulimit type: %s", name ? name : "");
	_cleanup_free_ char *soft_s = strdup(eq + 1);
	char *colon = soft_s ? strchr(soft_s, ':') : NULL;
	if (colon)
		*colon = '\0';
	int64_t soft, hard;
	if (!soft_s || parse_i64(soft_s, &soft) < 0 || (colon && parse_i64(colon + 1, &hard) < 0))
		return error_set(err, -EINVAL, "invalid ulimit argument: %s", s);
	if (!colon)
		hard = soft;
	if (soft > hard)
		return error_set(
		    err, -EINVAL,
		    "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
		    (long long)soft, (long long)hard);
	*ret = json_pack("{s:s, s:I, s:I}", "Name", name, "Hard", (json_int_t)hard, "Soft",
			 (json_int_t)soft);
	return 0;
}

static int parse_bool_value(const char *v, bool *ret)
{
	if (!v || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcmp(v, "t")) {
		*ret = true;
		return 0;
	}
	if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcmp(v, "f")) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

static json_t *sub(json_t *m, const char *key)
{
	json_t *v = json_object_get(m, key);
	if (!v)
		json_object_set_new(m, key, v = json_object());
	return v;
}

/* docker's volumeOptions(): once any volume-* option is given, the options
 * carry a DriverConfig (empty or not). */
static json_t *volume_options(json_t *m)
{
	json_t *v = sub(m, "VolumeOptions");
	sub(v, "DriverConfig");
	return v;
}

/* "k=v" of a volume-label or volume-opt into map. */
static void set_on_map(json_t *map, const char *kv)
{
	const char *eq = strchr(kv, '=');
	_cleanup_free_ char *k = eq ? strndup(kv, (size_t)(eq - kv)) : strdup(kv);
	if (k && *k)
		json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

/* One key=value field of --mount into m (and its sub-objects). */
static int mount_field(json_t *m, const char *field, struct error *err)
{
	const char *eq = strchr(field, '=');
	size_t klen = eq ? (size_t)(eq - field) : strlen(field);
	_cleanup_free_ char *key = strndup(field, klen);
	const char *val = eq ? eq + 1 : NULL;
	if (!key)
		return error_set(err, -ENOMEM, "out of memory");
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	bool b;
	if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		if (parse_bool_value(val, &b) < 0)
			return error_set(err, -EINVAL, "invalid value for %s: %s", key, val);
		json_object_set_new(m, "ReadOnly", json_boolean(b));
		return 0;
	}
	if (!strcmp(key, "volume-nocopy") || !strcmp(key, "bind-nonrecursive")) {
		if (parse_bool_value(val, &b) < 0)
			return error_set(err, -EINVAL, "invalid value for %s: %s", key, val);
		if (key[0] == 'v' && b)
			json_object_set_new(volume_options(m), "NoCopy", json_true());
		else if (key[0] == 'v')
			volume_options(m);
		else if (b)
			json_object_set_new(sub(m, "BindOptions"), "NonRecursive", json_true());
		else
			sub(m, "BindOptions");
		return 0;
	}
	if (!val)
		return error_set(err, -EINVAL, "invalid field '%s' must be a key=value pair",
				 field);
	if (!strcmp(key, "type")) {
		json_object_set_new(m, "Type", json_string(val));
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		json_object_set_new(m, "Source", json_string(val));
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
		json_object_set_new(m, "Target", json_string(val));
	} else if (!strcmp(key, "bind-propagation")) {
		json_object_set_new(sub(m, "BindOptions"), "Propagation", json_string(val));
	} else if (!strcmp(key, "volume-label")) {
		set_on_map(sub(volume_options(m), "Labels"), val);
	} else if (!strcmp(key, "volume-subpath")) {
		json_object_set_new(volume_options(m), "Subpath", json_string(val));
	} else if (!strcmp(key, "volume-driver")) {
		json_object_set_new(json_object_get(volume_options(m), "DriverConfig"), "Name",
				    json_string(val));
	} else if (!strcmp(key, "volume-opt")) {
		set_on_map(sub(json_object_get(volume_options(m), "DriverConfig"), "Options"), val);
	} else if (!strcmp(key, "tmpfs-size")) {
		int64_t size;
		if (cli_parse_ram(val, &size, err) < 0)
			return err->code;
		json_object_set_new(sub(m, "TmpfsOptions"), "SizeBytes",
				    json_integer((json_int_t)size));
	} else if (!strcmp(key, "tmpfs-mode")) {
		char *end;
		long mode = strtol(val, &end, 8);
		if (!*val || *end)
			return error_set(err, -EINVAL, "invalid value for %s: %s", key, val);
		json_object_set_new(sub(m, "TmpfsOptions"), "Mode", json_integer(mode));
	} else {
		return error_set(err, -EINVAL, "unexpected key '%s' in '%s'", key, field);
	}
	return 0;
}

/* docker's order of VolumeOptions' fields. */
static void order_volume_options(json_t *m)
{
	json_t *v = json_object_get(m, "VolumeOptions");
	if (!v)
		return;
	json_t *out = json_object();
	static const char *const order[] = {"NoCopy", "Labels", "Subpath", "DriverConfig"};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (json_object_get(v, order[i]))
			json_object_set(out, order[i], json_object_get(v, order[i]));
	json_object_set_new(m, "VolumeOptions", out);
}

int cli_parse_mount(const char *s, json_t **ret, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *m = json_object();
	_cleanup_free_ char *copy = strdup(s);
	if (!m || !copy)
		return error_set(err, -ENOMEM, "out of memory");
	char *save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save))
		if (mount_field(m, f, err) < 0)
			return err->code;
	if (!json_object_get(m, "Type"))
		json_object_set_new(m, "Type", json_string("volume"));
	if (!json_object_get(m, "Target"))
		return error_set(err, -EINVAL, "target is required");
	const char *type = json_string_value(json_object_get(m, "Type")) ?: "";
	static const char *const opts[][2] = {
	    {"VolumeOptions", "volume"}, {"BindOptions", "bind"}, {"TmpfsOptions", "tmpfs"}};
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (json_object_get(m, opts[i][0]) && strcmp(type, opts[i][1]) != 0)
			return error_set(err, -EINVAL,
					 "cannot mix '%s-*' options with mount type '%s'",
					 opts[i][1], type);
	order_volume_options(m);
	/* docker's field order: Type, Source, Target, ReadOnly, options. */
	json_t *out = json_object();
	static const char *const order[] = {
	    "Type", "Source", "Target", "ReadOnly", "BindOptions", "VolumeOptions", "TmpfsOptions"};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (json_object_get(m, order[i]))
			json_object_set(out, order[i], json_object_get(m, order[i]));
	*ret = out;
	return 0;
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

int cli_parse_kv_file(const char *text, const char *fname, bool env, json_t *arr, struct error *err)
{
	_cleanup_free_ char *copy = strdup(text);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			continue;
		char *eq = strchr(line, '=');
		if (eq)
			*eq = '\0';
		if (!*line)
			return error_set(err, -EINVAL,
					 "invalid env file (%s): no variable name on line '=%s'",
					 fname, eq + 1);
		if (has_space(line))
			return error_set(
			    err, -EINVAL,
			    "invalid env file (%s): variable '%s' contains whitespaces", fname,
			    line);
		_cleanup_free_ char *kv = NULL;
		const char *val = eq ? eq + 1 : env ? getenv(line) : NULL;
		if (!val)
			continue;
		if (asprintf(&kv, "%s=%s", line, val) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		json_array_append_new(arr, json_string(kv));
	}
	return 0;
}

char *cli_normalize_cap(const char *s)
{
	char *r = NULL;
	if (!strcasecmp(s, "ALL"))
		return strdup("ALL");
	if (asprintf(&r, "%s%s", strncasecmp(s, "CAP_", 4) ? "CAP_" : "", s) < 0)
		return NULL;
	for (char *p = r; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return r;
}

/* --- flags ---------------------------------------------------------------------- */

#define RUN_USAGE "[OPTIONS] IMAGE [COMMAND] [ARG...]"

static bool sysctl_allowed(const char *s)
{
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",	    "kernel.msgmni",
					  "kernel.sem",	   "kernel.shmall",	    "kernel.shmmax",
					  "kernel.shmmni", "kernel.shm_rmid_forced"};
	const char *eq = strchr(s, '=');
	if (!eq)
		return false;
	size_t n = (size_t)(eq - s);
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
		if (strlen(ipc[i]) == n && !strncmp(s, ipc[i], n))
			return true;
	return !strncmp(s, "fs.mqueue.", 10) || !strncmp(s, "net.", 4) ||
	       (n == 17 && !strncmp(s, "kernel.domainname", 17)) ||
	       (n == 15 && !strncmp(s, "kernel.hostname", 15));
}

/* Checks the typed flags as pflag would when it sets them. */
static int check_typed(const struct run_opts *o, char *msg, size_t len)
{
	struct error err = ERROR_INIT;
	int64_t v;
	const char *bad = NULL, *flag = NULL;
#define CHECK(val, name, call)                                                                     \
	if (!bad && (val) && (call) < 0) {                                                         \
		bad = (val);                                                                       \
		flag = (name);                                                                     \
	}
	CHECK(o->memory, "-m, --memory", cli_parse_ram(o->memory, &v, &err));
	CHECK(o->memory_swap, "--memory-swap",
	      strcmp(o->memory_swap, "-1") ? cli_parse_ram(o->memory_swap, &v, &err) : 0);
	CHECK(o->shm_size, "--shm-size", cli_parse_ram(o->shm_size, &v, &err));
	CHECK(o->cpus, "--cpus", cli_parse_cpus(o->cpus, &v, &err));
	for (size_t i = 0; i < o->ulimits.n; i++) {
		json_t *u = NULL;
		CHECK(o->ulimits.v[i], "--ulimit", cli_parse_ulimit(o->ulimits.v[i], &u, &err));
		json_decref(u);
	}
	for (size_t i = 0; i < o->mounts.n; i++) {
		json_t *m = NULL;
		CHECK(o->mounts.v[i], "--mount", cli_parse_mount(o->mounts.v[i], &m, &err));
		json_decref(m);
	}
	for (size_t l = 0; l < ARRAY_SIZE(blkio_lists); l++) {
		const struct cli_strv *sv = blkio_values(o, &blkio_lists[l]);
		for (size_t i = 0; i < sv->n; i++) {
			json_t *d = NULL;
			CHECK(sv->v[i], blkio_lists[l].flag,
			      cli_parse_blkio_device(sv->v[i], blkio_lists[l].kind, &d, &err));
			json_decref(d);
		}
	}
	for (size_t i = 0; !bad && i < o->device_cgroup_rules.n; i++) {
		json_t *rule = device_rule_parse(o->device_cgroup_rules.v[i]);
		if (!rule) {
			bad = o->device_cgroup_rules.v[i];
			flag = "--device-cgroup-rule";
			error_set(&err, -EINVAL, "invalid device cgroup format '%s'", bad);
		}
		json_decref(rule);
	}
	if (!bad && o->blkio_weight && (parse_i64(o->blkio_weight, &v) < 0 || v < 0)) {
		bad = o->blkio_weight;
		flag = "--blkio-weight";
		error_set(&err, -EINVAL, "strconv.ParseUint: parsing \"%s\": invalid syntax", bad);
	} else if (!bad && o->blkio_weight && v > 65535) {
		bad = o->blkio_weight;
		flag = "--blkio-weight";
		error_set(&err, -EINVAL, "strconv.ParseUint: parsing \"%s\": value out of range",
			  bad);
	}
#define CHECK_INT(val, name)                                                                       \
	if (!bad && (val) && parse_i64((val), &v) < 0) {                                           \
		bad = (val);                                                                       \
		flag = (name);                                                                     \
		error_set(&err, -EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax", val); \
	}
	CHECK_INT(o->cpu_shares, "-c, --cpu-shares");
	CHECK_INT(o->pids_limit, "--pids-limit");
	CHECK_INT(o->stop_timeout, "--stop-timeout");
	CHECK_INT(o->oom_score_adj, "--oom-score-adj");
	CHECK_INT(o->health_retries, "--health-retries");
	const char *durations[][2] = {{o->health_interval, "--health-interval"},
				      {o->health_timeout, "--health-timeout"},
				      {o->health_start_period, "--health-start-period"},
				      {o->health_start_interval, "--health-start-interval"}};
	for (size_t i = 0; !bad && i < ARRAY_SIZE(durations); i++)
		if (durations[i][0] && time_parse_duration(durations[i][0], &v) < 0) {
			bad = durations[i][0];
			flag = durations[i][1];
			error_set(&err, -EINVAL, "time: invalid duration \"%s\"", bad);
		}
	for (size_t i = 0; !bad && i < o->sysctls.n; i++)
		if (!sysctl_allowed(o->sysctls.v[i])) {
			bad = o->sysctls.v[i];
			flag = "--sysctl";
			error_set(&err, -EINVAL, "sysctl '%s' is not allowed", bad);
		}
	if (bad)
		snprintf(msg, len, "invalid argument \"%s\" for \"%s\" flag: %s", bad, flag,
			 error_msg(&err));
	error_clear(&err);
	return bad ? -EINVAL : 0;
}

int run_opts_parse(const struct cli *cli, const char *cmd_path, int argc, char **argv, bool run,
		   struct run_opts *o, struct cli_strv *args)
{
	struct cli_flag flags[] = {
	    {"blkio-weight", 0, CLI_FLAG_STRING, &o->blkio_weight, "uint16",
	     "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", false},
	    {"blkio-weight-device", 0, CLI_FLAG_LIST, &o->blkio_weight_devices, "list",
	     "Block IO weight (relative device weight) (default [])", false},
	    {"cap-add", 0, CLI_FLAG_LIST, &o->cap_add, "list", "Add Linux capabilities", false},
	    {"cap-drop", 0, CLI_FLAG_LIST, &o->cap_drop, "list", "Drop Linux capabilities", false},
	    {"cpu-shares", 'c', CLI_FLAG_STRING, &o->cpu_shares, "int",
	     "CPU shares (relative weight)", false},
	    {"cpus", 0, CLI_FLAG_STRING, &o->cpus, "decimal", "Number of CPUs", false},
	    {"cpuset-cpus", 0, CLI_FLAG_STRING, &o->cpuset_cpus, "string",
	     "CPUs in which to allow execution (0-3, 0,1)", false},
	    {"cpuset-mems", 0, CLI_FLAG_STRING, &o->cpuset_mems, "string",
	     "MEMs in which to allow execution (0-3, 0,1)", false},
	    {"detach", 'd', CLI_FLAG_BOOL, &o->detach, NULL,
	     "Run container in background and print container ID", !run},
	    {"detach-keys", 0, CLI_FLAG_STRING, &o->detach_keys, "string",
	     "Override the key sequence for detaching a container", !run},
	    {"device", 0, CLI_FLAG_LIST, &o->devices, "list", "Add a host device to the container",
	     false},
	    {"device-cgroup-rule", 0, CLI_FLAG_LIST, &o->device_cgroup_rules, "list",
	     "Add a rule to the cgroup allowed devices list", false},
	    {"device-read-bps", 0, CLI_FLAG_LIST, &o->read_bps, "list",
	     "Limit read rate (bytes per second) from a device (default [])", false},
	    {"device-read-iops", 0, CLI_FLAG_LIST, &o->read_iops, "list",
	     "Limit read rate (IO per second) from a device (default [])", false},
	    {"device-write-bps", 0, CLI_FLAG_LIST, &o->write_bps, "list",
	     "Limit write rate (bytes per second) to a device (default [])", false},
	    {"device-write-iops", 0, CLI_FLAG_LIST, &o->write_iops, "list",
	     "Limit write rate (IO per second) to a device (default [])", false},
	    {"entrypoint", 0, CLI_FLAG_STRING, &o->entrypoint, "string",
	     "Overwrite the default ENTRYPOINT of the image", false},
	    {"env", 'e', CLI_FLAG_LIST, &o->env, "list", "Set environment variables", false},
	    {"env-file", 0, CLI_FLAG_LIST, &o->env_files, "list",
	     "Read in a file of environment variables", false},
	    {"health-cmd", 0, CLI_FLAG_STRING, &o->health_cmd, "string",
	     "Command to run to check health", false},
	    {"health-interval", 0, CLI_FLAG_STRING, &o->health_interval, "duration",
	     "Time between running the check (ms|s|m|h) (default 0s)", false},
	    {"health-retries", 0, CLI_FLAG_STRING, &o->health_retries, "int",
	     "Consecutive failures needed to report unhealthy", false},
	    {"health-start-interval", 0, CLI_FLAG_STRING, &o->health_start_interval, "duration",
	     "Time between running the check during the start period (ms|s|m|h) (default 0s)",
	     false},
	    {"health-start-period", 0, CLI_FLAG_STRING, &o->health_start_period, "duration",
	     "Start period for the container to initialize before starting\nhealth-retries "
	     "countdown (ms|s|m|h) (default 0s)",
	     false},
	    {"health-timeout", 0, CLI_FLAG_STRING, &o->health_timeout, "duration",
	     "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", false},
	    {"hostname", 'h', CLI_FLAG_STRING, &o->hostname, "string", "Container host name",
	     false},
	    {"init", 0, CLI_FLAG_BOOL, &o->init, NULL,
	     "Run an init inside the container that forwards signals and reaps\nprocesses", false},
	    {"interactive", 'i', CLI_FLAG_BOOL, &o->interactive, NULL,
	     "Keep STDIN open even if not attached", false},
	    {"label", 'l', CLI_FLAG_LIST, &o->labels, "list", "Set meta data on a container",
	     false},
	    {"label-file", 0, CLI_FLAG_LIST, &o->label_files, "list",
	     "Read in a line delimited file of labels", false},
	    {"log-driver", 0, CLI_FLAG_STRING, &o->log_driver, "string",
	     "Logging driver for the container", false},
	    {"log-opt", 0, CLI_FLAG_LIST, &o->log_opts, "list", "Log driver options", false},
	    {"memory", 'm', CLI_FLAG_STRING, &o->memory, "bytes", "Memory limit", false},
	    {"memory-swap", 0, CLI_FLAG_STRING, &o->memory_swap, "bytes",
	     "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", false},
	    {"mount", 0, CLI_FLAG_LIST, &o->mounts, "mount",
	     "Attach a filesystem mount to the container", false},
	    {"name", 0, CLI_FLAG_STRING, &o->name, "string", "Assign a name to the container",
	     false},
	    {"network", 0, CLI_FLAG_STRING, &o->network, "network",
	     "Connect a container to a network", false},
	    {"network-alias", 0, CLI_FLAG_LIST, &o->aliases, "list",
	     "Add network-scoped alias for the container", false},
	    {"ip", 0, CLI_FLAG_STRING, &o->ip, "string", "IPv4 address (e.g., 172.30.100.104)",
	     false},
	    {"ip6", 0, CLI_FLAG_STRING, &o->ip6, "string", "IPv6 address (e.g., 2001:db8::33)",
	     false},
	    {"publish", 'p', CLI_FLAG_LIST, &o->publish, "list",
	     "Publish a container's port(s) to the host", false},
	    {"publish-all", 'P', CLI_FLAG_BOOL, &o->publish_all, NULL,
	     "Publish all exposed ports to random ports", false},
	    {"expose", 0, CLI_FLAG_LIST, &o->expose, "list", "Expose a port or a range of ports",
	     false},
	    {"dns", 0, CLI_FLAG_LIST, &o->dns, "list", "Set custom DNS servers", false},
	    {"add-host", 0, CLI_FLAG_LIST, &o->add_hosts, "list",
	     "Add a custom host-to-IP mapping (host:ip)", false},
	    {"no-healthcheck", 0, CLI_FLAG_BOOL, &o->no_healthcheck, NULL,
	     "Disable any container-specified HEALTHCHECK", false},
	    {"oom-score-adj", 0, CLI_FLAG_STRING, &o->oom_score_adj, "int",
	     "Tune host's OOM preferences (-1000 to 1000)", false},
	    {"pids-limit", 0, CLI_FLAG_STRING, &o->pids_limit, "int",
	     "Tune container pids limit (set -1 for unlimited)", false},
	    {"privileged", 0, CLI_FLAG_BOOL, &o->privileged, NULL,
	     "Give extended privileges to this container", false},
	    {"read-only", 0, CLI_FLAG_BOOL, &o->read_only, NULL,
	     "Mount the container's root filesystem as read only", false},
	    {"restart", 0, CLI_FLAG_STRING, &o->restart, "string",
	     "Restart policy to apply when a container exits (default \"no\")", false},
	    {"rm", 0, CLI_FLAG_BOOL, &o->rm, NULL,
	     "Automatically remove the container and its associated anonymous\nvolumes when it "
	     "exits",
	     false},
	    {"runtime", 0, CLI_FLAG_STRING, &o->runtime, "string",
	     "Runtime to use for this container", false},
	    {"security-opt", 0, CLI_FLAG_LIST, &o->security_opts, "list", "Security Options",
	     false},
	    {"shm-size", 0, CLI_FLAG_STRING, &o->shm_size, "bytes", "Size of /dev/shm", false},
	    {"sig-proxy", 0, CLI_FLAG_BOOL, &o->no_sig_proxy, NULL,
	     "Proxy received signals to the process (default true)", true},
	    {"stop-signal", 0, CLI_FLAG_STRING, &o->stop_signal, "string",
	     "Signal to stop the container", false},
	    {"stop-timeout", 0, CLI_FLAG_STRING, &o->stop_timeout, "int",
	     "Timeout (in seconds) to stop a container", false},
	    {"sysctl", 0, CLI_FLAG_LIST, &o->sysctls, "map", "Sysctl options (default map[])",
	     false},
	    {"tmpfs", 0, CLI_FLAG_LIST, &o->tmpfs, "list", "Mount a tmpfs directory", false},
	    {"tty", 't', CLI_FLAG_BOOL, &o->tty, NULL, "Allocate a pseudo-TTY", false},
	    {"ulimit", 0, CLI_FLAG_LIST, &o->ulimits, "ulimit", "Ulimit options (default [])",
	     false},
	    {"user", 'u', CLI_FLAG_STRING, &o->user, "string",
	     "Username or UID (format: <name|uid>[:<group|gid>])", false},
	    {"volume", 'v', CLI_FLAG_LIST, &o->volumes, "list", "Bind mount a volume", false},
	    {"workdir", 'w', CLI_FLAG_STRING, &o->workdir, "string",
	     "Working directory inside the container", false},
	    {"help", 0, CLI_FLAG_BOOL, &o->help, NULL, "Print usage", true},
	};
	struct error err = ERROR_INIT;
	size_t n = ARRAY_SIZE(flags);
	/* --sig-proxy is a boolean defaulting to true: parse it inverted below. */
	o->no_sig_proxy = true;
	/* Flags stop at the image: what follows belongs to the command. */
	int r = cli_flags_parse(flags, n, argc, argv, false, args, &err);
	o->no_sig_proxy = !o->no_sig_proxy;
	if (r >= 0 && !run && (o->detach || o->detach_keys || o->no_sig_proxy))
		r = error_set(&err, -EINVAL, "unknown flag: --%s",
			      o->detach	       ? "detach"
			      : o->detach_keys ? "detach-keys"
					       : "sig-proxy");
	char msg[1024];
	if (r >= 0 && check_typed(o, msg, sizeof(msg)) < 0)
		r = error_set(&err, -EINVAL, "%s", msg);
	if (r < 0) {
		_cleanup_free_ char *usage = NULL;
		if (asprintf(&usage, "%s " RUN_USAGE, cmd_path) < 0)
			usage = NULL;
		int code =
		    cli_usage_error(cli, cmd_path, usage ? usage : RUN_USAGE, error_msg(&err));
		error_clear(&err);
		return code;
	}
	if (o->help) {
		fprintf(cli->out, "\nUsage:  %s " RUN_USAGE "\n\n%s a new container\n\nOptions:\n",
			cmd_path, run ? "Create and run" : "Create");
		cli_flags_print(cli->out, flags, n);
		return CLI_EXIT_OK;
	}
	if (args->n < 1) {
		fprintf(cli->err,
			"berth: '%s' requires at least 1 argument\n\nUsage:  %s " RUN_USAGE
			"\n\nSee '%s --help' for more information\n",
			cmd_path, cmd_path, cmd_path);
		return CLI_EXIT_FAILURE;
	}
	return -1;
}

/* --- body --------------------------------------------------------------------------- */

static json_t *strv_json(const struct cli_strv *sv, char *(*map)(const char *))
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++) {
		char *m = map ? map(sv->v[i]) : NULL;
		json_array_append_new(a, json_string(m ? m : sv->v[i]));
		free(m);
	}
	return a;
}

/* "k=v" strings into an object ("k" alone: ""). */
static void kv_into(json_t *obj, const char *s, char sep)
{
	const char *eq = strchr(s, sep);
	_cleanup_free_ char *k = eq ? strndup(s, (size_t)(eq - s)) : strdup(s);
	if (k)
		json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
}

/* Go's spelling of an errno: strerror's text, lower-cased first letter. */
static const char *go_strerror(int code, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(-code));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

int cli_read_kv_files(const struct cli_strv *files, bool env, json_t *arr, struct error *err)
{
	for (size_t i = 0; i < files->n; i++) {
		_cleanup_free_ char *text = NULL;
		char ebuf[128];
		int r = fs_read_file(files->v[i], 16 << 20, &text, NULL);
		if (r < 0)
			return error_set(err, r, "open %s: %s", files->v[i],
					 go_strerror(r, ebuf, sizeof(ebuf)));
		if (cli_parse_kv_file(text, files->v[i], env, arr, err) < 0)
			return err->code;
	}
	return 0;
}

static int security_opts(const struct cli_strv *in, json_t **ret, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *a = json_array();
	for (size_t i = 0; i < in->n; i++) {
		const char *s = in->v[i];
		const char *sep = strpbrk(s, "=:");
		if (!strcmp(s, "no-new-privileges") || !sep) {
			if (strcmp(s, "no-new-privileges"))
				return error_set(err, -EINVAL, "Invalid --security-opt: \"%s\"", s);
			json_array_append_new(a, json_string(s));
			continue;
		}
		if (strncmp(s, "seccomp=", 8) || !strcmp(s + 8, "unconfined")) {
			json_array_append_new(a, json_string(s));
			continue;
		}
		_cleanup_free_ char *text = NULL, *compact = NULL, *opt = NULL;
		char ebuf[128];
		int r = fs_read_file(s + 8, 16 << 20, &text, NULL);
		if (r < 0)
			return error_set(err, r, "opening seccomp profile (%s) failed: open %s: %s",
					 s + 8, s + 8, go_strerror(r, ebuf, sizeof(ebuf)));
		json_error_t je;
		_cleanup_(cli_json_decrefp) json_t *prof = json_loads(text, 0, &je);
		if (!prof)
			return error_set(err, -EINVAL,
					 "compacting json for seccomp profile (%s) failed: %s",
					 s + 8, je.text);
		compact = json_dumps(prof, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		if (!compact || asprintf(&opt, "seccomp=%s", compact) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		json_array_append_new(a, json_string(opt));
	}
	*ret = TAKE_PTR(a);
	return 0;
}

static void set_int(json_t *obj, const char *key, const char *val, bool ram)
{
	int64_t v = 0;
	struct error err = ERROR_INIT;
	if (!val)
		return;
	if (ram ? !strcmp(val, "-1") ? (v = -1, 0) : cli_parse_ram(val, &v, &err)
		: parse_i64(val, &v))
		v = 0;
	error_clear(&err);
	json_object_set_new(obj, key, json_integer(v));
}

/* One -p spec "[ip:][host:]container[/proto]" (port ranges allowed) into
 * PortBindings and ExposedPorts. */
static int add_publish(const char *spec, json_t *bindings, json_t *exposed)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", spec);
	const char *proto = "tcp";
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
	}
	char *parts[3] = {0};
	int n = 0;
	char *cport = strrchr(buf, ':');
	if (cport) {
		*cport++ = '\0';
		char *hport = strrchr(buf, ':');
		if (hport) {
			*hport++ = '\0';
			parts[n++] = buf;
			parts[n++] = hport;
		} else {
			parts[n++] = NULL;
			parts[n++] = buf;
		}
	} else {
		cport = buf;
		parts[n++] = NULL;
		parts[n++] = NULL;
	}
	int clo, chi, hlo = 0, hhi = 0;
	char *end;
	clo = chi = (int)strtol(cport, &end, 10);
	if (*end == '-')
		chi = (int)strtol(end + 1, &end, 10);
	if (*end || clo <= 0 || chi < clo)
		return -EINVAL;
	if (parts[1] && *parts[1]) {
		hlo = hhi = (int)strtol(parts[1], &end, 10);
		if (*end == '-')
			hhi = (int)strtol(end + 1, &end, 10);
		if (*end || hlo <= 0 || hhi < hlo)
			return -EINVAL;
	}
	const char *hip = parts[0] ? parts[0] : "";
	for (int p = clo; p <= chi; p++) {
		char key[32], hp[32] = "";
		snprintf(key, sizeof(key), "%d/%s", p, proto);
		if (hlo && chi > clo)
			snprintf(hp, sizeof(hp), "%d", hlo + (p - clo));
		else if (hlo && hhi > hlo)
			snprintf(hp, sizeof(hp), "%d-%d", hlo, hhi);
		else if (hlo)
			snprintf(hp, sizeof(hp), "%d", hlo);
		json_t *list = json_object_get(bindings, key);
		if (!list) {
			list = json_array();
			json_object_set_new(bindings, key, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", hip, "HostPort", hp));
		json_object_set_new(exposed, key, json_object());
	}
	return 0;
}

/* Ports, networks and DNS of the create body. */
static int add_network_opts(const struct run_opts *o, json_t *body)
{
	json_t *hc = json_object_get(body, "HostConfig");
	json_t *bindings = json_object(), *exposed = json_object();
	for (size_t i = 0; i < o->publish.n; i++)
		if (add_publish(o->publish.v[i], bindings, exposed) < 0) {
			json_decref(bindings);
			json_decref(exposed);
			return -EINVAL;
		}
	for (size_t i = 0; i < o->expose.n; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s%s", o->expose.v[i],
			 strchr(o->expose.v[i], '/') ? "" : "/tcp");
		json_object_set_new(exposed, key, json_object());
	}
	json_object_set_new(hc, "PortBindings", bindings);
	json_object_set_new(hc, "PublishAllPorts", json_boolean(o->publish_all));
	json_object_set_new(body, "ExposedPorts", exposed);
	json_object_set_new(hc, "Dns", strv_json(&o->dns, NULL));
	json_object_set_new(hc, "ExtraHosts", strv_json(&o->add_hosts, NULL));
	if (o->ip || o->ip6 || o->aliases.n) {
		const char *net = o->network ? o->network : "default";
		json_object_set_new(body, "NetworkingConfig",
				    json_pack("{s:{s:{s:{s:s, s:s}, s:o}}}", "EndpointsConfig", net,
					      "IPAMConfig", "IPv4Address", o->ip ? o->ip : "",
					      "IPv6Address", o->ip6 ? o->ip6 : "", "Aliases",
					      strv_json(&o->aliases, NULL)));
	}
	return 0;
}

static int host_config(const struct run_opts *o, json_t *hc, struct error *err)
{
	json_object_set_new(hc, "Binds", json_array());
	json_t *vols = json_object_get(hc, "_Volumes");
	for (size_t i = 0; i < o->volumes.n; i++)
		if (strchr(o->volumes.v[i], ':'))
			json_array_append_new(json_object_get(hc, "Binds"),
					      json_string(o->volumes.v[i]));
		else
			json_object_set_new(vols, o->volumes.v[i], json_object());
	json_t *logcfg =
	    json_pack("{s:s, s:{}}", "Type", o->log_driver ? o->log_driver : "", "Config");
	for (size_t i = 0; i < o->log_opts.n; i++)
		kv_into(json_object_get(logcfg, "Config"), o->log_opts.v[i], '=');
	json_object_set_new(hc, "LogConfig", logcfg);
	json_object_set_new(hc, "NetworkMode", json_string(o->network ? o->network : "default"));
	json_t *policy = NULL;
	if (o->restart && cli_restart_policy(o->restart, o->rm, &policy, err) < 0)
		return err->code;
	json_object_set_new(hc, "RestartPolicy",
			    policy ? policy
				   : json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
	json_object_set_new(hc, "AutoRemove", json_boolean(o->rm));
	json_object_set_new(hc, "CapAdd", strv_json(&o->cap_add, cli_normalize_cap));
	json_object_set_new(hc, "CapDrop", strv_json(&o->cap_drop, cli_normalize_cap));
	set_int(hc, "OomScoreAdj", o->oom_score_adj, false);
	json_object_set_new(hc, "Privileged", json_boolean(o->privileged));
	json_object_set_new(hc, "ReadonlyRootfs", json_boolean(o->read_only));
	json_t *sec = NULL;
	if (security_opts(&o->security_opts, &sec, err) < 0)
		return err->code;
	json_object_set_new(hc, "SecurityOpt", sec);
	if (o->tmpfs.n) {
		json_t *t = json_object();
		for (size_t i = 0; i < o->tmpfs.n; i++)
			kv_into(t, o->tmpfs.v[i], ':');
		json_object_set_new(hc, "Tmpfs", t);
	}
	set_int(hc, "ShmSize", o->shm_size, true);
	if (o->sysctls.n) {
		json_t *t = json_object();
		for (size_t i = 0; i < o->sysctls.n; i++)
			kv_into(t, o->sysctls.v[i], '=');
		json_object_set_new(hc, "Sysctls", t);
	}
	if (o->runtime)
		json_object_set_new(hc, "Runtime", json_string(o->runtime));
	set_int(hc, "CpuShares", o->cpu_shares, false);
	set_int(hc, "Memory", o->memory, true);
	int64_t nanos = 0;
	if (o->cpus && cli_parse_cpus(o->cpus, &nanos, err) < 0)
		return err->code;
	json_object_set_new(hc, "NanoCpus", json_integer(nanos));
	set_int(hc, "MemorySwap", o->memory_swap, true);
	json_object_set_new(hc, "MemorySwappiness", json_integer(-1));
	set_int(hc, "PidsLimit", o->pids_limit, false);
	json_object_set_new(hc, "CpusetCpus", json_string(o->cpuset_cpus ? o->cpuset_cpus : ""));
	json_object_set_new(hc, "CpusetMems", json_string(o->cpuset_mems ? o->cpuset_mems : ""));
	set_int(hc, "BlkioWeight", o->blkio_weight, false);
	for (size_t l = 0; l < ARRAY_SIZE(blkio_lists); l++) {
		const struct cli_strv *sv = blkio_values(o, &blkio_lists[l]);
		json_t *list = json_array();
		json_object_set_new(hc, blkio_lists[l].key, list);
		for (size_t i = 0; i < sv->n; i++) {
			json_t *d = NULL;
			if (cli_parse_blkio_device(sv->v[i], blkio_lists[l].kind, &d, err) < 0)
				return err->code;
			json_array_append_new(list, d);
		}
	}
	json_object_set_new(hc, "DeviceCgroupRules", strv_json(&o->device_cgroup_rules, NULL));
	json_t *devs = json_array();
	json_object_set_new(hc, "Devices", devs);
	for (size_t i = 0; i < o->devices.n; i++) {
		json_t *d = NULL;
		if (cli_parse_device(o->devices.v[i], &d, err) < 0)
			return err->code;
		json_array_append_new(devs, d);
	}
	json_t *ul = json_array(), *mounts = json_array();
	json_object_set_new(hc, "Ulimits", ul);
	json_object_set_new(hc, "Mounts", mounts);
	for (size_t i = 0; i < o->ulimits.n; i++) {
		json_t *u = NULL;
		if (cli_parse_ulimit(o->ulimits.v[i], &u, err) < 0)
			return err->code;
		json_array_append_new(ul, u);
	}
	for (size_t i = 0; i < o->mounts.n; i++) {
		json_t *m = NULL;
		if (cli_parse_mount(o->mounts.v[i], &m, err) < 0)
			return err->code;
		json_array_append_new(mounts, m);
	}
	if (o->init)
		json_object_set_new(hc, "Init", json_true());
	struct winsize ws = {0};
	if (o->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		ws = (struct winsize){0};
	json_object_set_new(hc, "ConsoleSize",
			    json_pack("[i, i]", o->tty ? ws.ws_row : 0, o->tty ? ws.ws_col : 0));
	return 0;
}

static int64_t duration_of(const char *s)
{
	int64_t v = 0;
	return s && time_parse_duration(s, &v) == 0 ? v : 0;
}

/* The docker CLI's Healthcheck: {"Test":["NONE"]} for --no-healthcheck,
 * else the fields given (zero ones left out), CMD-SHELL for --health-cmd. */
static int healthcheck(const struct run_opts *o, json_t *body, struct error *err)
{
	const struct {
		const char *key, *flag;
		int64_t v;
	} f[] = {
	    {"Interval", "--health-interval", duration_of(o->health_interval)},
	    {"Timeout", "--health-timeout", duration_of(o->health_timeout)},
	    {"StartPeriod", "--health-start-period", duration_of(o->health_start_period)},
	    {"StartInterval", "--health-start-interval", duration_of(o->health_start_interval)}};
	int64_t retries = 0;
	if (o->health_retries)
		parse_i64(o->health_retries, &retries);
	bool any = (o->health_cmd && *o->health_cmd) || retries;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		any |= f[i].v != 0;
	if (o->no_healthcheck) {
		if (any)
			return error_set(err, -EINVAL,
					 "--no-healthcheck conflicts with --health-* options");
		json_object_set_new(body, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
		return 0;
	}
	if (!any)
		return 0;
	json_t *hc = json_object();
	if (o->health_cmd && *o->health_cmd)
		json_object_set_new(hc, "Test", json_pack("[s, s]", "CMD-SHELL", o->health_cmd));
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (f[i].v < 0) {
			json_decref(hc);
			return error_set(err, -EINVAL, "%s cannot be negative", f[i].flag);
		}
		if (f[i].v)
			json_object_set_new(hc, f[i].key, json_integer(f[i].v));
	}
	if (retries < 0) {
		json_decref(hc);
		return error_set(err, -EINVAL, "--health-retries cannot be negative");
	}
	if (retries)
		json_object_set_new(hc, "Retries", json_integer(retries));
	json_object_set_new(body, "Healthcheck", hc);
	return 0;
}

int run_opts_body(const struct run_opts *o, const struct cli_strv *args, json_t **ret,
		  struct error *err)
{
	bool attach = !o->detach;
	_cleanup_(cli_json_decrefp) json_t *env = json_array(), *labels = json_object(),
					   *label_list = json_array(), *vols = json_object();
	if (cli_read_kv_files(&o->env_files, true, env, err) < 0 ||
	    cli_read_kv_files(&o->label_files, false, label_list, err) < 0)
		return err->code;
	for (size_t i = 0; i < o->env.n; i++) {
		const char *val = strchr(o->env.v[i], '=') ? NULL : getenv(o->env.v[i]);
		_cleanup_free_ char *kv = NULL;
		if (val && asprintf(&kv, "%s=%s", o->env.v[i], val) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		json_array_append_new(env, json_string(kv ? kv : o->env.v[i]));
	}
	size_t i;
	json_t *v;
	json_array_foreach(label_list, i, v) kv_into(labels, json_string_value(v), '=');
	for (i = 0; i < o->labels.n; i++)
		kv_into(labels, o->labels.v[i], '=');
	json_t *cmd = json_array();
	for (i = 1; i < args->n; i++)
		json_array_append_new(cmd, json_string(args->v[i]));
	_cleanup_(cli_json_decrefp) json_t *body = json_pack(
	    "{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:O, s:o, s:s, s:O, s:s, s:O}", "Hostname",
	    o->hostname ? o->hostname : "", "User", o->user ? o->user : "", "AttachStdin",
	    attach && o->interactive, "AttachStdout", attach, "AttachStderr", attach, "Tty", o->tty,
	    "OpenStdin", o->interactive, "StdinOnce", attach && o->interactive, "Env", env, "Cmd",
	    cmd, "Image", args->v[0], "Volumes", vols, "WorkingDir", o->workdir ? o->workdir : "",
	    "Labels", labels);
	if (!body)
		return error_set(err, -ENOMEM, "out of memory");
	if (o->entrypoint)
		json_object_set_new(body, "Entrypoint",
				    *o->entrypoint ? json_pack("[s]", o->entrypoint)
						   : json_array());
	if (o->stop_signal)
		json_object_set_new(body, "StopSignal", json_string(o->stop_signal));
	set_int(body, "StopTimeout", o->stop_timeout, false);
	if (healthcheck(o, body, err) < 0)
		return err->code;
	json_t *hc = json_object();
	json_object_set_new(body, "HostConfig", hc);
	json_object_set(hc, "_Volumes", vols);
	int r = host_config(o, hc, err);
	json_object_del(hc, "_Volumes");
	if (r < 0)
		return r;
	if (add_network_opts(o, body) < 0)
		return error_set(err, -EINVAL, "invalid port specification");
	*ret = TAKE_PTR(body);
	return 0;
}
