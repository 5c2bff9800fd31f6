/* Container commands: run, create, start, stop, kill, rm, ps, logs, wait and
 * inspect, docker's flags and output. `run` without -d follows the
 * container's logs until it exits (no attach: -i is not supported here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/attach_io.h"
#include "cli/inspect.h"
#include "cli/run_opts.h"
#include "cli/table.h"

static char *ctr_path(const char *name, const char *suffix)
{
	_cleanup_free_ char *esc = query_escape(name);
	char *p = NULL;
	return esc && asprintf(&p, "/containers/%s%s", esc, suffix) >= 0 ? p : NULL;
}

/* --- create / run ----------------------------------------------------------- */

/* docker's exit codes when run cannot start the command. */
static int start_failure_code(const struct error *err)
{
	const char *m = error_msg(err);
	if (strstr(m, "executable file not found") || strstr(m, "no such file or directory"))
		return 127;
	if (strstr(m, "permission denied"))
		return 126;
	return CLI_EXIT_USAGE;
}

/* "berth: <msg>" with the help hint, as docker shows run's failures. */
static int run_fail(const struct cli *cli, const char *cmd_path, struct error *err, int code)
{
	fflush(cli->out);
	fprintf(cli->err, "berth: %s\n\nRun '%s --help' for more information\n", error_msg(err),
		cmd_path);
	error_clear(err);
	return code;
}

static int create_once(const struct cli *cli, json_t *body, const char *name, char **ret_id,
		       struct error *err);

/* Reads the pull's JSON message stream; an errorDetail fails the pull. */
struct pull_progress {
	const struct cli *cli;
	char *failure;
};

static int pull_data(const char *data, size_t len, void *userdata)
{
	struct pull_progress *pp = userdata;
	_cleanup_free_ char *text = strndup(data, len);
	char *save = NULL;
	for (char *line = text ? strtok_r(text, "\r\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		_cleanup_(cli_json_decrefp) json_t *m = json_loads(line, 0, NULL);
		const char *e = json_string_value(json_object_get(m, "error"));
		const char *status = json_string_value(json_object_get(m, "status"));
		if (e && !pp->failure)
			pp->failure = strdup(e);
		else if (status)
			fprintf(pp->cli->err, "%s\n", status);
	}
	return 0;
}

/* docker's "Unable to find image" pull before a second create. */
static int pull_missing(const struct cli *cli, const char *image, struct error *err)
{
	_cleanup_free_ char *ref = NULL;
	const char *slash = strrchr(image, '/');
	bool tagged = strchr(slash ? slash : image, ':') || strchr(image, '@');
	if (asprintf(&ref, "%s%s", image, tagged ? "" : ":latest") < 0)
		return error_set(err, -ENOMEM, "out of memory");
	fprintf(cli->err, "Unable to find image '%s' locally\n", ref);
	char *colon = strrchr(ref, ':');
	if (colon && (!strrchr(ref, '/') || colon > strrchr(ref, '/')) && !strchr(ref, '@'))
		*colon = '\0';
	/* The daemon gets the normalized name, as docker sends it. */
	_cleanup_free_ char *full = NULL;
	const char *first_slash = strchr(ref, '/');
	bool has_domain = first_slash && (memchr(ref, '.', (size_t)(first_slash - ref)) ||
					  memchr(ref, ':', (size_t)(first_slash - ref)) ||
					  !strncmp(ref, "localhost/", 10));
	if (asprintf(&full, "%s%s",
		     has_domain	   ? ""
		     : first_slash ? "docker.io/"
				   : "docker.io/library/",
		     ref) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct query q = {0};
	query_add(&q, "fromImage", full);
	if (colon && !strchr(ref, '@'))
		query_add(&q, "tag", colon + 1);
	struct pull_progress pp = {.cli = cli};
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0) {
		const struct client_req rq = {.method = "POST",
					      .path = "/images/create",
					      .query = &q,
					      .body_fd = -1,
					      .fn = pull_data,
					      .userdata = &pp};
		r = client_request(&c, &rq, NULL, err);
	}
	client_done(&c);
	query_done(&q);
	if (r >= 0 && pp.failure)
		r = error_set(err, -EIO, "%s", pp.failure);
	free(pp.failure);
	return r;
}

static int create_one(const struct cli *cli, json_t *body, const char *name, char **ret_id,
		      struct error *err)
{
	const char *image = json_string_value(json_object_get(body, "Image"));
	int r = create_once(cli, body, name, ret_id, err);
	if (r != -ENOENT || !image || !strstr(error_msg(err), "No such image"))
		return r;
	error_clear(err);
	r = pull_missing(cli, image, err);
	return r < 0 ? r : create_once(cli, body, name, ret_id, err);
}

static int create_once(const struct cli *cli, json_t *body, const char *name, char **ret_id,
		       struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	struct query q = {0};
	if (name)
		query_add(&q, "name", name);
	int r = cli_call(cli, "POST", "/containers/create", &q, body, &resp, err);
	query_done(&q);
	const char *id = json_string_value(json_object_get(resp, "Id"));
	if (r >= 0 && !(*ret_id = strdup(id ? id : "")))
		r = -ENOMEM;
	json_t *warn;
	size_t i;
	json_array_foreach(json_object_get(resp, "Warnings"), i, warn)
	    fprintf(cli->err, "WARNING: %s\n", json_string_value(warn));
	return r;
}

static void out_piece(int stream, const char *data, size_t len, void *userdata)
{
	const struct cli *cli = userdata;
	FILE *f = stream == 2 ? cli->err : cli->out;
	fwrite(data, 1, len, f);
	fflush(f);
}

/* Logs of a tty container are its terminal's raw output. */
struct logs_out {
	const struct cli *cli;
	bool tty;
	struct demux dm;
};

static int logs_data(const char *data, size_t len, void *userdata)
{
	struct logs_out *lo = userdata;
	if (lo->tty)
		out_piece(1, data, len, (void *)lo->cli);
	else
		demux_feed(&lo->dm, data, len, out_piece, (void *)lo->cli);
	return 0;
}

struct logs_opts {
	bool follow, timestamps, details;
	const char *tail, *since, *until;
};

/* docker's: since and until as the daemon's timestamps (relative ones from
 * now), the flags as query parameters. */
static int logs_query(const struct logs_opts *o, struct query *q, struct error *err)
{
	char ts[64];
	int64_t now = time_now_ns();
	query_add(q, "stdout", "1");
	query_add(q, "stderr", "1");
	const char *names[] = {"since", "until"}, *values[] = {o->since, o->until};
	for (size_t i = 0; i < 2; i++) {
		if (!values[i] || !*values[i])
			continue;
		struct error e2 = ERROR_INIT;
		if (query_timestamp(values[i], now, ts, sizeof(ts), &e2) < 0) {
			error_set(err, e2.code, "invalid value for \"%s\": %s", names[i],
				  error_msg(&e2));
			error_clear(&e2);
			return err->code;
		}
		query_add(q, names[i], ts);
	}
	if (o->follow)
		query_add(q, "follow", "1");
	if (o->tail)
		query_add(q, "tail", o->tail);
	if (o->timestamps)
		query_add(q, "timestamps", "1");
	if (o->details)
		query_add(q, "details", "1");
	return 0;
}

static int stream_logs(const struct cli *cli, const char *name, const struct logs_opts *o,
		       struct error *err)
{
	_cleanup_free_ char *path = ctr_path(name, "/logs");
	struct query q = {0};
	int r = logs_query(o, &q, err);
	if (r < 0) {
		query_done(&q);
		return r;
	}
	struct logs_out lo = {.cli = cli};
	struct client c;
	_cleanup_free_ char *ipath = ctr_path(name, "/json");
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_get_json(&c, ipath, NULL, &info, err);
	lo.tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	if (r >= 0)
		r = client_stream(&c, path, &q, logs_data, &lo, err);
	client_done(&c);
	query_done(&q);
	return r;
}

static int run_or_create(struct cli *cli, const char *cmd_path, int argc, char **argv, bool run)
{
	struct run_opts o = {0};
	struct cli_strv args = {0};
	struct error err = ERROR_INIT;
	_cleanup_free_ char *id = NULL;
	_cleanup_(cli_json_decrefp) json_t *body = NULL;
	int code = run_opts_parse(cli, cmd_path, argc, argv, run, &o, &args);
	if (code >= 0)
		goto out;
	if (run && o.tty && o.interactive && !o.detach && !isatty(STDIN_FILENO)) {
		fprintf(cli->err, "the input device is not a TTY\n");
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	if (run_opts_body(&o, &args, &body, &err) < 0) {
		code = run_fail(cli, cmd_path, &err, CLI_EXIT_USAGE);
		goto out;
	}
	if (create_one(cli, body, o.name, &id, &err) < 0) {
		code = run ? run_fail(cli, cmd_path, &err, CLI_EXIT_USAGE) : cli_fail_clear(cli, &err);
		goto out;
	}
	if (!run) {
		fprintf(cli->out, "%s\n", id);
		code = CLI_EXIT_OK;
		goto out;
	}
	if (o.detach) {
		_cleanup_free_ char *path = ctr_path(id, "/start");
		if (cli_call(cli, "POST", path, NULL, NULL, NULL, &err) < 0) {
			code = run_fail(cli, cmd_path, &err, start_failure_code(&err));
			goto out;
		}
		fprintf(cli->out, "%s\n", id);
		code = CLI_EXIT_OK;
		goto out;
	}
	const struct attach_session s = {.id = id,
					 .tty = o.tty,
					 .in = o.interactive,
					 .start = true,
					 .sig_proxy = !o.no_sig_proxy && !o.tty,
					 .detach_keys = o.detach_keys,
					 .wait_condition = o.rm ? "removed" : "next-exit"};
	bool started;
	int r = attach_session_run(cli, &s, &code, &started, &err);
	if (r < 0)
		code = started ? cli_fail_clear(cli, &err)
			       : run_fail(cli, cmd_path, &err, start_failure_code(&err));
	else if (r > 0)
		code = CLI_EXIT_OK;
out:
	run_opts_free(&o);
	cli_strv_free(&args);
	return code;
}

int cli_cmd_run(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return run_or_create(cli, cmd_path, argc, argv, true);
}

int cli_cmd_create(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return run_or_create(cli, cmd_path, argc, argv, false);
}

/* --- start / stop / kill / rm / wait ----------------------------------------- */

/* Runs one request per named container, printing each name that worked
 * (or what print gives), then the failures, docker's way. */
static int each(struct cli *cli, const struct cli_strv *names, const char *method,
		const char *suffix, const struct query *q, bool print_code)
{
	char *errors = NULL;
	for (size_t i = 0; i < names->n; i++) {
		struct error err = ERROR_INIT;
		_cleanup_free_ char *path = ctr_path(names->v[i], suffix);
		_cleanup_(cli_json_decrefp) json_t *resp = NULL;
		int r = path ? cli_call(cli, method, path, q, NULL, print_code ? &resp : NULL, &err)
			     : error_set(&err, -ENOMEM, "out of memory");
		if (r < 0)
			cli_defer_error(&errors, &err);
		else if (print_code)
			fprintf(cli->out, "%lld\n",
				(long long)json_integer_value(json_object_get(resp, "StatusCode")));
		else
			fprintf(cli->out, "%s\n", names->v[i]);
	}
	return cli_flush_errors(cli, errors);
}

static int simple_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv,
		      const char *summary, const char *method, const char *suffix,
		      struct cli_flag *flags, size_t nflags, struct query *q, bool print_code)
{
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = summary,
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, nflags, argc, argv, &args);
	if (code < 0)
		code = each(cli, &args, method, suffix, q, print_code);
	cli_strv_free(&args);
	return code;
}

int cli_cmd_start(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool attach = false, interactive = false;
	const char *keys = NULL;
	struct cli_flag flags[] = {
	    {"attach", 'a', CLI_FLAG_BOOL, &attach, NULL,
	     "Attach STDOUT/STDERR and forward signals", false},
	    {"detach-keys", 0, CLI_FLAG_STRING, &keys, "string",
	     "Override the key sequence for detaching a container", false},
	    {"interactive", 'i', CLI_FLAG_BOOL, &interactive, NULL, "Attach container's STDIN",
	     false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Start one or more stopped containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && (attach || interactive) && args.n > 1) {
		fflush(cli->out);
		fprintf(cli->err, "you cannot start and attach multiple containers at once\n");
		code = CLI_EXIT_FAILURE;
	} else if (code < 0 && (attach || interactive)) {
		code = cli_start_attached(cli, args.v[0], interactive, keys);
	} else if (code < 0) {
		code = each(cli, &args, "POST", "/start", NULL, false);
	}
	cli_strv_free(&args);
	return code;
}

int cli_cmd_wait(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return simple_cmd(cli, cmd_path, argc, argv,
			  "Block until one or more containers stop, then print their exit codes",
			  "POST", "/wait", NULL, 0, NULL, true);
}

int cli_cmd_stop(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *t = NULL;
	struct cli_flag flags[] = {{"time", 't', CLI_FLAG_STRING, &t, "int",
				    "Seconds to wait before killing the container", false}};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Stop one or more running containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (t)
			query_add(&q, "t", t);
		code = each(cli, &args, "POST", "/stop", &q, false);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

int cli_cmd_kill(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *sig = NULL;
	struct cli_flag flags[] = {{"signal", 's', CLI_FLAG_STRING, &sig, "string",
				    "Signal to send to the container", false}};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Kill one or more running containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (sig)
			query_add(&q, "signal", sig);
		code = each(cli, &args, "POST", "/kill", &q, false);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

int cli_cmd_rm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false, vols = false;
	struct cli_flag flags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL,
	     "Force the removal of a running container (uses SIGKILL)", false},
	    {"volumes", 'v', CLI_FLAG_BOOL, &vols, NULL,
	     "Remove anonymous volumes associated with the container", false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Remove one or more containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (force)
			query_add(&q, "force", "1");
		if (vols)
			query_add(&q, "v", "1");
		code = each(cli, &args, "DELETE", "", &q, false);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

/* --- logs ----------------------------------------------------------------------- */

int cli_cmd_logs(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct logs_opts o = {0};
	struct cli_flag flags[] = {
	    {"details", 0, CLI_FLAG_BOOL, &o.details, NULL, "Show extra details provided to logs",
	     false},
	    {"follow", 'f', CLI_FLAG_BOOL, &o.follow, NULL, "Follow log output", false},
	    {"since", 0, CLI_FLAG_STRING, &o.since, "string",
	     "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" "
	     "for 42 minutes)",
	     false},
	    {"tail", 'n', CLI_FLAG_STRING, &o.tail, "string",
	     "Number of lines to show from the end of the logs", false},
	    {"timestamps", 't', CLI_FLAG_BOOL, &o.timestamps, NULL, "Show timestamps", false},
	    {"until", 0, CLI_FLAG_STRING, &o.until, "string",
	     "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
	     "\"42m\" for 42 minutes)",
	     false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Fetch the logs of a container",
					  .usage = "[OPTIONS] CONTAINER",
					  .arity = CLI_ARGS_EXACT,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		code = stream_logs(cli, args.v[0], &o, &err) < 0 ? cli_fail_clear(cli, &err)
								 : CLI_EXIT_OK;
	}
	cli_strv_free(&args);
	return code;
}

/* --- ps ------------------------------------------------------------------------- */

/* docker's Ports column: "127.0.0.1:8080->80/tcp, 443/tcp". */
static char *ports_text(json_t *ports)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);
	json_t *p;
	if (!f)
		return NULL;
	json_array_foreach(ports, i, p) {
		const char *ip = json_string_value(json_object_get(p, "IP"));
		json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
		json_int_t priv = json_integer_value(json_object_get(p, "PrivatePort"));
		const char *type = json_string_value(json_object_get(p, "Type"));
		fprintf(f, "%s", i ? ", " : "");
		if (ip && pub)
			fprintf(f, "%s:%lld->", ip, (long long)pub);
		fprintf(f, "%lld/%s", (long long)priv, type ? type : "tcp");
	}
	fclose(f);
	return out;
}

static json_t *ps_row_full(json_t *c, bool trunc)
{
	const char *id = json_string_value(json_object_get(c, "Id"));
	const char *cmd = json_string_value(json_object_get(c, "Command"));
	char shortcmd[128], ago[64], created[64];
	/* docker's Ellipsis(command, 20) inside quotes. */
	if (trunc && cmd && strlen(cmd) > 20)
		snprintf(shortcmd, sizeof(shortcmd), "\"%.19s…\"", cmd);
	else
		snprintf(shortcmd, sizeof(shortcmd), "\"%s\"", cmd ? cmd : "");
	int64_t created_ns = json_integer_value(json_object_get(c, "Created")) * 1000000000;
	table_human_ago(created_ns, time_now_ns(), ago, sizeof(ago));
	time_t t = (time_t)(created_ns / 1000000000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
	_cleanup_free_ char *labels = cli_labels_string(json_object_get(c, "Labels"));
	_cleanup_free_ char *ports = ports_text(json_object_get(c, "Ports"));
	return json_pack("{s:s%, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s}", "ID", id,
			 (size_t)(trunc ? 12 : strlen(id)), "Image", json_object_get(c, "Image"),
			 "Command", shortcmd, "RunningFor", ago, "CreatedAt", created, "Status",
			 json_string_value(json_object_get(c, "Status")), "Ports", ports ? ports : "", "Names",
			 name ? name + (name[0] == '/') : "", "State", json_object_get(c, "State"),
			 "Labels", labels ? labels : "");
}

static json_t *ps_row(json_t *c)
{
	return ps_row_full(c, true);
}

static json_t *ps_row_notrunc(json_t *c)
{
	return ps_row_full(c, false);
}

static json_t *ps_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID",
			 "Image", "IMAGE", "Command", "COMMAND", "RunningFor", "CREATED",
			 "CreatedAt", "CREATED AT", "Status", "STATUS", "Ports", "PORTS", "Names",
			 "NAMES", "State", "STATE", "Labels", "LABELS");
}

int cli_cmd_ps(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool all = false, quiet = false, notrunc = false;
	const char *format = NULL, *last = NULL;
	struct cli_strv filters = {0}, args = {0};
	struct cli_flag flags[] = {
	    {"all", 'a', CLI_FLAG_BOOL, &all, NULL,
	     "Show all containers (default shows just running)", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display container IDs", false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &notrunc, NULL, "Don't truncate output", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"last", 'n', CLI_FLAG_STRING, &last, "int",
	     "Show n last created containers (includes all states)", false},
	};
	const struct cli_cmd_spec spec = {.summary = "List containers", .no_args = true};
	/* Before the first goto (see cmd_attach). */
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *items = NULL;
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code >= 0)
		goto out;
	struct error err = ERROR_INIT;
	struct query q = {0};
	if (all)
		query_add(&q, "all", "1");
	if (last)
		query_add(&q, "limit", last);
	int r = query_filters_json(&filters, &fj, &err);
	if (r >= 0 && fj)
		query_add(&q, "filters", fj);
	if (r >= 0)
		r = cli_call(cli, "GET", "/containers/json", &q, NULL, &items, &err);
	query_done(&q);
	struct table t;
	const char *def = quiet ? "{{.ID}}"
				: "table "
				  "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}"
				  "\t{{.Ports}}\t{{.Names}}";
	if (r >= 0)
		r = table_init(&t, quiet ? NULL : format, def, &err);
	if (r < 0) {
		code = cli_fail_clear(cli, &err);
		goto out;
	}
	code = cli_print_rows(cli, &t, items, notrunc ? ps_row_notrunc : ps_row, ps_headers());
	table_done(&t);
out:
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

/* --- inspect --------------------------------------------------------------------- */

static int fetch_container(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *path = ctr_path(name, "/json");
	return client_get_json(c, path, NULL, ret, err);
}

int cli_cmd_container_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false}};
	const struct cli_cmd_spec spec = {
	    .summary = "Display detailed information on one or more containers",
	    .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, fetch_container);
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand subcommands[] = {
    {"commit", NULL, "Create a new image from a container's changes", cli_cmd_commit},
    {"cp", NULL, "Copy files/folders between a container and the local filesystem", cli_cmd_cp},
    {"create", NULL, "Create a new container", cli_cmd_create},
    {"export", NULL, "Export a container's filesystem as a tar archive", cli_cmd_export},
    {"inspect", NULL, "Display detailed information on one or more containers",
     cli_cmd_container_inspect},
    {"kill", NULL, "Kill one or more running containers", cli_cmd_kill},
    {"logs", NULL, "Fetch the logs of a container", cli_cmd_logs},
    {"ls", "list,ps", "List containers", cli_cmd_ps},
    {"pause", NULL, "Pause all processes within one or more containers", cli_cmd_pause},
    {"prune", NULL, "Remove all stopped containers", cli_cmd_container_prune},
    {"rename", NULL, "Rename a container", cli_cmd_rename},
    {"rm", "remove", "Remove one or more containers", cli_cmd_rm},
    {"run", NULL, "Create and run a new container from an image", cli_cmd_run},
    {"start", NULL, "Start one or more stopped containers", cli_cmd_start},
    {"stop", NULL, "Stop one or more running containers", cli_cmd_stop},
    {"top", NULL, "Display the running processes of a container", cli_cmd_top},
    {"unpause", NULL, "Unpause all processes within one or more containers", cli_cmd_unpause},
    {"wait", NULL, "Block until one or more containers stop, then print their exit codes",
     cli_cmd_wait},
};

int cli_cmd_container(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group_usage(cli, cmd_path, cmd_path, "Manage containers", subcommands,
				   ARRAY_SIZE(subcommands), argc, argv);
}

/* `berth inspect`: a container, else an image, with docker's wording when
 * neither exists. */
static int fetch_any(struct client *c, const char *name, json_t **ret, struct error *err)
{
	struct error e = ERROR_INIT;
	int r = fetch_container(c, name, ret, &e);
	if (r == -ENOENT || (r < 0 && e.msg && strstr(e.msg, "No such container"))) {
		error_clear(&e);
		_cleanup_free_ char *esc = query_escape(name), *path = NULL;
		if (!esc || asprintf(&path, "/images/%s/json", esc) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		r = client_get_json(c, path, NULL, ret, &e);
		if (r < 0 && e.msg && strstr(e.msg, "No such image")) {
			error_clear(&e);
			return error_set(err, -ENOENT, "Error: No such object: %s", name);
		}
	}
	if (r < 0)
		r = error_set(err, r, "%s", error_msg(&e));
	error_clear(&e);
	return r;
}

int cli_cmd_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false}};
	const struct cli_cmd_spec spec = {.summary =
					      "Return low-level information on Berth objects",
					  .usage = "[OPTIONS] NAME|ID [NAME|ID...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, fetch_any);
	cli_strv_free(&args);
	return code;
}
