/* berthd's settings: command-line flags named as dockerd's, and the JSON
 * config file with daemon.json's keys. A setting given both ways is an error,
 * as in dockerd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "basic/error.h"
#include "basic/log.h"

struct json_t;

#define DEFAULT_HOST "unix:///run/berth/berth.sock"
#define DEFAULT_CONFIG_FILE "/etc/berth/daemon.json"

/* One bit per setting, to know where a value came from. */
enum config_key {
	CFG_HOSTS,
	CFG_TLS,
	CFG_TLSVERIFY,
	CFG_TLSCACERT,
	CFG_TLSCERT,
	CFG_TLSKEY,
	CFG_DEBUG,
	CFG_LOG_LEVEL,
	CFG_DATA_ROOT,
	CFG_EXEC_ROOT,
	CFG_PIDFILE,
	CFG_STORAGE_DRIVER,
	CFG_LABELS,
	CFG_RUNTIMES,
	CFG_DEFAULT_RUNTIME,
	CFG_BRIDGE,
	CFG_BIP,
	CFG_FIXED_CIDR,
	CFG_ADDRESS_POOLS,
	CFG_IPTABLES,
	CFG_INSECURE_REGISTRIES,
	CFG_REGISTRY_MIRRORS,
	CFG_MAX_DOWNLOADS,
	CFG_MAX_UPLOADS,
	CFG_METRICS_ADDR,
	CFG_NODE_GENERIC_RESOURCES,
	CFG_LOG_DRIVER,
	CFG_LOG_OPTS,
	CFG_KEY_COUNT,
};

struct daemon_config {
	char **hosts;
	size_t n_hosts;
	bool tls, tlsverify;
	char *tlscacert, *tlscert, *tlskey;
	bool debug;
	char *log_level;
	char *data_root, *exec_root, *pidfile;
	char *storage_driver;
	char **labels;
	size_t n_labels;
	char **runtimes; /* "name=path" of --add-runtime / "runtimes" */
	size_t n_runtimes;
	char *default_runtime;
	/* Networking (src/network): -b, --bip, --fixed-cidr,
	 * --default-address-pool, --iptables. */
	char *bridge, *bip, *fixed_cidr;
	char **address_pools;
	size_t n_address_pools;
	bool iptables;
	/* Registries (src/image/registry_*): --insecure-registry,
	 * --registry-mirror, --max-concurrent-downloads/-uploads. */
	char **insecure_registries, **registry_mirrors;
	size_t n_insecure_registries, n_registry_mirrors;
	int max_downloads, max_uploads;
	char *metrics_addr; /* --metrics-addr host:port (src/daemon/metrics.c) */
	/* --node-generic-resource: "kind=value" terms the node advertises to
	 * the swarm (src/shared/generic_resources.h). */
	char **node_generic_resources;
	size_t n_node_generic_resources;
	/* Containers' default LogConfig: --log-driver, --log-opt "key=value"
	 * (daemon.json "log-driver", "log-opts"). */
	char *log_driver;
	char **log_opts;
	size_t n_log_opts;
	char *config_file;
	bool config_file_given; /* --config-file named it: it must exist */
	unsigned set;           /* bit per enum config_key set by flags or file */
};

enum config_parse_result {
	CONFIG_RUN,
	CONFIG_HELP,
	CONFIG_VERSION,
};

/* The containers' default LogConfig ({"Type", "Config"}); NULL: no memory. */
json_t *config_log_config(const struct daemon_config *cfg);

/* Parses argv into cfg (flags only). Returns an enum config_parse_result, or
 * -EINVAL with a usage message in err. */
int config_parse_flags(int argc, char **argv, struct daemon_config *cfg, struct error *err);

/* Merges the config file into cfg: a key already set by a flag is a
 * conflict; unknown keys and wrong types are errors. A missing default file
 * is fine; a missing --config-file is an error. */
int config_load_file(struct daemon_config *cfg, struct error *err);

/* config_load_file's work on the file's content (file names it in
 * messages): a pure entry point for tests and fuzzing. */
int config_load_json(struct daemon_config *cfg, const char *file, const char *text, size_t len,
		     struct error *err);

/* Fills defaults for everything unset and checks values (labels, log level,
 * storage driver, absolute roots). TLS files are checked when the daemon
 * loads them. */
int config_finalize(struct daemon_config *cfg, struct error *err);

/* The --node-generic-resource terms as Docker's GenericResources (a new
 * array in *ret); config_finalize checked them. */
int config_generic_resources(const struct daemon_config *cfg, struct json_t **ret,
			     struct error *err);

/* The level to log at: debug when -D, else log-level, else info. */
enum log_level config_log_level(const struct daemon_config *cfg);

/* Loads what SIGHUP may change (debug, log-level, labels) from the file into
 * a new config derived from flags; the caller copies those fields. */
int config_reload(const struct daemon_config *flags, struct daemon_config *ret,
		  struct error *err);

void config_copy(struct daemon_config *dst, const struct daemon_config *src);
void config_done(struct daemon_config *cfg);

void config_print_usage(void);
