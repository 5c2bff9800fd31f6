/* The berth root command: global options, dispatch to commands, help and
 * docker-worded usage errors. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "basic/cleanup.h"
#include "cli/format.h"
#include "cli/host.h"

const char cli_format_help[] = "Format output using a custom template:\n"
			       "'json':             Print in JSON format\n"
			       "'TEMPLATE':         Print output using the given\n"
			       "Go template.\n"
			       "Refer to https://docs.docker.com/go/formatting/\n"
			       "for more information about formatting output with\n"
			       "templates";

typedef int (*cli_cmd_fn)(struct cli *cli, const char *cmd_path, int argc, char **argv);

struct cli_command {
	const char *name;
	const char *section; /* heading in `berth --help` */
	const char *summary;
	cli_cmd_fn run;
};

static const struct cli_command commands[] = {
    {"run", "Common Commands", "Create and run a new container from an image", cli_cmd_run},
    {"ps", "Common Commands", "List containers", cli_cmd_ps},
    {"version", "Common Commands", "Show the Berth version information", cli_cmd_version},
    {"info", "Common Commands", "Display system-wide information", cli_cmd_info},
    {"images", "Common Commands", "List images", cli_cmd_images},
    {"pull", "Common Commands", "Download an image from a registry", cli_cmd_pull},
    {"push", "Common Commands", "Upload an image to a registry", cli_cmd_push},
    {"login", "Common Commands", "Authenticate to a registry", cli_cmd_login},
    {"logout", "Common Commands", "Log out from a registry", cli_cmd_logout},
    {"search", "Common Commands", "Search Docker Hub for images", cli_cmd_search},
    {"container", "Management Commands", "Manage containers", cli_cmd_container},
    {"image", "Management Commands", "Manage images", cli_cmd_image},
    {"system", "Management Commands", "Manage Berth", cli_cmd_system},
    {"volume", "Management Commands", "Manage volumes", cli_cmd_volume},
    {"network", "Management Commands", "Manage networks", cli_cmd_network},
    {"port", "Commands", "List port mappings or a specific mapping for the container",
     cli_cmd_port},
    {"swarm", "Swarm Commands", "Manage Swarm", cli_cmd_swarm},
    {"node", "Swarm Commands", "Manage Swarm nodes", cli_cmd_node},
    {"secret", "Swarm Commands", "Manage Swarm secrets", cli_cmd_secret},
    {"config", "Swarm Commands", "Manage Swarm configs", cli_cmd_config},
    {"service", "Swarm Commands", "Manage Swarm services", cli_cmd_service},
    {"exec", "Common Commands", "Execute a command in a running container", cli_cmd_exec},
    {"attach", "Commands",
     "Attach local standard input, output, and error streams to a running container",
     cli_cmd_attach},
    {"events", "Commands", "Get real time events from the server", cli_cmd_events},
    {"create", "Commands", "Create a new container", cli_cmd_create},
    {"kill", "Commands", "Kill one or more running containers", cli_cmd_kill},
    {"logs", "Commands", "Fetch the logs of a container", cli_cmd_logs},
    {"pause", "Commands", "Pause all processes within one or more containers", cli_cmd_pause},
    {"rename", "Commands", "Rename a container", cli_cmd_rename},
    {"rm", "Commands", "Remove one or more containers", cli_cmd_rm},
    {"start", "Commands", "Start one or more stopped containers", cli_cmd_start},
    {"stop", "Commands", "Stop one or more running containers", cli_cmd_stop},
    {"top", "Commands", "Display the running processes of a container", cli_cmd_top},
    {"unpause", "Commands", "Unpause all processes within one or more containers", cli_cmd_unpause},
    {"wait", "Commands", "Block until one or more containers stop, then print their exit codes",
     cli_cmd_wait},
    {"build", "Common Commands", "Build an image from a Dockerfile", cli_cmd_build},
    {"commit", "Commands", "Create a new image from a container's changes", cli_cmd_commit},
    {"cp", "Commands", "Copy files/folders between a container and the local filesystem",
     cli_cmd_cp},
    {"export", "Commands", "Export a container's filesystem as a tar archive", cli_cmd_export},
    {"history", "Commands", "Show the history of an image", cli_cmd_history},
    {"import", "Commands", "Import the contents from a tarball to create a filesystem image",
     cli_cmd_import},
    {"inspect", "Commands", "Return low-level information on Berth objects", cli_cmd_inspect},
    {"load", "Commands", "Load an image from a tar archive or STDIN", cli_cmd_load},
    {"rmi", "Commands", "Remove one or more images", cli_cmd_rmi},
    {"save", "Commands", "Save one or more images to a tar archive (streamed to STDOUT by default)",
     cli_cmd_save},
    {"stats", "Commands", "Display a live stream of container(s) resource usage statistics",
     cli_cmd_stats},
    {"update", "Commands", "Update configuration of one or more containers", cli_cmd_update},
    {"tag", "Commands", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", cli_cmd_tag},
};

const char *cli_os(void)
{
	return "linux";
}

const char *cli_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__powerpc64__)
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv)
	return "riscv64";
#else
	return "unknown";
#endif
}

void cli_build_time(char *buf, size_t len)
{
	/* The Makefile's date when it passes one (RFC 3339 is shown as ANSIC, like
	 * docker), else the compiler's __DATE__ and __TIME__. */
	if (strcmp(BERTH_BUILD_TIME, "unknown") != 0) {
		_cleanup_free_ char *t = format_ansic(BERTH_BUILD_TIME);
		snprintf(buf, len, "%s", t ? t : BERTH_BUILD_TIME);
		return;
	}
	struct tm tm = {0};
	if (!strptime(__DATE__ " " __TIME__, "%b %d %Y %H:%M:%S", &tm)) {
		snprintf(buf, len, "%s %s", __DATE__, __TIME__);
		return;
	}
	time_t t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm);
}

int cli_usage_error(const struct cli *cli, const char *cmd_path, const char *usage, const char *msg)
{
	fprintf(cli->err, "%s\n\nUsage:  %s\n\nRun '%s --help' for more information\n", msg, usage,
		cmd_path);
	return CLI_EXIT_USAGE;
}

int cli_no_args_error(const struct cli *cli, const char *cmd_path, const char *usage)
{
	fprintf(cli->err,
		"berth: '%s' accepts no arguments\n\nUsage:  %s\n\nRun '%s --help' for more "
		"information\n",
		cmd_path, usage, cmd_path);
	return CLI_EXIT_FAILURE;
}

void cli_defer_error(char **errors, struct error *err)
{
	char *more = NULL;
	if (asprintf(&more, "%s%s\n", *errors ? *errors : "", error_msg(err)) >= 0) {
		free(*errors);
		*errors = more;
	}
	error_clear(err);
}

int cli_flush_errors(const struct cli *cli, char *errors)
{
	if (!errors)
		return CLI_EXIT_OK;
	fflush(cli->out);
	fputs(errors, cli->err);
	free(errors);
	return CLI_EXIT_FAILURE;
}

int cli_fail_clear(const struct cli *cli, struct error *err)
{
	int code = cli_fail(cli, err);
	error_clear(err);
	return code;
}

int cli_fail(const struct cli *cli, const struct error *err)
{
	fflush(cli->out);
	fprintf(cli->err, "%s\n", error_msg(err));
	return CLI_EXIT_FAILURE;
}

static void print_section(FILE *f, const char *section)
{
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].section, section) != 0)
			continue;
		if (!any)
			fprintf(f, "%s:\n", section);
		any = true;
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	}
	if (any)
		fputc('\n', f);
}

/* The global flags; targets point into cli. help_text holds the TLS file
 * defaults shown in help, which depend on the environment. */
static size_t global_flags(struct cli *cli, bool *help, bool *version, const char **level,
			   struct cli_strv *hosts, char help_text[3][256], struct cli_flag *f)
{
	_cleanup_free_ char *dir = cli_cert_dir();
	const char *d = dir ? dir : "~/.docker";
	snprintf(help_text[0], 256, "Trust certs signed only by this CA (default\n\"%s/ca.pem\")",
		 d);
	snprintf(help_text[1], 256, "Path to TLS certificate file (default\n\"%s/cert.pem\")", d);
	snprintf(help_text[2], 256, "Path to TLS key file (default\n\"%s/key.pem\")", d);
	size_t n = 0;
	f[n++] = (struct cli_flag){
	    "debug", 'D', CLI_FLAG_BOOL, &cli->debug, NULL, "Enable debug mode", false};
	f[n++] = (struct cli_flag){
	    "host", 'H', CLI_FLAG_LIST, hosts, "list", "Daemon socket to connect to", false};
	f[n++] = (struct cli_flag){"log-level",
				   'l',
				   CLI_FLAG_STRING,
				   level,
				   "string",
				   "Set the logging level (\"debug\", \"info\",\n\"warn\", "
				   "\"error\", \"fatal\") (default \"info\")",
				   false};
	f[n++] = (struct cli_flag){
	    "tls", 0, CLI_FLAG_BOOL, &cli->tls, NULL, "Use TLS; implied by --tlsverify", false};
	f[n++] = (struct cli_flag){"tlscacert",	 0,    CLI_FLAG_STRING, &cli->tlscacert, "string",
				   help_text[0], false};
	f[n++] = (struct cli_flag){"tlscert",	 0,    CLI_FLAG_STRING, &cli->tlscert, "string",
				   help_text[1], false};
	f[n++] = (struct cli_flag){"tlskey",	 0,    CLI_FLAG_STRING, &cli->tlskey, "string",
				   help_text[2], false};
	f[n++] = (struct cli_flag){
	    "tlsverify", 0, CLI_FLAG_BOOL, &cli->tlsverify, NULL, "Use TLS and verify the remote",
	    false};
	f[n++] = (struct cli_flag){"version", 'v',  CLI_FLAG_BOOL,
				   version,   NULL, "Print version information and quit",
				   false};
	f[n++] = (struct cli_flag){"help", 'h', CLI_FLAG_BOOL, help, NULL, "", true};
	return n;
}

static void print_root_help(FILE *f, const struct cli_flag *flags, size_t n)
{
	fprintf(f,
		"Usage:  berth [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n");
	print_section(f, "Common Commands");
	print_section(f, "Management Commands");
	print_section(f, "Commands");
	fprintf(f, "Global Options:\n");
	cli_flags_print(f, flags, n);
	fprintf(f, "\nRun 'berth COMMAND --help' for more information on a command.\n");
}

/* Applies -l/-D: -D wins, as in docker. */
static int setup_logging(struct cli *cli, const char *level)
{
	cli->log = (struct logger){.level = LOG_LEVEL_INFO, .fd = 2};
	if (level && log_level_parse(level, &cli->log.level) < 0) {
		fprintf(cli->err, "Unable to parse logging level: %s\n", level);
		return -EINVAL;
	}
	if (cli->debug)
		cli->log.level = LOG_LEVEL_DEBUG;
	return 0;
}

static int dispatch(struct cli *cli, const struct cli_strv *args)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, args->v[0]) != 0)
			continue;
		char path[64];
		snprintf(path, sizeof(path), "berth %s", commands[i].name);
		return commands[i].run(cli, path, (int)args->n - 1, (char **)args->v + 1);
	}
	fprintf(cli->err,
		"berth: unknown command: berth %s\n\nRun 'berth --help' for more information\n",
		args->v[0]);
	return CLI_EXIT_FAILURE;
}

static int run_root(struct cli *cli, int argc, char **argv, struct cli_strv *args,
		    struct cli_strv *hosts)
{
	bool help = false, version = false;
	const char *level = NULL;
	char help_text[3][256];
	struct cli_flag flags[16];
	size_t n = global_flags(cli, &help, &version, &level, hosts, help_text, flags);
	struct error err = ERROR_INIT;
	/* Global options come before the command, as docker requires. */
	if (cli_flags_parse(flags, n, argc - 1, argv + 1, false, args, &err) < 0) {
		int code = cli_usage_error(cli, "berth", "berth [OPTIONS] COMMAND [ARG...]",
					   error_msg(&err));
		error_clear(&err);
		return code;
	}
	if (version) {
		fprintf(cli->out, "Berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
		return CLI_EXIT_OK;
	}
	/* `berth help` is `berth --help`; `berth help CMD...` is `berth CMD... --help`. */
	bool help_cmd = args->n > 0 && strcmp(args->v[0], "help") == 0;
	if (help || args->n == 0 || (help_cmd && args->n == 1)) {
		print_root_help(cli->out, flags, n);
		return CLI_EXIT_OK;
	}
	if (help_cmd) {
		struct cli_strv rewritten = {0};
		for (size_t i = 1; i < args->n; i++)
			cli_strv_push(&rewritten, args->v[i]);
		cli_strv_push(&rewritten, "--help");
		cli_strv_free(args);
		*args = rewritten;
	}
	if (setup_logging(cli, level) < 0)
		return CLI_EXIT_FAILURE;
	if (hosts->n > 1) {
		fprintf(cli->err, "Failed to initialize: unable to resolve berth endpoint: Specify "
				  "only one -H\n");
		return CLI_EXIT_FAILURE;
	}
	cli->host = hosts->n ? hosts->v[0] : NULL;
	return dispatch(cli, args);
}

int cli_run(int argc, char **argv)
{
	struct cli cli = {.out = stdout, .err = stderr};
	struct cli_strv args = {0}, hosts = {0};
	int code = run_root(&cli, argc, argv, &args, &hosts);
	cli_strv_free(&args);
	cli_strv_free(&hosts);
	fflush(stdout);
	return code;
}

static void print_cmd_help(FILE *f, const char *cmd_path, const struct cli_cmd_spec *spec,
			   const struct cli_flag *flags, size_t nflags)
{
	fprintf(f, "Usage:  %s %s\n\n%s\n\n", cmd_path, spec->usage ? spec->usage : "[OPTIONS]",
		spec->summary);
	if (spec->aliases)
		fprintf(f, "Aliases:\n  %s\n\n", spec->aliases);
	fprintf(f, "Options:\n");
	cli_flags_print(f, flags, nflags);
}

/* cobra's argument checks, with the docker CLI's wording (and its
 * "SRun" typo for the at-most case, which scripts may match). */
static int check_arity(const struct cli *cli, const char *cmd_path, const struct cli_cmd_spec *spec,
		       const char *usage, size_t n)
{
	size_t want = (size_t)spec->nargs;
	const char *what = NULL, *see = "Run";
	if (spec->arity == CLI_ARGS_MIN && n < want)
		what = "requires at least", see = "See";
	else if (spec->arity == CLI_ARGS_MAX && n > want)
		what = "requires at most", see = "SRun";
	else if (spec->arity == CLI_ARGS_EXACT && n != want)
		what = "requires";
	if (!what)
		return -1;
	fprintf(cli->err,
		"berth: '%s' %s %zu argument%s\n\nUsage:  %s\n\n%s '%s --help' for more "
		"information\n",
		cmd_path, what, want, want == 1 ? "" : "s", usage, see, cmd_path);
	return CLI_EXIT_FAILURE;
}

static int cmd_parse(const struct cli *cli, const char *cmd_path, const struct cli_cmd_spec *spec,
		     const struct cli_flag *flags, size_t nflags, int argc, char **argv,
		     bool interspersed, struct cli_strv *ret_args)
{
	bool help = false;
	/* docker's service update alone has some 90 flags: no fixed bound. */
	_cleanup_free_ struct cli_flag *all = calloc(nflags + 1, sizeof(*all));
	if (!all) {
		struct error oom = ERROR_INIT;
		error_set(&oom, -ENOMEM, "out of memory");
		return cli_fail_clear(cli, &oom);
	}
	if (nflags)
		memcpy(all, flags, nflags * sizeof(*flags));
	all[nflags] = (struct cli_flag){"help", 'h', CLI_FLAG_BOOL, &help, NULL, "", true};
	char usage[256];
	snprintf(usage, sizeof(usage), "%s %s", cmd_path, spec->usage ? spec->usage : "[OPTIONS]");
	struct error err = ERROR_INIT;
	if (cli_flags_parse(all, nflags + 1, argc, argv, interspersed, ret_args, &err) < 0) {
		int code = cli_usage_error(cli, cmd_path, usage, error_msg(&err));
		error_clear(&err);
		return code;
	}
	if (help) {
		print_cmd_help(cli->out, cmd_path, spec, flags, nflags);
		return CLI_EXIT_OK;
	}
	if (spec->no_args && ret_args->n > 0)
		return cli_no_args_error(cli, cmd_path, usage);
	return check_arity(cli, cmd_path, spec, usage, ret_args->n);
}

int cli_cmd_parse(const struct cli *cli, const char *cmd_path, const struct cli_cmd_spec *spec,
		  const struct cli_flag *flags, size_t nflags, int argc, char **argv,
		  struct cli_strv *ret_args)
{
	return cmd_parse(cli, cmd_path, spec, flags, nflags, argc, argv, true, ret_args);
}

int cli_cmd_parse_until_args(const struct cli *cli, const char *cmd_path,
			     const struct cli_cmd_spec *spec, const struct cli_flag *flags,
			     size_t nflags, int argc, char **argv, struct cli_strv *ret_args)
{
	return cmd_parse(cli, cmd_path, spec, flags, nflags, argc, argv, false, ret_args);
}

static bool sub_matches(const struct cli_subcommand *sc, const char *name)
{
	if (strcmp(sc->name, name) == 0)
		return true;
	size_t len = strlen(name);
	for (const char *a = sc->aliases; a && *a;) {
		size_t l = strcspn(a, ",");
		if (l == len && strncmp(a, name, len) == 0)
			return true;
		a += l + (a[l] == ',');
	}
	return false;
}

static void print_group_help(FILE *f, const char *cmd_path, const char *summary,
			     const struct cli_subcommand *subs, size_t n)
{
	fprintf(f, "Usage:  %s COMMAND\n\n%s\n\nCommands:\n", cmd_path, summary);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-11s %s\n", subs[i].name, subs[i].summary);
	fprintf(f, "\nRun '%s COMMAND --help' for more information on a command.\n", cmd_path);
}

int cli_run_group(struct cli *cli, const char *cmd_path, const char *summary,
		  const struct cli_subcommand *subs, size_t n, int argc, char **argv)
{
	return cli_run_group_usage(cli, cmd_path, NULL, summary, subs, n, argc, argv);
}

int cli_run_group_usage(struct cli *cli, const char *cmd_path, const char *usage_line,
			const char *summary, const struct cli_subcommand *subs, size_t n, int argc,
			char **argv)
{
	if (argc == 0 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		print_group_help(cli->out, cmd_path, summary, subs, n);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (!sub_matches(&subs[i], argv[0]))
			continue;
		char path[128];
		snprintf(path, sizeof(path), "%s %s", cmd_path, subs[i].name);
		return subs[i].run(cli, path, argc - 1, argv + 1);
	}
	char usage[128];
	snprintf(usage, sizeof(usage), "%s COMMAND", cmd_path);
	if (usage_line)
		snprintf(usage, sizeof(usage), "%s", usage_line);
	if (argv[0][0] == '-') {
		char msg[256];
		snprintf(msg, sizeof(msg), "unknown flag: %s", argv[0]);
		return cli_usage_error(cli, cmd_path, usage, msg);
	}
	fprintf(cli->err,
		"berth: unknown command: %s %s\n\nUsage:  %s\n\nRun '%s --help' for more "
		"information\n",
		cmd_path, argv[0], usage, cmd_path);
	return CLI_EXIT_FAILURE;
}

bool cli_confirm(const struct cli *cli, const char *warning)
{
	fprintf(cli->out, "%s\nAre you sure you want to continue? [y/N] ", warning);
	fflush(cli->out);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}
