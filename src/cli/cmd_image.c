/* `berth image` and the top-level image commands: images/ls, inspect,
 * history, tag, rmi, prune. Rows are built as docker's formatter builds
 * them (cli/command/formatter/image.go, history.go). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/image_rows.h"
#include "cli/inspect.h"
#include "cli/query.h"
#include "cli/table.h"

static int fail_clear(const struct cli *cli, struct error *err)
{
	int code = err->msg ? cli_fail(cli, err) : CLI_EXIT_FAILURE;
	error_clear(err);
	return code;
}

/* GET/POST/DELETE with an optional JSON answer, one connection each. */
static int call(const struct cli *cli, const char *method, const char *path,
		const struct query *q, json_t **ret, struct error *err)
{
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_request_json(&c, method, path, q, NULL, ret, err);
	client_done(&c);
	return r;
}

static char *image_path(const char *name, const char *suffix)
{
	_cleanup_free_ char *esc = query_escape(name);
	char *p = NULL;
	if (!esc || asprintf(&p, "/images/%s%s", esc, suffix) < 0)
		return NULL;
	return p;
}

/* --- images / image ls ---------------------------------------------------- */

static int images_run(struct cli *cli, const struct image_list_opts *o, const char *format,
		      const struct cli_strv *filters, const char *ref)
{
	struct error err = ERROR_INIT;
	struct table t;
	_cleanup_free_ char *def = image_list_default_format(o);
	if (!def || table_init(&t, format, def, &err) < 0)
		return fail_clear(cli, &err);
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *images = NULL;
	struct cli_strv all = *filters;
	all.v = NULL;
	all.n = 0;
	int r = 0;
	for (size_t i = 0; r == 0 && i < filters->n; i++)
		r = cli_strv_push(&all, filters->v[i]);
	_cleanup_free_ char *refarg = NULL;
	/* docker sends IMAGE[:TAG] as a reference filter. */
	if (r == 0 && ref && asprintf(&refarg, "reference=%s", ref) >= 0)
		r = cli_strv_push(&all, refarg);
	if (r >= 0)
		r = query_filters_json(&all, &fj, &err);
	cli_strv_free(&all);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0 && o->all)
		r = query_add(&q, "all", "1");
	if (r >= 0)
		r = call(cli, "GET", "/images/json", &q, &images, &err);
	query_done(&q);
	int code;
	if (r < 0) {
		code = fail_clear(cli, &err);
	} else {
		_cleanup_(cli_json_decrefp) json_t *rows = image_list_rows(images, o, time_now_ns());
		code = cli_print_rows(cli, &t, rows, image_row_identity, image_list_headers());
	}
	table_done(&t);
	return code;
}

int cli_cmd_images(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct image_list_opts o = {0};
	const char *format = NULL;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"all", 'a', CLI_FLAG_BOOL, &o.all, NULL,
	     "Show all images (default hides intermediate images)", false},
	    {"digests", 0, CLI_FLAG_BOOL, &o.digests, NULL, "Show digests", false},
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &o.no_trunc, NULL, "Don't truncate output", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &o.quiet, NULL, "Only show image IDs", false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "List images",
	    .aliases = "berth image ls, berth image list, berth images",
	    .usage = "[OPTIONS] [REPOSITORY[:TAG]]",
	    .arity = CLI_ARGS_MAX,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = images_run(cli, &o, format, &filters, args.n ? args.v[0] : NULL);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

/* --- inspect -------------------------------------------------------------- */

static int fetch_image(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *path = image_path(name, "/json");
	if (!path)
		return error_set(err, -ENOMEM, "out of memory");
	return client_request_json(c, "GET", path, NULL, NULL, ret, err);
}

/* `berth inspect` knows images only so far: docker's wording for others. */
static int fetch_object(struct client *c, const char *name, json_t **ret, struct error *err)
{
	struct error e = ERROR_INIT;
	int r = fetch_image(c, name, ret, &e);
	if (r < 0 && e.msg && strstr(e.msg, "No such image"))
		r = error_set(err, -ENOENT, "Error: No such object: %s", name);
	else if (r < 0)
		r = error_set(err, r, "%s", error_msg(&e));
	error_clear(&e);
	return r;
}

static int inspect_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv,
		       const struct cli_cmd_spec *spec, cli_inspect_fn fetch)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	int code = cli_cmd_parse(cli, cmd_path, spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, fetch);
	cli_strv_free(&args);
	return code;
}

static int image_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	static const struct cli_cmd_spec spec = {
	    .summary = "Display detailed information on one or more images",
	    .usage = "[OPTIONS] IMAGE [IMAGE...]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	return inspect_cmd(cli, cmd_path, argc, argv, &spec, fetch_image);
}

int cli_cmd_image_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	static const struct cli_cmd_spec spec = {
	    .summary = "Return low-level information on Berth objects",
	    .usage = "[OPTIONS] NAME|ID [NAME|ID...]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	return inspect_cmd(cli, cmd_path, argc, argv, &spec, fetch_object);
}

/* --- history -------------------------------------------------------------- */

static int history_run(struct cli *cli, const struct image_history_opts *o, const char *format,
		       const char *name)
{
	struct error err = ERROR_INIT;
	struct table t;
	if (table_init(&t, format, image_history_default_format(o), &err) < 0)
		return fail_clear(cli, &err);
	_cleanup_free_ char *path = image_path(name, "/history");
	_cleanup_(cli_json_decrefp) json_t *hist = NULL;
	int code;
	if (!path || call(cli, "GET", path, NULL, &hist, &err) < 0) {
		code = fail_clear(cli, &err);
	} else {
		_cleanup_(cli_json_decrefp) json_t *rows = image_history_rows(hist, o, time_now_ns());
		code = cli_print_rows(cli, &t, rows, image_row_identity, image_history_headers());
	}
	table_done(&t);
	return code;
}

int cli_cmd_history(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct image_history_opts o = {.human = true};
	const char *format = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"human", 'H', CLI_FLAG_BOOL, &o.human, NULL,
	     "Print sizes and dates in human readable format (default true)", false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &o.no_trunc, NULL, "Don't truncate output", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &o.quiet, NULL, "Only show image IDs", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Show the history of an image",
						 .aliases = "berth image history, berth history",
						 .usage = "[OPTIONS] IMAGE",
						 .arity = CLI_ARGS_EXACT,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = history_run(cli, &o, format, args.v[0]);
	cli_strv_free(&args);
	return code;
}

/* --- tag ------------------------------------------------------------------ */

static int tag_run(struct cli *cli, const char *source, const char *target)
{
	struct error err = ERROR_INIT;
	_cleanup_free_ char *repo = NULL;
	const char *tag = image_split_tag(target, &repo);
	_cleanup_free_ char *path = image_path(source, "/tag");
	struct query q = {0};
	int r = repo && path ? query_add(&q, "repo", repo) : -ENOMEM;
	if (r >= 0 && tag)
		r = query_add(&q, "tag", tag);
	if (r >= 0)
		r = call(cli, "POST", path, &q, NULL, &err);
	query_done(&q);
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

int cli_cmd_tag(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct cli_strv args = {0};
	static const struct cli_cmd_spec spec = {
	    .summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	    .aliases = "berth image tag, berth tag",
	    .usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	    .arity = CLI_ARGS_EXACT,
	    .nargs = 2};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code < 0)
		code = tag_run(cli, args.v[0], args.v[1]);
	cli_strv_free(&args);
	return code;
}

/* --- rmi ------------------------------------------------------------------ */

static void print_deletes(const struct cli *cli, json_t *items, bool lower)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *u = json_string_value(json_object_get(it, "Untagged"));
		const char *d = json_string_value(json_object_get(it, "Deleted"));
		if (u && *u)
			fprintf(cli->out, "%s: %s\n", lower ? "untagged" : "Untagged", u);
		else if (d)
			fprintf(cli->out, "%s: %s\n", lower ? "deleted" : "Deleted", d);
	}
}

static int rmi_run(struct cli *cli, const struct cli_strv *names, bool force, bool no_prune)
{
	struct query q = {0};
	if (force)
		query_add(&q, "force", "1");
	if (no_prune)
		query_add(&q, "noprune", "1");
	char *errors = NULL;
	for (size_t i = 0; i < names->n; i++) {
		struct error err = ERROR_INIT;
		_cleanup_free_ char *path = image_path(names->v[i], "");
		_cleanup_(cli_json_decrefp) json_t *resp = NULL;
		if (!path || call(cli, "DELETE", path, &q, &resp, &err) < 0) {
			if (!err.msg)
				error_set(&err, -ENOMEM, "out of memory");
			cli_defer_error(&errors, &err);
			continue;
		}
		print_deletes(cli, resp, false);
	}
	query_done(&q);
	return cli_flush_errors(cli, errors);
}

int cli_cmd_rmi(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false, no_prune = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Force removal of the image", false},
	    {"no-prune", 0, CLI_FLAG_BOOL, &no_prune, NULL, "Do not delete untagged parents",
	     false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Remove one or more images",
	    .aliases = "berth image rm, berth image remove, berth rmi",
	    .usage = "[OPTIONS] IMAGE [IMAGE...]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = rmi_run(cli, &args, force, no_prune);
	cli_strv_free(&args);
	return code;
}

/* --- image prune ---------------------------------------------------------- */

static int prune_run(struct cli *cli, bool all, const struct cli_strv *filters)
{
	struct error err = ERROR_INIT;
	struct cli_strv f = {0};
	int r = cli_strv_push(&f, all ? "dangling=false" : "dangling=true");
	for (size_t i = 0; r == 0 && i < filters->n; i++)
		r = cli_strv_push(&f, filters->v[i]);
	_cleanup_free_ char *fj = NULL;
	struct query q = {0};
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	if (r >= 0)
		r = query_filters_json(&f, &fj, &err);
	cli_strv_free(&f);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0)
		r = call(cli, "POST", "/images/prune", &q, &resp, &err);
	query_done(&q);
	if (r < 0)
		return fail_clear(cli, &err);
	json_t *deleted = json_object_get(resp, "ImagesDeleted");
	if (json_array_size(deleted)) {
		fprintf(cli->out, "Deleted Images:\n");
		print_deletes(cli, deleted, true);
		fputc('\n', cli->out);
	}
	char size[32];
	table_human_size4((double)json_integer_value(json_object_get(resp, "SpaceReclaimed")),
			  size, sizeof(size));
	fprintf(cli->out, "Total reclaimed space: %s\n", size);
	return CLI_EXIT_OK;
}

static int image_prune(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool all = false, force = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"all", 'a', CLI_FLAG_BOOL, &all, NULL, "Remove all unused images, not just dangling ones",
	     false},
	    {"filter", 0, CLI_FLAG_LIST, &filters, "filter",
	     "Provide filter values (e.g. \"until=<timestamp>\")", false},
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Do not prompt for confirmation", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Remove unused images", .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	const char *warning = all ? "WARNING! This will remove all images without at least one "
				    "container associated to them."
				  : "WARNING! This will remove all dangling images.";
	if (code < 0 && !force && !cli_confirm(cli, warning))
		code = CLI_EXIT_OK;
	if (code < 0)
		code = prune_run(cli, all, &filters);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand subcommands[] = {
    {"build", NULL, "Build an image from a Dockerfile", cli_cmd_build},
    {"history", NULL, "Show the history of an image", cli_cmd_history},
    {"import", NULL, "Import the contents from a tarball to create a filesystem image",
     cli_cmd_import},
    {"inspect", NULL, "Display detailed information on one or more images", image_inspect},
    {"load", NULL, "Load an image from a tar archive or STDIN", cli_cmd_load},
    {"ls", "list", "List images", cli_cmd_images},
    {"prune", NULL, "Remove unused images", image_prune},
    {"pull", NULL, "Download an image from a registry", cli_cmd_pull},
    {"push", NULL, "Upload an image to a registry", cli_cmd_push},
    {"rm", "remove", "Remove one or more images", cli_cmd_rmi},
    {"save", NULL, "Save one or more images to a tar archive (streamed to STDOUT by default)",
     cli_cmd_save},
    {"tag", NULL, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", cli_cmd_tag},
};

int cli_cmd_image(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group_usage(cli, cmd_path, cmd_path, "Manage images", subcommands,
				   ARRAY_SIZE(subcommands), argc, argv);
}
