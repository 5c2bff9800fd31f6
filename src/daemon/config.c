/* Flags, daemon.json and their merge. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "shared/generic_resources.h"

/* daemon.json is a few lines; this only bounds a mistake. */
#define MAX_CONFIG_FILE_BYTES (1u << 20)

/* Names as dockerd spells them, both for flags and daemon.json keys. */
static const char *const key_names[CFG_KEY_COUNT] = {
    [CFG_HOSTS] = "hosts",
    [CFG_TLS] = "tls",
    [CFG_TLSVERIFY] = "tlsverify",
    [CFG_TLSCACERT] = "tlscacert",
    [CFG_TLSCERT] = "tlscert",
    [CFG_TLSKEY] = "tlskey",
    [CFG_DEBUG] = "debug",
    [CFG_LOG_LEVEL] = "log-level",
    [CFG_DATA_ROOT] = "data-root",
    [CFG_EXEC_ROOT] = "exec-root",
    [CFG_PIDFILE] = "pidfile",
    [CFG_STORAGE_DRIVER] = "storage-driver",
    [CFG_LABELS] = "labels",
    [CFG_RUNTIMES] = "runtimes",
    [CFG_DEFAULT_RUNTIME] = "default-runtime",
    [CFG_BRIDGE] = "bridge",
    [CFG_BIP] = "bip",
    [CFG_FIXED_CIDR] = "fixed-cidr",
    [CFG_ADDRESS_POOLS] = "default-address-pools",
    [CFG_IPTABLES] = "iptables",
    [CFG_INSECURE_REGISTRIES] = "insecure-registries",
    [CFG_REGISTRY_MIRRORS] = "registry-mirrors",
    [CFG_MAX_DOWNLOADS] = "max-concurrent-downloads",
    [CFG_MAX_UPLOADS] = "max-concurrent-uploads",
    [CFG_METRICS_ADDR] = "metrics-addr",
    [CFG_NODE_GENERIC_RESOURCES] = "node-generic-resources",
    [CFG_LOG_DRIVER] = "log-driver",
    [CFG_LOG_OPTS] = "log-opts",
};

enum {
	OPT_TLS = 256,
	OPT_TLSVERIFY,
	OPT_TLSCACERT,
	OPT_TLSCERT,
	OPT_TLSKEY,
	OPT_LOG_LEVEL,
	OPT_DATA_ROOT,
	OPT_EXEC_ROOT,
	OPT_PIDFILE_LONG,
	OPT_CONFIG_FILE,
	OPT_STORAGE_DRIVER,
	OPT_LABEL,
	OPT_VERSION,
	OPT_ADD_RUNTIME,
	OPT_DEFAULT_RUNTIME,
	OPT_BIP,
	OPT_FIXED_CIDR,
	OPT_ADDRESS_POOL,
	OPT_IPTABLES,
	OPT_INSECURE_REGISTRY,
	OPT_REGISTRY_MIRROR,
	OPT_MAX_DOWNLOADS,
	OPT_MAX_UPLOADS,
	OPT_METRICS_ADDR,
	OPT_NODE_GENERIC_RESOURCE,
	OPT_LOG_DRIVER,
	OPT_LOG_OPT
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, 'H'},
    {"tls", optional_argument, NULL, OPT_TLS},
    {"tlsverify", optional_argument, NULL, OPT_TLSVERIFY},
    {"tlscacert", required_argument, NULL, OPT_TLSCACERT},
    {"tlscert", required_argument, NULL, OPT_TLSCERT},
    {"tlskey", required_argument, NULL, OPT_TLSKEY},
    {"debug", optional_argument, NULL, 'D'},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"data-root", required_argument, NULL, OPT_DATA_ROOT},
    {"exec-root", required_argument, NULL, OPT_EXEC_ROOT},
    {"pidfile", required_argument, NULL, OPT_PIDFILE_LONG},
    {"config-file", required_argument, NULL, OPT_CONFIG_FILE},
    {"storage-driver", required_argument, NULL, OPT_STORAGE_DRIVER},
    {"label", required_argument, NULL, OPT_LABEL},
    {"add-runtime", required_argument, NULL, OPT_ADD_RUNTIME},
    {"default-runtime", required_argument, NULL, OPT_DEFAULT_RUNTIME},
    {"bridge", required_argument, NULL, 'b'},
    {"bip", required_argument, NULL, OPT_BIP},
    {"fixed-cidr", required_argument, NULL, OPT_FIXED_CIDR},
    {"default-address-pool", required_argument, NULL, OPT_ADDRESS_POOL},
    {"iptables", optional_argument, NULL, OPT_IPTABLES},
    {"insecure-registry", required_argument, NULL, OPT_INSECURE_REGISTRY},
    {"registry-mirror", required_argument, NULL, OPT_REGISTRY_MIRROR},
    {"max-concurrent-downloads", required_argument, NULL, OPT_MAX_DOWNLOADS},
    {"max-concurrent-uploads", required_argument, NULL, OPT_MAX_UPLOADS},
    {"metrics-addr", required_argument, NULL, OPT_METRICS_ADDR},
    {"node-generic-resource", required_argument, NULL, OPT_NODE_GENERIC_RESOURCE},
    {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
    {"log-opt", required_argument, NULL, OPT_LOG_OPT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void config_print_usage(void)
{
	printf(
	    "Usage:\tberthd [OPTIONS]\n\n"
	    "A self-sufficient runtime for containers, serving the Docker Engine API.\n\n"
	    "Options:\n"
	    "      --add-runtime runtime    Register an additional OCI compatible runtime "
	    "(name=path)\n"
	    "  -b, --bridge string          Attach containers to a network bridge (default "
	    "\"berth0\")\n"
	    "      --bip string             Specify network bridge IP\n"
	    "      --config-file string     Daemon configuration file (default \"%s\")\n"
	    "      --data-root string       Root directory of persistent state (default "
	    "\"/var/lib/berth\")\n"
	    "  -D, --debug                  Enable debug mode\n"
	    "      --default-address-pool pool-options  Default address pools for node specific "
	    "local networks\n"
	    "      --default-runtime string Default OCI runtime for containers (default \"runc\")\n"
	    "      --exec-root string       Root directory for execution state files (default "
	    "\"/run/berth\")\n"
	    "      --fixed-cidr string      IPv4 subnet for fixed IPs\n"
	    "  -h, --help                   Print usage\n"
	    "  -H, --host list              Daemon socket(s) to connect to (default %s)\n"
	    "      --insecure-registry list Enable insecure registry communication\n"
	    "      --iptables               Enable addition of nftables rules (default true)\n"
	    "      --label list             Set key=value labels to the daemon\n"
	    "      --log-driver string      Default driver for container logs (default "
	    "\"json-file\")\n"
	    "      --log-opt map            Default log driver options for containers (default "
	    "map[])\n"
	    "      --max-concurrent-downloads int  Set the max concurrent downloads (default 3)\n"
	    "      --max-concurrent-uploads int    Set the max concurrent uploads (default 5)\n"
	    "      --metrics-addr string    Set default address and port to serve the metrics api "
	    "on\n"
	    "      --node-generic-resource list  Advertise user-defined resource\n"
	    "      --registry-mirror list   Preferred registry mirror\n"
	    "  -l, --log-level string       Set the logging level "
	    "(\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\") (default \"info\")\n"
	    "  -p, --pidfile string         Path to use for daemon PID file (default "
	    "\"/run/berth/berth.pid\")\n"
	    "  -s, --storage-driver string  Storage driver to use (overlay2, vfs)\n"
	    "      --tls                    Use TLS; implied by --tlsverify\n"
	    "      --tlscacert string       Trust certs signed only by this CA (default "
	    "\"~/.docker/ca.pem\")\n"
	    "      --tlscert string         Path to TLS certificate file (default "
	    "\"~/.docker/cert.pem\")\n"
	    "      --tlskey string          Path to TLS key file (default \"~/.docker/key.pem\")\n"
	    "      --tlsverify              Use TLS and verify the remote\n"
	    "  -v, --version                Print version information and quit\n",
	    DEFAULT_CONFIG_FILE, DEFAULT_HOST);
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
}

/* Go's flag package accepts --flag, --flag=true and --flag=false for booleans. */
static int parse_bool_flag(const char *name, const char *arg, bool *ret, struct error *err)
{
	if (!arg || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
		*ret = true;
		return 0;
	}
	if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
		*ret = false;
		return 0;
	}
	return error_set(err, -EINVAL, "invalid argument \"%s\" for \"--%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax",
			 arg, name, arg);
}

static int parse_count_flag(const char *name, const char *arg, int *ret, struct error *err)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < 1 || v > 1000)
		return error_set(err, -EINVAL, "invalid argument \"%s\" for \"--%s\" flag: a number from 1 to 1000 is needed",
				 arg, name);
	*ret = (int)v;
	return 0;
}

static int apply_flag(struct daemon_config *cfg, int opt, const char *arg, struct error *err)
{
	switch (opt) {
	case 'H':
		cfg->set |= 1u << CFG_HOSTS;
		return strv_push(&cfg->hosts, &cfg->n_hosts, arg);
	case OPT_TLS:
		cfg->set |= 1u << CFG_TLS;
		return parse_bool_flag("tls", arg, &cfg->tls, err);
	case OPT_TLSVERIFY:
		cfg->set |= 1u << CFG_TLSVERIFY;
		return parse_bool_flag("tlsverify", arg, &cfg->tlsverify, err);
	case 'D':
		cfg->set |= 1u << CFG_DEBUG;
		return parse_bool_flag("debug", arg, &cfg->debug, err);
	case OPT_LABEL:
		cfg->set |= 1u << CFG_LABELS;
		return strv_push(&cfg->labels, &cfg->n_labels, arg);
	case OPT_NODE_GENERIC_RESOURCE:
		if (!strchr(arg, '='))
			return error_set(err, -EINVAL,
					 "invalid argument \"%s\" for \"--node-generic-resource\" flag: "
					 "invalid generic-resource format `%s` expected `name=value`",
					 arg, arg);
		cfg->set |= 1u << CFG_NODE_GENERIC_RESOURCES;
		return strv_push(&cfg->node_generic_resources, &cfg->n_node_generic_resources, arg);
	case OPT_LOG_OPT:
		if (!strchr(arg, '=') || arg[0] == '=')
			return error_set(err, -EINVAL,
					 "invalid argument \"%s\" for \"--log-opt\" flag: invalid "
					 "key value pair format in log-opt",
					 arg);
		cfg->set |= 1u << CFG_LOG_OPTS;
		return strv_push(&cfg->log_opts, &cfg->n_log_opts, arg);
	case OPT_ADD_RUNTIME:
		cfg->set |= 1u << CFG_RUNTIMES;
		return strv_push(&cfg->runtimes, &cfg->n_runtimes, arg);
	case OPT_ADDRESS_POOL:
		cfg->set |= 1u << CFG_ADDRESS_POOLS;
		return strv_push(&cfg->address_pools, &cfg->n_address_pools, arg);
	case OPT_IPTABLES:
		cfg->set |= 1u << CFG_IPTABLES;
		return parse_bool_flag("iptables", arg, &cfg->iptables, err);
	case OPT_INSECURE_REGISTRY:
		cfg->set |= 1u << CFG_INSECURE_REGISTRIES;
		return strv_push(&cfg->insecure_registries, &cfg->n_insecure_registries, arg);
	case OPT_REGISTRY_MIRROR:
		cfg->set |= 1u << CFG_REGISTRY_MIRRORS;
		return strv_push(&cfg->registry_mirrors, &cfg->n_registry_mirrors, arg);
	case OPT_MAX_DOWNLOADS:
		cfg->set |= 1u << CFG_MAX_DOWNLOADS;
		return parse_count_flag("max-concurrent-downloads", arg, &cfg->max_downloads, err);
	case OPT_MAX_UPLOADS:
		cfg->set |= 1u << CFG_MAX_UPLOADS;
		return parse_count_flag("max-concurrent-uploads", arg, &cfg->max_uploads, err);
	case OPT_CONFIG_FILE:
		set_str(&cfg->config_file, arg);
		cfg->config_file_given = true;
		return 0;
	}
	static const struct {
		int opt;
		enum config_key key;
		size_t offset;
	} strings[] = {
	    {OPT_TLSCACERT, CFG_TLSCACERT, offsetof(struct daemon_config, tlscacert)},
	    {OPT_TLSCERT, CFG_TLSCERT, offsetof(struct daemon_config, tlscert)},
	    {OPT_TLSKEY, CFG_TLSKEY, offsetof(struct daemon_config, tlskey)},
	    {OPT_LOG_LEVEL, CFG_LOG_LEVEL, offsetof(struct daemon_config, log_level)},
	    {'l', CFG_LOG_LEVEL, offsetof(struct daemon_config, log_level)},
	    {OPT_DATA_ROOT, CFG_DATA_ROOT, offsetof(struct daemon_config, data_root)},
	    {OPT_EXEC_ROOT, CFG_EXEC_ROOT, offsetof(struct daemon_config, exec_root)},
	    {OPT_PIDFILE_LONG, CFG_PIDFILE, offsetof(struct daemon_config, pidfile)},
	    {'p', CFG_PIDFILE, offsetof(struct daemon_config, pidfile)},
	    {OPT_STORAGE_DRIVER, CFG_STORAGE_DRIVER,
	     offsetof(struct daemon_config, storage_driver)},
	    {'s', CFG_STORAGE_DRIVER, offsetof(struct daemon_config, storage_driver)},
	    {OPT_DEFAULT_RUNTIME, CFG_DEFAULT_RUNTIME,
	     offsetof(struct daemon_config, default_runtime)},
	    {'b', CFG_BRIDGE, offsetof(struct daemon_config, bridge)},
	    {OPT_BIP, CFG_BIP, offsetof(struct daemon_config, bip)},
	    {OPT_FIXED_CIDR, CFG_FIXED_CIDR, offsetof(struct daemon_config, fixed_cidr)},
	    {OPT_METRICS_ADDR, CFG_METRICS_ADDR, offsetof(struct daemon_config, metrics_addr)},
	    {OPT_LOG_DRIVER, CFG_LOG_DRIVER, offsetof(struct daemon_config, log_driver)},
	};
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		if (strings[i].opt != opt)
			continue;
		cfg->set |= 1u << strings[i].key;
		set_str((char **)((char *)cfg + strings[i].offset), arg);
		return 0;
	}
	return -EINVAL;
}

int config_parse_flags(int argc, char **argv, struct daemon_config *cfg, struct error *err)
{
	optind = 0; /* full reset, so tests can parse several times */
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":H:D::l:p:s:b:hv", long_options, NULL)) != -1) {
		if (opt == 'h')
			return CONFIG_HELP;
		if (opt == 'v' || opt == OPT_VERSION)
			return CONFIG_VERSION;
		if (opt == '?') {
			const char *bad = argv[optind - 1];
			if (optopt)
				return error_set(err, -EINVAL, "unknown shorthand flag: '%c' in -%c", optopt, optopt);
			return error_set(err, -EINVAL, "unknown flag: %s", bad);
		}
		if (opt == ':')
			return error_set(err, -EINVAL, "flag needs an argument: %s", argv[optind - 1]);
		int r = apply_flag(cfg, opt, optarg, err);
		if (r < 0)
			return err && err->msg ? r : error_set(err, r, "invalid flag value");
	}
	if (optind < argc)
		return error_set(err, -EINVAL, "berthd does not take positional arguments (got \"%s\")", argv[optind]);
	return CONFIG_RUN;
}

/* ---- the config file ---- */

static int file_type_error(const char *file, const char *key, const char *want, struct error *err)
{
	return error_set(err, -EINVAL, "unable to configure the Berth daemon with file %s: \"%s\" must be %s",
			 file, key, want);
}

static int file_strv(json_t *v, char ***out, size_t *n, const char *file, const char *key,
		     struct error *err)
{
	if (!json_is_array(v))
		return file_type_error(file, key, "an array of strings", err);
	strv_free(*out, *n);
	*out = NULL;
	*n = 0;
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return file_type_error(file, key, "an array of strings", err);
		int r = strv_push(out, n, json_string_value(item));
		if (r < 0)
			return r;
	}
	return 0;
}

/* "runtimes": {"name": {"path": "/usr/bin/crun", "runtimeArgs": [...]}} */
static int file_runtimes(json_t *v, struct daemon_config *cfg, const char *file,
			 struct error *err)
{
	if (!json_is_object(v))
		return file_type_error(file, "runtimes", "an object of runtimes", err);
	strv_free(cfg->runtimes, cfg->n_runtimes);
	cfg->runtimes = NULL;
	cfg->n_runtimes = 0;
	const char *name;
	json_t *rt;
	json_object_foreach(v, name, rt) {
		const char *path = json_string_value(json_object_get(rt, "path"));
		_cleanup_free_ char *entry = NULL;
		if (!path || !*path)
			return file_type_error(file, "runtimes", "runtimes with a \"path\"", err);
		if (asprintf(&entry, "%s=%s", name, path) < 0 ||
		    strv_push(&cfg->runtimes, &cfg->n_runtimes, entry) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* "default-address-pools": [{"base": "10.10.0.0/16", "size": 24}, ...] */
static int file_pools(json_t *v, struct daemon_config *cfg, const char *file, const char *key,
		      struct error *err)
{
	if (!json_is_array(v))
		return file_type_error(file, key, "an array of {\"base\", \"size\"} objects", err);
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		const char *base = json_string_value(json_object_get(item, "base"));
		json_t *size = json_object_get(item, "size");
		char buf[96];
		if (!base || !json_is_integer(size))
			return file_type_error(file, key, "an array of {\"base\", \"size\"} objects", err);
		snprintf(buf, sizeof(buf), "base=%s,size=%lld", base, (long long)json_integer_value(size));
		int r = strv_push(&cfg->address_pools, &cfg->n_address_pools, buf);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "log-opts": {"max-size": "10m"}, kept as --log-opt's "key=value". */
static int file_log_opts(json_t *v, struct daemon_config *cfg, const char *file, struct error *err)
{
	const char *k;
	json_t *e;
	if (!json_is_object(v))
		return file_type_error(file, "log-opts", "an object of strings", err);
	json_object_foreach(v, k, e)
	{
		_cleanup_free_ char *kv = NULL;
		if (!json_is_string(e))
			return file_type_error(file, "log-opts", "an object of strings", err);
		if (asprintf(&kv, "%s=%s", k, json_string_value(e)) < 0 ||
		    strv_push(&cfg->log_opts, &cfg->n_log_opts, kv) < 0)
			return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int file_apply_key(struct daemon_config *cfg, enum config_key k, json_t *v, const char *file,
			  struct error *err)
{
	const char *key = key_names[k];
	bool *bools[CFG_KEY_COUNT] = {[CFG_TLS] = &cfg->tls, [CFG_TLSVERIFY] = &cfg->tlsverify,
				      [CFG_DEBUG] = &cfg->debug, [CFG_IPTABLES] = &cfg->iptables};
	char **strs[CFG_KEY_COUNT] = {
	    [CFG_TLSCACERT] = &cfg->tlscacert,
	    [CFG_TLSCERT] = &cfg->tlscert,
	    [CFG_TLSKEY] = &cfg->tlskey,
	    [CFG_LOG_LEVEL] = &cfg->log_level,
	    [CFG_DATA_ROOT] = &cfg->data_root,
	    [CFG_EXEC_ROOT] = &cfg->exec_root,
	    [CFG_PIDFILE] = &cfg->pidfile,
	    [CFG_STORAGE_DRIVER] = &cfg->storage_driver,
	    [CFG_DEFAULT_RUNTIME] = &cfg->default_runtime,
	    [CFG_BRIDGE] = &cfg->bridge,
	    [CFG_BIP] = &cfg->bip,
	    [CFG_FIXED_CIDR] = &cfg->fixed_cidr,
	    [CFG_METRICS_ADDR] = &cfg->metrics_addr,
	    [CFG_LOG_DRIVER] = &cfg->log_driver,
	};
	if (k == CFG_HOSTS)
		return file_strv(v, &cfg->hosts, &cfg->n_hosts, file, key, err);
	if (k == CFG_LABELS)
		return file_strv(v, &cfg->labels, &cfg->n_labels, file, key, err);
	if (k == CFG_RUNTIMES)
		return file_runtimes(v, cfg, file, err);
	if (k == CFG_NODE_GENERIC_RESOURCES)
		return file_strv(v, &cfg->node_generic_resources, &cfg->n_node_generic_resources,
				 file, key, err);
	if (k == CFG_ADDRESS_POOLS)
		return file_pools(v, cfg, file, key, err);
	if (k == CFG_LOG_OPTS)
		return file_log_opts(v, cfg, file, err);
	if (k == CFG_INSECURE_REGISTRIES)
		return file_strv(v, &cfg->insecure_registries, &cfg->n_insecure_registries, file, key, err);
	if (k == CFG_REGISTRY_MIRRORS)
		return file_strv(v, &cfg->registry_mirrors, &cfg->n_registry_mirrors, file, key, err);
	if (k == CFG_MAX_DOWNLOADS || k == CFG_MAX_UPLOADS) {
		json_int_t n = json_integer_value(v);
		if (!json_is_integer(v) || n < 1 || n > 1000)
			return file_type_error(file, key, "a number from 1 to 1000", err);
		*(k == CFG_MAX_DOWNLOADS ? &cfg->max_downloads : &cfg->max_uploads) = (int)n;
		return 0;
	}
	if (bools[k]) {
		if (!json_is_boolean(v))
			return file_type_error(file, key, "true or false", err);
		*bools[k] = json_is_true(v);
		return 0;
	}
	if (!json_is_string(v))
		return file_type_error(file, key, "a string", err);
	set_str(strs[k], json_string_value(v));
	return 0;
}

static int key_lookup(const char *name)
{
	for (int k = 0; k < CFG_KEY_COUNT; k++)
		if (strcmp(key_names[k], name) == 0)
			return k;
	return -1;
}

/* Describes a flag's value for the conflict message, as dockerd does. */
static void describe_flag_value(const struct daemon_config *cfg, enum config_key k, char *buf,
				size_t len)
{
	switch (k) {
	case CFG_TLS: snprintf(buf, len, "%s", cfg->tls ? "true" : "false"); break;
	case CFG_TLSVERIFY: snprintf(buf, len, "%s", cfg->tlsverify ? "true" : "false"); break;
	case CFG_DEBUG: snprintf(buf, len, "%s", cfg->debug ? "true" : "false"); break;
	case CFG_HOSTS: snprintf(buf, len, "[%s%s]", cfg->n_hosts ? cfg->hosts[0] : "", cfg->n_hosts > 1 ? " ..." : ""); break;
	case CFG_LABELS: snprintf(buf, len, "[%s%s]", cfg->n_labels ? cfg->labels[0] : "", cfg->n_labels > 1 ? " ..." : ""); break;
	case CFG_RUNTIMES: snprintf(buf, len, "[%s%s]", cfg->n_runtimes ? cfg->runtimes[0] : "", cfg->n_runtimes > 1 ? " ..." : ""); break;
	case CFG_NODE_GENERIC_RESOURCES: snprintf(buf, len, "[%s%s]", cfg->n_node_generic_resources ? cfg->node_generic_resources[0] : "", cfg->n_node_generic_resources > 1 ? " ..." : ""); break;
	case CFG_DEFAULT_RUNTIME: snprintf(buf, len, "%s", cfg->default_runtime ? cfg->default_runtime : ""); break;
	case CFG_IPTABLES: snprintf(buf, len, "%s", cfg->iptables ? "true" : "false"); break;
	case CFG_INSECURE_REGISTRIES: snprintf(buf, len, "[%s%s]", cfg->n_insecure_registries ? cfg->insecure_registries[0] : "", cfg->n_insecure_registries > 1 ? " ..." : ""); break;
	case CFG_REGISTRY_MIRRORS: snprintf(buf, len, "[%s%s]", cfg->n_registry_mirrors ? cfg->registry_mirrors[0] : "", cfg->n_registry_mirrors > 1 ? " ..." : ""); break;
	case CFG_MAX_DOWNLOADS: snprintf(buf, len, "%d", cfg->max_downloads); break;
	case CFG_MAX_UPLOADS: snprintf(buf, len, "%d", cfg->max_uploads); break;
	case CFG_ADDRESS_POOLS: snprintf(buf, len, "[%s%s]", cfg->n_address_pools ? cfg->address_pools[0] : "", cfg->n_address_pools > 1 ? " ..." : ""); break;
	case CFG_LOG_OPTS:
		snprintf(buf, len, "map[%s%s]", cfg->n_log_opts ? cfg->log_opts[0] : "",
			 cfg->n_log_opts > 1 ? " ..." : "");
		break;
	default: {
		const char *s = k == CFG_TLSCACERT	? cfg->tlscacert
				: k == CFG_TLSCERT	? cfg->tlscert
				: k == CFG_TLSKEY	? cfg->tlskey
				: k == CFG_LOG_LEVEL	? cfg->log_level
				: k == CFG_DATA_ROOT	? cfg->data_root
				: k == CFG_EXEC_ROOT	? cfg->exec_root
				: k == CFG_PIDFILE	? cfg->pidfile
				: k == CFG_BRIDGE	? cfg->bridge
				: k == CFG_BIP		? cfg->bip
				: k == CFG_FIXED_CIDR	? cfg->fixed_cidr
				: k == CFG_METRICS_ADDR ? cfg->metrics_addr
				: k == CFG_LOG_DRIVER	? cfg->log_driver
							: cfg->storage_driver;
		snprintf(buf, len, "%s", s ? s : "");
	}
	}
}

/* Lists every key given both as a flag and in the file, dockerd-style. */
static int check_conflicts(const struct daemon_config *cfg, json_t *root, const char *file,
			   struct error *err)
{
	_cleanup_free_ char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	if (!f)
		return -ENOMEM;
	bool any = false;
	const char *name;
	json_t *v;
	json_object_foreach(root, name, v) {
		int k = key_lookup(name);
		if (k < 0 || !(cfg->set & (1u << k)))
			continue;
		char flagval[512];
		describe_flag_value(cfg, (enum config_key)k, flagval, sizeof(flagval));
		_cleanup_free_ char *fileval = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		fprintf(f, "%s%s: (from flag: %s, from file: %s)", any ? ", " : "", name, flagval,
			fileval ? fileval : "?");
		any = true;
	}
	fclose(f);
	if (!any)
		return 0;
	return error_set(err, -EINVAL, "unable to configure the Berth daemon with file %s: the following directives are specified both as a flag and in the configuration file: %s",
			 file, list);
}

static int check_unknown_keys(json_t *root, const char *file, struct error *err)
{
	_cleanup_free_ char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	if (!f)
		return -ENOMEM;
	bool any = false;
	const char *name;
	json_t *v;
	json_object_foreach(root, name, v) {
		if (key_lookup(name) >= 0)
			continue;
		fprintf(f, "%s%s", any ? ", " : "", name);
		any = true;
	}
	fclose(f);
	if (!any)
		return 0;
	return error_set(err, -EINVAL, "unable to configure the Berth daemon with file %s: the following directives don't match any configuration option: %s",
			 file, list);
}

int config_load_file(struct daemon_config *cfg, struct error *err)
{
	const char *file = cfg->config_file ? cfg->config_file : DEFAULT_CONFIG_FILE;
	struct stat st;
	if (stat(file, &st) < 0) {
		if (errno == ENOENT && !cfg->config_file_given)
			return 0;
		return error_set(err, -errno, "unable to configure the Berth daemon with file %s: %s",
				 file, strerror(errno));
	}
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = fs_read_file(file, MAX_CONFIG_FILE_BYTES, &text, &len);
	if (r < 0)
		return error_set(err, r, "unable to configure the Berth daemon with file %s: %s", file,
				 strerror(-r));
	return config_load_json(cfg, file, text, len, err);
}

int config_load_json(struct daemon_config *cfg, const char *file, const char *text, size_t len,
		     struct error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return error_set(err, -EINVAL, "unable to configure the Berth daemon with file %s: line %d: %s",
				 file, jerr.line, jerr.text);
	int r = 0;
	if (!json_is_object(root))
		r = error_set(err, -EINVAL, "unable to configure the Berth daemon with file %s: the file must hold a JSON object", file);
	if (r == 0)
		r = check_unknown_keys(root, file, err);
	if (r == 0)
		r = check_conflicts(cfg, root, file, err);
	const char *name;
	json_t *v;
	if (r == 0) {
		json_object_foreach(root, name, v) {
			int k = key_lookup(name);
			r = file_apply_key(cfg, (enum config_key)k, v, file, err);
			if (r < 0)
				break;
			cfg->set |= 1u << k;
		}
	}
	json_decref(root);
	return r;
}

/* ---- defaults and validation ---- */

static void default_str(char **dst, const char *value)
{
	if (!*dst)
		*dst = strdup(value);
}

static void default_cert_paths(struct daemon_config *cfg)
{
	const char *dir = getenv("DOCKER_CERT_PATH");
	const char *home = getenv("HOME");
	char path[4096];
	const char *names[] = {"ca.pem", "cert.pem", "key.pem"};
	char **dsts[] = {&cfg->tlscacert, &cfg->tlscert, &cfg->tlskey};
	for (size_t i = 0; i < 3; i++) {
		if (dir && *dir)
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		else
			snprintf(path, sizeof(path), "%s/.docker/%s", home ? home : "/root", names[i]);
		default_str(dsts[i], path);
	}
}

static int check_labels(const struct daemon_config *cfg, struct error *err)
{
	for (size_t i = 0; i < cfg->n_labels; i++) {
		const char *eq = strchr(cfg->labels[i], '=');
		if (!eq || eq == cfg->labels[i])
			return error_set(err, -EINVAL, "bad attribute format: %s", cfg->labels[i]);
	}
	return 0;
}

int config_generic_resources(const struct daemon_config *cfg, json_t **ret, struct error *err)
{
	return generic_resources_parse((const char *const *)cfg->node_generic_resources,
				       cfg->n_node_generic_resources, ret, err);
}

/* As dockerd's config validation: the terms must parse as SwarmKit's. */
static int check_generic_resources(const struct daemon_config *cfg, struct error *err)
{
	json_t *list = NULL;
	int r = config_generic_resources(cfg, &list, err);
	json_decref(list);
	return r;
}

/* name=path with an absolute path; runc is built in; the default exists. */
static int check_runtimes(struct daemon_config *cfg, struct error *err)
{
	for (size_t i = 0; i < cfg->n_runtimes; i++) {
		const char *r = cfg->runtimes[i], *eq = strchr(r, '=');
		if (!eq || eq == r || !eq[1])
			return error_set(err, -EINVAL, "invalid runtime: %s (use name=path)", r);
		if (!strncmp(r, "runc=", 5))
			return error_set(err, -EINVAL, "runtime name 'runc' is reserved");
	}
	default_str(&cfg->default_runtime, "runc");
	if (!strcmp(cfg->default_runtime, "runc"))
		return 0;
	size_t n = strlen(cfg->default_runtime);
	for (size_t i = 0; i < cfg->n_runtimes; i++)
		if (!strncmp(cfg->runtimes[i], cfg->default_runtime, n) && cfg->runtimes[i][n] == '=')
			return 0;
	return error_set(err, -EINVAL, "specified default runtime '%s' does not exist",
			 cfg->default_runtime);
}

int config_finalize(struct daemon_config *cfg, struct error *err)
{
	if (!cfg->n_hosts)
		strv_push(&cfg->hosts, &cfg->n_hosts, DEFAULT_HOST);
	default_str(&cfg->data_root, "/var/lib/berth");
	default_str(&cfg->exec_root, "/run/berth");
	default_str(&cfg->pidfile, "/run/berth/berth.pid");
	default_str(&cfg->storage_driver, "overlay2");
	default_str(&cfg->log_level, "info");
	default_cert_paths(cfg);
	if (!(cfg->set & (1u << CFG_IPTABLES)))
		cfg->iptables = true;
	if (!cfg->max_downloads)
		cfg->max_downloads = 3;
	if (!cfg->max_uploads)
		cfg->max_uploads = 5;
	if (cfg->tlsverify)
		cfg->tls = true;
	enum log_level lvl;
	if (log_level_parse(cfg->log_level, &lvl) < 0)
		return error_set(err, -EINVAL, "invalid log level \"%s\": use debug, info, warn, error or fatal",
				 cfg->log_level);
	if (strcmp(cfg->storage_driver, "overlay2") != 0 && strcmp(cfg->storage_driver, "vfs") != 0)
		return error_set(err, -EINVAL, "unknown storage driver \"%s\": use overlay2 or vfs",
				 cfg->storage_driver);
	if (cfg->data_root[0] != '/' || cfg->exec_root[0] != '/')
		return error_set(err, -EINVAL, "--data-root and --exec-root must be absolute paths");
	int r = check_labels(cfg, err);
	if (r == 0)
		r = check_generic_resources(cfg, err);
	return r < 0 ? r : check_runtimes(cfg, err);
}

json_t *config_log_config(const struct daemon_config *cfg)
{
	json_t *opts = json_object();
	for (size_t i = 0; opts && i < cfg->n_log_opts; i++) {
		const char *eq = strchr(cfg->log_opts[i], '=');
		_cleanup_free_ char *k = strndup(cfg->log_opts[i], (size_t)(eq - cfg->log_opts[i]));
		if (!k || json_object_set_new(opts, k, json_string(eq + 1)) < 0) {
			json_decref(opts);
			return NULL;
		}
	}
	return opts ? json_pack("{s:s,s:o}", "Type",
				cfg->log_driver && *cfg->log_driver ? cfg->log_driver : "json-file",
				"Config", opts)
		    : NULL;
}

enum log_level config_log_level(const struct daemon_config *cfg)
{
	enum log_level lvl = LOG_LEVEL_INFO;
	if (cfg->debug)
		return LOG_LEVEL_DEBUG;
	if (cfg->log_level)
		log_level_parse(cfg->log_level, &lvl);
	return lvl;
}

static char **strv_dup(char **v, size_t n)
{
	char **out = NULL;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		strv_push(&out, &m, v[i]);
	return out;
}

void config_copy(struct daemon_config *dst, const struct daemon_config *src)
{
	*dst = *src;
	dst->hosts = strv_dup(src->hosts, src->n_hosts);
	dst->labels = strv_dup(src->labels, src->n_labels);
	dst->runtimes = strv_dup(src->runtimes, src->n_runtimes);
	dst->node_generic_resources =
	    strv_dup(src->node_generic_resources, src->n_node_generic_resources);
	dst->address_pools = strv_dup(src->address_pools, src->n_address_pools);
	dst->insecure_registries = strv_dup(src->insecure_registries, src->n_insecure_registries);
	dst->registry_mirrors = strv_dup(src->registry_mirrors, src->n_registry_mirrors);
	dst->log_opts = strv_dup(src->log_opts, src->n_log_opts);
	char **strs[] = {
	    &dst->bridge,	   &dst->bip,	       &dst->fixed_cidr,     &dst->tlscacert,
	    &dst->tlscert,	   &dst->tlskey,       &dst->log_level,	     &dst->data_root,
	    &dst->exec_root,	   &dst->pidfile,      &dst->storage_driver, &dst->config_file,
	    &dst->default_runtime, &dst->metrics_addr, &dst->log_driver};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (*strs[i])
			*strs[i] = strdup(*strs[i]);
}

int config_reload(const struct daemon_config *flags, struct daemon_config *ret, struct error *err)
{
	struct daemon_config fresh;
	config_copy(&fresh, flags);
	int r = config_load_file(&fresh, err);
	if (r == 0)
		r = config_finalize(&fresh, err);
	if (r < 0) {
		config_done(&fresh);
		return r;
	}
	*ret = fresh;
	return 0;
}

void config_done(struct daemon_config *cfg)
{
	strv_free(cfg->hosts, cfg->n_hosts);
	strv_free(cfg->labels, cfg->n_labels);
	strv_free(cfg->runtimes, cfg->n_runtimes);
	strv_free(cfg->node_generic_resources, cfg->n_node_generic_resources);
	free(cfg->default_runtime);
	strv_free(cfg->address_pools, cfg->n_address_pools);
	strv_free(cfg->insecure_registries, cfg->n_insecure_registries);
	strv_free(cfg->registry_mirrors, cfg->n_registry_mirrors);
	strv_free(cfg->log_opts, cfg->n_log_opts);
	free(cfg->log_driver);
	free(cfg->bridge);
	free(cfg->bip);
	free(cfg->fixed_cidr);
	free(cfg->tlscacert);
	free(cfg->tlscert);
	free(cfg->tlskey);
	free(cfg->log_level);
	free(cfg->data_root);
	free(cfg->exec_root);
	free(cfg->pidfile);
	free(cfg->storage_driver);
	free(cfg->metrics_addr);
	free(cfg->config_file);
	*cfg = (struct daemon_config){0};
}
