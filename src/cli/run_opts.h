/* `berth run` / `berth create` options: docker's flags, the conversions its
 * typed flags do (sizes, CPUs, ulimits, mounts, env files) and the create
 * body the docker CLI sends. The converters are pure and unit tested. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "cli/cli.h"

struct run_opts {
	bool detach, rm, interactive, tty, init, read_only, privileged, help, no_sig_proxy,
	    publish_all;
	const char *name, *workdir, *user, *entrypoint, *network, *hostname, *restart;
	const char *memory, *memory_swap, *cpus, *cpu_shares, *pids_limit, *stop_signal,
	    *stop_timeout, *shm_size, *oom_score_adj, *runtime, *detach_keys, *log_driver, *ip,
	    *ip6, *cpuset_cpus, *cpuset_mems, *blkio_weight;
	const char *health_cmd, *health_interval, *health_timeout, *health_retries,
	    *health_start_period, *health_start_interval;
	bool no_healthcheck;
	struct cli_strv env, env_files, volumes, labels, label_files, mounts, tmpfs, cap_add,
	    cap_drop, security_opts, ulimits, sysctls, log_opts, publish, expose, aliases, dns,
	    add_hosts, devices, device_cgroup_rules, blkio_weight_devices, read_bps, write_bps,
	    read_iops, write_iops;
};

void run_opts_free(struct run_opts *o);

/* Parses run's (or create's) flags; returns -1 when the command should go
 * on, else the exit code (help printed or usage error shown). Typed flags
 * are checked here, with pflag's "invalid argument" wording. */
int run_opts_parse(const struct cli *cli, const char *cmd_path, int argc, char **argv, bool run,
		   struct run_opts *o, struct cli_strv *args);

/* The POST /containers/create body docker sends for o and args (image,
 * command...). Reads --env-file, --label-file and seccomp profiles;
 * their errors read like docker's. */
int run_opts_body(const struct run_opts *o, const struct cli_strv *args, json_t **ret,
		  struct error *err);

/* go-units RAMInBytes: "64m", "1.5g", "512" (bytes), binary multipliers. */
int cli_parse_ram(const char *s, int64_t *ret, struct error *err);
/* --cpus: a decimal number of CPUs as nanoCPUs. */
int cli_parse_cpus(const char *s, int64_t *ret, struct error *err);
/* --ulimit name=soft[:hard] as {"Name","Hard","Soft"}. */
int cli_parse_ulimit(const char *s, json_t **ret, struct error *err);
/* --mount type=bind|volume|tmpfs,source=,target=,readonly,... as a Mount. */
int cli_parse_mount(const char *s, json_t **ret, struct error *err);
/* An env or label file's text (docker's parseKeyValueFile): appends
 * "K=V" strings to arr; lookup (may be NULL) gives values of bare names. */
int cli_parse_kv_file(const char *text, const char *fname, bool env, json_t *arr,
		      struct error *err);
/* Reads each env (or label) file of files into arr, as --env-file does. */
int cli_read_kv_files(const struct cli_strv *files, bool env, json_t *arr, struct error *err);
/* --cap-add/--cap-drop names as docker normalizes them ("CAP_NET_ADMIN"). */
char *cli_normalize_cap(const char *s);
