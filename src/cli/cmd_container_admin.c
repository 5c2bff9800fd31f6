/* berth pause, unpause, rename, top (also under `berth container`) and
 * `berth container prune`, docker's
 * usage and output: pause/unpause print each name that worked, then the
 * failures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/table.h"

static char *ctr_path(const char *name, const char *suffix)
{
	_cleanup_free_ char *esc = query_escape(name);
	char *p = NULL;
	return esc && asprintf(&p, "/containers/%s%s", esc, suffix) >= 0 ? p : NULL;
}

static int post(const struct cli *cli, const char *path, const struct query *q,
		struct error *err)
{
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_request_json(&c, "POST", path, q, NULL, NULL, err);
	client_done(&c);
	return r;
}

static int each_post(struct cli *cli, const char *cmd_path, int argc, char **argv,
		     const char *summary, const char *suffix)
{
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = summary, .usage = "CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code >= 0) {
		cli_strv_free(&args);
		return code;
	}
	char *errors = NULL;
	for (size_t i = 0; i < args.n; i++) {
		struct error err = ERROR_INIT;
		_cleanup_free_ char *path = ctr_path(args.v[i], suffix);
		if ((path ? post(cli, path, NULL, &err) : error_set(&err, -ENOMEM, "out of memory")) < 0)
			cli_defer_error(&errors, &err);
		else
			fprintf(cli->out, "%s\n", args.v[i]);
	}
	cli_strv_free(&args);
	return cli_flush_errors(cli, errors);
}

int cli_cmd_pause(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return each_post(cli, cmd_path, argc, argv,
			 "Pause all processes within one or more containers", "/pause");
}

int cli_cmd_unpause(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return each_post(cli, cmd_path, argc, argv,
			 "Unpause all processes within one or more containers", "/unpause");
}

int cli_cmd_rename(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Rename a container",
					  .usage = "CONTAINER NEW_NAME", .arity = CLI_ARGS_EXACT,
					  .nargs = 2};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		struct query q = {0};
		_cleanup_free_ char *path = ctr_path(args.v[0], "/rename");
		int r = path && query_add(&q, "name", args.v[1]) >= 0
				? post(cli, path, &q, &err)
				: error_set(&err, -ENOMEM, "out of memory");
		code = r < 0 ? cli_fail(cli, &err) : CLI_EXIT_OK;
		error_clear(&err);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

/* docker's opts.ParseRestartPolicy, and its --rm conflict check. */
int cli_restart_policy(const char *s, bool auto_rm, struct json_t **ret, struct error *err)
{
	*ret = NULL;
	if (!*s)
		return 0;
	const char *colon = strchr(s, ':');
	long count = 0;
	if (colon && colon[1]) {
		char *end;
		count = strtol(colon + 1, &end, 10);
		if (*end)
			return error_set(err, -EINVAL, "invalid restart policy format: maximum retry count must be an integer");
	}
	int len = colon ? (int)(colon - s) : (int)strlen(s);
	if (auto_rm && !(len == 2 && !strncmp(s, "no", 2)))
		return error_set(err, -EINVAL, "conflicting options: cannot specify both --restart and --rm");
	*ret = json_pack("{s:s%, s:i}", "Name", s, (size_t)len, "MaximumRetryCount", (int)count);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

static int prune_run(struct cli *cli, const struct cli_strv *filters)
{
	struct error err = ERROR_INIT;
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	json_t *resp = NULL;
	struct client c;
	int r = query_filters_json(filters, &fj, &err);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0 && (r = client_init(&c, cli, &err)) >= 0) {
		r = client_request_json(&c, "POST", "/containers/prune", &q, NULL, &resp, &err);
		client_done(&c);
	}
	query_done(&q);
	if (r < 0) {
		int code = err.msg ? cli_fail(cli, &err) : CLI_EXIT_FAILURE;
		error_clear(&err);
		return code;
	}
	cli_print_prune_report(cli, "Deleted Containers:",
			       json_object_get(resp, "ContainersDeleted"),
			       (double)json_integer_value(json_object_get(resp, "SpaceReclaimed")));
	json_decref(resp);
	return CLI_EXIT_OK;
}

int cli_cmd_container_prune(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 0, CLI_FLAG_LIST, &filters, "filter",
	     "Provide filter values (e.g. \"until=<timestamp>\")", false},
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Do not prompt for confirmation", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Remove all stopped containers",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && !force &&
	    !cli_confirm(cli, "WARNING! This will remove all stopped containers."))
		code = CLI_EXIT_OK;
	if (code < 0)
		code = prune_run(cli, &filters);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

/* docker top's tabwriter (minwidth 20, padding 3) over Titles/Processes. */
static char *top_text(json_t *resp)
{
	char *text = NULL;
	size_t len = 0, i, k;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	json_t *v, *row;
	json_array_foreach(json_object_get(resp, "Titles"), i, v)
		fprintf(f, "%s%s", i ? "\t" : "", json_string_value(v));
	fputc('\n', f);
	json_array_foreach(json_object_get(resp, "Processes"), k, row) {
		json_array_foreach(row, i, v)
			fprintf(f, "%s%s", i ? "\t" : "", json_string_value(v));
		fputc('\n', f);
	}
	fclose(f);
	char *out = table_tabwrite(text, 20, 3);
	free(text);
	return out;
}

int cli_cmd_top(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct cli_strv args = {0};
	struct error err = ERROR_INIT;
	bool help = false;
	const struct cli_flag flags[] = {{"help", 0, CLI_FLAG_BOOL, &help, NULL, "Print usage", true}};
	static const char usage[] = "CONTAINER [ps OPTIONS]";
	/* ps options follow the container: flags stop at the first argument. */
	int code = cli_flags_parse(flags, 1, argc, argv, false, &args, &err) < 0
			   ? cli_usage_error(cli, cmd_path, usage, error_msg(&err))
		   : help ? (fprintf(cli->out, "\nUsage:  %s %s\n\nDisplay the running processes of a container\n",
				     cmd_path, usage), CLI_EXIT_OK)
		   : args.n < 1 ? cli_usage_error(cli, cmd_path, usage, "requires at least 1 argument")
				: -1;
	error_clear(&err);
	if (code >= 0) {
		cli_strv_free(&args);
		return code;
	}
	struct query q = {0};
	json_t *resp = NULL;
	_cleanup_free_ char *path = ctr_path(args.v[0], "/top");
	char *ps = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&ps, &len);
	for (size_t i = 1; f && i < args.n; i++)
		fprintf(f, "%s%s", i > 1 ? " " : "", args.v[i]);
	if (f)
		fclose(f);
	int r = path && ps ? 0 : error_set(&err, -ENOMEM, "out of memory");
	if (r == 0 && *ps)
		r = query_add(&q, "ps_args", ps);
	struct client c;
	if (r >= 0 && (r = client_init(&c, cli, &err)) >= 0) {
		r = client_request_json(&c, "GET", path, &q, NULL, &resp, &err);
		client_done(&c);
	}
	_cleanup_free_ char *out = r >= 0 ? top_text(resp) : NULL;
	if (out)
		fputs(out, cli->out);
	code = r < 0 ? cli_fail(cli, &err) : CLI_EXIT_OK;
	error_clear(&err);
	json_decref(resp);
	query_done(&q);
	free(ps);
	cli_strv_free(&args);
	return code;
}
