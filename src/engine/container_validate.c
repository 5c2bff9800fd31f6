/* The range and syntax checks of container create and update bodies, after
 * their types passed (container_validate_schema.c): dockerd's
 * verifyContainerSettings (daemon/container.go, daemon_unix.go), its mount
 * parser (daemon/volume/mounts), and the host names, addresses and options
 * that end up in the container's /etc files. */
#include "engine/cgroup_support.h"
#include "engine/container_validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/oci_spec.h"

#define MIN_MEMORY (6 * 1024 * 1024)
#define MAX_HOSTNAME 64

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* Go's %q, so that control characters in a message stay visible. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	buf[n++] = '"';
	for (; *s && n + 6 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\%c", c);
		else if (c == '\n')
			n += (size_t)snprintf(buf + n, len - n, "\\n");
		else if (c == '\t')
			n += (size_t)snprintf(buf + n, len - n, "\\t");
		else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void container_path_clean(char *path)
{
	bool abs = path[0] == '/';
	char *out = path, *p = path;
	size_t n = 0;
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = n ? memrchr(out, '/', n) : NULL;
			bool up = n && !(n >= 2 && out[n - 1] == '.' && out[n - 2] == '.' &&
					 (n == 2 || out[n - 3] == '/'));
			if (up)
				n = slash ? (size_t)(slash - out) : 0;
			else if (!abs) {
				if (n)
					out[n++] = '/';
				out[n++] = '.';
				out[n++] = '.';
			}
		} else {
			if (n || abs)
				out[n++] = '/';
			memmove(out + n, p, len);
			n += len;
		}
		p += len;
	}
	if (n == 0)
		out[n++] = abs ? '/' : '.';
	out[n] = '\0';
}

/* ---- Config ---- */

/* RFC 1123 labels, with '_' allowed as dockerd's users expect. */
static bool valid_host_name(const char *s)
{
	if (!*s || strlen(s) > 253)
		return false;
	for (const char *p = s; *p;) {
		size_t len =
		    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
		if (len == 0 || len > 63 || p[0] == '-' || p[len - 1] == '-')
			return false;
		p += len;
		if (*p == '.' && p[1])
			p++;
		else if (*p)
			return false;
	}
	return true;
}

static int check_names(json_t *cfg, struct error *err)
{
	const char *host = str(cfg, "Hostname"), *domain = str(cfg, "Domainname");
	char q[600];
	if (host && strlen(host) > MAX_HOSTNAME)
		return error_set(err, -EINVAL, "hostname %s is too long (maximum %d bytes)",
				 quote(host, q, sizeof(q)), MAX_HOSTNAME);
	if (host && *host && !valid_host_name(host))
		return error_set(err, -EINVAL,
				 "invalid hostname %s: it must be a valid RFC 1123 host name",
				 quote(host, q, sizeof(q)));
	if (domain && *domain && !valid_host_name(domain))
		return error_set(err, -EINVAL,
				 "invalid domainname %s: it must be a valid RFC 1123 domain name",
				 quote(domain, q, sizeof(q)));
	return 0;
}

static int check_working_dir(json_t *cfg, struct error *err)
{
	const char *wd = str(cfg, "WorkingDir");
	if (!wd || !*wd)
		return 0;
	if (wd[0] != '/')
		return error_set(
		    err, -EINVAL,
		    "the working directory '%s' is invalid, it needs to be an absolute path", wd);
	_cleanup_free_ char *clean = strdup(wd);
	if (!clean)
		return error_set(err, -ENOMEM, "out of memory");
	container_path_clean(clean);
	json_object_set_new(cfg, "WorkingDir", json_string(clean));
	return 0;
}

static int check_env(json_t *cfg, struct error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(cfg, "Env"), i, v)
	{
		const char *s = json_string_value(v);
		if (!*s || *s == '=')
			return error_set(err, -EINVAL, "invalid environment variable: %s", s);
	}
	return 0;
}

static int check_health(json_t *hc, struct error *err)
{
	static const char *const durations[] = {"Interval", "Timeout", "StartPeriod",
						"StartInterval"};
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		json_int_t ns = num(hc, durations[i]);
		if (ns != 0 && ns < 1000000)
			return error_set(err, -EINVAL, "%s in Healthcheck cannot be less than 1ms",
					 durations[i]);
	}
	if (num(hc, "Retries") < 0)
		return error_set(err, -EINVAL, "Retries in Healthcheck cannot be negative");
	return 0;
}

static bool valid_mac(const char *s)
{
	unsigned b[6];
	char tail;
	return sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		      &tail) == 6 &&
	       strlen(s) == 17 && strspn(s, "0123456789abcdefABCDEF:") == 17;
}

static int check_config(json_t *cfg, struct error *err)
{
	int r = check_names(cfg, err);
	if (r == 0)
		r = check_working_dir(cfg, err);
	const char *sig = str(cfg, "StopSignal");
	int signum;
	if (r == 0 && sig && *sig)
		r = container_parse_signal(sig, &signum, err);
	if (r == 0)
		r = check_env(cfg, err);
	if (r == 0)
		r = check_health(json_object_get(cfg, "Healthcheck"), err);
	const char *mac = str(cfg, "MacAddress");
	if (r == 0 && mac && *mac && !valid_mac(mac))
		r = error_set(err, -EINVAL, "address %s: invalid MAC address", mac);
	return r;
}

/* ---- mounts ---- */

/* A ".." component: a path that may leave where it is put. */
static bool has_dotdot(const char *p)
{
	size_t len = strlen(p);
	return !strcmp(p, "..") || !strncmp(p, "../", 3) || strstr(p, "/../") ||
	       (len >= 3 && !strcmp(p + len - 3, "/.."));
}

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static const char *const propagations[] = {"private", "rprivate", "slave", "rslave",
					   "shared",  "rshared",  NULL};

/* dockerd's linuxValidMountMode: rw|ro, z|Z, a propagation, nocopy, a
 * consistency; each kind at most once. */
static bool valid_mode(const char *mode)
{
	static const char *const rw[] = {"rw", "ro", NULL}, *const label[] = {"z", "Z", NULL},
				 *const copy_modes[] = {"nocopy", NULL},
				 *const consistency[] = {"consistent", "cached", "delegated", NULL};
	static const char *const *const kinds[] = {rw, label, propagations, copy_modes,
						   consistency};
	unsigned seen[ARRAY_SIZE(kinds)] = {0};
	_cleanup_free_ char *copy = strdup(mode);
	if (!copy)
		return false;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t k = 0;
		while (k < ARRAY_SIZE(kinds) && !in_list(t, kinds[k]))
			k++;
		if (k == ARRAY_SIZE(kinds) || seen[k]++)
			return false;
	}
	return true;
}

/* The target checks shared by -v, --mount and --tmpfs; the target is
 * cleaned in place. "" when valid, else dockerd's reason. */
static const char *target_problem(char *target)
{
	if (!*target)
		return "field Target must not be empty";
	bool abs = target[0] == '/';
	container_path_clean(target);
	if (strcmp(target, "/") == 0)
		return "invalid specification: destination can't be '/'";
	if (!abs)
		return "mount path must be absolute";
	return "";
}

static int bind_spec_error(struct error *err, const char *spec, const char *type,
			   const char *target, const char *why)
{
	if (strcmp(why, "mount path must be absolute") == 0)
		return error_set(
		    err, -EINVAL,
		    "invalid volume specification: '%s': invalid mount config for type \"%s\": "
		    "invalid mount path: '%s' mount path must be absolute",
		    spec, type, target);
	return error_set(
	    err, -EINVAL,
	    "invalid volume specification: '%s': invalid mount config for type \"%s\": %s", spec,
	    type, why);
}

/* One -v SRC:DEST[:MODE] or DEST, as dockerd's ParseMountRaw; the
 * destination is stored cleaned. */
static int check_bind(json_t *binds, size_t idx, struct error *err)
{
	const char *spec = json_string_value(json_array_get(binds, idx));
	_cleanup_free_ char *copy = strdup(spec);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	char *parts[4] = {0};
	size_t n = 0;
	for (char *p = copy; p && n < 4; n++) {
		parts[n] = p;
		p = n < 3 ? strchr(p, ':') : NULL;
		if (p)
			*p++ = '\0';
	}
	if (!*parts[0] || n > 3 || (n == 2 && valid_mode(parts[1])))
		return error_set(err, -EINVAL, "invalid volume specification: '%s'", spec);
	if (n == 3 && !valid_mode(parts[2]))
		return error_set(err, -EINVAL, "invalid mode: %s", parts[2]);
	char *target = n == 1 ? parts[0] : parts[1];
	const char *type = n > 1 && parts[0][0] == '/' ? "bind" : "volume";
	const char *why = target_problem(target);
	if (*why)
		return bind_spec_error(err, spec, type, target, why);
	_cleanup_free_ char *clean = NULL;
	int len = n == 1   ? asprintf(&clean, "%s", target)
		  : n == 2 ? asprintf(&clean, "%s:%s", parts[0], target)
			   : asprintf(&clean, "%s:%s:%s", parts[0], target, parts[2]);
	if (len < 0)
		return error_set(err, -ENOMEM, "out of memory");
	json_array_set_new(binds, idx, json_string(clean));
	return 0;
}

static int mount_error(struct error *err, const char *type, const char *why)
{
	return error_set(err, -EINVAL, "invalid mount config for type \"%s\": %s", type, why);
}

/* One --mount, as dockerd's validateMountConfigImpl. */
static int check_mount(json_t *m, struct error *err)
{
	const char *type = str(m, "Type") ? str(m, "Type") : "";
	const char *src = str(m, "Source") ? str(m, "Source") : "";
	bool bind = !strcmp(type, "bind"), volume = !strcmp(type, "volume"),
	     tmpfs = !strcmp(type, "tmpfs");
	if (!bind && json_is_object(json_object_get(m, "BindOptions")))
		return mount_error(err, type, "field BindOptions must not be specified");
	if (!volume && json_is_object(json_object_get(m, "VolumeOptions")))
		return mount_error(err, type, "field VolumeOptions must not be specified");
	_cleanup_free_ char *target = strdup(str(m, "Target") ? str(m, "Target") : "");
	if (!target)
		return error_set(err, -ENOMEM, "out of memory");
	const char *why = target_problem(target);
	if (!strcmp(why, "mount path must be absolute"))
		return error_set(err, -EINVAL,
				 "invalid mount config for type \"%s\": invalid mount path: '%s' "
				 "mount path must be absolute",
				 type, target);
	if (*why)
		return mount_error(err, type, why);
	json_object_set_new(m, "Target", json_string(target));
	struct stat st;
	const char *prop = str(json_object_get(m, "BindOptions"), "Propagation");
	const char *sub = str(json_object_get(m, "VolumeOptions"), "Subpath");
	char msg[4200];
	if (bind) {
		if (!*src)
			return mount_error(err, type, "field Source must not be empty");
		if (prop && *prop && !in_list(prop, propagations)) {
			snprintf(msg, sizeof(msg), "invalid propagation mode: %s", prop);
			return mount_error(err, type, msg);
		}
		if (src[0] != '/') {
			snprintf(msg, sizeof(msg),
				 "invalid mount path: '%s' mount path must be absolute", src);
			return mount_error(err, type, msg);
		}
		if (stat(src, &st) < 0) {
			snprintf(msg, sizeof(msg), "bind source path does not exist: %s", src);
			return mount_error(err, type, msg);
		}
	} else if (volume) {
		if (sub && *sub && (sub[0] == '/' || has_dotdot(sub)))
			return mount_error(err, type,
					   "subpath must be a relative path within the volume");
	} else if (tmpfs) {
		if (*src)
			return mount_error(err, type, "field Source must not be specified");
	} else {
		return mount_error(err, type, "mount type unknown");
	}
	return 0;
}

static int check_mounts(json_t *hc, struct error *err)
{
	size_t i;
	json_t *v;
	int r = 0;
	json_t *binds = json_object_get(hc, "Binds");
	for (i = 0; r == 0 && i < json_array_size(binds); i++)
		r = check_bind(binds, i, err);
	json_array_foreach(json_object_get(hc, "Mounts"), i, v) if (r == 0 && json_is_object(v)) r =
	    check_mount(v, err);
	const char *dest;
	json_object_foreach(json_object_get(hc, "Tmpfs"), dest, v)
	{
		if (r < 0)
			break;
		_cleanup_free_ char *t = strdup(dest);
		if (!t)
			return error_set(err, -ENOMEM, "out of memory");
		const char *why = target_problem(t);
		if (!strcmp(why, "mount path must be absolute"))
			r = error_set(err, -EINVAL,
				      "invalid mount path: '%s' mount path must be absolute", dest);
		else if (*why)
			r = error_set(err, -EINVAL, "%s", why);
	}
	return r;
}

/* ---- networking: what ends up in /etc/hosts and /etc/resolv.conf ---- */

static bool valid_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* dockerd's validateDomain: letters and digits in dot-separated labels. */
static bool valid_domain(const char *s)
{
	if (!strpbrk(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") || strlen(s) >= 255)
		return false;
	_cleanup_free_ char *copy = strdup(s);
	if (!copy)
		return false;
	size_t len = strlen(copy);
	if (len && copy[len - 1] == '.')
		copy[--len] = '\0';
	for (char *p = copy; *p;) {
		size_t l =
		    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		if (l == 0 || p[0] == '-' || p[l - 1] == '-')
			return false;
		p += l;
		if (*p == '.' && p[1])
			p++;
		else if (*p)
			return false;
	}
	return true;
}

static int check_dns(json_t *hc, struct error *err)
{
	size_t i;
	json_t *v;
	char q[600];
	json_array_foreach(json_object_get(hc, "Dns"), i, v) if (
	    !valid_ip(json_string_value(
		v))) return error_set(err, -EINVAL,
				      "invalid JSON: ParseAddr(%s): unable to parse IP",
				      quote(json_string_value(v), q, sizeof(q)));
	json_array_foreach(json_object_get(hc, "DnsSearch"), i, v)
	{
		const char *s = json_string_value(v);
		if (strcmp(s, ".") && !valid_domain(s))
			return error_set(err, -EINVAL, "%s is not a valid domain",
					 quote(s, q, sizeof(q)));
	}
	json_array_foreach(json_object_get(hc, "DnsOptions"), i, v)
	{
		const char *s = json_string_value(v);
		bool ok = *s;
		for (const char *p = s; *p; p++)
			ok = ok && isgraph((unsigned char)*p);
		if (!ok)
			return error_set(err, -EINVAL, "invalid DNS option %s",
					 quote(s, q, sizeof(q)));
	}
	json_array_foreach(json_object_get(hc, "ExtraHosts"), i, v)
	{
		const char *s = json_string_value(v), *colon = strchr(s, ':');
		if (!colon || colon == s)
			return error_set(err, -EINVAL, "bad format for add-host: %s",
					 quote(s, q, sizeof(q)));
		_cleanup_free_ char *name = strndup(s, (size_t)(colon - s));
		if (!name)
			return error_set(err, -ENOMEM, "out of memory");
		if (strcmp(colon + 1, "host-gateway") && !valid_ip(colon + 1))
			return error_set(err, -EINVAL, "invalid IP address in add-host: %s",
					 quote(colon + 1, q, sizeof(q)));
		if (!valid_host_name(name))
			return error_set(err, -EINVAL, "invalid host name in add-host: %s",
					 quote(name, q, sizeof(q)));
	}
	return 0;
}

/* "80", "80/tcp", "8000-8010/udp". */
static bool valid_port_range(const char *s, bool allow_proto)
{
	char *end;
	long lo = strtol(s, &end, 10), hi = lo;
	if (end == s || lo < 1 || lo > 65535)
		return false;
	if (*end == '-') {
		const char *h = end + 1;
		hi = strtol(h, &end, 10);
		if (end == h || hi < lo || hi > 65535)
			return false;
	}
	if (!*end)
		return true;
	return allow_proto && *end == '/' &&
	       (!strcmp(end + 1, "tcp") || !strcmp(end + 1, "udp") || !strcmp(end + 1, "sctp"));
}

static int check_ports(json_t *hc, struct error *err)
{
	const char *port;
	json_t *list;
	json_object_foreach(json_object_get(hc, "PortBindings"), port, list)
	{
		if (!valid_port_range(port, true))
			return error_set(err, -EINVAL, "invalid port specification: \"%s\"", port);
		size_t i;
		json_t *b;
		json_array_foreach(list, i, b)
		{
			const char *hp = str(b, "HostPort");
			if (hp && *hp && !valid_port_range(hp, false))
				return error_set(err, -EINVAL, "invalid port specification: \"%s\"",
						 hp);
			const char *ip = str(b, "HostIp");
			if (ip && *ip && !valid_ip(ip))
				return error_set(err, -EINVAL, "invalid IP address: %s", ip);
		}
	}
	return 0;
}

/* ---- HostConfig ---- */

static int check_caps(json_t *hc, struct error *err)
{
	static const char *const fields[] = {"CapAdd", "CapDrop"};
	for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(hc, fields[f]), i, v)
		{
			char name[64];
			if (oci_cap_normalize(json_string_value(v), name, sizeof(name)) < 0)
				return error_set(err, -EINVAL,
						 "invalid %s: unknown capability: \"%s\"",
						 fields[f], json_string_value(v));
		}
	}
	return 0;
}

/* "", "host", "private", "container:<ref>", ... as dockerd's Valid(). */
static int check_mode(struct containers *cs, json_t *hc, const char *field, const char *what,
		      const char *const *plain, bool container, struct error *err)
{
	const char *mode = str(hc, field);
	if (!mode || !*mode || in_list(mode, plain))
		return 0;
	if (!container || strncmp(mode, "container:", 10) || !mode[10])
		return error_set(err, -EINVAL, "invalid %s mode: %s", what, mode);
	struct container *other;
	struct error e2 = ERROR_INIT;
	int r = cs ? containers_lookup(cs, mode + 10, &other, &e2) : 0;
	if (r < 0)
		r = error_set(err, -EINVAL, "invalid %s mode: %s: %s", what, mode, error_msg(&e2));
	error_clear(&e2);
	return r;
}

static int check_modes(struct containers *cs, json_t *hc, struct error *err)
{
	int r = check_mode(cs, hc, "IpcMode", "IPC",
			   (const char *const[]){"none", "private", "shareable", "host", NULL},
			   true, err);
	if (r == 0)
		r = check_mode(cs, hc, "PidMode", "PID", (const char *const[]){"host", NULL}, true,
			       err);
	if (r == 0)
		r = check_mode(cs, hc, "UTSMode", "UTS", (const char *const[]){"host", NULL}, false,
			       err);
	if (r == 0)
		r = check_mode(cs, hc, "CgroupnsMode", "cgroup namespace",
			       (const char *const[]){"private", "host", NULL}, false, err);
	const char *iso = str(hc, "Isolation");
	if (r == 0 && iso && *iso && strcmp(iso, "default"))
		r = error_set(err, -EINVAL, "invalid isolation (%s): linux only supports 'default'",
			      iso);
	return r;
}

static bool go_bool(const char *s)
{
	return in_list(s, (const char *const[]){"1", "t", "T", "TRUE", "true", "True", "0", "f",
						"F", "FALSE", "false", "False", NULL});
}

/* dockerd's parseSecurityOpt: KEY=VALUE (or the old KEY:VALUE). */
static int check_security_opts(json_t *hc, struct error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
	{
		const char *opt = json_string_value(v);
		if (!strcmp(opt, "no-new-privileges") || !strcmp(opt, "disable"))
			continue;
		size_t k = strchr(opt, '=') ? strcspn(opt, "=") : strcspn(opt, ":");
		if (!opt[k])
			return error_set(err, -EINVAL, "invalid --security-opt 1: \"%s\"", opt);
		_cleanup_free_ char *key = strndup(opt, k);
		if (!key)
			return error_set(err, -ENOMEM, "out of memory");
		const char *val = opt + k + 1;
		bool ok =
		    in_list(key, (const char *const[]){"label", "apparmor", "seccomp", NULL}) ||
		    (in_list(key, (const char *const[]){"no-new-privileges", "writable-cgroups",
							NULL}) &&
		     go_bool(val));
		if (!ok)
			return error_set(err, -EINVAL, "invalid --security-opt 2: \"%s\"", opt);
	}
	return 0;
}

static int check_ulimits(json_t *hc, struct error *err)
{
	static const char *const names[] = {"as",    "core",	"cpu",	    "data",   "fsize",
					    "locks", "memlock", "msgqueue", "nice",   "nofile",
					    "nproc", "rss",	"rtprio",   "rttime", "sigpending",
					    "stack", NULL};
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(hc, "Ulimits"), i, u)
	{
		const char *name = str(u, "Name") ? str(u, "Name") : "";
		json_int_t soft = num(u, "Soft"), hard = num(u, "Hard");
		if (!in_list(name, names))
			return error_set(err, -EINVAL, "invalid ulimit type: %s", name);
		if (soft < 0 || hard < 0)
			return error_set(err, -EINVAL,
					 "invalid ulimit %s: limits cannot be negative", name);
		if (soft > hard)
			return error_set(err, -EINVAL,
					 "ulimit soft limit must be less than or equal to hard "
					 "limit: %lld > %lld",
					 (long long)soft, (long long)hard);
	}
	return 0;
}

static int check_host_misc(json_t *hc, struct error *err)
{
	json_int_t oom = num(hc, "OomScoreAdj");
	if (oom < -1000 || oom > 1000)
		return error_set(err, -EINVAL,
				 "Invalid value %lld, range for oom score adj is [-1000, 1000]",
				 (long long)oom);
	if (num(hc, "ShmSize") < 0)
		return error_set(err, -EINVAL, "SHM size can not be less than 0");
	const char *parent = str(hc, "CgroupParent");
	if (parent && has_dotdot(parent))
		return error_set(err, -EINVAL,
				 "invalid cgroup parent \"%s\": it must not contain \"..\"",
				 parent);
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(hc, "Annotations"), k, v) if (!*k) return error_set(
	    err, -EINVAL,
	    "invalid Annotations: the empty string is not permitted as an annotation key");
	if (json_is_true(json_object_get(hc, "AutoRemove"))) {
		const char *rp = str(json_object_get(hc, "RestartPolicy"), "Name");
		if (rp && *rp && strcmp(rp, "no"))
			return error_set(err, -EINVAL,
					 "can't create 'AutoRemove' container with restart policy");
	}
	return 0;
}

/* ---- resources ---- */

static long online_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

static int check_memory(json_t *hc, bool update, struct error *err)
{
	json_int_t mem = num(hc, "Memory"), swap = num(hc, "MemorySwap");
	json_int_t res = num(hc, "MemoryReservation");
	json_t *swappiness = json_object_get(hc, "MemorySwappiness");
	if (mem != 0 && mem < MIN_MEMORY)
		return error_set(err, -EINVAL, "Minimum memory limit allowed is 6MB");
	if (mem > 0 && swap > 0 && swap < mem)
		return error_set(
		    err, -EINVAL,
		    "Minimum memoryswap limit should be larger than memory limit, see usage");
	if (mem == 0 && swap > 0 && !update)
		return error_set(err, -EINVAL,
				 "You should always set the Memory limit when using Memoryswap "
				 "limit, see usage");
	if (json_is_integer(swappiness) && json_integer_value(swappiness) != -1 &&
	    (json_integer_value(swappiness) < 0 || json_integer_value(swappiness) > 100))
		return error_set(err, -EINVAL,
				 "Invalid value: %lld, valid memory swappiness range is 0-100",
				 (long long)json_integer_value(swappiness));
	if (res != 0 && res < MIN_MEMORY)
		return error_set(err, -EINVAL, "Minimum memory reservation allowed is 6MB");
	if (mem > 0 && res > 0 && mem < res)
		return error_set(err, -EINVAL,
				 "Minimum memory limit can not be less than memory reservation "
				 "limit, see usage");
	return 0;
}

static int check_cpu(json_t *hc, struct error *err)
{
	json_int_t nano = num(hc, "NanoCpus"), period = num(hc, "CpuPeriod"),
		   quota = num(hc, "CpuQuota");
	long ncpu = online_cpus();
	if (nano > 0 && period > 0)
		return error_set(
		    err, -EINVAL,
		    "Conflicting options: Nano CPUs and CPU Period cannot both be set");
	if (nano > 0 && quota > 0)
		return error_set(err, -EINVAL,
				 "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	if (nano < 0 || nano > ncpu * 1000000000LL)
		return error_set(
		    err, -EINVAL,
		    "range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
		    ncpu, ncpu);
	if (num(hc, "CpuShares") < 0)
		return error_set(err, -EINVAL,
				 "invalid CPU shares (%lld): value must be a positive integer",
				 (long long)num(hc, "CpuShares"));
	if (period != 0 && (period < 1000 || period > 1000000))
		return error_set(err, -EINVAL,
				 "CPU cfs period can not be less than 1ms (i.e. 1000) or larger "
				 "than 1s (i.e. 1000000)");
	if (quota > 0 && quota < 1000)
		return error_set(err, -EINVAL,
				 "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	/* Syntax only: whether the machine has them is cgroup_support_adjust's
	 * question, as dockerd asks it apart. */
	const char *cpus = str(hc, "CpusetCpus");
	if (cpus && !cgroup_cpuset_parse(cpus, NULL, NULL))
		return error_set(err, -EINVAL, "Invalid value %s for cpuset cpus", cpus);
	const char *mems = str(hc, "CpusetMems");
	if (mems && !cgroup_cpuset_parse(mems, NULL, NULL))
		return error_set(err, -EINVAL, "Invalid value %s for cpuset mems", mems);
	return 0;
}

int container_validate_resources(json_t *hc, bool update, struct error *err)
{
	int r = check_memory(hc, update, err);
	if (r == 0)
		r = check_cpu(hc, err);
	json_int_t w = num(hc, "BlkioWeight");
	if (r == 0 && w > 0 && (w < 10 || w > 1000))
		r = error_set(err, -EINVAL, "Range of blkio weight is from 10 to 1000");
	if (r == 0 && (num(hc, "IOMaximumBandwidth") != 0 || num(hc, "IOMaximumIOps") != 0))
		r = error_set(err, -EINVAL,
			      "Invalid QoS settings: linux does not support Maximum IO Bandwidth "
			      "or Maximum IO IOps");
	if (r == 0)
		r = check_ulimits(hc, err);
	return r;
}

static int check_host_config(struct containers *cs, json_t *hc, struct error *err)
{
	int (*const simple[])(json_t *, struct error *) = {
	    check_host_misc, check_mounts, check_dns, check_ports, check_caps, check_security_opts,
	};
	int r = 0;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(simple); i++)
		r = simple[i](hc, err);
	if (r == 0)
		r = container_validate_resources(hc, false, err);
	if (r == 0)
		r = check_modes(cs, hc, err);
	if (r == 0)
		r = container_restart_policy_validate(hc, err);
	uint64_t log_size;
	unsigned log_files;
	if (r == 0)
		r = container_log_opts(hc, &log_size, &log_files, err);
	const char *rt = str(hc, "Runtime");
	if (r == 0 && cs && rt && *rt && !containers_runtime_named(cs, rt))
		r = error_set(err, -EINVAL, "Unknown runtime specified %s", rt);
	return r;
}

int container_validate_create(struct containers *cs, json_t *body, struct error *err)
{
	int r = container_check_create_types(body, err);
	if (r == 0)
		r = check_config(body, err);
	json_t *hc = json_object_get(body, "HostConfig");
	if (r == 0 && json_is_object(hc))
		r = check_host_config(cs, hc, err);
	return r;
}

int container_validate_update(json_t *body, struct error *err)
{
	int r = container_check_update_types(body, err);
	if (r == 0)
		r = check_ulimits(body, err);
	return r;
}

int container_validate_stored(json_t *config, json_t *host_config, struct error *err)
{
	return container_check_stored_types(config, host_config, err);
}
