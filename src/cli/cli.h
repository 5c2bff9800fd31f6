/* The berth CLI: types shared by the command files, the flag parser and the
 * helpers that print docker-compatible usage errors. One file per command
 * (cmd_*.c); the HTTP client lives in client.h, templates in format.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "basic/build_info.h"
#include "basic/error.h"
#include "basic/log.h"

/* Highest Engine API version this client speaks; negotiation goes down from here. */
#define CLI_API_VERSION_MAX "1.41"
#define CLI_DEFAULT_HOST "unix:///run/berth/berth.sock"

/* docker's exit codes: 125 for flag/usage errors, 64 for bad templates, 1 otherwise. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_TEMPLATE = 64,
	CLI_EXIT_USAGE = 125,
};

/* A growable list of strings borrowed from argv (never freed one by one). */
struct cli_strv {
	const char **v;
	size_t n;
};

void cli_strv_free(struct cli_strv *sv);
int cli_strv_push(struct cli_strv *sv, const char *s);

enum cli_flag_kind {
	CLI_FLAG_BOOL,
	CLI_FLAG_STRING,
	CLI_FLAG_LIST,	   /* repeatable; every value is appended */
	CLI_FLAG_OPT_BOOL, /* a boolean that tells --x=false from no flag */
};

/* The target of a CLI_FLAG_OPT_BOOL. */
enum cli_opt_bool { CLI_OPT_UNSET, CLI_OPT_FALSE, CLI_OPT_TRUE };

struct cli_flag {
	const char *name; /* long name, without "--" */
	char shorthand;	  /* 0 when the flag has none */
	enum cli_flag_kind kind;
	void *target; /* bool *, const char **, struct cli_strv * or enum cli_opt_bool * */
	const char *value_type; /* shown in help: "string", "list", "filter" */
	const char *help;	/* may hold '\n'; continuation lines get indented */
	bool hidden;		/* parsed but not listed in help (--help itself) */
};

/* Parses the flags in argv[0..argc). With interspersed, flags and positional
 * arguments mix and positionals are appended to ret_args; without it, parsing
 * stops at the first positional (docker's root command) and ret_args gets the
 * rest. "--" ends flags either way. On a bad flag returns -EINVAL with
 * pflag's wording in err ("unknown flag: --x", "flag needs an argument: ..."). */
int cli_flags_parse(const struct cli_flag *flags, size_t nflags, int argc, char **argv,
		    bool interspersed, struct cli_strv *ret_args, struct error *err);

/* Writes pflag's aligned "  -f, --format string   help" table. */
void cli_flags_print(FILE *f, const struct cli_flag *flags, size_t nflags);

/* What every command gets: global options and where to print. */
struct cli {
	struct logger log;
	bool debug;
	const char *host; /* -H, or NULL for DOCKER_HOST / the default */
	bool tls;
	bool tlsverify;
	const char *tlscacert; /* NULL: $DOCKER_CERT_PATH/ca.pem or ~/.docker/ca.pem */
	const char *tlscert;
	const char *tlskey;
	FILE *out;
	FILE *err;
};

struct json_t;
/* A duration flag's value (Go's syntax, e.g. "1m30s") as nanoseconds in
 * obj[key]; nothing when s is NULL; the docker CLI's message when invalid. */
int cli_duration_into(const char *s, const char *flag, struct json_t *obj, const char *key,
		      struct error *err);

/* Prints docker's usage error block for cmd_path ("berth version") and
 * returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *cmd_path, const char *usage,
		    const char *msg);

/* Prints "berth: 'berth version' accepts no arguments" with the usage block;
 * returns CLI_EXIT_FAILURE as docker does. */
int cli_no_args_error(const struct cli *cli, const char *cmd_path, const char *usage);

/* Prints the error's message on stderr and returns CLI_EXIT_FAILURE. */
int cli_fail(const struct cli *cli, const struct error *err);
/* cli_fail, then clears err. */
int cli_fail_clear(const struct cli *cli, struct error *err);

/* docker's multi-object commands (rm, rmi) report failures after the
 * successes: collect each message (err is cleared), then print them all
 * and get the exit code (0 when there were none; errors is freed). */
void cli_defer_error(char **errors, struct error *err);
int cli_flush_errors(const struct cli *cli, char *errors);

/* The help text the format flag shares across commands. */
extern const char cli_format_help[];

/* Command entry points: argv[0] is the first argument after the command name. */
int cli_cmd_version(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_info(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_events(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_system(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_volume(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* cmd_network.c */
int cli_cmd_network(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_port(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_swarm(struct cli *cli, const char *cmd_path, int argc, char **argv); /* cmd_swarm.c */
int cli_cmd_node(struct cli *cli, const char *cmd_path, int argc, char **argv);	 /* cmd_node.c */
/* cmd_secret.c */
int cli_cmd_secret(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_config(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* cmd_service.c: `service`, and the task table of `node ps` */
int cli_cmd_service(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_node_ps(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* berth service update (cmd_service_update.c). */
int cli_cmd_service_create(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_service_update(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* berth service logs (cmd_service_logs.c). */
int cli_cmd_service_logs(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_system_df(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_image(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_images(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_image_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_history(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_tag(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_rmi(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_image_prune(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_import(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* cmd_build.c */
int cli_cmd_build(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_commit(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_export(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_cp(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_load(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_save(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* cmd_registry.c */
int cli_cmd_pull(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_push(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_login(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_logout(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_search(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* cmd_container.c */
int cli_cmd_container(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_container_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_run(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_create(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_start(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_stop(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_kill(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_rm(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_ps(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_logs(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_wait(struct cli *cli, const char *cmd_path, int argc, char **argv);
struct json_t;
/* --restart name[:count] as HostConfig.RestartPolicy (NULL for ""). */
int cli_restart_policy(const char *s, bool auto_rm, struct json_t **ret, struct error *err);
int cli_cmd_pause(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_unpause(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_container_prune(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_top(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_rename(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_exec(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* cmd_attach.c */
int cli_cmd_attach(struct cli *cli, const char *cmd_path, int argc, char **argv);
/* start -a/-i of one container: attach, start, exit with its status. */
int cli_start_attached(struct cli *cli, const char *name, bool interactive,
		       const char *detach_keys);
/* cmd_stats.c */
int cli_cmd_stats(struct cli *cli, const char *cmd_path, int argc, char **argv);
int cli_cmd_update(struct cli *cli, const char *cmd_path, int argc, char **argv);

/* A management command's subcommand ("berth volume ls"). */
struct cli_subcommand {
	const char *name;
	const char *aliases; /* comma-separated other names ("list,ls"), or NULL */
	const char *summary;
	int (*run)(struct cli *cli, const char *cmd_path, int argc, char **argv);
};

/* Runs a management command: help without arguments or with --help, the
 * subcommand named by argv[0], docker's wording for unknown ones. */
int cli_run_group(struct cli *cli, const char *cmd_path, const char *summary,
		  const struct cli_subcommand *subs, size_t n, int argc, char **argv);
/* The same with the usage line shown for unknown subcommands (docker's
 * differs per command: "docker image" but "docker volume COMMAND"). */
int cli_run_group_usage(struct cli *cli, const char *cmd_path, const char *usage,
			const char *summary, const struct cli_subcommand *subs, size_t n, int argc,
			char **argv);

/* Asks "Are you sure you want to continue? [y/N] " after warning; true for
 * y or yes (any case), as docker's prompt. */
bool cli_confirm(const struct cli *cli, const char *warning);

/* Runs the whole CLI; returns the process exit code. */
int cli_run(int argc, char **argv);

/* Client-side build facts for `version`, `info` and `-v`. */
const char *cli_os(void);
const char *cli_arch(void);
/* Build time as Go's ANSIC layout ("Mon Jan  2 15:04:05 2006"). */
void cli_build_time(char *buf, size_t len);

/* How many positional arguments a command takes (cobra's Args checks). */
enum cli_arity {
	CLI_ARGS_ANY,
	CLI_ARGS_MIN,	/* at least nargs */
	CLI_ARGS_MAX,	/* at most nargs */
	CLI_ARGS_EXACT, /* exactly nargs */
};

/* What a leaf command tells the shared parser about itself. */
struct cli_cmd_spec {
	const char *summary; /* one line under Usage in --help */
	const char *aliases; /* "berth system info, berth info", or NULL */
	bool no_args;	     /* positional arguments are an error */
	const char *usage;   /* after the command path; NULL: "[OPTIONS]" */
	enum cli_arity arity;
	int nargs;
};

/* Parses a leaf command's flags (plus the hidden --help) docker's way.
 * Returns -1 when the command should run, else the exit code to return at
 * once (help printed, or a usage error reported). */
int cli_cmd_parse(const struct cli *cli, const char *cmd_path, const struct cli_cmd_spec *spec,
		  const struct cli_flag *flags, size_t nflags, int argc, char **argv,
		  struct cli_strv *ret_args);
/* The same for a command whose flags end at its first argument (pflag's
 * SetInterspersed(false)): `service create IMAGE sh -c ...`. */
int cli_cmd_parse_until_args(const struct cli *cli, const char *cmd_path,
			     const struct cli_cmd_spec *spec, const struct cli_flag *flags,
			     size_t nflags, int argc, char **argv, struct cli_strv *ret_args);
