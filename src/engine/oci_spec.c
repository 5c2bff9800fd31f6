/* config.json for runc from a container's Docker configuration, with the
 * defaults of dockerd's oci/defaults.go and daemon/oci_linux.go. */
#include "engine/oci_spec.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "shared/device_rule.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *const oci_default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

/* Every capability the runtime may know, in kernel order (runc skips the
 * ones the running kernel lacks). */
static const char *const all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    NULL,
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

int oci_cap_normalize(const char *name, char *buf, size_t len)
{
	if (strcasecmp(name, "ALL") == 0) {
		snprintf(buf, len, "ALL");
		return 0;
	}
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	if ((size_t)snprintf(buf, len, "CAP_%s", bare) >= len)
		return -EINVAL;
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; all_caps[i]; i++)
		if (strcmp(all_caps[i], buf) == 0)
			return 0;
	return -EINVAL;
}

static bool strv_has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_is_string(v) &&
					  strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* Normalized names of a CapAdd/CapDrop list; -EINVAL for unknown ones. */
static int cap_list(json_t *in, const char *field, json_t **ret, struct error *err)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(in, i, v)
	{
		char name[64];
		if (!json_is_string(v) ||
		    oci_cap_normalize(json_string_value(v), name, sizeof(name)) < 0) {
			json_decref(out);
			return error_set(err, -EINVAL, "invalid %s: unknown capability: \"%s\"",
					 field, json_is_string(v) ? json_string_value(v) : "?");
		}
		json_array_append_new(out, json_string(name));
	}
	*ret = out;
	return 0;
}

/* dockerd's TweakCapabilities: defaults (or all when privileged), plus
 * CapAdd, minus CapDrop; ALL in either list means every capability. */
static int capabilities(json_t *hc, uint64_t bounding, json_t **ret, struct error *err)
{
	json_t *add = NULL, *drop = NULL;
	int r = cap_list(json_object_get(hc, "CapAdd"), "CapAdd", &add, err);
	if (r == 0)
		r = cap_list(json_object_get(hc, "CapDrop"), "CapDrop", &drop, err);
	if (r < 0) {
		json_decref(add);
		return r;
	}
	bool privileged = json_is_true(json_object_get(hc, "Privileged"));
	bool all = privileged || strv_has(add, "ALL");
	const char *const *base = all ? all_caps : oci_default_caps;
	json_t *caps = json_array();
	for (size_t i = 0; base[i]; i++) {
		if (all && bounding && !(bounding & (1ull << i)))
			continue; /* a capability the daemon itself lacks */
		if (privileged || (!strv_has(drop, base[i]) && !strv_has(drop, "ALL")))
			json_array_append_new(caps, json_string(base[i]));
	}
	size_t i;
	json_t *v;
	json_array_foreach(add, i, v) if (!all && !strv_has(caps, json_string_value(v)))
	    json_array_append(caps, v);
	json_decref(add);
	json_decref(drop);
	*ret = caps;
	return 0;
}

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Entrypoint + Cmd, as dockerd's getEntrypointAndArgs. */
#define INIT_PATH "/sbin/docker-init"

static int process_args(json_t *cfg, bool init, json_t **ret, struct error *err)
{
	json_t *args = init ? json_pack("[s,s]", INIT_PATH, "--") : json_array();
	json_t *ep = json_object_get(cfg, "Entrypoint"), *cmd = json_object_get(cfg, "Cmd");
	size_t i;
	json_t *v;
	json_array_foreach(ep, i, v) json_array_append(args, v);
	json_array_foreach(cmd, i, v) json_array_append(args, v);
	if (json_array_size(args) == (init ? 2 : 0)) {
		json_decref(args);
		return error_set(err, -EINVAL, "No command specified");
	}
	*ret = args;
	return 0;
}

static bool env_has(json_t *env, const char *key)
{
	size_t kl = strlen(key), i;
	json_t *v;
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, key, kl) == 0 && s[kl] == '=')
			return true;
	}
	return false;
}

/* An entry without '=' unsets the variable (dockerd's
 * ReplaceOrAppendEnvValues): it removes what came before and is not passed
 * on (runc refuses it). */
static void env_unset(json_t *env, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = json_array_size(env); i-- > 0;) {
		const char *s = json_string_value(json_array_get(env, i));
		if (s && strncmp(s, key, kl) == 0 && (s[kl] == '=' || s[kl] == '\0'))
			json_array_remove(env, i);
	}
}

/* dockerd's CreateDaemonEnvironment: PATH when the image has none,
 * HOSTNAME, TERM for a tty, the links' variables, then the container's own
 * (replacing any of the same name). */
static json_t *process_env(json_t *cfg, json_t *link_env)
{
	json_t *env = json_array(), *own = json_object_get(cfg, "Env");
	if (!env_has(own, "PATH"))
		json_array_append_new(env, json_string(DEFAULT_PATH));
	const char *host = json_string_value(json_object_get(cfg, "Hostname"));
	if (host && !env_has(own, "HOSTNAME")) {
		char *s = NULL;
		if (asprintf(&s, "HOSTNAME=%s", host) >= 0)
			json_array_append_new(env, json_string(s));
		free(s);
	}
	if (json_is_true(json_object_get(cfg, "Tty")) && !env_has(own, "TERM"))
		json_array_append_new(env, json_string("TERM=xterm"));
	if (link_env)
		json_array_extend(env, link_env);
	size_t i;
	json_t *v;
	json_array_foreach(own, i, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			continue;
		const char *eq = strchr(s, '=');
		_cleanup_free_ char *key = strndup(s, eq ? (size_t)(eq - s) : strlen(s));
		if (key && link_env)
			env_unset(env, key);
		if (eq)
			json_array_append(env, v);
		else if (key)
			env_unset(env, key);
	}
	return env;
}

static json_t *user_json(const struct oci_user *u)
{
	json_t *groups = json_array();
	for (size_t i = 0; u && i < u->n_groups; i++)
		json_array_append_new(groups, json_integer(u->groups[i]));
	json_t *o = json_pack("{s:I, s:I}", "uid", (json_int_t)(u ? u->uid : 0), "gid",
			      (json_int_t)(u ? u->gid : 0));
	if (json_array_size(groups))
		json_object_set_new(o, "additionalGids", groups);
	else
		json_decref(groups);
	return o;
}

/* --ulimit name=soft[:hard] arrives as {"Name", "Soft", "Hard"}. */
static int rlimits(json_t *hc, json_t *proc, struct error *err)
{
	json_t *list = json_object_get(hc, "Ulimits");
	if (!json_array_size(list))
		return 0;
	json_t *out = json_array(), *u;
	size_t i;
	json_object_set_new(proc, "rlimits", out);
	json_array_foreach(list, i, u)
	{
		const char *name = json_string_value(json_object_get(u, "Name"));
		char type[64];
		if (!name || !*name || strlen(name) > 40)
			return error_set(err, -EINVAL, "invalid ulimit: missing name");
		int n = snprintf(type, sizeof(type), "RLIMIT_");
		for (const char *p = name; *p; p++)
			type[n++] = (char)toupper((unsigned char)*p);
		type[n] = '\0';
		json_array_append_new(
		    out, json_pack("{s:s, s:I, s:I}", "type", type, "hard",
				   json_integer_value(json_object_get(u, "Hard")), "soft",
				   json_integer_value(json_object_get(u, "Soft"))));
	}
	return 0;
}

static int process(const struct oci_inputs *in, json_t **ret, struct error *err)
{
	json_t *args = NULL, *caps = NULL;
	int r = process_args(in->config, json_is_true(json_object_get(in->host_config, "Init")),
			     &args, err);
	if (r == 0)
		r = capabilities(in->host_config, in->cap_bounding, &caps, err);
	if (r < 0) {
		json_decref(args);
		return r;
	}
	const char *cwd = json_string_value(json_object_get(in->config, "WorkingDir"));
	bool nnp = false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(in->host_config, "SecurityOpt"), i, v)
	{
		const char *s = json_string_value(v);
		nnp |=
		    s && (!strcmp(s, "no-new-privileges") || !strcmp(s, "no-new-privileges:true") ||
			  !strcmp(s, "no-new-privileges=true"));
	}
	*ret =
	    json_pack("{s:b, s:o, s:o, s:o, s:s, s:{s:O, s:O, s:O}, s:b, s:i}", "terminal",
		      json_is_true(json_object_get(in->config, "Tty")), "user", user_json(in->user),
		      "args", args, "env", process_env(in->config, in->link_env), "cwd",
		      cwd && *cwd ? cwd : "/", "capabilities", "bounding", caps, "effective", caps,
		      "permitted", caps, "noNewPrivileges", nnp, "oomScoreAdj",
		      (int)json_integer_value(json_object_get(in->host_config, "OomScoreAdj")));
	json_decref(caps);
	return rlimits(in->host_config, *ret, err);
}

static json_t *strs(const char *first, ...)
{
	json_t *a = json_array();
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		json_array_append_new(a, json_string(s));
	va_end(ap);
	return a;
}

static json_t *mount_json(const char *dest, const char *type, const char *src, json_t *opts)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
			 "options", opts);
}

/* True when a user mount covers dest, which then replaces the default. */
static bool user_mounts_cover(const struct oci_inputs *in, const char *dest)
{
	for (size_t i = 0; i < in->n_mounts; i++)
		if (strcmp(in->mounts[i].destination, dest) == 0)
			return true;
	return false;
}

static void add_default(json_t *mounts, const struct oci_inputs *in, json_t *m)
{
	if (user_mounts_cover(in, json_string_value(json_object_get(m, "destination"))))
		json_decref(m);
	else
		json_array_append_new(mounts, m);
}

/* dockerd's DefaultLinuxSpec mounts. */
static void default_mounts(json_t *mounts, const struct oci_inputs *in, bool privileged)
{
	const char *ro = privileged ? "rw" : "ro";
	add_default(mounts, in,
		    mount_json("/proc", "proc", "proc", strs("nosuid", "noexec", "nodev", NULL)));
	add_default(mounts, in,
		    mount_json("/dev", "tmpfs", "tmpfs",
			       strs("nosuid", "strictatime", "mode=755", "size=65536k", NULL)));
	add_default(mounts, in,
		    mount_json("/dev/pts", "devpts", "devpts",
			       strs("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
				    "gid=5", NULL)));
	add_default(
	    mounts, in,
	    mount_json("/sys", "sysfs", "sysfs", strs("nosuid", "noexec", "nodev", ro, NULL)));
	add_default(mounts, in,
		    mount_json("/sys/fs/cgroup", "cgroup", "cgroup",
			       strs(ro, "nosuid", "noexec", "nodev", NULL)));
	add_default(
	    mounts, in,
	    mount_json("/dev/mqueue", "mqueue", "mqueue", strs("nosuid", "noexec", "nodev", NULL)));
	json_int_t shm = json_integer_value(json_object_get(in->host_config, "ShmSize"));
	char size[64];
	snprintf(size, sizeof(size), "size=%lld", shm > 0 ? (long long)shm : 67108864LL);
	add_default(mounts, in,
		    mount_json("/dev/shm", "tmpfs", "shm",
			       strs("nosuid", "noexec", "nodev", "mode=1777", size, NULL)));
}

static void etc_mounts(json_t *mounts, const struct oci_inputs *in, bool ro_root)
{
	const char *dests[] = {"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"};
	const char *srcs[] = {in->resolv_path, in->hostname_path, in->hosts_path};
	for (size_t i = 0; i < 3; i++) {
		if (!srcs[i] || user_mounts_cover(in, dests[i]))
			continue;
		json_t *opts = strs("rbind", "rprivate", NULL);
		if (ro_root)
			json_array_append_new(opts, json_string("ro"));
		json_array_append_new(mounts, mount_json(dests[i], "bind", srcs[i], opts));
	}
}

/* "size=64m,mode=1777" -> options after Docker's tmpfs defaults. */
static json_t *tmpfs_options(const char *extra, bool readonly)
{
	json_t *opts = strs("nosuid", "nodev", "noexec", NULL);
	_cleanup_free_ char *copy = extra ? strdup(extra) : NULL;
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		if (*t && !strv_has(opts, t))
			json_array_append_new(opts, json_string(t));
	if (readonly)
		json_array_append_new(opts, json_string("ro"));
	return opts;
}

static size_t path_depth(const char *p)
{
	size_t n = 0;
	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* User mounts, parents before children (dockerd sorts by depth too). */
static void user_mounts(json_t *mounts, const struct oci_inputs *in)
{
	size_t max = 0;
	for (size_t i = 0; i < in->n_mounts; i++)
		max = path_depth(in->mounts[i].destination) > max
			  ? path_depth(in->mounts[i].destination)
			  : max;
	for (size_t d = 0; d <= max; d++) {
		for (size_t i = 0; i < in->n_mounts; i++) {
			const struct oci_mount *m = &in->mounts[i];
			if (path_depth(m->destination) != d)
				continue;
			if (strcmp(m->type, "tmpfs") == 0) {
				json_array_append_new(
				    mounts, mount_json(m->destination, "tmpfs", "tmpfs",
						       tmpfs_options(m->tmpfs_opts, m->readonly)));
				continue;
			}
			json_t *opts = strs("rbind", "rprivate", NULL);
			if (m->readonly)
				json_array_append_new(opts, json_string("ro"));
			json_array_append_new(mounts,
					      mount_json(m->destination, "bind", m->source, opts));
		}
	}
}

static json_t *namespaces(json_t *hc, const char *netns_path)
{
	const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
	json_t *ns = json_array();
	const char *types[] = {"mount", "pid", "ipc", "uts"};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		json_array_append_new(ns, json_pack("{s:s}", "type", types[i]));
	/* none gets a fresh network namespace with only loopback; host shares
	 * the host's by not having one. */
	if (netns_path)
		json_array_append_new(
		    ns, json_pack("{s:s, s:s}", "type", "network", "path", netns_path));
	else if (!net || strcmp(net, "host") != 0)
		json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
	return ns;
}

static json_int_t hc_int(json_t *hc, const char *key)
{
	return json_integer_value(json_object_get(hc, key));
}

static void cpuset(json_t *hc, json_t *cpu)
{
	const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
	const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
	if (cpus && *cpus)
		json_object_set_new(cpu, "cpus", json_string(cpus));
	if (mems && *mems)
		json_object_set_new(cpu, "mems", json_string(mems));
}

static json_t *block_io(json_t *hc, json_t *devices)
{
	json_t *b = devices ? json_deep_copy(devices) : json_object();
	if (hc_int(hc, "BlkioWeight") > 0)
		json_object_set_new(b, "weight", json_integer(hc_int(hc, "BlkioWeight")));
	return b;
}

json_t *oci_resources(json_t *hc, bool swap_limit, json_t *block_io_devices)
{
	json_t *res = json_object(), *mem = json_object(), *cpu = json_object();
	json_int_t m = hc_int(hc, "Memory"), swap = hc_int(hc, "MemorySwap");
	if (m > 0) {
		json_object_set_new(mem, "limit", json_integer(m));
		/* dockerd's default: as much swap as memory on top of it. */
		if (swap_limit)
			json_object_set_new(mem, "swap",
					    json_integer(swap > 0   ? swap
							 : swap < 0 ? -1
								    : 2 * m));
	}
	if (hc_int(hc, "MemoryReservation") > 0)
		json_object_set_new(mem, "reservation",
				    json_integer(hc_int(hc, "MemoryReservation")));
	if (hc_int(hc, "CpuShares") > 0)
		json_object_set_new(cpu, "shares", json_integer(hc_int(hc, "CpuShares")));
	json_int_t period = hc_int(hc, "CpuPeriod"), quota = hc_int(hc, "CpuQuota");
	if (hc_int(hc, "NanoCpus") > 0) {
		period = 100000;
		quota = hc_int(hc, "NanoCpus") * period / 1000000000;
	}
	if (period > 0)
		json_object_set_new(cpu, "period", json_integer(period));
	if (quota != 0)
		json_object_set_new(cpu, "quota", json_integer(quota));
	cpuset(hc, cpu);
	json_object_set_new(res, "memory", mem);
	json_object_set_new(res, "cpu", cpu);
	json_t *b = block_io(hc, block_io_devices);
	if (json_object_size(b))
		json_object_set_new(res, "blockIO", b);
	else
		json_decref(b);
	/* dockerd: zero or less is unlimited. */
	if (hc_int(hc, "PidsLimit") != 0)
		json_object_set_new(
		    res, "pids",
		    json_pack("{s:I}", "limit",
			      hc_int(hc, "PidsLimit") > 0 ? hc_int(hc, "PidsLimit") : -1));
	return res;
}

static json_t *resources(const struct oci_inputs *in, bool privileged)
{
	json_t *res =
	    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", privileged, "access", "rwm");
	json_t *limits = oci_resources(in->host_config, in->swap_limit, in->block_io);
	json_object_update(res, limits);
	json_decref(limits);
	return res;
}

/* linux.devices: the resolved entries without their cgroup access. */
static json_t *host_devices(json_t *resolved)
{
	json_t *out = json_array();
	size_t i;
	json_t *d;
	json_array_foreach(resolved, i, d)
	{
		json_t *copy = json_copy(d);
		json_object_del(copy, "access");
		json_array_append_new(out, copy);
	}
	return out;
}

/* The cgroup rules that let the container use its devices (cgroups know
 * character and block devices only). */
static void host_device_rules(json_t *resolved, json_t *rules)
{
	size_t i;
	json_t *d;
	json_array_foreach(resolved, i, d)
	{
		const char *type = json_string_value(json_object_get(d, "type"));
		if (!type || (strcmp(type, "c") && strcmp(type, "b")))
			continue;
		json_array_append_new(rules,
				      json_pack("{s:b, s:s, s:O, s:O, s:O}", "allow", 1, "type",
						type, "major", json_object_get(d, "major"), "minor",
						json_object_get(d, "minor"), "access",
						json_object_get(d, "access")));
	}
}

/* HostConfig.DeviceCgroupRules after the deny-all rule (a privileged
 * container allows everything already). */
static int device_rules(const struct oci_inputs *in, json_t *devices, struct error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(in->host_config, "DeviceCgroupRules"), i, v)
	{
		const char *rule = json_string_value(v);
		json_t *d = rule ? device_rule_parse(rule) : NULL;
		if (!d)
			return error_set(err, -EIO, "invalid device cgroup rule format: '%s'",
					 rule ? rule : "");
		json_array_append_new(devices, d);
	}
	host_device_rules(in->devices, devices);
	return 0;
}

static json_t *linux_section(const struct oci_inputs *in, bool privileged)
{
	char cg[128];
	snprintf(cg, sizeof(cg), "/berth/%s", in->id);
	json_t *l =
	    json_pack("{s:o, s:s, s:o}", "resources", resources(in, privileged), "cgroupsPath", cg,
		      "namespaces", namespaces(in->host_config, in->netns_path));
	json_t *sysctls = json_object_get(in->host_config, "Sysctls");
	if (json_object_size(sysctls))
		json_object_set(l, "sysctl", sysctls);
	if (json_array_size(in->devices))
		json_object_set_new(l, "devices", host_devices(in->devices));
	if (!privileged) {
		json_object_set_new(l, "maskedPaths", strv_json(masked_paths));
		json_object_set_new(l, "readonlyPaths", strv_json(readonly_paths));
	}
	return l;
}

int oci_spec_build(const struct oci_inputs *in, json_t **ret, struct error *err)
{
	json_t *proc = NULL;
	int r = process(in, &proc, err);
	if (r < 0)
		return r;
	bool privileged = json_is_true(json_object_get(in->host_config, "Privileged"));
	bool ro_root = json_is_true(json_object_get(in->host_config, "ReadonlyRootfs"));
	json_t *mounts = json_array();
	default_mounts(mounts, in, privileged);
	etc_mounts(mounts, in, ro_root);
	user_mounts(mounts, in);
	if (json_is_true(json_object_get(in->host_config, "Init")) && in->init_path)
		json_array_append_new(mounts,
				      mount_json(INIT_PATH, "bind", in->init_path,
						 strs("bind", "ro", "nosuid", "nodev", NULL)));
	json_t *caps = json_object_get(json_object_get(proc, "capabilities"), "effective");
	json_t *seccomp = NULL;
	r = oci_seccomp(in->host_config, caps, &seccomp, err);
	if (r < 0) {
		json_decref(proc);
		json_decref(mounts);
		return r;
	}
	json_t *lx = linux_section(in, privileged);
	r = privileged ? 0
		       : device_rules(
			     in, json_object_get(json_object_get(lx, "resources"), "devices"), err);
	if (r < 0) {
		json_decref(proc);
		json_decref(mounts);
		json_decref(seccomp);
		json_decref(lx);
		return r;
	}
	if (seccomp)
		json_object_set_new(lx, "seccomp", seccomp);
	const char *host = json_string_value(json_object_get(in->config, "Hostname"));
	*ret = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2-dev",
			 "process", proc, "root", "path", in->rootfs, "readonly", ro_root,
			 "hostname", host ? host : "", "mounts", mounts, "linux", lx);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}
